//! Rollout files: Codex's session JSONL, one `{timestamp, ordinal, type, payload}` line each.

use serde::{Deserialize, Serialize};

use super::with_extra::deserialize_with_extra;
use serde_json::Value;

use super::response_item::Extra;
use super::{EventMsg, ResponseItem, TokenUsage};

/// One line of a rollout file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RolloutLine {
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u64>,
    #[serde(flatten)]
    pub item: RolloutItem,
    /// Only on `response_item` lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ItemMetadata>,
}

/// The `type` + `payload` of a rollout line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
pub enum RolloutItem {
    SessionMeta(SessionMeta),
    ResponseItem(ResponseItem),
    EventMsg(EventMsg),
    TurnContext(TurnContext),
    Compacted(Compacted),
    WorldState(Value),
    TokenUsageRecord(TokenUsageRecord),
    /// A line type this version does not know: the whole object minus timestamp/ordinal/metadata.
    #[serde(untagged)]
    Other(Value),
}

/// `metadata` of a `response_item` line.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ItemMetadata {
    pub history_sequence: u64,
    pub sampled_through_sequence: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retained_source: Option<Value>,
    pub client_authored: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_input_order: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_attribution: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_token_limit_override: Option<u64>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(ItemMetadata {
    history_sequence,
    sampled_through_sequence,
    retained_source,
    client_authored,
    user_input_order,
    mcp_attribution,
    fallback_token_limit_override
});

/// First line of every rollout.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_scoped: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub id: String,
    /// The thread this one was forked from (Codex's field; `rcodex replay --fork-at` sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from_id: Option<String>,
    pub timestamp: String,
    pub cwd: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_workspace_roots: Option<Vec<String>>,
    pub originator: String,
    pub cli_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_instructions: Option<BaseInstructions>,
    /// Tools the thread's client added beside Codex's own (a library user's), as Codex records
    /// the dynamic tools of a thread: replay advertises them again and answers their calls from
    /// the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_tools: Option<Vec<DynamicToolSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(SessionMeta {
    account_scoped,
    session_id,
    id,
    forked_from_id,
    timestamp,
    cwd,
    runtime_workspace_roots,
    originator,
    cli_version,
    source,
    thread_source,
    model_provider,
    base_instructions,
    dynamic_tools,
    history_mode,
    context_window
});

/// One dynamic tool in `session_meta`, in Codex's shape (camelCase keys).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamicToolSpec {
    /// The name the model calls it by.
    pub name: String,
    /// What the model is told it does.
    pub description: String,
    /// JSON Schema of its arguments object.
    pub input_schema: Value,
    /// Offered only through tool search (never, for rcodex's own).
    #[serde(default)]
    pub defer_loading: bool,
    /// Offered again when the thread is resumed.
    #[serde(default = "yes")]
    pub persist_on_resume: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaseInstructions {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Value>,
}

/// Per-turn settings line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_plugin_ids: Option<Vec<String>>,
    pub cwd: String,
    pub approval_policy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_reviewer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_profile: Option<Value>,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comp_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_mode: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_agent_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_policy: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(TurnContext {
    turn_id,
    root_turn_id,
    disabled_plugin_ids,
    cwd,
    approval_policy,
    approvals_reviewer,
    permission_profile,
    model,
    comp_hash,
    collaboration_mode,
    multi_agent_version,
    realtime_active,
    effort,
    summary,
    sandbox_policy
});

/// A compaction: the summary message and, in newer rollouts, the history that replaces all before.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Compacted {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_history: Option<Vec<ResponseItem>>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(Compacted {
    message,
    replacement_history
});

/// Usage of one response, with the turn's and the thread's running totals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenUsageRecord {
    pub thread_id: String,
    pub turn_id: String,
    pub session_id: String,
    pub root_turn_id: String,
    pub response_id: String,
    pub usage: TokenUsage,
    pub turn_token_usage: TokenUsage,
    pub thread_token_usage: TokenUsage,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(TokenUsageRecord {
    thread_id,
    turn_id,
    session_id,
    root_turn_id,
    response_id,
    usage,
    turn_token_usage,
    thread_token_usage
});
