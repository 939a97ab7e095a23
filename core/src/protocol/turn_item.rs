//! The `item` of an `item_completed` rollout line: a finished turn item as Codex 0.169 records it
//! (user and agent messages, reasoning, commands, file changes).
//!
//! rcodex writes these typed. [`super::event_msg::ItemCompleted`] keeps the item it reads as raw
//! JSON, because every Codex version shapes these items a little differently and a reader must
//! refuse none of them; [`TurnItem::parse`] gives the typed view where the shape is known.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::exec_event::{ItemStatus, PatchChangeKind};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum TurnItem {
    UserMessage(UserMessageItem),
    AgentMessage(AgentMessageItem),
    Reasoning(ReasoningTurnItem),
    CommandExecution(CommandExecutionItem),
    FileChange(FileChangeItem),
    /// A finished compaction (Codex 0.169: the item carries only its id).
    ContextCompaction(ContextCompactionItem),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextCompactionItem {
    pub id: String,
}

impl TurnItem {
    /// The typed view of a recorded item, if it has one of the shapes above.
    pub fn parse(item: &Value) -> Option<TurnItem> {
        serde_json::from_value(item.clone()).ok()
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("turn items serialize")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserMessageItem {
    pub id: String,
    pub content: Vec<UserInput>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserInput {
    Text {
        text: String,
        #[serde(default)]
        text_elements: Vec<Value>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentMessageItem {
    pub id: String,
    pub content: Vec<AgentMessageContent>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AgentMessageContent {
    Text { text: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReasoningTurnItem {
    pub id: Option<String>,
    pub summary_text: Vec<String>,
    #[serde(default)]
    pub raw_content: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandExecutionItem {
    /// The call id.
    pub id: String,
    pub process_id: Option<String>,
    pub command: Vec<String>,
    /// `file://` URL of the working directory.
    pub cwd: String,
    pub parsed_cmd: Vec<Value>,
    pub source: String,
    pub status: ItemStatus,
    pub aggregated_output: String,
    pub exit_code: Option<i32>,
    pub duration: Duration,
}

/// A duration as Rust's `std::time::Duration` serializes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duration {
    pub secs: u64,
    pub nanos: u32,
}

impl Duration {
    pub fn from_millis(ms: u64) -> Duration {
        Duration {
            secs: ms / 1000,
            nanos: (ms % 1000) as u32 * 1_000_000,
        }
    }

    pub fn as_millis(&self) -> u64 {
        self.secs * 1000 + u64::from(self.nanos) / 1_000_000
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileChangeItem {
    /// The call id.
    pub id: String,
    pub changes: Vec<FileChangeEntry>,
    pub status: ItemStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileChangeEntry {
    pub path: String,
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
