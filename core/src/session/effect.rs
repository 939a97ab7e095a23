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
        /// The id its stream events and failure are fed back under.
        request_id: RequestId,
        /// The JSON request body, byte for byte as it must be sent.
        body: String,
        /// Per-request headers (`x-codex-turn-metadata`, window and session ids...), in order.
        headers: Vec<(String, String)>,
    },
    /// Run a tool call and answer with `Input::ToolDone(call.call_id, ..)`.
    RunTool {
        /// The call to run.
        call: ToolCall,
        /// Whether it runs alone: the machine starts no other call until it is done.
        exclusive: bool,
    },
    /// Abort request `request_id`; feed nothing more for it.
    CancelRequest {
        /// The request to abort.
        request_id: RequestId,
    },
    /// Abort tool call `call_id`; its result, if any, is ignored.
    CancelTool {
        /// The call to abort.
        call_id: String,
    },
    /// Append one line to the rollout file (and flush it).
    Record(Box<RolloutLine>),
    /// Print one `exec --json` event.
    Emit(ThreadEvent),
    /// Feed `Input::Timer(id)` back at `at_ms` (same clock as `now`).
    SetTimer {
        /// The id to feed back.
        id: TimerId,
        /// When, in ms on the clock `handle` is given.
        at_ms: u64,
    },
    /// The turn is over; nothing follows but queued records.
    TurnDone(TurnOutcome),
}

/// A tool call the model made, ready to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ToolCall {
    /// The model's `call_id`, which the output must carry.
    pub call_id: String,
    /// The tool's name as called.
    pub name: String,
    /// The deferred namespace the call names (`multi_agent_v1` for the sub-agent tools), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// JSON arguments (function tools) or raw input (freeform tools).
    pub input: ToolInput,
}

/// What a tool call carries: JSON arguments or freeform text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum ToolInput {
    /// A function tool's arguments, a JSON object as text.
    Arguments(String),
    /// A freeform (custom) tool's raw input.
    Freeform(String),
}

impl ToolInput {
    /// The arguments or input as the model sent them.
    pub fn as_str(&self) -> &str {
        match self {
            ToolInput::Arguments(s) | ToolInput::Freeform(s) => s,
        }
    }
}

/// How a turn ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnOutcome {
    /// Completed, failed or interrupted.
    pub status: TurnStatus,
    /// The turn's last assistant message (what `exec` prints and `-o` writes).
    pub last_agent_message: Option<String>,
    /// Tokens of this turn's requests.
    pub turn_usage: TokenUsage,
    /// Tokens of the thread so far, this turn included.
    pub thread_usage: TokenUsage,
    /// Model requests the turn sent, retries included.
    pub requests: u32,
}

/// The end state of a turn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TurnStatus {
    /// The model finished with no tool call or input pending.
    Completed,
    /// The turn ended with an error.
    Failed {
        /// The error as `exec` prints it.
        message: String,
    },
    /// `Input::Interrupt` ended it.
    Interrupted,
}
