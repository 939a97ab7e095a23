//! The running turn: its ids, counters and plan, and the phase of the loop it is in. The phase
//! owns what only exists in that phase (the response streaming in, the tool calls running), so a
//! state the loop cannot be in cannot be written down.

use super::compact::{AfterCompact, CompactTrigger};
use super::exec_items::TodoList;
use super::input::{RequestId, TimerId};
use super::retry::{RetryCount, TurnError};
use super::tool_batch::ToolBatch;
use crate::protocol::{ContentItem, ResponseItem, TokenUsage, TurnItem};

pub struct Turn {
    pub id: String,
    pub started_ms: u64,
    pub first_token_ms: Option<u64>,
    pub usage: TokenUsage,
    /// Usage of the latest response.
    pub last_usage: TokenUsage,
    /// Usage of each completed response, in order (`turn.completed.requests`).
    pub request_usage: Vec<TokenUsage>,
    pub requests: u32,
    pub last_agent_message: Option<String>,
    /// Steered input, appended before the next request.
    pub pending_input: Vec<ResponseItem>,
    pub retries: RetryCount,
    pub todo: Option<TodoList>,
    /// Items of calls an interrupt cut short, recorded after `turn_aborted` (as Codex does).
    pub aborted_items: Vec<TurnItem>,
    /// The turn already compacted once after a context-window failure.
    pub compacted_on_failure: bool,
    pub phase: Phase,
}

/// Where the turn loop is.
pub enum Phase {
    /// Waiting for request `request`'s stream; `response` holds what has arrived.
    Sampling {
        request: RequestId,
        response: Response,
    },
    /// Waiting for timer `timer`, then sampling again.
    Backoff { timer: TimerId },
    /// Running the tool calls of the last response.
    Tools(ToolBatch),
    /// Waiting for the summary request `request` of a compaction; `summary` is the model's
    /// last message so far, `then` what the turn does once the history is replaced.
    Compacting {
        request: RequestId,
        trigger: CompactTrigger,
        summary: Option<String>,
        then: AfterCompact,
    },
}

impl Phase {
    pub fn is_sampling(&self, id: RequestId) -> bool {
        matches!(self, Phase::Sampling { request, .. } | Phase::Compacting { request, .. }
            if *request == id)
    }

    pub fn is_backing_off(&self, id: TimerId) -> bool {
        matches!(self, Phase::Backoff { timer } if *timer == id)
    }
}

/// One model response in progress.
#[derive(Default)]
pub struct Response {
    /// Assistant messages streaming (item id, text so far), kept if the stream breaks.
    partial: Vec<(String, String)>,
    /// Output items from the first tool call on, recorded when the response completes: a broken
    /// stream drops them, so no recorded call is left without an output, and holding what
    /// follows a call keeps history in the model's output order.
    pub held: Vec<ResponseItem>,
}

impl Response {
    pub fn message_started(&mut self, item_id: String) {
        self.partial.push((item_id, String::new()));
    }

    pub fn text_delta(&mut self, item_id: &str, delta: &str) {
        if let Some((_, text)) = self.partial.iter_mut().find(|(id, _)| id == item_id) {
            text.push_str(delta);
        }
    }

    /// The message is recorded whole; a later break must not resend it.
    pub fn message_done(&mut self, item_id: &str) {
        self.partial.retain(|(id, _)| id != item_id);
    }

    /// What a broken stream leaves: each message with text so far, marked incomplete.
    pub fn into_partial_messages(self) -> Vec<ResponseItem> {
        self.partial
            .into_iter()
            .filter(|(_, text)| !text.is_empty())
            .map(|(id, text)| {
                let mut msg = ResponseItem::message(
                    (!id.is_empty()).then_some(id),
                    "assistant",
                    vec![ContentItem::OutputText {
                        text,
                        annotations: Some(Vec::new()),
                    }],
                );
                if let ResponseItem::Message(m) = &mut msg {
                    m.status = Some("incomplete".into());
                }
                msg
            })
            .collect()
    }
}

impl Turn {
    /// A turn begins by sampling `request`.
    pub fn start(id: String, now: u64, request: RequestId) -> Turn {
        Turn {
            id,
            started_ms: now,
            first_token_ms: None,
            usage: TokenUsage::default(),
            last_usage: TokenUsage::default(),
            request_usage: Vec::new(),
            requests: 1,
            last_agent_message: None,
            pending_input: Vec::new(),
            retries: RetryCount::default(),
            todo: None,
            aborted_items: Vec::new(),
            compacted_on_failure: false,
            phase: Phase::Sampling {
                request,
                response: Response::default(),
            },
        }
    }
}

/// How the loop ended a turn.
pub enum TurnEnd {
    Completed,
    Interrupted,
    Failed(TurnError),
}
