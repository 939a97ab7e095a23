//! The turn state machine, sans-IO: `handle(now, Input)` mutates, `poll()` drains effects.
//!
//! Shaped like quinn-proto's `Connection` and str0m's `Rtc`: one input, then every effect it
//! caused, then wait. This file holds the transitions only: the session's `State` and the moves
//! between its states ([`Session::handle`] is the table), and the turn loop inside a running turn
//! (`TurnLoop`), which follows Codex: sample → record output items → run tool calls → feed
//! outputs back → sample again while a tool call or pending input needs a follow-up. What each
//! step writes is built elsewhere: rollout lines in `rollout_items`/`lifecycle`, `--json` items in
//! `exec_items`, request bodies in `request`.

pub mod collab;
pub mod compact;
mod compacted_history;
pub mod config;
pub mod effect;
mod exec_items;
pub mod goals;
pub mod input;
mod lifecycle;
mod records;
mod request;
pub mod retry;
mod rollout_items;
mod thread;
mod tool_batch;
pub mod tool_call;
pub mod tool_search;
mod turn;

pub use config::{
    ForkedFrom, Identity, ModelSettings, ResumedThread, SessionConfig, ShellSettings,
};
pub use effect::{Effect, ToolCall, ToolInput, TurnOutcome, TurnStatus};
pub use input::{
    Input, ModelError, PatchFileChange, RequestId, TimerId, ToolDetails, ToolOutput, UserTurn,
};
pub use retry::{ErrorInfo, RetryPolicy, TurnError};

use crate::ids::{IdKind, IdSource};
use crate::protocol::{ResponseEvent, ResponseItem, ThreadEvent, TokenUsage};
use compact::{AfterCompact, CompactTrigger};
use retry::{Disposition, RetryDecision};
use thread::Thread;
use tool_batch::ToolBatch;
use turn::{Phase, Turn, TurnEnd};

/// Misuse of the machine (the runner's bug, not the model's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// A user turn was submitted while one runs (steer with `Input::Steer` instead).
    #[error("a turn is already running")]
    Busy,
    /// An input arrived after a turn failed fatally; the session takes no more.
    #[error("session stopped after a fatal error: {0}")]
    Fatal(TurnError),
}

/// One thread's machine.
pub struct Session {
    thread: Thread,
    state: State,
}

/// Where the session is. It moves only in [`Session::handle`]: `Idle → Running` on a user turn,
/// `Running → Idle` when the turn completes or is interrupted, `Running → Failed` when it fails.
// One per session, so the size of `Running` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
enum State {
    Idle,
    Running(Turn),
    /// Sticky, as rustls's error: every later input gets this error back. The records the
    /// failure queued still drain.
    Failed(TurnError),
}

impl Session {
    /// A new session for `cfg`, drawing its ids (thread, messages, calls...) from `ids`.
    pub fn new(cfg: SessionConfig, ids: Box<dyn IdSource>) -> Session {
        Session {
            thread: Thread::new(cfg, ids),
            state: State::Idle,
        }
    }

    /// The thread's id (the rollout's session id).
    pub fn thread_id(&self) -> &str {
        &self.thread.id
    }

    /// Model-visible history recorded so far (without the base-instruction prefix).
    pub fn history(&self) -> &[ResponseItem] {
        &self.thread.history
    }

    /// Usage of the thread's last response (after a compaction, the new history's estimate).
    pub fn last_usage(&self) -> TokenUsage {
        self.thread.last_usage
    }

    /// Compactions so far.
    pub fn window_number(&self) -> u64 {
        self.thread.window_number
    }

    /// The thread's goal, if a goal tool created one (or the resumed history had one).
    pub fn goal(&self) -> Option<&goals::Goal> {
        self.thread.goal.goal()
    }

    /// The running turn's id, if a turn runs.
    pub fn current_turn_id(&self) -> Option<&str> {
        match &self.state {
            State::Running(turn) => Some(&turn.id),
            _ => None,
        }
    }

    /// A sub-agent's next turn is started by parent turn `parent_turn_id` of root turn
    /// `root_turn_id` (its headers, metadata and `turn_attribution` say so). No-op for a thread
    /// that is not a sub-agent.
    pub fn attribute_next_turn(&mut self, parent_turn_id: &str, root_turn_id: &str) {
        if let Some(link) = self.thread.cfg.subagent.as_mut() {
            link.parent_turn_id = parent_turn_id.to_string();
            link.root_turn_id = root_turn_id.to_string();
        }
    }

    /// The sub-agent link of this thread, if it is one.
    pub fn subagent(&self) -> Option<&collab::SubagentLink> {
        self.thread.cfg.subagent.as_ref()
    }

    /// No turn is running (between turns, or stopped by a failure).
    pub fn is_idle(&self) -> bool {
        !matches!(self.state, State::Running(_))
    }

    /// Feeds one input. Afterwards drain [`Session::poll`] until it returns `None`.
    pub fn handle(&mut self, now: u64, input: Input) -> Result<(), SessionError> {
        let turn = match &mut self.state {
            State::Failed(error) => return Err(SessionError::Fatal(error.clone())),
            State::Idle => {
                match input {
                    Input::Submit(user) => self.start_turn(now, user),
                    Input::Steer(text) => self.start_turn(now, UserTurn::text(text)),
                    Input::Compact => self.start_compaction(now, CompactTrigger::Manual, None),
                    // Nobody is waiting for it between turns.
                    Input::Notify(_) => {}
                    // What arrives for a turn that is over: nothing to do.
                    Input::Model(..)
                    | Input::ModelFailed(..)
                    | Input::ToolDone(..)
                    | Input::Timer(_)
                    | Input::Interrupt => {}
                }
                return Ok(());
            }
            State::Running(turn) => turn,
        };
        let mut turn_loop = TurnLoop {
            thread: &mut self.thread,
            turn,
            now,
        };
        let end = match input {
            Input::Submit(_) | Input::Compact => return Err(SessionError::Busy),
            Input::Steer(text) => {
                let item = ResponseItem::user_text(None, text);
                turn_loop.turn.pending_input.push(item);
                None
            }
            Input::Notify(text) => {
                let id = turn_loop.thread.ids.id(IdKind::Notification, now);
                let item = ResponseItem::user_text(Some(id), text);
                turn_loop.turn.pending_input.push(item);
                None
            }
            Input::Model(id, event) if turn_loop.turn.phase.is_sampling(id) => {
                turn_loop.on_model_event(event)
            }
            Input::ModelFailed(id, err) if turn_loop.turn.phase.is_sampling(id) => {
                let disposition = retry::classify_model_error(&err);
                if let Phase::Compacting { .. } = turn_loop.turn.phase {
                    Some(compact::compaction_failed(disposition))
                } else {
                    turn_loop.on_failure(disposition, Some(&err))
                }
            }
            Input::ToolDone(call_id, output) => turn_loop.on_tool_done(&call_id, output),
            Input::Timer(id) if turn_loop.turn.phase.is_backing_off(id) => {
                turn_loop.sample();
                None
            }
            Input::Interrupt => Some(turn_loop.interrupt()),
            // Stale request ids and timers: nothing to do.
            Input::Model(..) | Input::ModelFailed(..) | Input::Timer(_) => None,
        };
        if let Some(end) = end {
            self.end_turn(now, end);
        }
        Ok(())
    }

    /// The next effect, in the order the machine produced them.
    pub fn poll(&mut self) -> Option<Effect> {
        self.thread.pop()
    }

    /// `Idle → Running`: write the turn's opening lines and send its first request (or, over
    /// the auto-compact limit, the summary request first).
    fn start_turn(&mut self, now: u64, user: UserTurn) {
        if self.thread.needs_compaction() {
            return self.start_compaction(now, CompactTrigger::PreTurn, Some(user));
        }
        let turn_id = self.thread.ids.id(IdKind::Turn, now);
        self.thread.record_turn_start(now, &turn_id, &user);
        let request = self.thread.send_request(&turn_id, now);
        self.state = State::Running(Turn::start(turn_id, now, request));
    }

    /// `Idle → Running` into a compaction: the turn's start, then the summary request; then
    /// `user`'s turn, or (manual) the end of the turn.
    fn start_compaction(&mut self, now: u64, trigger: CompactTrigger, user: Option<UserTurn>) {
        let turn_id = self.thread.ids.id(IdKind::Turn, now);
        self.thread.record_compaction_turn_start(now, &turn_id);
        let request = self
            .thread
            .send_summary_request(now, &turn_id, now, trigger);
        let mut turn = Turn::start(turn_id, now, request);
        turn.phase = turn::Phase::Compacting {
            request,
            trigger,
            summary: None,
            then: user.map_or(AfterCompact::End, AfterCompact::Prompt),
        };
        self.state = State::Running(turn);
    }

    /// `Running → Idle` (completed, interrupted) or `Running → Failed`.
    fn end_turn(&mut self, now: u64, end: TurnEnd) {
        let next = match &end {
            TurnEnd::Failed(error) => State::Failed(error.clone()),
            TurnEnd::Completed | TurnEnd::Interrupted => State::Idle,
        };
        if let TurnEnd::Failed(TurnError {
            info: ErrorInfo::UsageLimitExceeded,
            ..
        }) = &end
        {
            let tokens = self.thread.usage.total_tokens;
            self.thread.goal.usage_limited(tokens, now);
        }
        if let State::Running(turn) = std::mem::replace(&mut self.state, next) {
            self.thread.record_turn_end(now, turn, end);
        }
    }
}

/// The running turn and its thread, borrowed together for one input. Each step returns the
/// turn's end when it ends the turn; the session makes that transition.
struct TurnLoop<'a> {
    thread: &'a mut Thread,
    turn: &'a mut Turn,
    now: u64,
}

impl TurnLoop<'_> {
    /// The turn loop, after a response completes: record the items held since its first tool
    /// call, then run its tool calls, or follow up on pending input, or end the turn.
    fn on_completed(
        &mut self,
        held: Vec<ResponseItem>,
        response_id: String,
        usage: TokenUsage,
        end_turn: Option<bool>,
    ) -> Option<TurnEnd> {
        self.turn.retries = Default::default();
        self.thread.just_compacted = false;
        let mut batch = ToolBatch::default();
        let tokens_now = self.thread.usage.total_tokens + usage.total_tokens;
        for item in held {
            if !item.is_tool_call() {
                self.record_output_item(item);
                continue;
            }
            let cfg = &self.thread.cfg;
            let cwd = &cfg.context.environment.cwd;
            let (advertised, deferred) = (&self.thread.advertised, &cfg.deferred_namespaces);
            let mut call = tool_call::classify(&item, advertised, deferred, &cfg.shell, cwd);
            if let Some(c) = call.as_mut().filter(|c| c.loaded.is_some()) {
                if let Some(recorded) = cfg.search_answers.get(&c.call.call_id) {
                    c.loaded = Some(recorded.clone());
                }
            }
            if let Some(c) = call.as_mut().filter(|c| c.immediate.is_none()) {
                c.exclusive |= cfg.exclusive_tools.contains(&c.call.name);
            }
            if let Some(c) = call.as_mut().filter(|c| c.immediate.is_none()) {
                self.answer_goal_call(c, tokens_now);
            }
            if let Some(tool_call::CallView::Collab(v)) = call.as_mut().map(|c| &mut c.view) {
                v.sender = self.thread.id.clone();
            }
            self.thread
                .push_history(self.now, &self.turn.id, item, true);
            if let Some(call) = call {
                batch.push(call);
            }
        }
        self.add_usage(response_id, usage);
        if !batch.is_empty() {
            self.turn.phase = Phase::Tools(batch);
            self.run_tools();
        } else if !self.turn.pending_input.is_empty() || end_turn == Some(false) {
            self.follow_up();
        } else {
            return Some(TurnEnd::Completed);
        }
        None
    }

    /// Records finished outputs in call order; once every call is answered, follows up;
    /// otherwise starts the calls that may start now.
    fn run_tools(&mut self) {
        let Phase::Tools(batch) = &mut self.turn.phase else {
            return;
        };
        while let Some((i, output)) = batch.take_flushable() {
            let call = &batch.slots[i].call;
            let cwd = &self.thread.cfg.context.environment.cwd;
            if let Some(item) = rollout_items::call_completed(call, &output, cwd, &self.thread.id) {
                self.thread
                    .record_item_completed(self.now, &self.turn.id, item);
            }
            let id = self.thread.ids.id(call.output_id_kind(), self.now);
            let answer = call.output_item(output, id);
            self.thread
                .push_history(self.now, &self.turn.id, answer, false);
        }
        if batch.all_flushed() {
            return self.follow_up();
        }
        for i in batch.release(self.now) {
            let slot = &mut batch.slots[i];
            let shown = self
                .thread
                .exec_items
                .call_started(&slot.call.view, &mut self.turn.todo);
            slot.exec_item_id = shown.item_id;
            if let Some(event) = shown.event {
                self.thread.emit(event);
            }
            self.thread.push(Effect::RunTool {
                call: slot.call.call.clone(),
                exclusive: slot.call.exclusive,
            });
        }
    }

    /// Answers a goal tool call in place (the core keeps the goal; nothing runs). A created
    /// goal adds Codex's `goal_objective` item after the outputs.
    fn answer_goal_call(&mut self, c: &mut tool_call::ClassifiedCall, thread_tokens: u64) {
        if !goals::is_goal_tool(&c.call.name) {
            return;
        }
        let arguments = c.call.input.as_str();
        let thread = &mut *self.thread;
        let answer =
            thread
                .goal
                .answer(&c.call.name, arguments, &thread.id, thread_tokens, self.now);
        if let Some(objective) = &answer.created {
            let kind = IdKind::ToolOutput {
                call_id: "",
                freeform: false,
            };
            let id = thread.ids.id(kind, self.now);
            let item = goals::objective_item(id, objective);
            self.turn.pending_input.push(item);
        }
        c.immediate = Some(ToolOutput::text(answer.text, answer.success));
    }

    /// Reports usage, appends pending input, and samples again.
    fn follow_up(&mut self) {
        let pending = std::mem::take(&mut self.turn.pending_input);
        let window = self.thread.cfg.model.context_window;
        let count = rollout_items::token_count(self.thread.usage, self.turn.last_usage, window);
        self.thread.record(self.now, count);
        for item in pending {
            self.thread
                .push_history(self.now, &self.turn.id, item, true);
        }
        if self.thread.needs_compaction() {
            return self.compact(CompactTrigger::MidTurn, AfterCompact::Sample);
        }
        self.sample();
    }

    /// Sends the next request: the whole history, every time.
    fn sample(&mut self) {
        let tokens = self.thread.usage.total_tokens;
        if let Some(goal) = self.thread.goal.settle(tokens, self.now) {
            let text = match &self.thread.cfg.goal_budget_message {
                Some(recorded) => recorded.clone(),
                None => goals::budget_message(goal),
            };
            let id = self.thread.ids.id(IdKind::GoalContextMessage, self.now);
            let item = ResponseItem::user_text(Some(id), text);
            self.thread
                .push_history(self.now, &self.turn.id, item, true);
        }
        let request = self
            .thread
            .send_request(&self.turn.id, self.turn.started_ms);
        self.turn.requests += 1;
        self.turn.phase = Phase::Sampling {
            request,
            response: Default::default(),
        };
    }

    fn on_model_event(&mut self, event: ResponseEvent) -> Option<TurnEnd> {
        if let Phase::Compacting { .. } = self.turn.phase {
            return self.on_summary_event(event);
        }
        let Phase::Sampling { response, .. } = &mut self.turn.phase else {
            return None;
        };
        match event {
            ResponseEvent::OutputItemAdded {
                item: ResponseItem::Message(m),
            } => response.message_started(m.id.unwrap_or_default()),
            ResponseEvent::OutputTextDelta { item_id, delta } => {
                self.turn.first_token_ms.get_or_insert(self.now);
                response.text_delta(&item_id, &delta);
            }
            ResponseEvent::OutputItemDone { item } => {
                self.turn.first_token_ms.get_or_insert(self.now);
                if item.is_tool_call() || !response.held.is_empty() {
                    response.held.push(item);
                } else {
                    if let ResponseItem::Message(m) = &item {
                        if m.role == "assistant" {
                            response.message_done(m.id.as_deref().unwrap_or_default());
                        }
                    }
                    self.record_output_item(item);
                }
            }
            ResponseEvent::Completed {
                response_id,
                usage,
                end_turn,
            } => {
                let held = std::mem::take(&mut response.held);
                return self.on_completed(held, response_id, usage.unwrap_or_default(), end_turn);
            }
            ResponseEvent::Failed { error, .. } => {
                return self.on_failure(retry::classify_failed(&error), None)
            }
            ResponseEvent::Incomplete { reason, .. } => {
                return Some(TurnEnd::Failed(TurnError {
                    message: format!("Incomplete response returned, reason: {reason}"),
                    info: ErrorInfo::Other,
                }))
            }
            _ => {}
        }
        None
    }

    fn on_tool_done(&mut self, call_id: &str, output: ToolOutput) -> Option<TurnEnd> {
        let Phase::Tools(batch) = &mut self.turn.phase else {
            return None;
        };
        let i = batch.finish(call_id, output.clone())?;
        let slot = &batch.slots[i];
        let shown = slot.exec_item_id.clone();
        if let Some(event) = shown.and_then(|id| exec_items::call_finished(id, &slot.call, &output))
        {
            self.thread.emit(event);
        }
        self.run_tools();
        None
    }

    /// A failed request or stream: retry after a backoff, or end the turn.
    fn on_failure(
        &mut self,
        disposition: Disposition,
        failure: Option<&ModelError>,
    ) -> Option<TurnEnd> {
        if let Disposition::Fatal(TurnError {
            info: ErrorInfo::ContextWindowExceeded,
            ..
        }) = &disposition
        {
            if self.thread.cfg.compact.on_context_failure && !self.turn.compacted_on_failure {
                self.turn.compacted_on_failure = true;
                self.compact(CompactTrigger::ContextFailure, AfterCompact::Sample);
                return None;
            }
        }
        let policy = self.thread.cfg.retry;
        let ids = &mut self.thread.ids;
        let (delay_ms, notice) =
            match policy.decide(&mut self.turn.retries, disposition, failure, || ids.unit()) {
                RetryDecision::Retry { delay_ms, notice } => (delay_ms, notice),
                RetryDecision::GiveUp(error) => return Some(TurnEnd::Failed(error)),
            };
        let timer = self.thread.fresh_id();
        let phase = std::mem::replace(&mut self.turn.phase, Phase::Backoff { timer });
        // A broken stream keeps what the model already said (Codex resends the partial message).
        if let Phase::Sampling { response, .. } = phase {
            for message in response.into_partial_messages() {
                self.thread
                    .push_history(self.now, &self.turn.id, message, true);
            }
        }
        if let Some(message) = notice {
            self.thread.emit(ThreadEvent::Error { message });
        }
        self.thread.push(Effect::SetTimer {
            id: timer,
            at_ms: self.now + delay_ms,
        });
        None
    }

    /// Cancels what is in flight; every recorded call still gets exactly one output, in call
    /// order.
    fn interrupt(&mut self) -> TurnEnd {
        match &mut self.turn.phase {
            Phase::Sampling { request, .. } => {
                let request_id = *request;
                self.thread.push(Effect::CancelRequest { request_id });
            }
            Phase::Tools(batch) => {
                for call_id in batch.running_ids() {
                    self.thread.push(Effect::CancelTool { call_id });
                }
                let aborted = batch.abort_unfinished(self.now);
                while let Some((i, output)) = batch.take_flushable() {
                    let call = &batch.slots[i].call;
                    let cwd = &self.thread.cfg.context.environment.cwd;
                    if let Some(item) =
                        rollout_items::call_completed(call, &output, cwd, &self.thread.id)
                    {
                        if aborted.contains(&i) {
                            self.turn.aborted_items.push(item);
                        } else {
                            self.thread
                                .record_item_completed(self.now, &self.turn.id, item);
                        }
                    }
                    let id = self.thread.ids.id(call.output_id_kind(), self.now);
                    let answer = call.output_item(output, id);
                    self.thread
                        .push_history(self.now, &self.turn.id, answer, false);
                }
            }
            Phase::Compacting { request, .. } => {
                let request_id = *request;
                self.thread.push(Effect::CancelRequest { request_id });
            }
            Phase::Backoff { .. } => {}
        }
        TurnEnd::Interrupted
    }

    /// Records a finished output item that is not a tool call, with its turn item and event.
    fn record_output_item(&mut self, item: ResponseItem) {
        let (thread, turn, now) = (&mut *self.thread, &mut *self.turn, self.now);
        match &item {
            ResponseItem::Message(m) if m.role == "assistant" => {
                let text = item.assistant_text().unwrap_or_default();
                turn.last_agent_message = Some(text.clone());
                let id = m.id.clone().unwrap_or_default();
                let done = rollout_items::agent_message(id, text.clone());
                thread.record_item_completed(now, &turn.id, done);
                let event = thread.exec_items.agent_message(text);
                thread.emit(event);
            }
            ResponseItem::Reasoning(r) => {
                let summary = r.summary_texts();
                let done = rollout_items::reasoning(r.id.clone(), summary.clone());
                thread.record_item_completed(now, &turn.id, done);
                if let Some(event) = thread.exec_items.reasoning(&summary) {
                    thread.emit(event);
                }
            }
            ResponseItem::WebSearchCall(w) => {
                let done = rollout_items::web_search(w);
                thread.record_item_completed(now, &turn.id, done);
                for event in thread.exec_items.web_search(w) {
                    thread.emit(event);
                }
            }
            _ => {}
        }
        thread.push_history(now, &turn.id, item, true);
    }

    /// Adds a response's usage to the turn's and the thread's, and records it.
    fn add_usage(&mut self, response_id: String, usage: TokenUsage) {
        let (thread, turn) = (&mut *self.thread, &mut *self.turn);
        turn.usage = turn.usage.add(&usage);
        turn.last_usage = usage;
        turn.request_usage.push(usage);
        thread.last_usage = usage;
        thread.usage = thread.usage.add(&usage);
        let record = rollout_items::token_usage_record(
            &thread.id,
            &turn.id,
            (
                thread.cfg.session_id(&thread.id),
                thread.cfg.root_turn_id(&turn.id),
            ),
            response_id,
            usage,
            turn.usage,
            thread.usage,
        );
        thread.record(self.now, record);
    }
}
