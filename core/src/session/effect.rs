//! What the machine asks the runner to do, drained one at a time with `Session::poll`.

use serde::Serialize;

use super::input::{RequestId, TimerId};
use crate::protocol::{RolloutLine, ThreadEvent, TokenUsage};

/// One effect. The runner is one `match` over this.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// POST this body to `{base_url}/responses` with these headers (auth and user-agent are the
    /// runner's to add), and feed the stream back as `Input::Model(request_id, ..)`.
    SendRequest {
        request_id: RequestId,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// Run a tool call and answer with `Input::ToolDone(call.call_id, ..)`.
    RunTool { call: ToolCall, exclusive: bool },
    /// Abort request `request_id`; feed nothing more for it.
    CancelRequest { request_id: RequestId },
    /// Abort tool call `call_id`; its result, if any, is ignored.
    CancelTool { call_id: String },
    /// Append one line to the rollout file (and flush it).
    Record(Box<RolloutLine>),
    /// Print one `exec --json` event.
    Emit(ThreadEvent),
    /// Feed `Input::Timer(id)` back at `at_ms` (same clock as `now`).
    SetTimer { id: TimerId, at_ms: u64 },
    /// The turn is over; nothing follows but queued records.
    TurnDone(TurnOutcome),
}

/// A tool call the model made, ready to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ToolCall {
    pub call_id: String,
    pub name: String,
    /// JSON arguments (function tools) or raw input (freeform tools).
    pub input: ToolInput,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ToolInput {
    /// A function tool's arguments, a JSON object as text.
    Arguments(String),
    /// A freeform (custom) tool's raw input.
    Freeform(String),
}

impl ToolInput {
    pub fn as_str(&self) -> &str {
        match self {
            ToolInput::Arguments(s) | ToolInput::Freeform(s) => s,
        }
    }
}

/// How a turn ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnOutcome {
    pub status: TurnStatus,
    pub last_agent_message: Option<String>,
    pub turn_usage: TokenUsage,
    pub thread_usage: TokenUsage,
    pub requests: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TurnStatus {
    Completed,
    Failed { message: String },
    Interrupted,
}
