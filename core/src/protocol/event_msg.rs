//! `event_msg` payloads of rollout lines: the turn's lifecycle as Codex records it.

use serde::{Deserialize, Serialize};

use super::with_extra::deserialize_with_extra;
use serde_json::Value;

use super::response_item::Extra;
use super::TokenUsage;

/// The `payload` of an `event_msg` rollout line, tagged by `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventMsg {
    /// `task_started`: a turn began.
    TaskStarted(TaskStarted),
    /// `task_complete`: a turn ended, with its last message or its error.
    TaskComplete(TaskComplete),
    /// `item_completed`: a thread item finished (user message, agent message, command, file change,
    /// reasoning).
    ItemCompleted(ItemCompleted),
    /// `token_count`: usage after a response, with totals and the context window.
    TokenCount(TokenCount),
    /// `thread_settings_applied`: the settings a turn runs with (model, cwd, policies), before the
    /// prompt.
    ThreadSettingsApplied(ThreadSettingsApplied),
    /// `turn_aborted`: a turn was interrupted before it finished.
    TurnAborted(TurnAborted),
    /// Any event type this version does not know; kept verbatim (including its `type`).
    #[serde(untagged)]
    Other(Value),
}

/// `task_started` payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskStarted {
    /// Why the turn runs (`turn_trigger`, parent and root turn); kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_attribution: Option<Value>,
    /// The turn's id.
    pub turn_id: String,
    /// The first turn of the chain this turn belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    /// When the turn started, in unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    /// The model's context window in tokens (258400 for gpt-5.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_context_window: Option<u64>,
    /// The collaboration mode (`"default"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_mode_kind: Option<String>,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(TaskStarted {
    turn_attribution,
    turn_id,
    root_turn_id,
    started_at,
    model_context_window,
    collaboration_mode_kind
});

/// `task_complete` payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskComplete {
    /// The first turn of the chain this turn belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    /// The turn's id.
    pub turn_id: String,
    /// The text of the turn's last assistant message; `null` when it has none (always on failure).
    pub last_agent_message: Option<String>,
    /// Why the turn failed; absent on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
    /// When the turn started, in unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    /// When the turn ended, in unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
    /// How long the turn took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Milliseconds from turn start to the first text delta or finished output item, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_first_token_ms: Option<u64>,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(TaskComplete {
    root_turn_id,
    turn_id,
    last_agent_message,
    error,
    started_at,
    completed_at,
    duration_ms,
    time_to_first_token_ms
});

/// `task_complete.error`: why a turn failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskError {
    /// The message users see (also the `turn.failed` message of `--json`).
    pub message: String,
    /// Codex's error class: `"internal_server_error"`, `"other"`, ….
    pub codex_error_info: String,
}

/// A finished thread item (UserMessage, AgentMessage, CommandExecution, FileChange, Reasoning).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemCompleted {
    /// The thread the item belongs to.
    pub thread_id: String,
    /// The turn the item belongs to.
    pub turn_id: String,
    /// The item in Codex's shape (`{"type":"AgentMessage",…}`); kept as raw JSON.
    pub item: Value,
    /// When the item started, in unix milliseconds.
    pub started_at_ms: u64,
    /// When the item finished, in unix milliseconds.
    pub completed_at_ms: u64,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(ItemCompleted {
    thread_id,
    turn_id,
    item,
    started_at_ms,
    completed_at_ms
});

/// `token_count` payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenCount {
    /// Usage totals; `null` before any response reported usage.
    pub info: Option<TokenCountInfo>,
    /// Rate-limit snapshot as Codex records it; kept as raw JSON (rcodex writes Codex's shape
    /// with `limit_id: "codex"` and every limit `null`).
    #[serde(default)]
    pub rate_limits: Value,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(TokenCount { info, rate_limits = default });

/// `token_count.info`: the thread's usage so far and the latest response's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenCountInfo {
    /// Sum over every response of the thread.
    pub total_token_usage: TokenUsage,
    /// The latest response's usage alone.
    pub last_token_usage: TokenUsage,
    /// Whether `last_token_usage` counts reasoning tokens in its output (Codex's flag; `false` from
    /// rcodex).
    #[serde(default)]
    pub last_usage_includes_reasoning: bool,
    /// The model's context window in tokens, when known.
    pub model_context_window: Option<u64>,
}

/// `thread_settings_applied` payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreadSettingsApplied {
    /// The thread the settings apply to.
    pub thread_id: String,
    /// The settings (model, provider, policies, cwd, roots, collaboration mode); kept as raw JSON.
    pub thread_settings: Value,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(ThreadSettingsApplied {
    thread_id,
    thread_settings
});

/// `turn_aborted` payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnAborted {
    /// The first turn of the chain the aborted turn belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    /// The aborted turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    /// Why it stopped (`"interrupted"`).
    pub reason: String,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(TurnAborted {
    root_turn_id,
    turn_id,
    reason
});
