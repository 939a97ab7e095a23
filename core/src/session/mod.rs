//! The turn state machine, sans-IO: `handle(now, Input)` mutates, `poll()` drains effects.
//!
//! Shaped like quinn-proto's `Connection` and str0m's `Rtc`: one input, then every effect it
//! caused, then wait. The loop follows Codex: sample → record output items → run tool calls →
//! feed outputs back → sample again while a tool call or pending input needs a follow-up.

pub mod config;
pub mod effect;
mod event_payloads;
pub mod input;
mod records;
mod request;
pub mod retry;
mod tool_batch;
pub mod tool_call;

use std::collections::VecDeque;

use serde_json::json;

pub use config::{Identity, ModelSettings, ResumedThread, SessionConfig, ShellSettings};
pub use effect::{Effect, ToolCall, ToolInput, TurnOutcome, TurnStatus};
pub use input::{
    Input, ModelError, PatchFileChange, RequestId, TimerId, ToolDetails, ToolOutput, UserTurn,
};
pub use retry::RetryPolicy;

use crate::ids::IdSource;
use crate::protocol::exec_event::{ExecUsage, ItemStatus, ThreadError, TodoItem};
use crate::protocol::response_item::{CustomToolCallOutputItem, Extra, FunctionCallOutputItem};
use crate::protocol::{
    ContentItem, ResponseEvent, ResponseItem, RolloutItem, ThreadEvent, ThreadItem,
    ThreadItemDetails as D, TokenUsage,
};
use event_payloads as ev;
use records::RolloutCounters;
use request::TurnIds;
use retry::{Disposition, ErrorInfo};
use tool_batch::{SlotState, ToolBatch};
use tool_call::{CallView, ClassifiedCall};

/// Misuse of the machine (the runner's bug, not the model's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("a turn is already running")]
    Busy,
    #[error("session stopped after a fatal error: {0}")]
    Fatal(String),
}

/// One thread's machine.
pub struct Session {
    cfg: SessionConfig,
    ids: Box<dyn IdSource>,
    thread_id: String,
    window_id: String,
    prefix: Vec<ResponseItem>,
    history: Vec<ResponseItem>,
    advertised: Vec<String>,
    out: VecDeque<Effect>,
    rollout: RolloutCounters,
    thread_usage: TokenUsage,
    exec_items: u64,
    turns: u64,
    resumed: bool,
    turn: Option<Turn>,
    fatal: Option<String>,
    next_id: u64,
}

/// The state of the running turn.
struct Turn {
    id: String,
    started_ms: u64,
    first_token_ms: Option<u64>,
    usage: TokenUsage,
    last_usage: TokenUsage,
    requests: u32,
    last_agent_message: Option<String>,
    pending_input: Vec<ResponseItem>,
    phase: Phase,
    step: Step,
    request_retries: u32,
    stream_retries: u32,
    todo: Option<(String, Vec<TodoItem>)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Sampling(RequestId),
    Backoff(TimerId),
    Tools,
}

/// One model response in progress.
#[derive(Default)]
struct Step {
    /// Assistant messages streaming (item id, text so far), kept if the stream breaks.
    partial: Vec<(String, String)>,
    /// Output items from the first tool call on, recorded when the response completes: a broken
    /// stream drops them, so no recorded call is left without an output, and holding what
    /// follows a call keeps history in the model's output order.
    calls: Vec<ResponseItem>,
    batch: ToolBatch,
}

impl Session {
    pub fn new(cfg: SessionConfig, mut ids: Box<dyn IdSource>) -> Session {
        let (thread_id, history, thread_usage, resumed) = match &cfg.resume {
            Some(r) => (r.thread_id.clone(), r.history.clone(), r.thread_usage, true),
            None => (
                cfg.thread_id
                    .clone()
                    .unwrap_or_else(|| ids.uuid_v7(cfg.start_ms)),
                Vec::new(),
                TokenUsage::default(),
                false,
            ),
        };
        let window_id = ids.uuid_v7(cfg.start_ms);
        let prefix = if cfg.model.instructions_field {
            Vec::new()
        } else {
            vec![cfg.context.base_message()]
        };
        let advertised = cfg.tools.iter().map(|t| t.name().to_string()).collect();
        Session {
            cfg,
            ids,
            thread_id,
            window_id,
            prefix,
            history,
            advertised,
            out: VecDeque::new(),
            rollout: RolloutCounters::default(),
            thread_usage,
            exec_items: 0,
            turns: 0,
            resumed,
            turn: None,
            fatal: None,
            next_id: 1,
        }
    }

    pub fn thread_id(&self) -> &str {
        &self.thread_id
    }

    /// Model-visible history recorded so far (without the base-instruction prefix).
    pub fn history(&self) -> &[ResponseItem] {
        &self.history
    }

    pub fn is_idle(&self) -> bool {
        self.turn.is_none()
    }

    /// Feeds one input. Afterwards drain [`Session::poll`] until it returns `None`.
    pub fn handle(&mut self, now: u64, input: Input) -> Result<(), SessionError> {
        if let Some(msg) = &self.fatal {
            return Err(SessionError::Fatal(msg.clone()));
        }
        match input {
            Input::Submit(_) if self.turn.is_some() => return Err(SessionError::Busy),
            Input::Submit(turn) => self.start_turn(now, turn),
            Input::Steer(text) => match &mut self.turn {
                Some(t) => t.pending_input.push(ResponseItem::user_text(None, text)),
                None => self.start_turn(now, UserTurn::text(text)),
            },
            Input::Model(id, event) if self.phase() == Some(Phase::Sampling(id)) => {
                self.on_model_event(now, event)
            }
            Input::ModelFailed(id, err) if self.phase() == Some(Phase::Sampling(id)) => {
                let disposition = retry::classify_model_error(&err);
                self.on_failure(now, disposition, Some(err))
            }
            Input::ToolDone(call_id, output) => self.on_tool_done(now, &call_id, output),
            Input::Timer(id) if self.phase() == Some(Phase::Backoff(id)) => self.sample(),
            Input::Interrupt if self.turn.is_some() => self.interrupt(now),
            // Stale request ids, stale timers, interrupts between turns: nothing to do.
            Input::Model(..) | Input::ModelFailed(..) | Input::Timer(_) | Input::Interrupt => {}
        }
        Ok(())
    }

    /// The next effect, in the order the machine produced them.
    pub fn poll(&mut self) -> Option<Effect> {
        self.out.pop_front()
    }

    fn phase(&self) -> Option<Phase> {
        self.turn.as_ref().map(|t| t.phase)
    }

    fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn record(&mut self, now: u64, item: RolloutItem) {
        let line = self.rollout.line(now, item);
        self.out.push_back(Effect::Record(Box::new(line)));
    }

    fn emit(&mut self, event: ThreadEvent) {
        self.out.push_back(Effect::Emit(event));
    }

    fn next_exec_item(&mut self) -> String {
        let id = format!("item_{}", self.exec_items);
        self.exec_items += 1;
        id
    }

    /// Appends an item to history and records it.
    fn push_history(&mut self, now: u64, item: ResponseItem, counts_as_input: bool) {
        let turn_id = self.turn.as_ref().map_or("", |t| t.id.as_str()).to_string();
        let line = self
            .rollout
            .response_item(now, &item, &turn_id, counts_as_input);
        self.out.push_back(Effect::Record(Box::new(line)));
        self.history.push(item);
    }

    // ---- the turn loop -------------------------------------------------------------------

    fn start_turn(&mut self, now: u64, user: UserTurn) {
        let turn_id = self.ids.uuid_v7(now);
        let first = self.turns == 0;
        self.turns += 1;
        self.turn = Some(Turn {
            id: turn_id.clone(),
            started_ms: now,
            first_token_ms: None,
            usage: TokenUsage::default(),
            last_usage: TokenUsage::default(),
            requests: 0,
            last_agent_message: None,
            pending_input: Vec::new(),
            phase: Phase::Tools,
            step: Step::default(),
            request_retries: 0,
            stream_retries: 0,
            todo: None,
        });
        if first && !self.resumed {
            let meta = ev::session_meta(&self.cfg, &self.thread_id, &self.window_id, now);
            self.record(now, meta);
        }
        if first && self.resumed {
            let settings = ev::thread_settings_applied(&self.cfg, &self.thread_id);
            self.record(now, settings);
        }
        let started = ev::task_started(&self.cfg, &turn_id, now);
        self.record(now, started);
        if first && !self.resumed {
            let (dev, env) = (self.ids.uuid_v7(now), self.ids.uuid_v7(now));
            let items = self
                .cfg
                .context
                .recorded_items(format!("msg_{dev}"), format!("msg_{env}"));
            for item in items {
                self.push_history(now, item, false);
            }
        }
        let ctx = ev::turn_context(&self.cfg, &turn_id);
        self.record(now, ctx);
        if first && !self.resumed {
            let settings = ev::thread_settings_applied(&self.cfg, &self.thread_id);
            self.record(now, settings);
        }
        let mut content = vec![ContentItem::InputText {
            text: user.text.clone(),
        }];
        content.extend(user.images.iter().map(|url| ContentItem::InputImage {
            image_url: url.clone(),
            detail: None,
        }));
        let msg_id = format!("msg_{}", self.ids.uuid_v7(now));
        self.push_history(
            now,
            ResponseItem::message(Some(msg_id), "user", content),
            true,
        );
        let item = json!({"type": "UserMessage", "id": self.ids.uuid_v7(now),
            "content": [{"type": "text", "text": user.text, "text_elements": []}]});
        let done = ev::item_completed(&self.thread_id, &turn_id, item, now, now);
        self.record(now, done);
        if first {
            self.emit(ThreadEvent::ThreadStarted {
                thread_id: self.thread_id.clone(),
            });
        }
        self.emit(ThreadEvent::TurnStarted {});
        self.sample();
    }

    /// Sends the next request: the whole history, every time.
    fn sample(&mut self) {
        let request_id = self.fresh_id();
        let turn = self.turn.as_mut().expect("sampling needs a turn");
        turn.phase = Phase::Sampling(request_id);
        turn.requests += 1;
        turn.step.partial.clear();
        turn.step.calls.clear();
        let ids = TurnIds {
            thread_id: &self.thread_id,
            turn_id: &turn.id,
            context_window_id: &self.window_id,
            turn_started_at_ms: turn.started_ms,
            resumed: self.resumed,
        };
        let (body, headers) = request::build_request(&self.cfg, &self.prefix, &self.history, &ids);
        self.rollout.mark_sampled();
        self.out.push_back(Effect::SendRequest {
            request_id,
            body,
            headers,
        });
    }

    fn on_model_event(&mut self, now: u64, event: ResponseEvent) {
        let turn = self.turn.as_mut().expect("phase implies a turn");
        match event {
            ResponseEvent::OutputItemAdded {
                item: ResponseItem::Message(m),
            } => {
                turn.step
                    .partial
                    .push((m.id.unwrap_or_default(), String::new()));
            }
            ResponseEvent::OutputTextDelta { item_id, delta } => {
                turn.first_token_ms.get_or_insert(now);
                if let Some((_, text)) = turn.step.partial.iter_mut().find(|(id, _)| *id == item_id)
                {
                    text.push_str(&delta);
                }
            }
            ResponseEvent::OutputItemDone { item } => {
                turn.first_token_ms.get_or_insert(now);
                self.on_output_item(now, item);
            }
            ResponseEvent::Completed {
                response_id,
                usage,
                end_turn,
            } => self.on_completed(now, response_id, usage.unwrap_or_default(), end_turn),
            ResponseEvent::Failed { error, .. } => {
                let disposition = retry::classify_failed(&error);
                self.on_failure(now, disposition, None)
            }
            ResponseEvent::Incomplete { reason, .. } => self.fail_turn(
                now,
                format!("Incomplete response returned, reason: {reason}"),
                ErrorInfo::Other,
            ),
            _ => {}
        }
    }

    fn on_output_item(&mut self, now: u64, item: ResponseItem) {
        let turn = self.turn.as_mut().expect("phase implies a turn");
        if is_tool_call(&item) || !turn.step.calls.is_empty() {
            turn.step.calls.push(item);
            return;
        }
        self.record_output_item(now, item);
    }

    /// Records a finished output item that is not a tool call, with its events.
    fn record_output_item(&mut self, now: u64, item: ResponseItem) {
        let turn = self.turn.as_mut().expect("phase implies a turn");
        let turn_id = turn.id.clone();
        match &item {
            ResponseItem::Message(m) if m.role == "assistant" => {
                let text = item.assistant_text().unwrap_or_default();
                let id = m.id.clone().unwrap_or_default();
                turn.step.partial.retain(|(pid, _)| *pid != id);
                turn.last_agent_message = Some(text.clone());
                let payload = json!({"type": "AgentMessage", "id": id, "content": [{"type": "Text", "text": text}]});
                let done = ev::item_completed(&self.thread_id, &turn_id, payload, now, now);
                self.record(now, done);
                let exec_id = self.next_exec_item();
                self.emit(ThreadEvent::ItemCompleted {
                    item: ThreadItem {
                        id: exec_id,
                        details: D::AgentMessage { text },
                    },
                });
            }
            ResponseItem::Reasoning(r) => {
                let summary: Vec<String> = r
                    .summary
                    .iter()
                    .filter_map(|s| match s {
                        crate::protocol::response_item::ReasoningSummary::SummaryText { text } => {
                            Some(text.clone())
                        }
                        _ => None,
                    })
                    .collect();
                let payload = json!({"type": "Reasoning", "id": r.id, "summary_text": summary, "raw_content": []});
                let done = ev::item_completed(&self.thread_id, &turn_id, payload, now, now);
                self.record(now, done);
                if !summary.is_empty() {
                    let exec_id = self.next_exec_item();
                    self.emit(ThreadEvent::ItemCompleted {
                        item: ThreadItem {
                            id: exec_id,
                            details: D::Reasoning {
                                text: summary.join("\n\n"),
                            },
                        },
                    });
                }
            }
            ResponseItem::WebSearchCall(w) => {
                let query = w
                    .action
                    .as_ref()
                    .and_then(|a| a.get("query"))
                    .and_then(|q| q.as_str())
                    .unwrap_or_default()
                    .to_string();
                let exec_id = self.next_exec_item();
                self.emit(ThreadEvent::ItemCompleted {
                    item: ThreadItem {
                        id: exec_id,
                        details: D::WebSearch { query },
                    },
                });
            }
            _ => {}
        }
        self.push_history(now, item, true);
    }

    fn on_completed(
        &mut self,
        now: u64,
        response_id: String,
        usage: TokenUsage,
        end_turn: Option<bool>,
    ) {
        let turn = self.turn.as_mut().expect("phase implies a turn");
        turn.phase = Phase::Tools;
        turn.request_retries = 0;
        turn.stream_retries = 0;
        let held = std::mem::take(&mut turn.step.calls);
        for item in held {
            if !is_tool_call(&item) {
                self.record_output_item(now, item);
                continue;
            }
            let c = tool_call::classify(
                &item,
                &self.advertised,
                &self.cfg.shell,
                &self.cfg.context.environment.cwd,
            );
            self.push_history(now, item, true);
            if let Some(c) = c {
                self.turn.as_mut().expect("turn").step.batch.push(c);
            }
        }
        let turn = self.turn.as_mut().expect("turn");
        turn.usage = turn.usage.add(&usage);
        turn.last_usage = usage;
        self.thread_usage = self.thread_usage.add(&usage);
        let record = RolloutItem::TokenUsageRecord(crate::protocol::rollout::TokenUsageRecord {
            thread_id: self.thread_id.clone(),
            turn_id: turn.id.clone(),
            session_id: self.thread_id.clone(),
            root_turn_id: turn.id.clone(),
            response_id,
            usage,
            turn_token_usage: turn.usage,
            thread_token_usage: self.thread_usage,
            extra: Extra::new(),
        });
        let needs_follow_up = !turn.pending_input.is_empty() || end_turn == Some(false);
        let has_calls = !turn.step.batch.is_empty();
        self.record(now, record);
        if has_calls {
            self.run_tools(now);
        } else if needs_follow_up {
            self.follow_up(now);
        } else {
            self.finish_turn(now, TurnStatus::Completed, None);
        }
    }

    /// Appends finished outputs in call order, then starts what may start now.
    fn run_tools(&mut self, now: u64) {
        if self.flush_outputs(now) {
            return;
        }
        let turn = self.turn.as_mut().expect("turn");
        let released = turn.step.batch.release();
        for i in released {
            let turn = self.turn.as_mut().expect("turn");
            let slot = &turn.step.batch.slots[i];
            let (call, exclusive, view) = (
                slot.call.call.clone(),
                slot.call.exclusive,
                slot.call.view.clone(),
            );
            let started = match view {
                CallView::Command { display, .. } => Some(D::CommandExecution {
                    command: display,
                    aggregated_output: String::new(),
                    exit_code: None,
                    status: ItemStatus::InProgress,
                }),
                CallView::FileChange { changes } => Some(D::FileChange {
                    changes,
                    status: ItemStatus::InProgress,
                }),
                CallView::Plan { items } => {
                    let existing = turn.todo.as_ref().map(|(id, _)| id.clone());
                    let id = existing
                        .clone()
                        .unwrap_or_else(|| format!("item_{}", self.exec_items));
                    if existing.is_none() {
                        self.exec_items += 1;
                    }
                    let turn = self.turn.as_mut().expect("turn");
                    turn.todo = Some((id.clone(), items.clone()));
                    let item = ThreadItem {
                        id,
                        details: D::TodoList { items },
                    };
                    self.emit(if existing.is_some() {
                        ThreadEvent::ItemUpdated { item }
                    } else {
                        ThreadEvent::ItemStarted { item }
                    });
                    None
                }
                CallView::Hidden => None,
            };
            if let Some(details) = started {
                let id = self.next_exec_item();
                self.turn.as_mut().expect("turn").step.batch.slots[i].exec_item_id =
                    Some(id.clone());
                self.emit(ThreadEvent::ItemStarted {
                    item: ThreadItem { id, details },
                });
            }
            self.out.push_back(Effect::RunTool { call, exclusive });
        }
    }

    fn on_tool_done(&mut self, now: u64, call_id: &str, output: ToolOutput) {
        let Some(turn) = self.turn.as_mut() else {
            return;
        };
        let Some(i) = turn.step.batch.finish(call_id, output.clone()) else {
            return;
        };
        let slot = &turn.step.batch.slots[i];
        if let (Some(id), Some(details)) = (
            slot.exec_item_id.clone(),
            finished_view(&slot.call, &output),
        ) {
            self.emit(ThreadEvent::ItemCompleted {
                item: ThreadItem { id, details },
            });
        }
        self.run_tools(now);
    }

    /// Appends every output that is next in call order; once all are in, samples again (and
    /// returns true).
    fn flush_outputs(&mut self, now: u64) -> bool {
        loop {
            let turn = self.turn.as_mut().expect("turn");
            let Some((i, output)) = turn.step.batch.take_flushable() else {
                break;
            };
            let call = turn.step.batch.slots[i].call.clone();
            let turn_id = turn.id.clone();
            let cwd = &self.cfg.context.environment.cwd;
            if let Some(payload) = completed_payload(&call, &output, cwd) {
                let done = ev::item_completed(&self.thread_id, &turn_id, payload, now, now);
                self.record(now, done);
            }
            let out_id = self.ids.uuid_v7(now);
            let item = output_item(&call, output, out_id);
            self.push_history(now, item, false);
        }
        let turn = self.turn.as_ref().expect("turn");
        if !turn.step.batch.all_flushed() {
            return false;
        }
        self.turn.as_mut().expect("turn").step.batch = ToolBatch::default();
        self.follow_up(now);
        true
    }

    /// After tool outputs or with pending input: report usage, append input, sample again.
    fn follow_up(&mut self, now: u64) {
        let turn = self.turn.as_mut().expect("turn");
        let pending = std::mem::take(&mut turn.pending_input);
        let count = ev::token_count(
            self.thread_usage,
            turn.last_usage,
            self.cfg.model.context_window,
        );
        self.record(now, count);
        for item in pending {
            self.push_history(now, item, true);
        }
        self.sample();
    }

    fn on_failure(&mut self, now: u64, disposition: Disposition, err: Option<ModelError>) {
        let policy = self.cfg.retry;
        let turn = self.turn.as_mut().expect("phase implies a turn");
        let (delay, notice) = match disposition {
            Disposition::Fatal { message, info } => return self.fail_turn(now, message, info),
            Disposition::RetryRequest { delay_ms } => {
                if turn.request_retries >= policy.request_max_retries {
                    let (message, info) =
                        retry::request_retries_exhausted(&err.unwrap_or(ModelError::StreamClosed));
                    return self.fail_turn(now, message, info);
                }
                turn.request_retries += 1;
                (
                    delay_ms.unwrap_or_else(|| {
                        policy.backoff_ms(turn.request_retries, self.ids.unit())
                    }),
                    None,
                )
            }
            Disposition::RetryStream { delay_ms, reason } => {
                if turn.stream_retries >= policy.stream_max_retries {
                    return self.fail_turn(now, reason, ErrorInfo::Other);
                }
                turn.stream_retries += 1;
                let n = turn.stream_retries;
                let notice = format!(
                    "Reconnecting... {n}/{} ({reason})",
                    policy.stream_max_retries
                );
                (
                    delay_ms.unwrap_or_else(|| policy.backoff_ms(n, self.ids.unit())),
                    Some(notice),
                )
            }
        };
        // A broken stream keeps what the model already said (Codex resends the partial message).
        let turn = self.turn.as_mut().expect("turn");
        let partial = std::mem::take(&mut turn.step.partial);
        turn.step.calls.clear();
        for (id, text) in partial.into_iter().filter(|(_, t)| !t.is_empty()) {
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
            self.push_history(now, msg, true);
        }
        if let Some(message) = notice {
            self.emit(ThreadEvent::Error { message });
        }
        let timer = self.fresh_id();
        self.turn.as_mut().expect("turn").phase = Phase::Backoff(timer);
        self.out.push_back(Effect::SetTimer {
            id: timer,
            at_ms: now + delay,
        });
    }

    fn interrupt(&mut self, now: u64) {
        let turn = self.turn.as_mut().expect("checked by caller");
        if let Phase::Sampling(request_id) = turn.phase {
            self.out.push_back(Effect::CancelRequest { request_id });
        }
        let turn = self.turn.as_mut().expect("turn");
        for call_id in turn.step.batch.running_ids() {
            self.out.push_back(Effect::CancelTool { call_id });
        }
        // Every recorded call still gets exactly one output, in call order.
        let turn = self.turn.as_mut().expect("turn");
        for slot in &mut turn.step.batch.slots {
            if matches!(slot.state, SlotState::Queued | SlotState::Running) {
                slot.state = SlotState::Done(ToolOutput::text("aborted", false));
            }
        }
        loop {
            let turn = self.turn.as_mut().expect("turn");
            let Some((i, output)) = turn.step.batch.take_flushable() else {
                break;
            };
            let call = turn.step.batch.slots[i].call.clone();
            let out_id = self.ids.uuid_v7(now);
            self.push_history(now, output_item(&call, output, out_id), false);
        }
        let turn_id = self.turn.as_ref().expect("turn").id.clone();
        self.record(now, ev::turn_aborted(&turn_id));
        self.emit(ThreadEvent::TurnFailed {
            error: ThreadError {
                message: "turn interrupted".into(),
            },
        });
        self.finish_turn(now, TurnStatus::Interrupted, None);
    }

    fn fail_turn(&mut self, now: u64, message: String, info: ErrorInfo) {
        self.emit(ThreadEvent::Error {
            message: message.clone(),
        });
        self.emit(ThreadEvent::TurnFailed {
            error: ThreadError {
                message: message.clone(),
            },
        });
        self.fatal = Some(message.clone());
        self.finish_turn(
            now,
            TurnStatus::Failed {
                message: message.clone(),
            },
            Some((message, info)),
        );
    }

    fn finish_turn(&mut self, now: u64, status: TurnStatus, error: Option<(String, ErrorInfo)>) {
        let turn = self.turn.take().expect("finishing needs a turn");
        if status == TurnStatus::Completed {
            if let Some((id, items)) = turn.todo.clone() {
                self.emit(ThreadEvent::ItemCompleted {
                    item: ThreadItem {
                        id,
                        details: D::TodoList { items },
                    },
                });
            }
            let count = ev::token_count(
                self.thread_usage,
                turn.last_usage,
                self.cfg.model.context_window,
            );
            self.record(now, count);
        }
        if status != TurnStatus::Interrupted {
            let timing = ev::TurnTiming {
                started_ms: turn.started_ms,
                now_ms: now,
                first_token_ms: turn.first_token_ms,
            };
            let last = if error.is_some() {
                None
            } else {
                turn.last_agent_message.clone()
            };
            let complete =
                ev::task_complete(&turn.id, last, error.map(|(m, i)| (m, i.as_str())), timing);
            self.record(now, complete);
        }
        if status == TurnStatus::Completed {
            self.emit(ThreadEvent::TurnCompleted {
                usage: ExecUsage::from(&self.thread_usage),
            });
        }
        self.out.push_back(Effect::TurnDone(TurnOutcome {
            status,
            last_agent_message: turn.last_agent_message,
            turn_usage: turn.usage,
            thread_usage: self.thread_usage,
            requests: turn.requests,
        }));
    }
}

/// Whether an output item is a call that needs an output (a `local_shell_call` may lack a
/// `call_id`; its `id` answers for it).
fn is_tool_call(item: &ResponseItem) -> bool {
    matches!(
        item,
        ResponseItem::FunctionCall(_)
            | ResponseItem::CustomToolCall(_)
            | ResponseItem::LocalShellCall(_)
    )
}

/// The `--json` item a finished call completes, if it has one.
fn finished_view(call: &ClassifiedCall, output: &ToolOutput) -> Option<D> {
    let status = if output.success {
        ItemStatus::Completed
    } else {
        ItemStatus::Failed
    };
    match (&call.view, &output.details) {
        (CallView::Command { display, .. }, details) => {
            let (aggregated_output, exit_code) = match details {
                ToolDetails::Command {
                    aggregated_output,
                    exit_code,
                    ..
                } => (aggregated_output.clone(), *exit_code),
                _ => (output.payload.to_text(), None),
            };
            let status = if exit_code == Some(0) {
                ItemStatus::Completed
            } else {
                ItemStatus::Failed
            };
            Some(D::CommandExecution {
                command: display.clone(),
                aggregated_output,
                exit_code,
                status,
            })
        }
        (CallView::FileChange { changes }, _) => Some(D::FileChange {
            changes: changes.clone(),
            status,
        }),
        _ => None,
    }
}

/// The rollout `item_completed` payload for a finished call (commands and patches).
fn completed_payload(
    call: &ClassifiedCall,
    output: &ToolOutput,
    cwd: &str,
) -> Option<serde_json::Value> {
    let status = if output.success {
        "completed"
    } else {
        "failed"
    };
    match (&call.view, &output.details) {
        (
            CallView::Command { argv, .. },
            ToolDetails::Command {
                aggregated_output,
                exit_code,
                duration_ms,
                process_id,
            },
        ) => Some(json!({
            "type": "CommandExecution", "id": call.call.call_id, "process_id": process_id,
            "command": argv, "cwd": format!("file://{cwd}"), "parsed_cmd": [], "source": "unified_exec_startup",
            "status": if *exit_code == Some(0) { "completed" } else { "failed" },
            "aggregated_output": aggregated_output, "exit_code": exit_code,
            "duration": {"secs": duration_ms / 1000, "nanos": (duration_ms % 1000) * 1_000_000},
        })),
        (CallView::FileChange { .. }, ToolDetails::Patch { changes }) => {
            let changes: Vec<_> = changes
                .iter()
                .map(|c| json!({"path": c.path, "kind": c.kind, "unified_diff": c.unified_diff}))
                .collect();
            Some(
                json!({"type": "FileChange", "id": call.call.call_id, "changes": changes, "status": status}),
            )
        }
        _ => None,
    }
}

/// The history item answering a call.
fn output_item(call: &ClassifiedCall, output: ToolOutput, uuid: String) -> ResponseItem {
    let call_id = call.call.call_id.clone();
    if call.freeform {
        ResponseItem::CustomToolCallOutput(CustomToolCallOutputItem {
            id: Some(format!("ctco_{uuid}")),
            call_id,
            output: output.payload,
            extra: Extra::new(),
        })
    } else {
        ResponseItem::FunctionCallOutput(FunctionCallOutputItem {
            id: Some(format!("fco_{uuid}")),
            call_id,
            output: output.payload,
            extra: Extra::new(),
        })
    }
}
