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
//! - On `context_length_exceeded` (as `response.failed` or HTTP 400) Codex 0.169 does NOT
//!   compact: the turn fails at once. Compacting on that failure is rcodex's own, off unless
//!   [`CompactSettings::on_context_failure`] is set.
//!
//! Manual compaction's `trigger`/`reason`/`phase` values could not be captured from `codex exec`
//! (it has no compact command); the ones below are ours.

use serde_json::{json, Value};

use super::input::UserTurn;
use super::rollout_items as items;
use super::thread::Thread;
use super::turn::{Phase, TurnEnd};
use super::TurnLoop;
use crate::ids::IdKind;
use crate::protocol::rollout::Compacted;
use crate::protocol::turn_item::{ContextCompactionItem, TurnItem};
use crate::protocol::{ContentItem, ResponseEvent, ResponseItem, RolloutItem, TokenUsage};

/// rcodex's own summary prompt (Codex's is upstream prose: imported at run time, never built in).
pub const DEFAULT_PROMPT: &str = "Write a handoff note for the model that will continue this \
conversation in a fresh context. Say what the user asked for, what has been done and decided, \
which files and commands matter, what is still open, and the next step. Be brief and concrete.";

/// rcodex's own line before the summary in the new history.
pub const DEFAULT_SUMMARY_PREFIX: &str =
    "Earlier work on this conversation was compacted. A summary of it follows.";

/// rcodex's key on a `compacted` line written after a context-window failure.
pub const CONTEXT_FAILURE_KEY: &str = "rcodex_after_context_failure";

/// How many tokens of recent user messages a compacted history keeps (Codex's limit).
pub const KEPT_USER_TOKENS: u64 = 20_000;

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

/// The history after a compaction: the user messages kept, the fresh `context` before the last
/// of them, and the summary message last.
pub fn replacement_history(
    history: &[ResponseItem],
    context: Vec<ResponseItem>,
    summary: ResponseItem,
    summary_prefix: &str,
) -> Vec<ResponseItem> {
    let mut kept = kept_user_messages(history, summary_prefix, KEPT_USER_TOKENS);
    let at = kept.len().saturating_sub(1);
    kept.splice(at..at, context);
    kept.push(summary);
    kept
}

/// The newest user messages (not context, markers or summaries) within `budget` tokens, oldest
/// first; the oldest one kept is cut to what is left of the budget.
pub fn kept_user_messages(
    history: &[ResponseItem],
    summary_prefix: &str,
    budget: u64,
) -> Vec<ResponseItem> {
    let mut left = budget;
    let mut kept = Vec::new();
    for item in history.iter().rev() {
        let Some(text) = typed_user_text(item, summary_prefix) else {
            continue;
        };
        if left == 0 {
            break;
        }
        let tokens = estimate_text_tokens(&text);
        if tokens <= left {
            left -= tokens;
            kept.push(item.clone());
        } else {
            let mut cut = (left * 4) as usize;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let id = match item {
                ResponseItem::Message(m) => m.id.clone(),
                _ => None,
            };
            kept.push(ResponseItem::user_text(id, &text[..cut]));
            left = 0;
        }
    }
    kept.reverse();
    kept
}

/// The text of a message the user typed; `None` for anything else (assistant output, the
/// environment context, AGENTS.md, interrupt markers, earlier summaries).
fn typed_user_text(item: &ResponseItem, summary_prefix: &str) -> Option<String> {
    let ResponseItem::Message(m) = item else {
        return None;
    };
    if m.role != "user" {
        return None;
    }
    let text: String = m
        .content
        .iter()
        .filter_map(|c| match c {
            ContentItem::InputText { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    const HARNESS: [&str; 5] = [
        "<environment_context>",
        "# AGENTS.md instructions",
        "<user_instructions>",
        "<turn_aborted>",
        "<skill",
    ];
    let trimmed = text.trim_start();
    if HARNESS.iter().any(|h| trimmed.starts_with(h)) || text.starts_with(summary_prefix) {
        return None;
    }
    Some(text)
}

/// Codex's rough count: four bytes a token.
pub fn estimate_text_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

/// The estimated tokens of items as sent.
pub fn estimate_tokens(items: &[ResponseItem]) -> u64 {
    items
        .iter()
        .map(|i| serde_json::to_string(i).map_or(0, |s| estimate_text_tokens(&s)))
        .sum()
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
        let first = self.turns == 0;
        self.turns += 1;
        if first && !self.resumed {
            let meta = items::session_meta(&self.cfg, &self.id, &self.window_id, now);
            self.record(now, meta);
        } else if first {
            let settings = items::thread_settings_applied(&self.cfg, &self.id);
            self.record(now, settings);
        }
        let started = items::task_started(&self.cfg, turn_id, now);
        self.record(now, started);
        if first {
            self.emit(crate::protocol::ThreadEvent::ThreadStarted {
                thread_id: self.id.clone(),
            });
        }
        self.emit(crate::protocol::ThreadEvent::TurnStarted {});
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

    fn user(id: &str, text: &str) -> ResponseItem {
        ResponseItem::user_text(Some(id.into()), text)
    }

    fn texts(items: &[ResponseItem]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                ResponseItem::Message(m) => format!(
                    "{}:{}",
                    m.role,
                    m.content
                        .iter()
                        .map(|c| match c {
                            ContentItem::InputText { text } => text.clone(),
                            ContentItem::OutputText { text, .. } => text.clone(),
                            _ => String::new(),
                        })
                        .collect::<String>()
                ),
                _ => "other".into(),
            })
            .collect()
    }

    #[test]
    fn the_new_history_keeps_typed_messages_and_puts_the_context_before_the_last() {
        let history = vec![
            ResponseItem::message(Some("d".into()), "developer", vec![]),
            user("e", "<environment_context>\n</environment_context>"),
            user("u1", "first"),
            ResponseItem::message(
                Some("a".into()),
                "assistant",
                vec![ContentItem::OutputText {
                    text: "answer".into(),
                    annotations: None,
                }],
            ),
            user("s", "PREFIX\nold summary"),
            user("u2", "second"),
        ];
        let context = vec![user(
            "ctx",
            "<environment_context>new</environment_context>",
        )];
        let out = replacement_history(&history, context, user("sum", "PREFIX\nnew"), "PREFIX");
        assert_eq!(
            texts(&out),
            [
                "user:first",
                "user:<environment_context>new</environment_context>",
                "user:second",
                "user:PREFIX\nnew"
            ]
        );
    }

    #[test]
    fn with_no_typed_message_the_context_comes_first() {
        let out = replacement_history(&[], vec![user("c", "ctx")], user("s", "P\nx"), "P");
        assert_eq!(texts(&out), ["user:ctx", "user:P\nx"]);
    }

    #[test]
    fn kept_messages_fit_the_budget_newest_first_and_the_oldest_is_cut() {
        let history = vec![
            user("1", "aaaaaaaaaaaa"),
            user("2", "bbbbbbbb"),
            user("3", "cc"),
        ];
        // 3 tokens for "bbbbbbbb"(2) + "cc"(1) leaves 1 token (4 bytes) of the first.
        let kept = kept_user_messages(&history, "P", 4);
        assert_eq!(texts(&kept), ["user:aaaa", "user:bbbbbbbb", "user:cc"]);
        let kept = kept_user_messages(&history, "P", 1);
        assert_eq!(texts(&kept), ["user:cc"]);
    }

    #[test]
    fn the_default_limit_is_ninety_percent_of_the_window() {
        assert_eq!(default_auto_limit(Some(258_400)), Some(232_560));
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
