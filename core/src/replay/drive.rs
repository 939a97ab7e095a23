//! Feeds a recording to the machine turn by turn: the prompt, each response the model gave (or
//! the broken stream, failure or interrupt that ended it), each tool's recorded answer. Every
//! history item the machine records is checked against the next one the recording has; the
//! first difference stops the replay.

use std::collections::VecDeque;

use serde_json::Value;

use super::json_pointer::first_difference;
use super::recorded_ids::RecordedIds;
use super::recording::{
    prompt_parts, Recorded, RecordedCompaction, RecordedEnd, RecordedTurn, Recording, TurnLine,
};
use super::{Divergence, RebuiltRequest, RecordedLine};
use crate::ids::IdSource;
use crate::protocol::event_msg::TaskComplete;
use crate::protocol::exec_event::ItemStatus;
use crate::protocol::rollout::TokenUsageRecord;
use crate::protocol::{
    ResponseEvent, ResponseEventError, ResponseItem, RolloutItem, RolloutLine, TurnItem,
};
use crate::session::{
    Effect, Input, ModelError, PatchFileChange, RequestId, ResumedThread, Session, SessionConfig,
    TimerId, ToolCall, ToolDetails, ToolOutput, TurnOutcome, TurnStatus, UserTurn,
};
use crate::time::parse_rfc3339_millis;

pub struct Driver<'r, 'a> {
    rec: &'r Recording<'a>,
    /// The rollout's lines, for the time each recorded thing happened.
    lines: &'r [RecordedLine],
    cfg: SessionConfig,
    pub session: Session,
    /// Wraps each recorded id source the driver hands a machine (a fork switches to live ids).
    ids: IdsFor<'r>,
    /// A fork's cut: stop when the machine sends this request (turn, request in the turn).
    stop_at: Option<(usize, usize)>,
    /// The effects the machine queued from the cut request on, unperformed.
    pub held: Option<Vec<Effect>>,
    /// Every rollout line the machine wrote, when a fork needs them.
    pub records: Option<Vec<RolloutLine>>,
    /// Whether the writer recorded each response's usage (`token_usage_record`, Codex 0.169
    /// and rcodex): without, a response without usage is not a broken stream.
    usage_recorded: bool,
    /// The current turn failed where its (old) writer recorded a completion.
    unrecorded_failure: bool,
    pub requests: Vec<RebuiltRequest>,
    pub divergence: Option<Divergence>,
    /// History items the machine should record next, in order.
    expected: VecDeque<Recorded<'a>>,
    /// `compacted` lines the machine should write next, in order.
    expected_compactions: VecDeque<RecordedCompaction<'a>>,
    /// History items the machine recorded so far.
    recorded: usize,
    /// Lines of the sub-agent notifications already fed (`Input::Notify`).
    notified: std::collections::HashSet<usize>,
    now: u64,
}

/// What the machine waits for after its effects are drained.
#[derive(Default)]
struct Waiting {
    request: Option<RequestId>,
    tools: VecDeque<ToolCall>,
    timers: VecDeque<(TimerId, u64)>,
    done: Option<TurnOutcome>,
}

/// One recorded response: the model's output items, and its usage line if it completed.
struct RecordedResponse<'a> {
    items: Vec<Recorded<'a>>,
    usage: Option<&'a TokenUsageRecord>,
}

/// Turns a recording's id source into the one a machine gets.
pub type IdsFor<'r> = Box<dyn Fn(RecordedIds) -> Box<dyn IdSource> + 'r>;

impl<'r, 'a> Driver<'r, 'a> {
    pub fn new(rec: &'r Recording<'a>, lines: &'r [RecordedLine], cfg: SessionConfig) -> Self {
        Self::with_ids(rec, lines, cfg, Box::new(|ids| Box::new(ids)))
    }

    /// A driver whose machines draw ids through `ids` (given the recording's ids).
    pub fn with_ids(
        rec: &'r Recording<'a>,
        lines: &'r [RecordedLine],
        cfg: SessionConfig,
        ids: IdsFor<'r>,
    ) -> Self {
        let session = Session::new(cfg.clone(), ids(RecordedIds::new(rec)));
        Driver {
            rec,
            lines,
            session,
            ids,
            stop_at: None,
            held: None,
            records: None,
            usage_recorded: rec
                .turns
                .iter()
                .flat_map(|t| &t.lines)
                .any(|l| matches!(l, TurnLine::Usage(_))),
            unrecorded_failure: false,
            cfg,
            requests: Vec::new(),
            divergence: None,
            expected: rec.context.iter().copied().collect(),
            expected_compactions: VecDeque::new(),
            recorded: 0,
            notified: Default::default(),
            now: rec.start_ms,
        }
    }

    /// Stops the replay when the machine sends request `request` of turn `turn` (both 1-based),
    /// keeping that request and what follows it in [`Driver::held`], and every rollout line
    /// the machine wrote before in [`Driver::records`].
    pub fn stop_at(&mut self, turn: usize, request: usize) {
        self.stop_at = Some((turn, request));
        self.records = Some(Vec::new());
    }

    /// Replays turn `number` (1-based); false once the replay must stop.
    pub fn run_turn(&mut self, number: usize, turn: &RecordedTurn<'a>) -> bool {
        self.unrecorded_failure = false;
        if turn.resumed {
            self.resume(number);
        }
        let manual_compaction = turn.is_manual_compaction();
        if turn.prompt.is_none() && !manual_compaction {
            return self.diverge(
                turn.line,
                None,
                "the recorded turn has no user message",
                None,
            );
        }
        // A compaction before the prompt records its summary answer before the prompt.
        let items = turn.lines.iter().filter_map(|l| match l {
            TurnLine::Item(r) => Some(*r),
            TurnLine::Usage(_) => None,
        });
        let prompt_line = turn.prompt.map_or(usize::MAX, |p| p.line);
        let (before, after): (Vec<_>, Vec<_>) = items.partition(|r| r.line < prompt_line);
        self.expected.extend(before);
        self.expected.extend(turn.prompt);
        self.expected.extend(after);
        self.expected_compactions
            .extend(turn.compactions.iter().copied());
        let mut responses = turn.lines.iter().peekable();
        self.now = self.now.max(turn.started_ms);
        let mut input = Some(match turn.prompt {
            Some(prompt) => {
                let (text, images) = prompt_parts(prompt.item);
                Input::Submit(UserTurn {
                    text,
                    images,
                    leading_content: Vec::new(),
                })
            }
            None => Input::Compact,
        });
        let mut waiting = Waiting::default();
        while let Some(next) = input.take() {
            if self.session.handle(self.now, next).is_err() {
                // A failed turn stops the machine, as it stopped the recorded session.
                return false;
            }
            self.drain(number, &mut waiting);
            if self.divergence.is_some() || self.held.is_some() {
                return false;
            }
            if let Some(outcome) = &waiting.done {
                self.check_end(outcome, &turn.end, turn.line);
                break;
            }
            input = self.next_input(turn, &mut waiting, &mut responses);
        }
        if self.divergence.is_some() {
            return false;
        }
        if let Some(extra) = next_response(&mut responses).items.first() {
            return self.diverge(
                extra.line,
                Some(to_value(extra.item)),
                "the recording has a response the machine never asked for",
                None,
            );
        }
        !matches!(turn.end, RecordedEnd::Failed(_) | RecordedEnd::Open)
    }

    /// Turn `number` ran in a new process that resumed the thread: so does the machine, from
    /// the history so far (the request then says `cold_resume`, as the resumed process's did).
    fn resume(&mut self, number: usize) {
        let thread_usage = self.rec.turns[..number - 1]
            .iter()
            .flat_map(|t| &t.lines)
            .rev()
            .find_map(|l| match l {
                TurnLine::Usage(u) => Some(u.thread_token_usage),
                TurnLine::Item(_) => None,
            })
            .unwrap_or_default();
        let mut cfg = self.cfg.clone();
        cfg.resume = Some(ResumedThread {
            thread_id: self.session.thread_id().to_string(),
            history: self.session.history().to_vec(),
            thread_usage,
            last_usage: self.session.last_usage(),
            window_number: self.session.window_number(),
        });
        let ids = RecordedIds::resuming_at(self.rec, number - 1);
        self.session = Session::new(cfg, (self.ids)(ids));
    }

    /// After the last turn: anything recorded that the machine never produced.
    pub fn finish(&mut self) {
        if let (None, Some(c)) = (&self.divergence, self.expected_compactions.front()) {
            let line = c.line;
            self.diverge(
                line,
                None,
                "the recording compacts the history where the machine does not",
                None,
            );
        }
        if self.divergence.is_none() {
            if let Some(left) = self.expected.pop_front() {
                self.diverge(
                    left.line,
                    Some(to_value(left.item)),
                    "the recording has a history item the machine never produced",
                    None,
                );
            }
        }
    }

    /// Performs the machine's effects on paper: requests are kept, history records checked.
    fn drain(&mut self, turn: usize, waiting: &mut Waiting) {
        while let Some(effect) = self.session.poll() {
            match effect {
                Effect::SendRequest {
                    request_id,
                    body,
                    headers,
                } => {
                    let in_turn = 1 + self.requests.iter().filter(|r| r.turn == turn).count();
                    if self.stop_at == Some((turn, in_turn)) {
                        let mut held = vec![Effect::SendRequest {
                            request_id,
                            body,
                            headers,
                        }];
                        held.extend(std::iter::from_fn(|| self.session.poll()));
                        self.held = Some(held);
                        return;
                    }
                    self.requests.push(RebuiltRequest { turn, body });
                    waiting.request = Some(request_id);
                }
                Effect::RunTool { call, .. } => waiting.tools.push_back(call),
                Effect::SetTimer { id, at_ms } => waiting.timers.push_back((id, at_ms)),
                Effect::Record(line) => {
                    match &line.item {
                        RolloutItem::ResponseItem(item) => self.check(item),
                        RolloutItem::Compacted(c) => self.check_compaction(c),
                        _ => {}
                    }
                    if let Some(records) = &mut self.records {
                        records.push(*line);
                    }
                }
                Effect::TurnDone(outcome) => waiting.done = Some(outcome),
                Effect::CancelRequest { .. } | Effect::CancelTool { .. } | Effect::Emit(_) => {}
            }
        }
    }

    /// The recorded input that answers what the machine waits for.
    fn next_input(
        &mut self,
        turn: &RecordedTurn<'a>,
        waiting: &mut Waiting,
        responses: &mut std::iter::Peekable<std::slice::Iter<'_, TurnLine<'a>>>,
    ) -> Option<Input> {
        if let Some((id, at_ms)) = waiting.timers.pop_front() {
            self.now = self.now.max(at_ms);
            return Some(Input::Timer(id));
        }
        if waiting.tools.len() == 1 {
            if let Some(note) = self.next_notification() {
                return Some(note);
            }
        }
        if let Some(call) = waiting.tools.pop_front() {
            return match self.rec.outputs.get(call.call_id.as_str()) {
                Some(out) if !is_aborted(out.item, &turn.end) => {
                    self.catch_up(out.line);
                    let output = self.tool_output(&call, out);
                    self.check_command_output(&call, out, &output);
                    Some(Input::ToolDone(call.call_id.clone(), output))
                }
                Some(out) if matches!(turn.end, RecordedEnd::Aborted) => {
                    // Interrupted while it ran: at the time its "aborted" answer was written.
                    self.catch_up(out.line);
                    Some(Input::Interrupt)
                }
                _ if matches!(turn.end, RecordedEnd::Aborted) => Some(Input::Interrupt),
                _ => {
                    let what = format!(
                        "the machine runs {} (call {}) but the recording has no output for it",
                        call.name, call.call_id
                    );
                    let line = self.expected.front().map_or(0, |r| r.line);
                    self.diverge(line, None, &what, None);
                    None
                }
            };
        }
        let request = waiting.request.take()?;
        if self.failed_for_compaction(responses) {
            let error = ResponseEventError {
                code: Some("context_length_exceeded".into()),
                message: Some("the recording compacted after a context-window failure".into()),
            };
            let failed = ResponseEvent::Failed {
                response_id: String::new(),
                error,
            };
            return Some(Input::Model(request, failed));
        }
        let response = next_response(responses);
        let last = next_response(&mut responses.clone()).is_empty();
        self.response_input(request, response, last, &turn.end, turn.line)
    }

    /// A sub-agent notification the recording holds after the outputs the machine is about to
    /// record, not fed yet: fed before the batch's last output, it joins the follow-up as it
    /// joined the recorded one.
    fn next_notification(&mut self) -> Option<Input> {
        let ahead = self.expected.iter().take_while(|r| {
            matches!(
                r.item,
                ResponseItem::FunctionCallOutput(_) | ResponseItem::CustomToolCallOutput(_)
            ) || crate::session::collab::is_notification(r.item)
        });
        let next = ahead
            .filter(|r| crate::session::collab::is_notification(r.item))
            .find(|r| !self.notified.contains(&r.line))?;
        self.notified.insert(next.line);
        let (text, _) = prompt_parts(next.item);
        Some(Input::Notify(text))
    }

    /// How recorded response `response` reaches the machine as request `request`'s answer:
    /// its items, then `response.completed` when its usage was recorded; without usage, the
    /// stream broke (and was retried, if another response follows) or the turn failed or was
    /// interrupted there. `None`: the recording ends inside this response.
    fn response_input(
        &mut self,
        request: RequestId,
        response: RecordedResponse<'a>,
        last: bool,
        end: &RecordedEnd<'a>,
        turn_line: usize,
    ) -> Option<Input> {
        if response.is_empty() {
            return match end {
                RecordedEnd::Failed(done) => Some(Input::Model(request, failed_event(done))),
                RecordedEnd::Aborted => Some(Input::Interrupt),
                RecordedEnd::Open => None,
                RecordedEnd::Completed { done, .. }
                    if !self.usage_recorded
                        && done.last_agent_message.is_none()
                        && self.requests_in_turn() == 1 =>
                {
                    // Codex before 0.150 ended a failed turn as completed, with no answer and
                    // the error unrecorded.
                    self.unrecorded_failure = true;
                    Some(Input::Model(request, failed_event(done)))
                }
                RecordedEnd::Completed { .. } => {
                    let what = format!(
                        "the machine sends request {} but the recording has no response for it",
                        self.requests.len()
                    );
                    self.diverge(turn_line, None, &what, None);
                    None
                }
            };
        }
        for r in &response.items {
            if is_incomplete_message(r.item) {
                self.stream_partial(request, r.item);
                continue;
            }
            self.catch_up(r.line);
            let item = r.item.clone().without_passthrough();
            let done = ResponseEvent::OutputItemDone { item };
            let _ = self.session.handle(self.now, Input::Model(request, done));
        }
        if let Some(u) = response.usage {
            let after = response.items.last().map_or(0, |r| r.line);
            if let Some(line) = self.line_of(u, after) {
                self.catch_up(line);
            }
            let completed = ResponseEvent::Completed {
                response_id: u.response_id.clone(),
                usage: Some(u.usage),
                end_turn: None,
            };
            return Some(Input::Model(request, completed));
        }
        if !last && self.usage_recorded {
            return Some(Input::ModelFailed(request, ModelError::StreamClosed));
        }
        if !last {
            // Writers before Codex 0.169 kept no per-response usage line: a response followed
            // by another one completed.
            let completed = ResponseEvent::Completed {
                response_id: String::new(),
                usage: None,
                end_turn: None,
            };
            return Some(Input::Model(request, completed));
        }
        match end {
            RecordedEnd::Failed(done) => Some(Input::Model(request, failed_event(done))),
            RecordedEnd::Aborted => Some(Input::Interrupt),
            RecordedEnd::Open => None,
            RecordedEnd::Completed { .. } => {
                let completed = ResponseEvent::Completed {
                    response_id: String::new(),
                    usage: None,
                    end_turn: None,
                };
                Some(Input::Model(request, completed))
            }
        }
    }

    /// The machine's request (not a summary request) was answered, in the recording, by a
    /// compaction rcodex made after a context-window failure: the recorded summary is next.
    fn failed_for_compaction(
        &self,
        responses: &std::iter::Peekable<std::slice::Iter<'_, TurnLine<'a>>>,
    ) -> bool {
        let Some(c) = self.expected_compactions.front() else {
            return false;
        };
        let summary_request = self
            .requests
            .last()
            .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
            .is_some_and(|b| b["tools"] == Value::Array(Vec::new()));
        let next = next_response(&mut responses.clone());
        c.after_context_failure
            && !summary_request
            && next.items.first().is_some_and(|r| r.line < c.line)
    }

    /// How many requests the machine sent in the turn of the last one.
    fn requests_in_turn(&self) -> usize {
        let turn = self.requests.last().map_or(0, |r| r.turn);
        self.requests.iter().filter(|r| r.turn == turn).count()
    }

    /// Moves the clock to the time of rollout line `number` (never back): the machine then
    /// stamps what it records as the recording did.
    fn catch_up(&mut self, number: usize) {
        let Ok(i) = self.lines.binary_search_by_key(&number, |l| l.number) else {
            return;
        };
        if let Some(t) = parse_rfc3339_millis(&self.lines[i].line.timestamp) {
            self.now = self.now.max(t);
        }
    }

    /// The number of the line holding `usage`, searched from line `after` on.
    fn line_of(&self, usage: &TokenUsageRecord, after: usize) -> Option<usize> {
        let start = self.lines.partition_point(|l| l.number < after);
        self.lines[start..].iter().find_map(|l| match &l.line.item {
            RolloutItem::TokenUsageRecord(r) if std::ptr::eq(r, usage) => Some(l.number),
            _ => None,
        })
    }

    /// A message the stream cut short: started, and its text so far.
    fn stream_partial(&mut self, request: RequestId, item: &ResponseItem) {
        let ResponseItem::Message(m) = item else {
            return;
        };
        let mut started = m.clone();
        started.content.clear();
        started.status = None;
        let added = ResponseEvent::OutputItemAdded {
            item: ResponseItem::Message(started),
        };
        let _ = self.session.handle(self.now, Input::Model(request, added));
        let delta = ResponseEvent::OutputTextDelta {
            item_id: m.id.clone().unwrap_or_default(),
            delta: item.assistant_text().unwrap_or_default(),
        };
        let _ = self.session.handle(self.now, Input::Model(request, delta));
    }

    /// The machine ended the turn as the recording did, with the same final message.
    fn check_end(&mut self, outcome: &TurnOutcome, end: &RecordedEnd<'a>, turn_line: usize) {
        let (line, expected) = match end {
            RecordedEnd::Completed { line, done } => {
                if outcome.status == TurnStatus::Completed
                    && outcome.last_agent_message != done.last_agent_message
                {
                    self.diverge(
                        *line,
                        Some(Value::from(done.last_agent_message.clone())),
                        "the turn ends with another final message",
                        None,
                    );
                    if let Some(d) = &mut self.divergence {
                        d.actual = Value::from(outcome.last_agent_message.clone());
                        d.pointer = "/last_agent_message".into();
                    }
                    return;
                }
                (*line, "completed")
            }
            RecordedEnd::Failed(_) => (turn_line, "failed"),
            RecordedEnd::Aborted => (turn_line, "interrupted"),
            RecordedEnd::Open => return,
        };
        let actual = match outcome.status {
            TurnStatus::Completed => "completed",
            TurnStatus::Failed { .. } => "failed",
            TurnStatus::Interrupted => "interrupted",
        };
        if actual != expected && !(actual == "failed" && self.unrecorded_failure) {
            let what = format!("the turn ends {actual}, the recording's {expected}");
            self.diverge(line, Some(Value::from(expected)), &what, None);
            if let Some(d) = &mut self.divergence {
                d.actual = Value::from(actual);
            }
        }
    }

    /// The recorded answer to `call`, with the facts its `item_completed` line recorded.
    fn tool_output(&self, call: &ToolCall, out: &Recorded<'a>) -> ToolOutput {
        recorded_output(self.rec, &call.call_id, out.item)
    }

    /// A command that exited shows its whole output after `Output:` unless it was truncated:
    /// a recorded answer whose text is not its recorded command result was edited.
    fn check_command_output(&mut self, call: &ToolCall, out: &Recorded<'a>, output: &ToolOutput) {
        let ToolDetails::Command {
            aggregated_output,
            exit_code: Some(code),
            ..
        } = &output.details
        else {
            return;
        };
        let text = output.payload.to_text();
        let Some((head, shown)) = text.split_once("\nOutput:\n") else {
            return;
        };
        let exited = format!("Process exited with code {code}");
        if !head.contains("Process exited with code ")
            || shown.contains("tokens truncated")
            || shown.starts_with("Warning: truncated output")
            || (head.lines().any(|l| l == exited) && shown == aggregated_output)
        {
            return;
        }
        let head: Vec<&str> = head
            .lines()
            .map(|l| {
                if l.starts_with("Process exited with code ") {
                    exited.as_str()
                } else {
                    l
                }
            })
            .collect();
        let expected = format!("{}\nOutput:\n{aggregated_output}", head.join("\n"));
        let what = format!(
            "the recorded output of {} (call {}) is not its recorded command result",
            call.name, call.call_id
        );
        self.diverge(out.line, Some(Value::from(expected)), &what, None);
        if let Some(d) = &mut self.divergence {
            d.actual = Value::from(text);
            d.pointer = "/output".into();
        }
    }

    /// Checks one history item the machine recorded against the recording.
    fn check(&mut self, actual: &ResponseItem) {
        let index = self.recorded;
        self.recorded += 1;
        if self.divergence.is_some() {
            return;
        }
        let mut actual_value = to_value(actual);
        let Some(expected) = self.expected.pop_front() else {
            self.diverge(
                0,
                None,
                "the machine records a history item the recording does not have",
                Some((index, actual_value)),
            );
            return;
        };
        let expected_value = to_value(expected.item);
        // Writers before Codex 0.150 gave history messages and outputs no id: an id is only
        // compared where the recording has one.
        if expected_value.get("id").is_none() {
            if let Some(item) = actual_value.as_object_mut() {
                item.remove("id");
            }
        }
        if let Some(pointer) = first_difference(&expected_value, &actual_value) {
            let what = format!("history item {index} differs at {pointer}");
            self.divergence = Some(Divergence {
                line: expected.line,
                request: self.requests.len(),
                item: Some(index),
                pointer,
                expected: expected_value,
                actual: actual_value,
                what,
            });
        }
    }

    /// The machine compacted where the recording did, to the same history.
    fn check_compaction(&mut self, actual: &crate::protocol::rollout::Compacted) {
        if self.divergence.is_some() {
            return;
        }
        let Some(expected) = self.expected_compactions.pop_front() else {
            let line = self.expected.front().map_or(0, |r| r.line);
            self.diverge(
                line,
                None,
                "the machine compacts the history where the recording does not",
                None,
            );
            return;
        };
        let history = |items: Option<&Vec<ResponseItem>>| {
            Value::Array(
                items
                    .into_iter()
                    .flatten()
                    .map(|i| to_value(&i.clone().without_passthrough()))
                    .collect(),
            )
        };
        let want = history(expected.compacted.replacement_history.as_ref());
        let got = history(actual.replacement_history.as_ref());
        if let Some(pointer) = first_difference(&want, &got) {
            let what = format!("the compacted history differs at {pointer}");
            self.diverge(expected.line, Some(want), &what, None);
            if let Some(d) = &mut self.divergence {
                d.actual = got;
                d.pointer = format!("/replacement_history{pointer}");
            }
        }
    }

    fn diverge(
        &mut self,
        line: usize,
        expected: Option<Value>,
        what: &str,
        actual: Option<(usize, Value)>,
    ) -> bool {
        let (item, actual) = match actual {
            Some((i, v)) => (Some(i), v),
            None => (None, Value::Null),
        };
        self.divergence.get_or_insert(Divergence {
            line,
            request: self.requests.len(),
            item,
            pointer: String::new(),
            expected: expected.unwrap_or(Value::Null),
            actual,
            what: what.to_string(),
        });
        false
    }
}

/// The next recorded response: the model's output items up to the response's usage line. Items
/// of one response share their `sampled_through_sequence`, so a response cut short (no usage
/// line) ends where the next request's items begin; rollouts without that metadata end it at
/// the first item the machine wrote. Items the machine writes itself (tool outputs) are skipped.
fn next_response<'a>(
    lines: &mut std::iter::Peekable<std::slice::Iter<'_, TurnLine<'a>>>,
) -> RecordedResponse<'a> {
    let mut response = RecordedResponse {
        items: Vec::new(),
        usage: None,
    };
    let mut sampled: Option<Option<u64>> = None;
    while let Some(line) = lines.peek() {
        match line {
            TurnLine::Usage(record) => {
                response.usage = Some(record);
                lines.next();
                break;
            }
            TurnLine::Item(r) if r.item.is_model_output() => {
                match sampled {
                    None => sampled = Some(r.sampled_through),
                    Some(Some(s)) if r.sampled_through != Some(s) => break,
                    Some(_) => {}
                }
                response.items.push(*r);
                lines.next();
            }
            TurnLine::Item(_) if response.items.is_empty() || matches!(sampled, Some(Some(_))) => {
                lines.next();
            }
            TurnLine::Item(_) => break,
        }
    }
    response
}

impl RecordedResponse<'_> {
    fn is_empty(&self) -> bool {
        self.items.is_empty() && self.usage.is_none()
    }
}

fn is_incomplete_message(item: &ResponseItem) -> bool {
    matches!(item, ResponseItem::Message(m) if m.role == "assistant" && m.status.as_deref() == Some("incomplete"))
}

/// An "aborted" answer in an interrupted turn (a running command's: its wall time and "aborted
/// by user") was the interrupt's doing, not the tool's.
pub(super) fn is_aborted(item: &ResponseItem, end: &RecordedEnd) -> bool {
    let text = match item {
        ResponseItem::FunctionCallOutput(o) => o.output.to_text(),
        ResponseItem::CustomToolCallOutput(o) => o.output.to_text(),
        _ => return false,
    };
    matches!(end, RecordedEnd::Aborted)
        && (text == "aborted"
            || (text.starts_with("Wall time: ") && text.ends_with("\naborted by user")))
}

/// A `response.failed` that makes the machine fail the turn as the recording shows.
fn failed_event(done: &TaskComplete) -> ResponseEvent {
    let error = done.error.as_ref();
    let message = error.map(|e| e.message.clone());
    let code = match error.map(|e| e.codex_error_info.as_str()) {
        Some("context_window_exceeded") => "context_length_exceeded",
        Some("usage_limit_exceeded") => "insufficient_quota",
        _ => "invalid_prompt",
    };
    ResponseEvent::Failed {
        response_id: String::new(),
        error: ResponseEventError {
            code: Some(code.into()),
            message,
        },
    }
}

/// The recorded answer `item` to call `call_id`, with the facts its `item_completed` line
/// recorded, as the runner would have handed it to the machine.
pub(super) fn recorded_output(rec: &Recording, call_id: &str, item: &ResponseItem) -> ToolOutput {
    let payload = match item {
        ResponseItem::FunctionCallOutput(o) => o.output.clone(),
        ResponseItem::CustomToolCallOutput(o) => o.output.clone(),
        other => crate::protocol::FunctionCallOutputPayload::Text(
            other.assistant_text().unwrap_or_default(),
        ),
    };
    let (success, details) = rec
        .call_items
        .get(call_id)
        .map_or((true, ToolDetails::None), |item| recorded_facts(item));
    ToolOutput {
        payload,
        success,
        details,
    }
}

/// Whether a call succeeded, and its tool facts, from its recorded `item_completed` item
/// (CommandExecution or FileChange, read through the typed [`TurnItem`]).
fn recorded_facts(item: &Value) -> (bool, ToolDetails) {
    match TurnItem::parse(item) {
        Some(TurnItem::CommandExecution(c)) => (
            c.status == ItemStatus::Completed,
            ToolDetails::Command {
                aggregated_output: c.aggregated_output,
                exit_code: c.exit_code,
                duration_ms: c.duration.as_millis(),
                process_id: c.process_id,
            },
        ),
        Some(TurnItem::FileChange(f)) => (
            f.status == ItemStatus::Completed,
            ToolDetails::Patch {
                changes: f
                    .changes
                    .into_iter()
                    .map(|c| PatchFileChange {
                        path: c.path,
                        kind: c.kind,
                        unified_diff: c.unified_diff,
                    })
                    .collect(),
            },
        ),
        _ => (true, ToolDetails::None),
    }
}

/// A history item as compared: what the model sees, without the rollout's passthrough key.
pub(super) fn to_value(item: &ResponseItem) -> Value {
    serde_json::to_value(item.clone().without_passthrough()).unwrap_or(Value::Null)
}
