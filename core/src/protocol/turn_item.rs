//! The `item` of an `item_completed` rollout line: a finished turn item as Codex 0.169 records it
//! (user and agent messages, reasoning, commands, file changes).
//!
//! rcodex writes these typed. [`super::event_msg::ItemCompleted`] keeps the item it reads as raw
//! JSON, because every Codex version shapes these items a little differently and a reader must
//! refuse none of them; [`TurnItem::parse`] gives the typed view where the shape is known.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::exec_event::{ItemStatus, PatchChangeKind};

/// The `item` of an `item_completed` event, tagged by `type` in Codex's PascalCase
/// (`"AgentMessage"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum TurnItem {
    /// `UserMessage`: the prompt of a turn.
    UserMessage(UserMessageItem),
    /// `AgentMessage`: an assistant message the model sent.
    AgentMessage(AgentMessageItem),
    /// `Reasoning`: a reasoning item's readable text.
    Reasoning(ReasoningTurnItem),
    /// `CommandExecution`: a finished shell command (exec_command, shell, local_shell).
    CommandExecution(CommandExecutionItem),
    /// `FileChange`: a finished apply_patch call.
    FileChange(FileChangeItem),
    /// A finished compaction (Codex 0.169: the item carries only its id).
    ContextCompaction(ContextCompactionItem),
    /// `WebSearch`: a hosted search the server ran (recorded before its `web_search_call`).
    WebSearch(WebSearchTurnItem),
    /// `CollabAgentToolCall`: a finished call of a sub-agent tool.
    CollabAgentToolCall(CollabAgentToolCallItem),
}

/// `CollabAgentToolCall`: who called which sub-agent tool on which agents, and their states
/// after it (Codex 0.169's keys, in its order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollabAgentToolCallItem {
    /// The call id.
    pub id: String,
    /// `spawn_agent`, `send_input`, `wait`, `close_agent` or `resume_agent`.
    pub tool: String,
    /// `completed`, or `failed` when an agent errored or was not found.
    pub status: ItemStatus,
    /// The calling thread.
    pub sender_thread_id: String,
    /// The agents the call is about.
    pub receiver_thread_ids: Vec<String>,
    /// `{"thread_id", "agent_nickname"}` per receiver (no nickname for an unknown agent).
    pub receiver_agents: Vec<Value>,
    /// The message sent (spawn_agent, send_input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The child's model (spawn_agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The child's reasoning effort (spawn_agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Each receiver's state: `"pending_init"`, `{"completed": msg}`, ….
    pub agents_states: serde_json::Map<String, Value>,
}

/// `WebSearch`: the search's own id, its query, and the action as the server sent it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebSearchTurnItem {
    /// The search's own id (`ws_…`).
    pub id: String,
    /// What was searched for.
    pub query: String,
    /// The server's `action`, as received.
    pub action: Value,
}

/// The `ContextCompaction` item of an `item_completed` line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextCompactionItem {
    /// The item's id.
    pub id: String,
}

impl TurnItem {
    /// The typed view of a recorded item, if it has one of the shapes above.
    pub fn parse(item: &Value) -> Option<TurnItem> {
        serde_json::from_value(item.clone()).ok()
    }

    /// The item as the JSON object an `item_completed` line carries.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("turn items serialize")
    }
}

/// `UserMessage`: what the user sent to open the turn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserMessageItem {
    /// The item id (a UUIDv7 from the id source).
    pub id: String,
    /// The input parts, in order.
    pub content: Vec<UserInput>,
}

/// One part of a `UserMessage`'s `content`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserInput {
    /// `text`: typed text.
    Text {
        /// The text, verbatim.
        text: String,
        /// Spans inside `text` that a UI marked (mentions, pastes); empty from exec.
        #[serde(default)]
        text_elements: Vec<Value>,
    },
}

/// `AgentMessage`: an assistant message, as text parts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentMessageItem {
    /// The response item id of the message (`msg_…`).
    pub id: String,
    /// The text parts, in order.
    pub content: Vec<AgentMessageContent>,
}

/// One part of an `AgentMessage`'s `content`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AgentMessageContent {
    /// `Text`: a run of the message's output text.
    Text {
        /// The text.
        text: String,
    },
}

/// `Reasoning`: the readable parts of a `reasoning` response item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReasoningTurnItem {
    /// The reasoning response item's id (`rs_…`), when it had one.
    pub id: Option<String>,
    /// The summary paragraphs, in order.
    pub summary_text: Vec<String>,
    /// The raw reasoning texts, when the model sent them (empty otherwise).
    #[serde(default)]
    pub raw_content: Vec<String>,
}

/// `CommandExecution`: one shell command the turn ran, with its output and exit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandExecutionItem {
    /// The call id.
    pub id: String,
    /// The id of the process that ran the command, as the tool reports it; `null` when it reports
    /// none.
    pub process_id: Option<String>,
    /// The argv that ran (`["/bin/bash", "-lc", "<cmd>"]`).
    pub command: Vec<String>,
    /// `file://` URL of the working directory.
    pub cwd: String,
    /// Codex's parse of the command into actions (`list_files`, `read`, …); kept as raw JSON.
    pub parsed_cmd: Vec<Value>,
    /// What started the process, in Codex's terms (`"unified_exec_startup"`, which rcodex always
    /// writes).
    pub source: String,
    /// `completed` for exit 0, `failed` otherwise.
    pub status: ItemStatus,
    /// Stdout and stderr as the tool captured them, interleaved.
    pub aggregated_output: String,
    /// The process's exit code; `null` when it was killed or never ran.
    pub exit_code: Option<i32>,
    /// Wall time from spawn to exit.
    pub duration: Duration,
}

/// A duration as Rust's `std::time::Duration` serializes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duration {
    /// Whole seconds.
    pub secs: u64,
    /// The fraction below a second, in nanoseconds.
    pub nanos: u32,
}

impl Duration {
    /// A duration of `ms` milliseconds.
    pub fn from_millis(ms: u64) -> Duration {
        Duration {
            secs: ms / 1000,
            nanos: (ms % 1000) as u32 * 1_000_000,
        }
    }

    /// The duration in whole milliseconds (sub-millisecond nanos dropped).
    pub fn as_millis(&self) -> u64 {
        self.secs * 1000 + u64::from(self.nanos) / 1_000_000
    }
}

/// `FileChange`: the files an apply_patch call changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileChangeItem {
    /// The call id.
    pub id: String,
    /// One entry per file the patch touched, in patch order.
    pub changes: Vec<FileChangeEntry>,
    /// `completed` when the patch applied, `failed` when it did not.
    pub status: ItemStatus,
}

/// One file of a `FileChange`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileChangeEntry {
    /// The file's absolute path.
    pub path: String,
    /// Added, deleted or updated.
    pub kind: PatchChangeKind,
    /// Codex writes `content` instead for some kinds; such an entry reads with an empty diff.
    #[serde(default)]
    pub unified_diff: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_command_item_reads_typed_and_writes_back_in_key_order() {
        let text = r#"{"type":"CommandExecution","id":"call_1","process_id":"4518","command":["/bin/bash","-lc","ls"],"cwd":"file:///w","parsed_cmd":[{"type":"list_files","cmd":"ls","path":null}],"source":"unified_exec_startup","status":"completed","aggregated_output":"a\n","exit_code":0,"duration":{"secs":0,"nanos":12000000}}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let item = TurnItem::parse(&value).expect("typed");
        assert!(matches!(&item, TurnItem::CommandExecution(c) if c.exit_code == Some(0)));
        assert_eq!(serde_json::to_string(&item).unwrap(), text);
    }

    #[test]
    fn unknown_shapes_have_no_typed_view() {
        assert_eq!(TurnItem::parse(&serde_json::json!({"type": "Plan"})), None);
    }

    #[test]
    fn durations_split_milliseconds() {
        assert_eq!(
            Duration::from_millis(1_234),
            Duration {
                secs: 1,
                nanos: 234_000_000
            }
        );
        assert_eq!(Duration::from_millis(1_234).as_millis(), 1_234);
    }
}
