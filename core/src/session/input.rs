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
    /// A message from outside the conversation (a sub-agent's `<subagent_notification>`): it
    /// joins the running turn's next request as a user message; between turns it is dropped.
    Notify(String),
    /// Between turns: summarize the history and replace it with the summary (a compaction
    /// "turn": one summary request with no tools, then `TurnDone`).
    Compact,
}

/// A user's turn: text, and optionally images as data URLs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserTurn {
    /// The prompt text.
    pub text: String,
    /// Images as `data:` URLs, sent as `input_image` parts after the text.
    pub images: Vec<String>,
    /// Content parts sent before the text, as given: Codex puts `exec --image` attachments
    /// there (each an `input_image` between an opening and a closing `input_text` label).
    pub leading_content: Vec<crate::protocol::ContentItem>,
}

impl UserTurn {
    /// A text-only turn.
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
        /// The HTTP status.
        status: u16,
        /// The response body (the error JSON, usually).
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
    /// Whether the call succeeded (a failed command or a refused patch is `false`).
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
    /// Nothing beyond the payload.
    #[default]
    None,
    /// A shell command's facts, for `command_execution` items and `exec_command_end` lines.
    Command {
        /// stdout and stderr interleaved, untruncated.
        aggregated_output: String,
        /// The exit code; `None` while the process still runs (or was killed).
        exit_code: Option<i32>,
        /// Wall time of the call in ms.
        duration_ms: u64,
        /// The session id of a process left running (`write_stdin` talks to it).
        process_id: Option<String>,
    },
    /// A patch's files, for `file_change` items and `patch_apply_end` lines.
    Patch {
        /// Every file it changed.
        changes: Vec<PatchFileChange>,
    },
    /// A sub-agent tool's result, for `collab_tool_call` items and `CollabAgentToolCall` lines.
    Collab(Box<super::collab::CollabDetails>),
}

/// One file a patch changed, with its diff, for `file_change` events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchFileChange {
    /// The file's path, absolute.
    pub path: String,
    /// Added, deleted or updated.
    pub kind: crate::protocol::exec_event::PatchChangeKind,
    /// Its change as a unified diff.
    pub unified_diff: String,
}
