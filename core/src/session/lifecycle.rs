//! What a turn writes when it starts (session header, context, the user's message) and when it
//! ends (usage, completion, abort or failure, and the outcome), in Codex 0.169's order.

use super::effect::{Effect, TurnOutcome, TurnStatus};
use super::exec_items::todo_completed;
use super::input::UserTurn;
use super::rollout_items as items;
use super::thread::Thread;
use super::turn::{Turn, TurnEnd};
use crate::ids::IdKind;
use crate::protocol::exec_event::{ExecUsage, ThreadError};
use crate::protocol::{ContentItem, ResponseItem, ThreadEvent, TokenUsage};

impl Thread {
    /// Counts a new turn and writes its opening lines: the thread's first line before its first
    /// turn (`session_meta` for a new thread, `thread_settings_applied` for a resumed one), then
    /// `task_started`. Returns whether this is the thread's first turn here.
    pub fn open_turn(&mut self, now: u64, turn_id: &str) -> bool {
        let first = self.turns == 0;
        self.turns += 1;
        if first && !self.resumed {
            let meta = items::session_meta(&self.cfg, &self.id, self.window_id(), now);
            self.record(now, meta);
        } else if first {
            let settings = items::thread_settings_applied(&self.cfg, &self.id);
            self.record(now, settings);
        }
        let started = items::task_started(&self.cfg, turn_id, now);
        self.record(now, started);
        first
    }

    /// Everything before the first request of turn `turn_id`.
    pub fn record_turn_start(&mut self, now: u64, turn_id: &str, user: &UserTurn) {
        let first = self.open_turn(now, turn_id);
        let new_thread = first && !self.resumed;
        if new_thread && !self.cfg.start_history.is_empty() {
            for item in self.cfg.start_history.clone() {
                self.push_history(now, turn_id, item, false);
            }
        } else if new_thread {
            let dev = self.ids.id(IdKind::DeveloperMessage, now);
            let env = self.ids.id(IdKind::EnvironmentMessage, now);
            let context = self.cfg.context.recorded_items(dev, env);
            for item in context {
                self.push_history(now, turn_id, item, false);
            }
        }
        let context = items::turn_context(&self.cfg, turn_id);
        self.record(now, context);
        if new_thread {
            let settings = items::thread_settings_applied(&self.cfg, &self.id);
            self.record(now, settings);
        }
        self.record_prompt(now, turn_id, user);
        if first {
            self.emit(ThreadEvent::ThreadStarted {
                thread_id: self.id.clone(),
            });
        }
        self.emit(ThreadEvent::TurnStarted {
            turn_id: Some(turn_id.to_string()),
        });
    }

    /// The user's message: into history, with its `UserMessage` item.
    pub fn record_prompt(&mut self, now: u64, turn_id: &str, user: &UserTurn) {
        let mut content = user.leading_content.clone();
        // A prompt given as parts alone (a sub-agent's `items` ending in an image) adds no text.
        if !user.text.is_empty() || content.is_empty() {
            content.push(ContentItem::InputText {
                text: user.text.clone(),
            });
        }
        content.extend(user.images.iter().map(|url| ContentItem::InputImage {
            image_url: url.clone(),
            detail: None,
        }));
        let msg_id = self.ids.id(IdKind::UserMessage, now);
        let message = ResponseItem::message(Some(msg_id), "user", content);
        self.push_history(now, turn_id, message, true);
        let item_id = self.ids.id(IdKind::UserTurnItem, now);
        self.record_item_completed(
            now,
            turn_id,
            items::user_message(item_id, user.text.clone()),
        );
    }

    /// Everything after the turn's last request or tool call, ending with `TurnDone`.
    pub fn record_turn_end(&mut self, now: u64, turn: Turn, end: TurnEnd) {
        let timing = items::TurnTiming {
            started_ms: turn.started_ms,
            now_ms: now,
            first_token_ms: turn.first_token_ms,
        };
        let status = match end {
            TurnEnd::Completed => {
                if let Some(todo) = turn.todo {
                    self.emit(todo_completed(todo));
                }
                let window = self.cfg.model.context_window;
                self.record(now, items::token_count(self.usage, turn.last_usage, window));
                let last = turn.last_agent_message.clone();
                let ids = (turn.id.as_str(), self.cfg.root_turn_id(&turn.id));
                let complete = items::task_complete(ids, last, None, timing);
                self.record(now, complete);
                let requests: Vec<ExecUsage> = turn.request_usage.iter().map(Into::into).collect();
                self.emit(ThreadEvent::TurnCompleted {
                    usage: ExecUsage::from(&self.usage),
                    turn_id: Some(turn.id.clone()),
                    last_usage: requests.last().copied(),
                    requests: Some(requests),
                });
                TurnStatus::Completed
            }
            TurnEnd::Interrupted => {
                // Codex 0.169 (captured): usage if a response completed, the marker message,
                // then `turn_aborted`.
                if turn.usage != TokenUsage::default() {
                    let window = self.cfg.model.context_window;
                    self.record(now, items::token_count(self.usage, turn.last_usage, window));
                }
                if let Some(text) = self.cfg.interrupt_marker.clone() {
                    let id = self.ids.id(IdKind::InterruptMarker, now);
                    let marker = items::interrupt_marker(id, &text);
                    self.push_history(now, &turn.id, marker, false);
                }
                self.record(now, items::turn_aborted(&turn.id, timing));
                for item in turn.aborted_items {
                    self.record_item_completed(now, &turn.id, item);
                }
                self.emit(ThreadEvent::TurnFailed {
                    error: ThreadError {
                        message: "turn interrupted".into(),
                    },
                    turn_id: Some(turn.id.clone()),
                });
                TurnStatus::Interrupted
            }
            TurnEnd::Failed(error) => {
                let message = error.message.clone();
                self.emit(ThreadEvent::Error {
                    message: message.clone(),
                });
                self.emit(ThreadEvent::TurnFailed {
                    error: ThreadError {
                        message: message.clone(),
                    },
                    turn_id: Some(turn.id.clone()),
                });
                let ids = (turn.id.as_str(), self.cfg.root_turn_id(&turn.id));
                let complete = items::task_complete(ids, None, Some(&error), timing);
                self.record(now, complete);
                TurnStatus::Failed { message }
            }
        };
        self.push(Effect::TurnDone(TurnOutcome {
            status,
            last_agent_message: turn.last_agent_message,
            turn_usage: turn.usage,
            thread_usage: self.usage,
            requests: turn.requests,
        }));
    }
}
