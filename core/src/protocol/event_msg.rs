//! `event_msg` payloads of rollout lines: the turn's lifecycle as Codex records it.

use serde::{Deserialize, Serialize};

use super::with_extra::deserialize_with_extra;
use serde_json::Value;

use super::response_item::Extra;
use super::TokenUsage;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventMsg {
    TaskStarted(TaskStarted),
    TaskComplete(TaskComplete),
    ItemCompleted(ItemCompleted),
    TokenCount(TokenCount),
    ThreadSettingsApplied(ThreadSettingsApplied),
    TurnAborted(TurnAborted),
    #[serde(untagged)]
    Other(Value),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskStarted {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_attribution: Option<Value>,
    pub turn_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_context_window: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collaboration_mode_kind: Option<String>,
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

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskComplete {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    pub turn_id: String,
    pub last_agent_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_first_token_ms: Option<u64>,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskError {
    pub message: String,
    pub codex_error_info: String,
}

/// A finished thread item (UserMessage, AgentMessage, CommandExecution, FileChange, Reasoning).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemCompleted {
    pub thread_id: String,
    pub turn_id: String,
    pub item: Value,
    pub started_at_ms: u64,
    pub completed_at_ms: u64,
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

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenCount {
    pub info: Option<TokenCountInfo>,
    #[serde(default)]
    pub rate_limits: Value,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(TokenCount { info, rate_limits = default });

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenCountInfo {
    pub total_token_usage: TokenUsage,
    pub last_token_usage: TokenUsage,
    #[serde(default)]
    pub last_usage_includes_reasoning: bool,
    pub model_context_window: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreadSettingsApplied {
    pub thread_id: String,
    pub thread_settings: Value,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(ThreadSettingsApplied {
    thread_id,
    thread_settings
});

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnAborted {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_turn_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    pub reason: String,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(TurnAborted {
    root_turn_id,
    turn_id,
    reason
});
