//! Compaction: when a thread's history grows too long, one summary request (no tools) asks the
//! model for a handoff summary, and the history is replaced by the recent user messages, a fresh
//! initial context and that summary. Manual (`Input::Compact`, between turns), automatic (the
//! last response's `total_tokens` reached the auto-compact limit), and, if enabled, once after a
//! context-window failure before the turn gives up.
//!
//! Facts captured from Codex CLI 0.169.0 against `rcodex mock` (`model_auto_compact_token_limit
//! = 2000`, a reply reporting 5,000 input tokens), 2026-12-04:
//! - The summary request is a plain `POST /responses` (not `/responses/compact`), same body keys
//!   and order as a turn request, with `tools: []` and `parallel_tool_calls: false`; its input is
//!   the whole history then the summary prompt as a user message without an id. Its turn
//!   metadata has `request_kind: "compaction"`, drops `model`/`reasoning_effort` and ends with
//!   `compaction: {trigger, reason, implementation, phase, strategy}`
//!   (`"auto", "context_limit", "responses", "mid_turn"|"pre_turn", "memento"`).
//! - Auto compaction runs mid-turn (after tool outputs, before the follow-up request) and
//!   pre-turn (before the new prompt enters history, so the summary request does not carry it),
//!   when the last response's `total_tokens` reached the limit; never after a turn's last
//!   response. The following request is `window_number` + 1 (`x-codex-window-id: <thread>:N`)
//!   with a new context window id.
//! - The new history: the user messages kept (with their ids), a fresh developer and
//!   environment message inserted before the last of them, then the summary as a user message
//!   (`<summary prefix>\n<summary>`). Earlier summaries are not kept as user messages.
//! - Rollout: `token_count`, the summary answer as a `response_item`, `token_usage_record`,
//!   `token_count`, `compacted {message, replacement_history, window_number, ..}`,
//!   `turn_context`, `thread_settings_applied`, `token_count` (an estimate of the new history),
//!   `item_completed {type: ContextCompaction, id}`. `exec --json` shows nothing of it.
//! - Without `model_auto_compact_token_limit` the limit is 90 % of the catalog context window
//!   (gpt-5.5: 272,000 → 244,800; a call reporting 240,010 total tokens did not compact, one
//!   reporting 245,010 did).
//! - On `context_length_exceeded` (as `response.failed` or HTTP 400) Codex 0.169 does NOT
//!   compact: the turn fails at once. Compacting on that failure is rcodex's own, off unless
//!   [`CompactSettings::on_context_failure`] is set.
//!
//! Manual compaction's `trigger`/`reason`/`phase` values could not be captured from `codex exec`
//! (it has no compact command); the ones below are ours.

use serde_json::{json, Value};

use super::compacted_history::{estimate_tokens, replacement_history};
use super::input::UserTurn;
use super::rollout_items as items;
use super::thread::Thread;
use super::turn::{Phase, TurnEnd};
use super::TurnLoop;
use crate::ids::IdKind;
use crate::protocol::rollout::Compacted;
use crate::protocol::turn_item::{ContextCompactionItem, TurnItem};
use crate::protocol::{ResponseEvent, ResponseItem, RolloutItem, TokenUsage};

/// rcodex's own summary prompt (Codex's is upstream prose: imported at run time, never built in).
pub const DEFAULT_PROMPT: &str = "Write a handoff note for the model that will continue this \
conversation in a fresh context. Say what the user asked for, what has been done and decided, \
which files and commands matter, what is still open, and the next step. Be brief and concrete.";

/// rcodex's own line before the summary in the new history.
pub const DEFAULT_SUMMARY_PREFIX: &str =
    "Earlier work on this conversation was compacted. A summary of it follows.";

/// rcodex's key on a `compacted` line written after a context-window failure.
pub const CONTEXT_FAILURE_KEY: &str = "rcodex_after_context_failure";

/// When and with which words a thread compacts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactSettings {
    /// Compact when the last response's `total_tokens` reaches this (`None`: never on its own).
    pub auto_token_limit: Option<u64>,
    /// Compact once after a context-window failure, then retry the request (not Codex 0.169).
    pub on_context_failure: bool,
    /// The summary request's last user message.
    pub prompt: String,
    /// The line before the summary in the new history.
    pub summary_prefix: String,
}

impl Default for CompactSettings {
    fn default() -> Self {
        CompactSettings {
            auto_token_limit: None,
            on_context_failure: false,
            prompt: DEFAULT_PROMPT.into(),
            summary_prefix: DEFAULT_SUMMARY_PREFIX.into(),
        }
    }
}

/// Codex's default auto-compact limit when the config sets none: 90 % of the context window.
pub fn default_auto_limit(context_window: Option<u64>) -> Option<u64> {
    context_window.map(|w| w * 9 / 10)
}

/// Why a compaction runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactTrigger {
    /// `Input::Compact`.
    Manual,
    /// Over the limit before a new prompt.
    PreTurn,
    /// Over the limit before a follow-up request.
    MidTurn,
    /// The model refused the request as too long.
    ContextFailure,
}

impl CompactTrigger {
    /// The `compaction` object of the summary request's turn metadata.
    pub fn metadata(self) -> Value {
        let (trigger, reason, phase) = match self {
            CompactTrigger::Manual => ("manual", "user_requested", "standalone_turn"),
            CompactTrigger::PreTurn => ("auto", "context_limit", "pre_turn"),
            CompactTrigger::MidTurn => ("auto", "context_limit", "mid_turn"),
            CompactTrigger::ContextFailure => ("auto", "context_window_exceeded", "mid_turn"),
        };
        json!({
            "trigger": trigger,
            "reason": reason,
            "implementation": "responses",
            "phase": phase,
            "strategy": "memento",
        })
    }
}

/// What the turn does once the history is replaced.
#[derive(Clone, Debug, PartialEq)]
pub enum AfterCompact {
    /// Send the request the compaction came before (again).
    Sample,
    /// Record this prompt, then sample.
    Prompt(UserTurn),
    /// A manual compaction: the turn is over.
    End,
}

impl Thread {
    /// The auto-compaction check: the last response reached the limit, and the last thing the
    /// thread did was not a compaction.
    pub fn needs_compaction(&self) -> bool {
        let limit = self.cfg.compact.auto_token_limit;
        !self.just_compacted
            && !self.history.is_empty()
            && limit.is_some_and(|l| self.last_usage.total_tokens >= l)
    }

    /// Records the current usage and sends the summary request.
    pub fn send_summary_request(
        &mut self,
        now: u64,
        turn_id: &str,
        turn_started_ms: u64,
        trigger: CompactTrigger,
    ) -> super::input::RequestId {
        let window = self.cfg.model.context_window;
        self.record(now, items::token_count(self.usage, self.last_usage, window));
        let prompt = ResponseItem::user_text(None, self.cfg.compact.prompt.clone());
        self.send(
            turn_id,
            turn_started_ms,
            Some(prompt),
            Some(trigger.metadata()),
        )
    }

    /// Opens a turn that compacts before anything else (manual, or pre-turn): what
    /// `record_turn_start` writes before the context, and the turn's `--json` start.
    pub fn record_compaction_turn_start(&mut self, now: u64, turn_id: &str) {
        let first = self.open_turn(now, turn_id);
        if first {
            self.emit(crate::protocol::ThreadEvent::ThreadStarted {
                thread_id: self.id.clone(),
            });
        }
        self.emit(crate::protocol::ThreadEvent::TurnStarted {
            turn_id: Some(turn_id.to_string()),
        });
    }

    /// Replaces the history with the summary and writes the lines Codex writes after it.
    /// Returns the estimated usage of the new history.
    pub fn replace_history(
        &mut self,
        now: u64,
        turn_id: &str,
        summary: &str,
        trigger: CompactTrigger,
    ) -> TokenUsage {
        // The context messages again, each with a fresh id (a replayed context keeps its
        // recorded ids otherwise).
        let mut context = self
            .cfg
            .context
            .recorded_items(String::new(), String::new());
        for item in &mut context {
            if let ResponseItem::Message(m) = item {
                m.id = Some(self.ids.id(IdKind::CompactedContext, now));
            }
        }
        let message = format!("{}\n{}", self.cfg.compact.summary_prefix, summary);
        let summary_id = self.ids.id(IdKind::CompactionSummary, now);
        let summary_item = ResponseItem::user_text(Some(summary_id), message.clone());
        let prefix = &self.cfg.compact.summary_prefix;
        let replacement = replacement_history(&self.history, context, summary_item, prefix);
        self.window_number += 1;
        let mut extra = crate::protocol::response_item::Extra::new();
        extra.insert("window_number".into(), json!(self.window_number));
        if trigger == CompactTrigger::ContextFailure {
            // rcodex's own key (Codex 0.169 never compacts on a failure): replay reads it.
            extra.insert(CONTEXT_FAILURE_KEY.into(), json!(true));
        }
        self.record(
            now,
            RolloutItem::Compacted(Compacted {
                message,
                replacement_history: Some(replacement.clone()),
                extra,
            }),
        );
        self.history = replacement;
        self.window_id = self.ids.id(IdKind::ContextWindow, now);
        self.record(now, items::turn_context(&self.cfg, turn_id));
        let settings = items::thread_settings_applied(&self.cfg, &self.id);
        self.record(now, settings);
        let estimate = TokenUsage {
            total_tokens: estimate_tokens(&self.prefix) + estimate_tokens(&self.history),
            ..TokenUsage::default()
        };
        let window = self.cfg.model.context_window;
        self.record(now, items::token_count(self.usage, estimate, window));
        let id = self.ids.id(IdKind::CompactionItem, now);
        let item = TurnItem::ContextCompaction(ContextCompactionItem { id });
        self.record_item_completed(now, turn_id, item);
        self.last_usage = estimate;
        self.just_compacted = true;
        estimate
    }
}

impl TurnLoop<'_> {
    /// Starts a compaction inside the running turn.
    pub(super) fn compact(&mut self, trigger: CompactTrigger, then: AfterCompact) {
        let request = self.thread.send_summary_request(
            self.now,
            &self.turn.id,
            self.turn.started_ms,
            trigger,
        );
        self.turn.requests += 1;
        self.turn.phase = Phase::Compacting {
            request,
            trigger,
            summary: None,
            then,
        };
    }

    /// One stream event of the summary request.
    pub(super) fn on_summary_event(&mut self, event: ResponseEvent) -> Option<TurnEnd> {
        let Phase::Compacting { summary, .. } = &mut self.turn.phase else {
            return None;
        };
        match event {
            ResponseEvent::OutputItemDone { item } => {
                if let Some(text) = item.assistant_text() {
                    self.turn.first_token_ms.get_or_insert(self.now);
                    let line =
                        self.thread
                            .rollout
                            .response_item(self.now, &item, &self.turn.id, false);
                    self.thread
                        .push(super::effect::Effect::Record(Box::new(line)));
                    *summary = Some(text);
                }
                None
            }
            ResponseEvent::Completed {
                response_id, usage, ..
            } => {
                let phase = std::mem::replace(&mut self.turn.phase, Phase::Backoff { timer: 0 });
                let Phase::Compacting {
                    summary,
                    then,
                    trigger,
                    ..
                } = phase
                else {
                    return None;
                };
                self.add_usage(response_id, usage.unwrap_or_default());
                let window = self.thread.cfg.model.context_window;
                let count = items::token_count(self.thread.usage, self.turn.last_usage, window);
                self.thread.record(self.now, count);
                let summary = summary.unwrap_or_default();
                let estimate =
                    self.thread
                        .replace_history(self.now, &self.turn.id, &summary, trigger);
                self.turn.last_usage = estimate;
                self.turn.retries = Default::default();
                match then {
                    AfterCompact::Sample => self.sample(),
                    AfterCompact::Prompt(user) => {
                        self.thread.record_prompt(self.now, &self.turn.id, &user);
                        self.sample();
                    }
                    AfterCompact::End => return Some(TurnEnd::Completed),
                }
                None
            }
            ResponseEvent::Failed { error, .. } => {
                Some(compaction_failed(super::retry::classify_failed(&error)))
            }
            ResponseEvent::Incomplete { reason, .. } => Some(TurnEnd::Failed(super::TurnError {
                message: format!("compaction failed: incomplete response, reason: {reason}"),
                info: super::ErrorInfo::Other,
            })),
            _ => None,
        }
    }
}

/// A summary request that failed ends the turn: with the error itself when it is final, else
/// with what went wrong (rcodex does not retry a summary request).
pub(super) fn compaction_failed(disposition: super::retry::Disposition) -> TurnEnd {
    use super::retry::Disposition;
    TurnEnd::Failed(match disposition {
        Disposition::Fatal(error) => error,
        Disposition::RetryStream { reason, .. } => super::TurnError {
            message: format!("compaction failed: {reason}"),
            info: super::ErrorInfo::Other,
        },
        Disposition::RetryRequest { .. } => super::TurnError {
            message: "compaction failed: the summary request got no answer".into(),
            info: super::ErrorInfo::Other,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_limit_is_ninety_percent_of_the_window() {
        // gpt-5.5's catalog window: Codex 0.169 compacted at 245,010 tokens, not at 240,010.
        assert_eq!(default_auto_limit(Some(272_000)), Some(244_800));
        assert_eq!(default_auto_limit(None), None);
    }

    #[test]
    fn trigger_metadata_names_the_phase() {
        let m = CompactTrigger::MidTurn.metadata();
        assert_eq!(m["phase"], "mid_turn");
        assert_eq!(m["reason"], "context_limit");
        assert_eq!(CompactTrigger::PreTurn.metadata()["phase"], "pre_turn");
        let keys: Vec<_> = m.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["trigger", "reason", "implementation", "phase", "strategy"]
        );
    }
}
