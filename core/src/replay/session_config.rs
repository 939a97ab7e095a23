//! The session configuration a recording implies: the recorded base instructions and context
//! items, the model of the first turn with its catalog facts, the tools that model gets (plus
//! the optional tools the session is seen calling), and the writer's identity.

use serde_json::Value;

use super::recording::{Recording, TurnLine};
use crate::context::{EnvironmentContext, InitialContext};
use crate::protocol::ResponseItem;
use crate::sandbox::SandboxMode;
use crate::session::{ModelSettings, SessionConfig};
use crate::time::utc_date;
use crate::tool_set::{model_facts, typed_tool_specs, ToolsConfig};

/// The sandbox mode of the first turn's context (the default when none is recorded).
fn recorded_sandbox(rec: &Recording) -> SandboxMode {
    rec.turns
        .first()
        .and_then(|t| t.context)
        .and_then(|c| c.sandbox_policy.as_ref())
        .and_then(|p| p.get("type"))
        .and_then(|t| serde_json::from_value::<SandboxMode>(t.clone()).ok())
        .unwrap_or_default()
}

/// What a rebuilt request cannot know from a rollout: the installation id (sent in
/// `client_metadata`) and `--output-schema` are not recorded.
pub fn session_config(rec: &Recording) -> SessionConfig {
    let meta = rec.meta;
    let first = rec.turns.first().and_then(|t| t.context);
    let slug = first.map_or("gpt-5.5", |c| c.model.as_str());
    let facts = model_facts(slug);
    let sandbox = recorded_sandbox(rec);
    let environment = EnvironmentContext::new(&meta.cwd, sandbox, &utc_date(rec.start_ms), "UTC");
    let mut context = InitialContext::defaults(environment);
    if let Some(base) = &meta.base_instructions {
        context.base_instructions = base.text.clone();
    }
    context.recorded = Some(
        rec.context
            .iter()
            .map(|c| c.item.clone().without_passthrough())
            .collect(),
    );
    let mut cfg = SessionConfig::new(context);
    cfg.thread_id = Some(meta.id.clone());
    cfg.dynamic_tools = meta.dynamic_tools.clone().unwrap_or_default();
    cfg.start_ms = rec.start_ms;
    cfg.model = ModelSettings::with_defaults(slug, &facts);
    if let Some(effort) = first.and_then(|c| c.effort.clone()) {
        cfg.model.reasoning_effort = Some(effort);
    }
    cfg.tools = typed_tool_specs(&facts, &tools_called(rec));
    cfg.search_answers = recorded_search_answers(rec);
    cfg.goal_budget_message = recorded_goal_budget_message(rec);
    cfg.compact.auto_token_limit = rec.implied_auto_compact_limit();
    cfg.compact.on_context_failure = rec.compacts_on_context_failure();
    if let Some(prefix) = rec.summary_prefix() {
        cfg.compact.summary_prefix = prefix;
    }
    cfg.identity.originator = meta.originator.clone();
    cfg.identity.cli_version = meta.cli_version.clone();
    if let Some(provider) = &meta.model_provider {
        cfg.identity.provider_id = provider.clone();
    }
    cfg
}

/// The recorded `tool_search_output` of each search, by call id: a replay loads what the
/// recording loaded (in its writer's words), not what rcodex's namespaces would.
fn recorded_search_answers(rec: &Recording) -> std::collections::HashMap<String, Vec<Value>> {
    rec.outputs
        .iter()
        .filter_map(|(call_id, out)| match out.item {
            ResponseItem::ToolSearchOutput(o) => Some((call_id.to_string(), o.tools.clone())),
            _ => None,
        })
        .collect()
}

/// The first recorded goal context message's text (a spent budget, in its writer's words).
fn recorded_goal_budget_message(rec: &Recording) -> Option<String> {
    rec.turns
        .iter()
        .flat_map(|t| &t.lines)
        .find_map(|l| match l {
            TurnLine::Item(r) => super::recorded_ids::goal_context_message(r.item),
            TurnLine::Usage(_) => None,
        })
        .map(|(_, text)| text.to_string())
}

/// The default tools, plus each optional one the recording calls (the tool list itself is not
/// recorded; a call proves its tool was offered).
pub(super) fn tools_called(rec: &Recording) -> ToolsConfig {
    let mut cfg = ToolsConfig::default();
    // Codex (and rcodex) offer live web search under danger-full-access.
    if recorded_sandbox(rec) == SandboxMode::DangerFullAccess {
        cfg.web_search = crate::tool_set::WebSearchMode::Live;
    }
    let names = rec
        .turns
        .iter()
        .flat_map(|t| &t.lines)
        .filter_map(|l| match l {
            TurnLine::Item(r) => call_name(r.item),
            TurnLine::Usage(_) => None,
        });
    for name in names {
        match name {
            "update_plan" => cfg.update_plan = true,
            "read_file" => cfg.read_file = true,
            "list_dir" => cfg.list_dir = true,
            "grep_files" => cfg.grep_files = true,
            "shell" | "shell_command" | "local_shell" => cfg.unified_exec = false,
            _ => {}
        }
    }
    cfg
}

fn call_name(item: &ResponseItem) -> Option<&str> {
    match item {
        ResponseItem::FunctionCall(c) => Some(&c.name),
        ResponseItem::CustomToolCall(c) => Some(&c.name),
        ResponseItem::LocalShellCall(_) => Some("local_shell"),
        ResponseItem::Other(v) => v.get("name").and_then(Value::as_str),
        _ => None,
    }
}
