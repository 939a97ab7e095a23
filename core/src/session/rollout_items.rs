//! The rollout lines a turn writes besides its history items (session_meta, task_started,
//! turn_context, item_completed, token_count, task_complete, turn_aborted), shaped as Codex 0.169
//! writes them. Formatting only: the loop decides when each is written.

use serde_json::{json, Value};

use super::config::SessionConfig;
use super::exec_items::command_status;
use super::input::{ToolDetails, ToolOutput};
use super::retry::TurnError;
use super::tool_call::{CallView, ClassifiedCall};
use crate::protocol::event_msg::{
    ItemCompleted, TaskComplete, TaskError, TaskStarted, ThreadSettingsApplied, TokenCount,
    TokenCountInfo, TurnAborted,
};
use crate::protocol::exec_event::ItemStatus;
use crate::protocol::response_item::Extra;
use crate::protocol::rollout::{BaseInstructions, SessionMeta, TokenUsageRecord, TurnContext};
use crate::protocol::turn_item::{
    AgentMessageContent, AgentMessageItem, CommandExecutionItem, Duration, FileChangeEntry,
    FileChangeItem, ReasoningTurnItem, TurnItem, UserInput, UserMessageItem,
};
use crate::protocol::{ContentItem, EventMsg, ResponseItem, RolloutItem, TokenUsage};
use crate::time::rfc3339_millis;

fn collaboration_mode(cfg: &SessionConfig) -> Value {
    json!({"mode": "default", "settings": {"model": cfg.model.slug, "reasoning_effort": null, "developer_instructions": null}})
}

pub fn session_meta(
    cfg: &SessionConfig,
    thread_id: &str,
    window_id: &str,
    now: u64,
) -> RolloutItem {
    let env = &cfg.context.environment;
    let link = cfg.subagent.as_ref();
    RolloutItem::SessionMeta(SessionMeta {
        account_scoped: None,
        session_id: Some(cfg.session_id(thread_id).into()),
        id: thread_id.into(),
        forked_from_id: cfg.forked_from.as_ref().map(|f| f.thread_id.clone()),
        parent_thread_id: link.map(|l| l.parent_thread_id.clone()),
        timestamp: rfc3339_millis(now),
        cwd: env.cwd.clone(),
        runtime_workspace_roots: Some(env.workspace_roots.clone()),
        originator: cfg.identity.originator.clone(),
        cli_version: cfg.identity.cli_version.clone(),
        source: Some(link.map_or_else(|| json!("exec"), |l| l.source())),
        thread_source: Some(cfg.identity.thread_source.clone()),
        agent_nickname: link.map(|l| l.nickname.clone()),
        model_provider: Some(cfg.identity.provider_id.clone()),
        base_instructions: Some(BaseInstructions {
            text: cfg.context.base_instructions.clone(),
            provenance: Some(json!({"type": "model", "model": cfg.model.slug})),
        }),
        dynamic_tools: (!cfg.dynamic_tools.is_empty()).then(|| cfg.dynamic_tools.clone()),
        history_mode: Some("paginated".into()),
        multi_agent_version: link.map(|_| "v1".to_string()),
        context_window: Some(json!({ "window_id": window_id })),
        extra: fork_point(cfg),
    })
}

/// rcodex's own note in a fork's `session_meta`: the parent's turn and request it was cut at
/// (`forked_from_id` names the parent thread, as Codex does).
fn fork_point(cfg: &SessionConfig) -> Extra {
    let mut extra = Extra::new();
    if let Some(f) = &cfg.forked_from {
        extra.insert(
            "fork_point".into(),
            json!({ "turn": f.turn, "request": f.request }),
        );
    }
    extra
}

pub fn task_started(cfg: &SessionConfig, turn_id: &str, now: u64) -> RolloutItem {
    let parent_turn_id = cfg.subagent.as_ref().map(|l| l.parent_turn_id.clone());
    let root = cfg.root_turn_id(turn_id);
    RolloutItem::EventMsg(EventMsg::TaskStarted(TaskStarted {
        turn_attribution: Some(json!({
            "turn_id": turn_id, "turn_trigger": "exec", "parent_turn_id": parent_turn_id,
            "initiating_agent_path": null, "root_turn_id": root
        })),
        turn_id: turn_id.into(),
        root_turn_id: Some(root.into()),
        started_at: Some(now / 1000),
        model_context_window: cfg.model.context_window,
        collaboration_mode_kind: Some("default".into()),
        extra: Extra::new(),
    }))
}

pub fn turn_context(cfg: &SessionConfig, turn_id: &str) -> RolloutItem {
    let env = &cfg.context.environment;
    RolloutItem::TurnContext(TurnContext {
        turn_id: Some(turn_id.into()),
        root_turn_id: Some(cfg.root_turn_id(turn_id).into()),
        disabled_plugin_ids: Some(Vec::new()),
        cwd: env.cwd.clone(),
        approval_policy: "never".into(),
        approvals_reviewer: Some("user".into()),
        permission_profile: Some(crate::permission_profile::to_json(env)),
        model: cfg.model.slug.clone(),
        comp_hash: None,
        collaboration_mode: Some(collaboration_mode(cfg)),
        multi_agent_version: None,
        realtime_active: Some(false),
        effort: None,
        summary: Some("none".into()),
        sandbox_policy: Some(crate::permission_profile::sandbox_policy(env)),
        extra: Extra::new(),
    })
}

pub fn thread_settings_applied(cfg: &SessionConfig, thread_id: &str) -> RolloutItem {
    let env = &cfg.context.environment;
    let mut settings = json!({
        "model": cfg.model.slug,
        "model_provider_id": cfg.identity.provider_id,
        "approval_policy": "never",
        "approvals_reviewer": "user",
        "requested_approvals_reviewer": "user",
        "permission_profile": crate::permission_profile::to_json(env),
        "cwd": env.cwd,
        "runtime_workspace_roots": env.workspace_roots,
    });
    let map = settings.as_object_mut().expect("an object");
    if cfg.subagent.is_some() {
        // A sub-agent's settings write its reasoning effort and summary out, also inside
        // `collaboration_mode` (Codex 0.169, captured).
        let effort = &cfg.model.reasoning_effort;
        let summary = cfg.model.reasoning_summary.as_deref().unwrap_or("none");
        map.insert("reasoning_effort".into(), json!(effort));
        map.insert("reasoning_summary".into(), json!(summary));
        map.insert(
            "collaboration_mode".into(),
            json!({"mode": "default", "settings": {
                "model": cfg.model.slug, "reasoning_effort": effort, "developer_instructions": null
            }}),
        );
    } else {
        map.insert("collaboration_mode".into(), collaboration_mode(cfg));
    }
    map.insert("disabled_plugin_ids".into(), json!([]));
    RolloutItem::EventMsg(EventMsg::ThreadSettingsApplied(ThreadSettingsApplied {
        thread_id: thread_id.into(),
        thread_settings: settings,
        extra: Extra::new(),
    }))
}

/// A finished turn item; rcodex's items finish as they are recorded.
pub fn item_completed(thread_id: &str, turn_id: &str, item: TurnItem, now: u64) -> RolloutItem {
    RolloutItem::EventMsg(EventMsg::ItemCompleted(ItemCompleted {
        thread_id: thread_id.into(),
        turn_id: turn_id.into(),
        item: item.to_value(),
        started_at_ms: now,
        completed_at_ms: now,
        extra: Extra::new(),
    }))
}

pub fn user_message(id: String, text: String) -> TurnItem {
    TurnItem::UserMessage(UserMessageItem {
        id,
        content: vec![UserInput::Text {
            text,
            text_elements: Vec::new(),
        }],
    })
}

pub fn agent_message(id: String, text: String) -> TurnItem {
    TurnItem::AgentMessage(AgentMessageItem {
        id,
        content: vec![AgentMessageContent::Text { text }],
    })
}

pub fn reasoning(id: Option<String>, summary_text: Vec<String>) -> TurnItem {
    TurnItem::Reasoning(ReasoningTurnItem {
        id,
        summary_text,
        raw_content: Vec::new(),
    })
}

/// The item a finished command or patch completes, if the call is one.
pub fn call_completed(
    call: &ClassifiedCall,
    output: &ToolOutput,
    cwd: &str,
    sender: &str,
) -> Option<TurnItem> {
    let id = call.call.call_id.clone();
    match (&call.view, &output.details) {
        (
            CallView::Command { argv, .. },
            ToolDetails::Command {
                aggregated_output,
                exit_code,
                duration_ms,
                process_id,
            },
        ) => Some(TurnItem::CommandExecution(CommandExecutionItem {
            id,
            process_id: process_id.clone(),
            command: argv.clone(),
            cwd: format!("file://{cwd}"),
            parsed_cmd: Vec::new(),
            source: "unified_exec_startup".into(),
            status: command_status(*exit_code),
            aggregated_output: aggregated_output.clone(),
            exit_code: *exit_code,
            duration: Duration::from_millis(*duration_ms),
        })),
        (CallView::Collab(_), ToolDetails::Collab(d)) => {
            Some(super::collab::turn_item(&id, d, sender))
        }
        (CallView::FileChange { .. }, ToolDetails::Patch { changes }) => {
            Some(TurnItem::FileChange(FileChangeItem {
                id,
                changes: changes
                    .iter()
                    .map(|c| FileChangeEntry {
                        path: c.path.clone(),
                        kind: c.kind,
                        unified_diff: c.unified_diff.clone(),
                    })
                    .collect(),
                status: if output.success {
                    ItemStatus::Completed
                } else {
                    ItemStatus::Failed
                },
            }))
        }
        _ => None,
    }
}

pub fn token_count(thread: TokenUsage, last: TokenUsage, window: Option<u64>) -> RolloutItem {
    RolloutItem::EventMsg(EventMsg::TokenCount(TokenCount {
        info: Some(TokenCountInfo {
            total_token_usage: thread,
            last_token_usage: last,
            last_usage_includes_reasoning: false,
            model_context_window: window,
        }),
        rate_limits: json!({
            "limit_id": "codex", "limit_name": null, "primary": null, "secondary": null,
            "credits": null, "individual_limit": null, "spend_control_reached": null,
            "plan_type": null, "rate_limit_reached_type": null
        }),
        extra: Extra::new(),
    }))
}

/// The usage of one response, with the turn's and the thread's totals after it.
pub fn token_usage_record(
    thread_id: &str,
    turn_id: &str,
    (session_id, root_turn_id): (&str, &str),
    response_id: String,
    usage: TokenUsage,
    turn_usage: TokenUsage,
    thread_usage: TokenUsage,
) -> RolloutItem {
    RolloutItem::TokenUsageRecord(TokenUsageRecord {
        thread_id: thread_id.into(),
        turn_id: turn_id.into(),
        session_id: session_id.into(),
        root_turn_id: root_turn_id.into(),
        response_id,
        usage,
        turn_token_usage: turn_usage,
        thread_token_usage: thread_usage,
        extra: Extra::new(),
    })
}

/// Timing facts of a finished turn.
pub struct TurnTiming {
    pub started_ms: u64,
    pub now_ms: u64,
    pub first_token_ms: Option<u64>,
}

pub fn task_complete(
    (turn_id, root_turn_id): (&str, &str),
    last_agent_message: Option<String>,
    error: Option<&TurnError>,
    t: TurnTiming,
) -> RolloutItem {
    RolloutItem::EventMsg(EventMsg::TaskComplete(TaskComplete {
        root_turn_id: Some(root_turn_id.into()),
        turn_id: turn_id.into(),
        last_agent_message,
        error: error.map(|e| TaskError {
            message: e.message.clone(),
            codex_error_info: e.info.as_str().into(),
        }),
        started_at: Some(t.started_ms / 1000),
        completed_at: Some(t.now_ms / 1000),
        duration_ms: Some(t.now_ms.saturating_sub(t.started_ms)),
        time_to_first_token_ms: t.first_token_ms.map(|f| f.saturating_sub(t.started_ms)),
        extra: Extra::new(),
    }))
}

/// Codex 0.169's `turn_aborted` (captured): the turn, the reason, and its timing.
pub fn turn_aborted(turn_id: &str, t: TurnTiming) -> RolloutItem {
    let mut extra = Extra::new();
    extra.insert("started_at".into(), json!(t.started_ms / 1000));
    extra.insert("completed_at".into(), json!(t.now_ms / 1000));
    extra.insert(
        "duration_ms".into(),
        json!(t.now_ms.saturating_sub(t.started_ms)),
    );
    RolloutItem::EventMsg(EventMsg::TurnAborted(TurnAborted {
        root_turn_id: Some(turn_id.into()),
        turn_id: Some(turn_id.into()),
        reason: "interrupted".into(),
        extra,
    }))
}

/// The user message an interrupted turn leaves in history, with Codex's `text`.
pub fn interrupt_marker(id: String, text: &str) -> ResponseItem {
    ResponseItem::message(
        Some(id),
        "user",
        vec![ContentItem::InputText { text: text.into() }],
    )
}

/// The `item_completed` of a hosted search, as Codex records it before the `web_search_call`.
pub fn web_search(w: &crate::protocol::response_item::WebSearchCallItem) -> TurnItem {
    let action = w.action.clone().unwrap_or_default();
    let query = action
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default();
    TurnItem::WebSearch(crate::protocol::turn_item::WebSearchTurnItem {
        id: w.id.clone().unwrap_or_default(),
        query: query.to_string(),
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{EnvironmentContext, InitialContext};
    use crate::sandbox::SandboxMode;
    use crate::session::collab::SubagentLink;

    fn keys(item: &RolloutItem) -> Vec<String> {
        let RolloutItem::EventMsg(EventMsg::ThreadSettingsApplied(t)) = item else {
            panic!("not thread_settings_applied: {item:?}");
        };
        t.thread_settings
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn a_sub_agent_writes_its_reasoning_settings_out_in_codex_key_order() {
        let env =
            EnvironmentContext::new("/w", SandboxMode::WorkspaceWrite, "2026-12-05", "Etc/UTC");
        let mut cfg = SessionConfig::new(InitialContext::defaults(env));
        let root = thread_settings_applied(&cfg, "t1");
        cfg.subagent = Some(SubagentLink {
            session_id: "t0".into(),
            parent_thread_id: "t0".into(),
            depth: 1,
            nickname: "Noether".into(),
            parent_turn_id: "u0".into(),
            root_turn_id: "u0".into(),
        });
        let child = thread_settings_applied(&cfg, "t1");
        let common = [
            "model",
            "model_provider_id",
            "approval_policy",
            "approvals_reviewer",
            "requested_approvals_reviewer",
            "permission_profile",
            "cwd",
            "runtime_workspace_roots",
        ];
        let with = |extra: &[&str]| -> Vec<String> {
            common.iter().chain(extra).map(|k| k.to_string()).collect()
        };
        assert_eq!(
            keys(&root),
            with(&["collaboration_mode", "disabled_plugin_ids"])
        );
        // As the captured child rollout of Codex 0.169 orders them.
        assert_eq!(
            keys(&child),
            with(&[
                "reasoning_effort",
                "reasoning_summary",
                "collaboration_mode",
                "disabled_plugin_ids"
            ])
        );
    }
}
