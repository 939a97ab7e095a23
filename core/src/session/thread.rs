//! What a session keeps across turns: its config and id source, the model-visible history, the
//! rollout counters, the thread's usage, the `--json` item counter, and the outbox of effects.
//! The turn loop writes everything through here.

use std::collections::VecDeque;

use super::config::SessionConfig;
use super::effect::Effect;
use super::exec_items::ExecItems;
use super::goals::GoalState;
use super::input::RequestId;
use super::records::RolloutCounters;
use super::request::{self, TurnIds};
use super::rollout_items::item_completed;
use crate::ids::{IdKind, IdSource};
use crate::protocol::{ResponseItem, RolloutItem, ThreadEvent, TokenUsage, ToolSpec, TurnItem};

pub struct Thread {
    pub cfg: SessionConfig,
    pub ids: Box<dyn IdSource>,
    pub id: String,
    pub window_id: String,
    /// Compactions so far (the window number the headers carry).
    pub window_number: u64,
    /// Usage of the last response (after a compaction: the estimate of the new history); the
    /// auto-compaction check reads its total.
    pub last_usage: TokenUsage,
    /// A compaction was the last thing sent: the next may only follow a sampled response.
    pub just_compacted: bool,
    /// Sent before the history on every request (the base instructions as a message).
    pub prefix: Vec<ResponseItem>,
    pub history: Vec<ResponseItem>,
    /// Names of the tools the requests advertise.
    pub advertised: Vec<String>,
    out: VecDeque<Effect>,
    pub rollout: RolloutCounters,
    pub usage: TokenUsage,
    pub exec_items: ExecItems,
    /// Turns started so far.
    pub turns: u64,
    pub resumed: bool,
    /// Request and timer ids.
    next_id: u64,
    /// The thread's goal (`create_goal` and friends), restored from a resumed history.
    pub goal: GoalState,
}

impl Thread {
    pub fn new(mut cfg: SessionConfig, mut ids: Box<dyn IdSource>) -> Thread {
        let dynamic = cfg.dynamic_tools.iter().filter(|t| !t.defer_loading);
        let dynamic: Vec<ToolSpec> = dynamic
            .map(|t| ToolSpec::Function {
                name: t.name.clone(),
                description: t.description.clone(),
                strict: false,
                parameters: t.input_schema.clone(),
            })
            .collect();
        cfg.tools.extend(dynamic);
        let (window_number, last_usage) = cfg
            .resume
            .as_ref()
            .map(|r| (r.window_number, r.last_usage))
            .unwrap_or_default();
        let (id, history, usage, resumed) = match &cfg.resume {
            Some(r) => (r.thread_id.clone(), r.history.clone(), r.thread_usage, true),
            None => (
                cfg.thread_id
                    .clone()
                    .unwrap_or_else(|| ids.id(IdKind::Thread, cfg.start_ms)),
                Vec::new(),
                TokenUsage::default(),
                false,
            ),
        };
        let window_id = ids.id(IdKind::ContextWindow, cfg.start_ms);
        let update_plan = cfg.tools.iter().any(|t| t.name() == "update_plan");
        let prefix = if cfg.model.instructions_field {
            Vec::new()
        } else {
            vec![cfg.context.base_message(update_plan)]
        };
        let advertised = cfg.tools.iter().map(|t| t.name().to_string()).collect();
        let goal = GoalState::restore(&history, usage.total_tokens, cfg.start_ms);
        Thread {
            cfg,
            ids,
            id,
            window_id,
            window_number,
            last_usage,
            just_compacted: false,
            prefix,
            history,
            advertised,
            out: VecDeque::new(),
            rollout: RolloutCounters::default(),
            usage,
            exec_items: ExecItems::default(),
            turns: 0,
            resumed,
            next_id: 1,
            goal,
        }
    }

    pub fn window_id(&self) -> &str {
        &self.window_id
    }

    pub fn push(&mut self, effect: Effect) {
        self.out.push_back(effect);
    }

    pub fn pop(&mut self) -> Option<Effect> {
        self.out.pop_front()
    }

    /// A fresh request or timer id.
    pub fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn record(&mut self, now: u64, item: RolloutItem) {
        let line = self.rollout.line(now, item);
        self.push(Effect::Record(Box::new(line)));
    }

    pub fn record_item_completed(&mut self, now: u64, turn_id: &str, item: TurnItem) {
        let line = item_completed(&self.id, turn_id, item, now);
        self.record(now, line);
    }

    pub fn emit(&mut self, event: ThreadEvent) {
        self.push(Effect::Emit(event));
    }

    /// Appends an item to history and records it.
    pub fn push_history(
        &mut self,
        now: u64,
        turn_id: &str,
        item: ResponseItem,
        counts_as_input: bool,
    ) {
        let line = self
            .rollout
            .response_item(now, &item, turn_id, counts_as_input);
        self.push(Effect::Record(Box::new(line)));
        self.history.push(item);
    }

    /// Sends the whole history as the next request of turn `turn_id`.
    pub fn send_request(&mut self, turn_id: &str, turn_started_ms: u64) -> RequestId {
        self.send(turn_id, turn_started_ms, None, None)
    }

    /// Sends the history, then `extra` (a summary prompt) if given, as a request of turn
    /// `turn_id`; `compaction` marks a summary request (no tools, its turn metadata).
    pub fn send(
        &mut self,
        turn_id: &str,
        turn_started_ms: u64,
        extra: Option<ResponseItem>,
        compaction: Option<serde_json::Value>,
    ) -> RequestId {
        let request_id = self.fresh_id();
        let ids = TurnIds {
            thread_id: &self.id,
            turn_id,
            context_window_id: &self.window_id,
            turn_started_at_ms: turn_started_ms,
            resumed: self.resumed,
            window_number: self.window_number,
            compaction,
        };
        let history: std::borrow::Cow<[ResponseItem]> = match extra {
            Some(item) => {
                let mut all = self.history.clone();
                all.push(item);
                all.into()
            }
            None => (&self.history[..]).into(),
        };
        let (body, headers) = request::build_request(&self.cfg, &self.prefix, &history, &ids);
        self.rollout.mark_sampled();
        self.push(Effect::SendRequest {
            request_id,
            body,
            headers,
        });
        request_id
    }
}
