//! The `exec --json` stream: one JSON line per thread event, as `codex exec --json` prints them.
//! Fields rcodex adds to Codex's events (`turn_id`, `last_usage`, `requests`) come after Codex's
//! own and are optional, so a line of Codex's parses and prints back byte for byte; the published
//! schema (`rcodex schema events`) documents both.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One line of `exec --json` output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ThreadEvent {
    #[serde(rename = "thread.started")]
    ThreadStarted { thread_id: String },
    #[serde(rename = "turn.started")]
    TurnStarted {
        /// rcodex addition: the turn's id, as the rollout's `turn_context` records it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_id: Option<String>,
    },
    #[serde(rename = "item.started")]
    ItemStarted { item: ThreadItem },
    #[serde(rename = "item.updated")]
    ItemUpdated { item: ThreadItem },
    #[serde(rename = "item.completed")]
    ItemCompleted { item: ThreadItem },
    /// `usage` is the thread's cumulative total, not the turn's.
    #[serde(rename = "turn.completed")]
    TurnCompleted {
        usage: ExecUsage,
        /// rcodex addition: the turn's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_id: Option<String>,
        /// rcodex addition: usage of the turn's last model request alone (how full the context
        /// window is), the shape codex#17539 asks for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_usage: Option<ExecUsage>,
        /// rcodex addition: usage of each model request of the turn, in order (their sum is the
        /// turn's usage).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requests: Option<Vec<ExecUsage>>,
    },
    #[serde(rename = "turn.failed")]
    TurnFailed {
        error: ThreadError,
        /// rcodex addition: the turn's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_id: Option<String>,
    },
    #[serde(rename = "error")]
    Error { message: String },
    #[serde(untagged)]
    Other(Value),
}

/// Usage as `turn.completed` prints it (no total).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecUsage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    #[serde(default)]
    pub cache_write_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

impl From<&super::TokenUsage> for ExecUsage {
    fn from(u: &super::TokenUsage) -> Self {
        ExecUsage {
            input_tokens: u.input_tokens,
            cached_input_tokens: u.cached_input_tokens,
            cache_write_input_tokens: u.cache_write_input_tokens,
            output_tokens: u.output_tokens,
            reasoning_output_tokens: u.reasoning_output_tokens,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadError {
    pub message: String,
}

/// An item of the thread (`item_N` ids, numbered per thread in order of first appearance).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadItem {
    pub id: String,
    #[serde(flatten)]
    pub details: ThreadItemDetails,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThreadItemDetails {
    AgentMessage {
        text: String,
    },
    Reasoning {
        text: String,
    },
    CommandExecution {
        command: String,
        aggregated_output: String,
        exit_code: Option<i32>,
        status: ItemStatus,
    },
    FileChange {
        changes: Vec<FileUpdateChange>,
        status: ItemStatus,
    },
    TodoList {
        items: Vec<TodoItem>,
    },
    /// A hosted search. Codex writes the search's own id as a second `id` key after `type`
    /// (the first is the `item_N` id), and the action as the server sent it.
    WebSearch {
        #[serde(rename = "id", default, skip_serializing_if = "Option::is_none")]
        search_id: Option<String>,
        query: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<Value>,
    },
    Error {
        message: String,
    },
    #[serde(untagged)]
    Other(Value),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    InProgress,
    Completed,
    Failed,
    Declined,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUpdateChange {
    pub path: String,
    pub kind: PatchChangeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchChangeKind {
    Add,
    Delete,
    Update,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoItem {
    pub text: String,
    pub completed: bool,
}
