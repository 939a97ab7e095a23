//! Builds a sampling request: Codex's body (key order kept) and its `x-codex-*` headers.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::collab::SUBAGENT_KIND_HEADER;
use super::config::SessionConfig;
use crate::protocol::request::{Reasoning, TextControls, TextFormat};
use crate::protocol::{ResponseItem, ResponsesRequest};
use crate::sandbox::SandboxMode;

/// Per-turn ids the headers and `client_metadata` carry.
#[derive(Clone, Debug)]
pub struct TurnIds<'a> {
    pub thread_id: &'a str,
    pub turn_id: &'a str,
    pub context_window_id: &'a str,
    pub turn_started_at_ms: u64,
    pub resumed: bool,
    /// Compactions so far: the `N` of `x-codex-window-id: <thread>:N`.
    pub window_number: u64,
    /// Set on a compaction's summary request: the `compaction` object of its turn metadata.
    pub compaction: Option<Value>,
}

/// The body (serialized once, linear in the history) and the headers of one request.
pub fn build_request(
    cfg: &SessionConfig,
    prefix: &[ResponseItem],
    history: &[ResponseItem],
    ids: &TurnIds,
) -> (String, Vec<(String, String)>) {
    let window_id = format!("{}:{}", ids.thread_id, ids.window_number);
    let metadata = turn_metadata(cfg, ids, &window_id);
    let metadata_text = metadata.to_string();
    let input: Cow<[ResponseItem]> = if prefix.is_empty() {
        Cow::Borrowed(history)
    } else {
        let mut all = Vec::with_capacity(prefix.len() + history.len());
        all.extend_from_slice(prefix);
        all.extend_from_slice(history);
        Cow::Owned(all)
    };
    let session_id = cfg.session_id(ids.thread_id);
    let mut client_metadata = Map::new();
    client_metadata.insert("session_id".into(), json!(session_id));
    client_metadata.insert("thread_id".into(), json!(ids.thread_id));
    client_metadata.insert("turn_id".into(), json!(ids.turn_id));
    client_metadata.insert("root_turn_id".into(), json!(cfg.root_turn_id(ids.turn_id)));
    if let Some(link) = &cfg.subagent {
        // A child's metadata also names its kind and parent (Codex 0.169, captured).
        client_metadata.insert("x-openai-subagent".into(), json!(SUBAGENT_KIND_HEADER));
        client_metadata.insert("parent_turn_id".into(), json!(link.parent_turn_id));
        client_metadata.insert(
            "x-codex-parent-thread-id".into(),
            json!(link.parent_thread_id),
        );
    }
    client_metadata.insert(
        "x-codex-installation-id".into(),
        json!(cfg.identity.installation_id),
    );
    client_metadata.insert("x-codex-window-id".into(), json!(window_id));
    client_metadata.insert("x-codex-turn-metadata".into(), json!(metadata_text));
    let model = &cfg.model;
    let body = ResponsesRequest {
        model: model.slug.clone(),
        instructions: model.instructions_field.then(|| {
            let update_plan = cfg.tools.iter().any(|t| t.name() == "update_plan");
            cfg.context.sent_base_instructions(update_plan)
        }),
        stream: true,
        input,
        // A summary request offers no tools and no parallel calls (Codex 0.169, captured).
        tools: Some(if ids.compaction.is_some() {
            Cow::Owned(Vec::new())
        } else {
            Cow::Borrowed(&cfg.tools)
        }),
        tool_choice: "auto".into(),
        parallel_tool_calls: model.parallel_tool_calls && ids.compaction.is_none(),
        reasoning: model.reasoning_effort.as_ref().map(|effort| Reasoning {
            effort: Some(effort.clone()),
            summary: model.reasoning_summary.clone(),
            context: None,
        }),
        store: false,
        include: if model.reasoning_effort.is_some() {
            vec!["reasoning.encrypted_content".into()]
        } else {
            Vec::new()
        },
        prompt_cache_key: Some(session_id.to_string()),
        text: text_controls(cfg),
        client_metadata: Some(client_metadata),
    };
    let body = serde_json::to_string(&body).expect("request body serializes");
    let mut headers = vec![
        (
            "x-codex-beta-features".into(),
            "remote_compaction_v2".into(),
        ),
        ("x-codex-window-id".into(), window_id),
        ("x-codex-turn-metadata".into(), metadata_text),
    ];
    if let Some(link) = &cfg.subagent {
        headers.push((
            "x-codex-parent-thread-id".into(),
            link.parent_thread_id.clone(),
        ));
        headers.push(("x-openai-subagent".into(), SUBAGENT_KIND_HEADER.into()));
    }
    headers.extend([
        ("x-client-request-id".into(), ids.thread_id.to_string()),
        ("session-id".into(), session_id.to_string()),
        ("thread-id".into(), ids.thread_id.to_string()),
    ]);
    (body, headers)
}

fn text_controls(cfg: &SessionConfig) -> Option<TextControls> {
    let format = cfg.output_schema.clone().map(TextFormat::output_schema);
    if cfg.model.verbosity.is_none() && format.is_none() {
        return None;
    }
    Some(TextControls {
        verbosity: cfg.model.verbosity.clone(),
        format,
    })
}

fn turn_metadata(cfg: &SessionConfig, ids: &TurnIds, window_id: &str) -> Value {
    let sandbox = cfg.context.environment.sandbox;
    let mut metadata = json!({
        "installation_id": cfg.identity.installation_id,
        "session_id": ids.thread_id,
        "thread_id": ids.thread_id,
        "agent_name": "/root",
        "turn_id": ids.turn_id,
        "window_id": window_id,
        "window_number": ids.window_number,
        "context_window_id": ids.context_window_id,
        "request_kind": if ids.compaction.is_some() { "compaction" } else { "turn" },
        "history_initialization": if ids.resumed { "cold_resume" } else { "new" },
        "root_turn_id": ids.turn_id,
        "thread_source": cfg.identity.thread_source,
        "turn_trigger": "exec",
        "sandbox": if sandbox == SandboxMode::DangerFullAccess { "none" } else { "seccomp" },
        "sandbox_mode": sandbox.as_str(),
        "auto_review_enabled": false,
        "node_repl_auto_review_required": false,
        "node_repl_disabled": false,
        "turn_started_at_unix_ms": ids.turn_started_at_ms,
        "analytics_enabled": false,
    });
    let map = metadata.as_object_mut().expect("an object");
    if let Some(link) = &cfg.subagent {
        link_metadata(map, link, cfg.session_id(ids.thread_id));
    }
    // A summary request names its compaction instead of the model (Codex 0.169, captured).
    match &ids.compaction {
        Some(compaction) => {
            map.insert("compaction".into(), compaction.clone());
        }
        None => {
            map.insert("model".into(), json!(cfg.model.slug));
            map.insert("reasoning_effort".into(), json!(cfg.model.reasoning_effort));
        }
    }
    metadata
}

/// A child's turn metadata: the root's session id, the parent's thread and turn after
/// `history_initialization`, `subagent_kind` after `root_turn_id` (Codex 0.169, captured).
fn link_metadata(map: &mut Map<String, Value>, link: &super::collab::SubagentLink, session: &str) {
    let old = std::mem::take(map);
    for (key, value) in old {
        match key.as_str() {
            "session_id" => {
                map.insert(key, json!(session));
            }
            "root_turn_id" => {
                map.insert("parent_thread_id".into(), json!(link.parent_thread_id));
                map.insert("parent_turn_id".into(), json!(link.parent_turn_id));
                map.insert(key, json!(link.root_turn_id));
                map.insert("subagent_kind".into(), json!("thread_spawn"));
            }
            _ => {
                map.insert(key, value);
            }
        }
    }
}
