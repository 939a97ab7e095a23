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
    /// `thread.started`: the first line of a new (or resumed) thread.
    #[serde(rename = "thread.started")]
    ThreadStarted {
        /// The thread id (the rollout's session id; what `exec resume` takes).
        thread_id: String,
    },
    /// `turn.started`: a user turn (or a manual compaction) began.
    #[serde(rename = "turn.started")]
    TurnStarted {
        /// rcodex addition: the turn's id, as the rollout's `turn_context` records it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_id: Option<String>,
    },
    /// `item.started`: an item that takes time began (a command, a patch, a plan, a search).
    #[serde(rename = "item.started")]
    ItemStarted {
        /// The item as it stands when it starts (`status: in_progress`).
        item: ThreadItem,
    },
    /// `item.updated`: an item changed while running (a plan's steps).
    #[serde(rename = "item.updated")]
    ItemUpdated {
        /// The item as it stands now.
        item: ThreadItem,
    },
    /// `item.completed`: an item is final (messages and reasoning appear only here).
    #[serde(rename = "item.completed")]
    ItemCompleted {
        /// The final item.
        item: ThreadItem,
    },
    /// `usage` is the thread's cumulative total, not the turn's.
    #[serde(rename = "turn.completed")]
    TurnCompleted {
        /// Tokens of every request of the thread so far, resumed turns included (Codex's figure).
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
    /// `turn.failed`: the turn ended with an error (or was interrupted).
    #[serde(rename = "turn.failed")]
    TurnFailed {
        /// What went wrong, as `exec` prints it.
        error: ThreadError,
        /// rcodex addition: the turn's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_id: Option<String>,
    },
    /// `error`: a notice that does not end the turn by itself (a retry, a stream error).
    #[serde(rename = "error")]
    Error {
        /// The notice's text (`Reconnecting... 1/5 (...)`, say).
        message: String,
    },
    /// An event type rcodex does not model, kept whole so it prints back unchanged.
    #[serde(untagged)]
    Other(Value),
}

/// Usage as `turn.completed` prints it (no total).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecUsage {
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// The part of `input_tokens` served from the prompt cache.
    pub cached_input_tokens: u64,
    /// Input tokens written to the prompt cache (0 when the server does not say).
    #[serde(default)]
    pub cache_write_input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// The part of `output_tokens` spent on reasoning.
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

/// The `error` of `turn.failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadError {
    /// The failure as a person reads it (`stream disconnected before completion: ...`).
    pub message: String,
}

/// An item of the thread (`item_N` ids, numbered per thread in order of first appearance).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadItem {
    /// `item_N`: stable across the item's started/updated/completed events.
    pub id: String,
    /// What the item is (`type` and its fields, flattened into the item).
    #[serde(flatten)]
    pub details: ThreadItemDetails,
}

/// The kinds of thread item, by their `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThreadItemDetails {
    /// `agent_message`: text the model addressed to the user.
    AgentMessage {
        /// The message text.
        text: String,
    },
    /// `reasoning`: the model's reasoning summary, when the server sends one.
    Reasoning {
        /// The summary text.
        text: String,
    },
    /// `command_execution`: a shell command the model ran.
    CommandExecution {
        /// The command as run (`/bin/bash -lc 'ls'`).
        command: String,
        /// Its stdout and stderr interleaved, as far as it has run.
        aggregated_output: String,
        /// Its exit code; `None` while running or when it was killed.
        exit_code: Option<i32>,
        /// Running, completed (exit 0), or failed.
        status: ItemStatus,
    },
    /// `file_change`: a patch the model applied.
    FileChange {
        /// The files it touched.
        changes: Vec<FileUpdateChange>,
        /// Running, completed, or failed (the patch was refused).
        status: ItemStatus,
    },
    /// `todo_list`: the plan `update_plan` keeps.
    TodoList {
        /// The steps, in order.
        items: Vec<TodoItem>,
    },
    /// `web_search`: a search the server ran (hosted tool). Codex writes the search's own id as
    /// a second `id` key after `type` (the first is the `item_N` id), and the action as the
    /// server sent it.
    WebSearch {
        /// The search's own id (`ws_…`), printed as the second `id` key.
        #[serde(rename = "id", default, skip_serializing_if = "Option::is_none")]
        search_id: Option<String>,
        /// What was searched for.
        query: String,
        /// The server's `action` (`{"type":"search","query":…}`), as received.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<Value>,
    },
    /// `collab_tool_call`: a call of a sub-agent tool (spawn_agent, send_input, wait,
    /// close_agent), as Codex 0.169 shows it.
    CollabToolCall {
        /// `spawn_agent`, `send_input`, `wait` or `close_agent`.
        tool: String,
        /// The thread that made the call.
        sender_thread_id: String,
        /// The agents the call is about.
        receiver_thread_ids: Vec<String>,
        /// The message sent, if any.
        prompt: Option<String>,
        /// Each receiver's `{"status", "message"}` (empty while running).
        agents_states: serde_json::Map<String, Value>,
        /// Running, completed, or failed (an agent errored or was not found).
        status: ItemStatus,
    },
    /// `error`: a non-fatal error shown as an item.
    Error {
        /// Its text.
        message: String,
    },
    /// An item type rcodex does not model, kept whole.
    #[serde(untagged)]
    Other(Value),
}

/// Where a command or patch item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// `in_progress`: running.
    InProgress,
    /// `completed`: done and succeeded.
    Completed,
    /// `failed`: done and failed (non-zero exit, refused patch).
    Failed,
    /// `declined`: not run because approval was refused (never under `exec`).
    Declined,
}

/// One file of a `file_change` item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileUpdateChange {
    /// The file's path, absolute.
    pub path: String,
    /// Added, deleted or updated.
    pub kind: PatchChangeKind,
}

/// What a patch did to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchChangeKind {
    /// `add`: created it.
    Add,
    /// `delete`: removed it.
    Delete,
    /// `update`: changed its content (or moved it).
    Update,
}

/// One step of a `todo_list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoItem {
    /// The step as the model wrote it.
    pub text: String,
    /// Whether the plan marks it completed.
    pub completed: bool,
}
