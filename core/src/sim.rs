//! A virtual-time simulator: a scripted model and fake tools driving a [`Session`] to the end of
//! a turn, with no I/O. Used by the demo, the tests and the benchmarks (like str0m's `TestRtc`).

use std::collections::{BTreeMap, VecDeque};

use serde_json::json;

use crate::protocol::response_item::{CustomToolCallItem, Extra, FunctionCallItem, MessageItem};
use crate::protocol::{ContentItem, ResponseEvent, ResponseItem, TokenUsage};
use crate::session::{
    Effect, Input, ModelError, Session, ToolCall, ToolOutput, TurnOutcome, UserTurn,
};

/// One scripted answer to one request.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptedReply {
    /// Stream these events, one per virtual millisecond.
    Events(Vec<ResponseEvent>),
    /// Fail the request at once.
    Fail(ModelError),
    /// Stream some events, then break.
    EventsThenFail(Vec<ResponseEvent>, ModelError),
}

/// Builds the event stream of one response from output items.
pub struct ReplyBuilder {
    n: usize,
    events: Vec<ResponseEvent>,
}

impl ReplyBuilder {
    /// A builder for response number `n`: ids `resp_{n}` and `item_{n}_…`, starting with
    /// `response.created`.
    pub fn new(n: usize) -> Self {
        ReplyBuilder {
            n,
            events: vec![ResponseEvent::Created {
                response_id: format!("resp_{n}"),
            }],
        }
    }

    fn next_item_id(&self) -> String {
        format!("item_{}_{}", self.n, self.events.len())
    }

    /// An assistant message streamed as two deltas.
    pub fn message(mut self, text: &str) -> Self {
        let id = self.next_item_id();
        let item = |content: Vec<ContentItem>, status: &str| {
            ResponseItem::Message(MessageItem {
                status: Some(status.into()),
                id: Some(id.clone()),
                role: "assistant".into(),
                content,
                extra: Extra::new(),
            })
        };
        self.events.push(ResponseEvent::OutputItemAdded {
            item: item(Vec::new(), "in_progress"),
        });
        let mid = text
            .char_indices()
            .nth(text.chars().count() / 2)
            .map_or(text.len(), |(i, _)| i);
        for part in [&text[..mid], &text[mid..]] {
            self.events.push(ResponseEvent::OutputTextDelta {
                item_id: id.clone(),
                delta: part.into(),
            });
        }
        let done = item(
            vec![ContentItem::OutputText {
                text: text.into(),
                annotations: Some(Vec::new()),
            }],
            "completed",
        );
        self.events
            .push(ResponseEvent::OutputItemDone { item: done });
        self
    }

    /// A function call with raw JSON arguments.
    pub fn function_call(mut self, call_id: &str, name: &str, arguments: &str) -> Self {
        let item = ResponseItem::FunctionCall(FunctionCallItem {
            status: Some("completed".into()),
            id: Some(self.next_item_id()),
            name: name.into(),
            namespace: None,
            arguments: arguments.into(),
            call_id: call_id.into(),
            extra: Extra::new(),
        });
        self.events.push(ResponseEvent::OutputItemDone { item });
        self
    }

    /// A freeform (custom) tool call.
    pub fn custom_call(mut self, call_id: &str, name: &str, input: &str) -> Self {
        let item = ResponseItem::CustomToolCall(CustomToolCallItem {
            status: Some("completed".into()),
            id: Some(self.next_item_id()),
            name: name.into(),
            input: input.into(),
            call_id: call_id.into(),
            extra: Extra::new(),
        });
        self.events.push(ResponseEvent::OutputItemDone { item });
        self
    }

    /// Any finished output item, as given (a `tool_search_call`, a namespaced call, …).
    pub fn item(mut self, item: ResponseItem) -> Self {
        self.events.push(ResponseEvent::OutputItemDone { item });
        self
    }

    /// A reasoning item with one summary part.
    pub fn reasoning(mut self, summary: &str) -> Self {
        let item: ResponseItem = serde_json::from_value(json!({
            "type": "reasoning", "id": self.next_item_id(),
            "summary": [{"type": "summary_text", "text": summary}],
            "content": null, "encrypted_content": "opaque"
        }))
        .expect("valid reasoning item");
        self.events.push(ResponseEvent::OutputItemDone { item });
        self
    }

    /// Ends the response with `response.completed` and the given usage.
    pub fn completed(mut self, input_tokens: u64, output_tokens: u64) -> ScriptedReply {
        let usage = TokenUsage {
            input_tokens,
            output_tokens,
            total_tokens: input_tokens + output_tokens,
            ..TokenUsage::default()
        };
        self.events.push(ResponseEvent::Completed {
            response_id: format!("resp_{}", self.n),
            usage: Some(usage),
            end_turn: None,
        });
        ScriptedReply::Events(self.events)
    }

    /// Ends the stream without `response.completed`, then reports the cut.
    pub fn cut(self) -> ScriptedReply {
        ScriptedReply::EventsThenFail(self.events, ModelError::StreamClosed)
    }

    /// The events so far, unterminated.
    pub fn into_events(self) -> Vec<ResponseEvent> {
        self.events
    }
}

/// A fake tool: the output and how many virtual milliseconds it takes.
pub type FakeTool = Box<dyn FnMut(&ToolCall) -> (ToolOutput, u64)>;

/// Drives a session in virtual time.
pub struct Sim {
    /// The machine under test.
    pub session: Session,
    /// The virtual clock, in milliseconds; only moves forward.
    pub now: u64,
    /// Scripted replies not yet used, one per request, in order.
    pub replies: VecDeque<ScriptedReply>,
    /// Answers every `RunTool` effect.
    pub tool: FakeTool,
    /// Every effect, in order.
    pub log: Vec<Effect>,
    /// The virtual time each entry of `log` was produced at (same length as `log`).
    pub stamps: Vec<u64>,
    /// Every input handed to the session: (virtual time, `log.len()` before it, input).
    pub inputs: Vec<(u64, usize, Input)>,
    /// Inputs waiting for their virtual time: (at, seq) → input.
    queue: BTreeMap<(u64, u64), Input>,
    seq: u64,
}

impl Sim {
    /// A simulator starting at `start_ms` that answers requests from `replies` and tool calls with
    /// `tool`.
    pub fn new(
        session: Session,
        start_ms: u64,
        replies: Vec<ScriptedReply>,
        tool: FakeTool,
    ) -> Self {
        Sim {
            session,
            now: start_ms,
            replies: replies.into(),
            tool,
            log: Vec::new(),
            stamps: Vec::new(),
            inputs: Vec::new(),
            queue: BTreeMap::new(),
            seq: 0,
        }
    }

    fn schedule(&mut self, at: u64, input: Input) {
        self.seq += 1;
        self.queue.insert((at, self.seq), input);
    }

    /// Schedules an input at an absolute virtual time (e.g. an interrupt).
    pub fn inject(&mut self, at: u64, input: Input) {
        self.schedule(at, input);
    }

    /// Runs one turn to its `TurnDone` and returns the outcome.
    pub fn run_turn(&mut self, turn: UserTurn) -> TurnOutcome {
        self.schedule(self.now, Input::Submit(turn));
        self.run_to_done()
    }

    /// Goes on with a turn already running: performs `held` (effects the session queued and
    /// someone else polled, as a fork hands them over), then runs to the turn's `TurnDone`.
    pub fn continue_turn(&mut self, held: Vec<Effect>) -> TurnOutcome {
        for effect in held {
            if let Some(outcome) = self.perform(effect) {
                return outcome;
            }
        }
        self.run_to_done()
    }

    fn run_to_done(&mut self) -> TurnOutcome {
        loop {
            let Some(((at, _seq), input)) = self.queue.pop_first() else {
                panic!("simulation stalled: no pending input and no TurnDone");
            };
            self.now = self.now.max(at);
            self.inputs.push((self.now, self.log.len(), input.clone()));
            if let Err(e) = self.session.handle(self.now, input) {
                panic!("session refused an input: {e}");
            }
            while let Some(effect) = self.session.poll() {
                if let Some(outcome) = self.perform(effect) {
                    return outcome;
                }
            }
        }
    }

    /// Logs one effect and schedules what answers it; `Some` when the turn is done.
    fn perform(&mut self, effect: Effect) -> Option<TurnOutcome> {
        self.log.push(effect.clone());
        self.stamps.push(self.now);
        match effect {
            Effect::SendRequest { request_id, .. } => self.answer(request_id),
            Effect::RunTool { call, .. } => {
                let (out, took) = (self.tool)(&call);
                self.schedule(self.now + took, Input::ToolDone(call.call_id, out));
            }
            Effect::SetTimer { id, at_ms } => self.schedule(at_ms, Input::Timer(id)),
            Effect::TurnDone(outcome) => {
                while let Some(e) = self.session.poll() {
                    self.log.push(e);
                    self.stamps.push(self.now);
                }
                self.queue.retain(|_, i| matches!(i, Input::Interrupt));
                return Some(outcome);
            }
            Effect::CancelRequest { .. }
            | Effect::CancelTool { .. }
            | Effect::Record(_)
            | Effect::Emit(_) => {}
        }
        None
    }

    fn answer(&mut self, request_id: u64) {
        let reply = self.replies.pop_front().unwrap_or_else(|| {
            ScriptedReply::Fail(ModelError::Http {
                status: 400,
                body: "sim: no scripted reply".into(),
                retry_after_ms: None,
                request_id: None,
            })
        });
        let (events, fail) = match reply {
            ScriptedReply::Events(e) => (e, None),
            ScriptedReply::Fail(err) => (Vec::new(), Some(err)),
            ScriptedReply::EventsThenFail(e, err) => (e, Some(err)),
        };
        let mut t = self.now + 1;
        for e in events {
            self.schedule(t, Input::Model(request_id, e));
            t += 1;
        }
        if let Some(err) = fail {
            self.schedule(t, Input::ModelFailed(request_id, err));
        }
    }

    /// Rollout lines recorded so far.
    pub fn records(&self) -> Vec<&crate::protocol::RolloutLine> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Effect::Record(l) => Some(&**l),
                _ => None,
            })
            .collect()
    }

    /// `--json` events emitted so far.
    pub fn events(&self) -> Vec<&crate::protocol::ThreadEvent> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Effect::Emit(ev) => Some(ev),
                _ => None,
            })
            .collect()
    }

    /// Request bodies sent so far, parsed.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Effect::SendRequest { body, .. } => {
                    Some(serde_json::from_str(body).expect("body is JSON"))
                }
                _ => None,
            })
            .collect()
    }
}
