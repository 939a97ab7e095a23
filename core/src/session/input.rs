//! What the machine is fed: user turns, model stream events and failures, tool results, timers.

use crate::protocol::{FunctionCallOutputPayload, ResponseEvent};

/// Identifies one model request (one attempt); events for stale ids are ignored.
pub type RequestId = u64;
/// Identifies one timer set with `Effect::SetTimer`.
pub type TimerId = u64;

/// One input to [`super::Session::handle`].
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A user turn (the prompt).
    Submit(UserTurn),
    /// One parsed stream event of request `RequestId`.
    Model(RequestId, ResponseEvent),
    /// Request `RequestId` failed: HTTP status, transport error, or the stream broke.
    ModelFailed(RequestId, ModelError),
    /// The tool call `call_id` finished.
    ToolDone(String, ToolOutput),
    /// A timer set earlier fired.
    Timer(TimerId),
    /// Ctrl-C: cancel what is in flight and end the turn.
    Interrupt,
    /// Text typed while a turn runs; it joins the next request.
    Steer(String),
    /// Between turns: summarize the history and replace it with the summary (a compaction
    /// "turn": one summary request with no tools, then `TurnDone`).
    Compact,
}

/// A user's turn: text, and optionally images as data URLs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserTurn {
    pub text: String,
    pub images: Vec<String>,
    /// Content parts sent before the text, as given: Codex puts `exec --image` attachments
    /// there (each an `input_image` between an opening and a closing `input_text` label).
    pub leading_content: Vec<crate::protocol::ContentItem>,
}

impl UserTurn {
    pub fn text(text: impl Into<String>) -> Self {
        UserTurn {
            text: text.into(),
            images: Vec::new(),
            leading_content: Vec::new(),
        }
    }
}

/// Why a model request failed before `response.completed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelError {
    /// The server answered with a non-success status.
    Http {
        status: u16,
        body: String,
        /// `Retry-After` in milliseconds, as the runner parsed it from the headers.
        retry_after_ms: Option<u64>,
        /// The server's request id (`x-request-id`), for messages.
        request_id: Option<String>,
    },
    /// The request never got an answer (connect refused, reset before headers, ...).
    Transport(String),
    /// The SSE stream ended before `response.completed`.
    StreamClosed,
    /// No bytes for longer than the provider's idle timeout.
    IdleTimeout,
    /// The stream broke mid-way or carried bytes that are not a valid event.
    Stream(String),
}

/// The result of a tool call, as the runner produced it.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolOutput {
    /// What the model receives.
    pub payload: FunctionCallOutputPayload,
    pub success: bool,
    /// Facts for the `--json` events and rollout items (exit code, changed files, ...).
    pub details: ToolDetails,
}

impl ToolOutput {
    /// A plain text output with no details.
    pub fn text(text: impl Into<String>, success: bool) -> Self {
        ToolOutput {
            payload: FunctionCallOutputPayload::Text(text.into()),
            success,
            details: ToolDetails::None,
        }
    }
}

/// Tool-specific facts the core turns into events.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ToolDetails {
    #[default]
    None,
    Command {
        aggregated_output: String,
        exit_code: Option<i32>,
        duration_ms: u64,
        process_id: Option<String>,
    },
    Patch {
        changes: Vec<PatchFileChange>,
    },
}

/// One file a patch changed, with its diff, for `file_change` events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchFileChange {
    pub path: String,
    pub kind: crate::protocol::exec_event::PatchChangeKind,
    pub unified_diff: String,
}
