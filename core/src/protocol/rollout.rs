//! Rollout files: Codex's session JSONL, one `{timestamp, ordinal, type, payload}` line each.

use serde::{Deserialize, Serialize};

use super::with_extra::deserialize_with_extra;
use serde_json::Value;

use super::response_item::Extra;
use super::{EventMsg, ResponseItem, TokenUsage};

/// One line of a rollout file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RolloutLine {
    /// When the line was written: RFC 3339 UTC with milliseconds (`2026-12-02T10:00:00.123Z`).
    pub timestamp: String,
    /// Codex's running line number in the file, when the writer keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u64>,
    /// The line's `type` and `payload`, flattened into the line object.
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
    /// `session_meta`: the thread's identity and origin; the first line of every rollout.
    SessionMeta(SessionMeta),
    /// `response_item`: one item of model-visible history (what the next request's `input` is
    /// rebuilt from).
    ResponseItem(ResponseItem),
    /// `event_msg`: a lifecycle event (task started/complete, item completed, token count, …).
    EventMsg(EventMsg),
    /// `turn_context`: the settings a turn ran with (cwd, model, approval and sandbox policy).
    TurnContext(TurnContext),
    /// `compacted`: a compaction that replaced earlier history.
    Compacted(Compacted),
    /// `world_state`: Codex's snapshot of instructions and environment hashes, kept as raw JSON.
    WorldState(Value),
    /// `token_usage_record`: usage of one response with the turn's and thread's totals.
    TokenUsageRecord(TokenUsageRecord),
    /// A line type this version does not know: the whole object minus timestamp/ordinal/metadata.
    #[serde(untagged)]
    Other(Value),
}

/// `metadata` of a `response_item` line.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ItemMetadata {
    /// Position of this item in model-visible history, counting from 1 for the thread.
    pub history_sequence: u64,
    /// The `history_sequence` the last request sent covered (what the model had seen when this item
    /// came).
    pub sampled_through_sequence: u64,
    /// Codex's note of the message a retained item is (message id, turn, role, revision); kept as
    /// raw JSON. rcodex writes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retained_source: Option<Value>,
    /// Codex's `client_authored` flag: `false` on every line of our captures, and rcodex writes
    /// `false`.
    pub client_authored: bool,
    /// 0-based order among the items that count as turn input (the prompt and the model's output
    /// items); absent on context messages and tool outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_input_order: Option<u64>,
    /// Codex's MCP attribution (`{"status":"none"}` when no MCP server is involved); kept as raw
    /// JSON. rcodex writes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_attribution: Option<Value>,
    /// A token limit Codex records on a tool output (12000 on an exec_command output in a
    /// capture). rcodex writes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_token_limit_override: Option<u64>,
    /// Keys this version does not model, kept for the round trip.
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
    /// Whether the thread belongs to an account scope (Codex's flag; rcodex never sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_scoped: Option<bool>,
    /// The session id; in `exec` the same as the thread id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The thread id (a UUIDv7), also the rollout file's name suffix.
    pub id: String,
    /// The thread this one was forked from (Codex's field; `rcodex replay --fork-at` sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from_id: Option<String>,
    /// The thread that spawned this one (a sub-agent's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_thread_id: Option<String>,
    /// When the thread started: RFC 3339 UTC with milliseconds.
    pub timestamp: String,
    /// The working directory the thread started in, absolute.
    pub cwd: String,
    /// The workspace roots the sandbox lets the thread write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_workspace_roots: Option<Vec<String>>,
    /// Which client wrote the rollout: `codex_exec` for Codex, `rcodex_exec` for rcodex by default.
    pub originator: String,
    /// The writing client's version (`0.169.0` for Codex, rcodex's crate version for rcodex).
    pub cli_version: String,
    /// How the thread was started (`"exec"`, or Codex's sub-agent object); kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Value>,
    /// Who started the thread: `"user"`, or `"subagent"` for a spawned agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_source: Option<String>,
    /// A sub-agent's nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_nickname: Option<String>,
    /// The `model_providers` key the thread used (`"openai"`, `"mock"`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    /// The base instructions the model was given (the first developer message of every request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_instructions: Option<BaseInstructions>,
    /// Tools the thread's client added beside Codex's own (a library user's), as Codex records
    /// the dynamic tools of a thread: replay advertises them again and answers their calls from
    /// the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_tools: Option<Vec<DynamicToolSpec>>,
    /// Codex's history storage mode; `"paginated"` in 0.169.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_mode: Option<String>,
    /// `"v1"` on a sub-agent's thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_agent_version: Option<String>,
    /// The context window the thread used (`{"window_id": …}`); kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<Value>,
    /// Keys this version does not model (rcodex's own `fork_point`, for one), kept for the round
    /// trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(SessionMeta {
    account_scoped,
    session_id,
    id,
    forked_from_id,
    parent_thread_id,
    timestamp,
    cwd,
    runtime_workspace_roots,
    originator,
    cli_version,
    source,
    thread_source,
    agent_nickname,
    model_provider,
    base_instructions,
    dynamic_tools,
    history_mode,
    multi_agent_version,
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

/// `session_meta.base_instructions`: the base prompt and where it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaseInstructions {
    /// The whole base prompt text.
    pub text: String,
    /// Where the text came from (`{"type":"model","model":…}`); kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Value>,
}

/// Per-turn settings line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnContext {
    /// The turn this line opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    /// The first turn of the chain this turn belongs to; the turn itself for a user turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    /// Plugins disabled for the turn (empty for rcodex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_plugin_ids: Option<Vec<String>>,
    /// The turn's working directory, absolute.
    pub cwd: String,
    /// Codex's approval policy (rcodex writes `"never"`: it asks no one).
    pub approval_policy: String,
    /// Who reviews approvals (`"user"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals_reviewer: Option<String>,
    /// The sandbox permission profile in Codex's shape; kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_profile: Option<Value>,
    /// The model slug the turn sampled (`gpt-5.5`).
    pub model: String,
    /// An opaque hash Codex records per turn; rcodex writes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comp_hash: Option<String>,
    /// The collaboration mode and its settings; kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_mode: Option<Value>,
    /// Codex's multi-agent protocol version (`"v1"`), when it records one; rcodex writes none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_agent_version: Option<String>,
    /// Whether a realtime session was active; rcodex writes `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime_active: Option<bool>,
    /// The reasoning effort the turn asked for, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// The reasoning summary setting (`"none"`, `"auto"`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The sandbox policy (`{"type": "read-only"|"workspace-write"|"danger-full-access"}`); kept as
    /// raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_policy: Option<Value>,
    /// Keys this version does not model, kept for the round trip.
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
    /// The summary text the compaction produced.
    pub message: String,
    /// The history that replaces everything before this line, when the rollout records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_history: Option<Vec<ResponseItem>>,
    /// Keys this version does not model, kept for the round trip.
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
    /// The thread the response belongs to.
    pub thread_id: String,
    /// The turn the response belongs to.
    pub turn_id: String,
    /// The session id (the thread id in exec).
    pub session_id: String,
    /// The first turn of the chain this turn belongs to.
    pub root_turn_id: String,
    /// The server's response id (`resp_…`).
    pub response_id: String,
    /// This response's usage alone.
    pub usage: TokenUsage,
    /// The running total over the turn's responses so far.
    pub turn_token_usage: TokenUsage,
    /// The running total over the thread's responses so far (what `turn.completed.usage` reports).
    pub thread_token_usage: TokenUsage,
    /// Keys this version does not model, kept for the round trip.
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
