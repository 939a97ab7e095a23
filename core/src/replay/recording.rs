//! A rollout's lines sorted into what a replay needs: the session header, the context items a
//! new thread opened with, and per turn its prompt, what the model said (response by response),
//! what each tool answered, and how the turn ended.

use std::collections::HashMap;

use serde_json::Value;

use super::{RecordedLine, ReplayError};
use crate::protocol::event_msg::{EventMsg, TaskComplete};
use crate::protocol::rollout::{Compacted, SessionMeta, TokenUsageRecord, TurnContext};
use crate::protocol::{ContentItem, ResponseItem, RolloutItem};
use crate::time::parse_rfc3339_millis;

pub struct Recording<'a> {
    pub meta: &'a SessionMeta,
    pub start_ms: u64,
    /// The developer and environment messages recorded before the first turn's prompt.
    pub context: Vec<Recorded<'a>>,
    pub turns: Vec<RecordedTurn<'a>>,
    /// The recorded answer to each call, by call id.
    pub outputs: HashMap<&'a str, Recorded<'a>>,
    /// `item_completed` items of calls (CommandExecution, FileChange), by call id.
    pub call_items: HashMap<&'a str, &'a Value>,
    /// The ids each `compacted` line's replacement drew (context messages, summary) and its
    /// `ContextCompaction` item, in order, with the (0-based) turn that drew them.
    pub compaction_ids: Vec<(usize, String)>,
    /// The latest `total_tokens` recorded (a response's usage, or a `token_count`), and its
    /// value when the latest model output item began (before a summary: what triggered it).
    last_total: Option<u64>,
    total_before_output: Option<u64>,
    /// Settings applied since the last turn ended (a resume, when a turn follows).
    settings_applied: bool,
}

/// A response item and its line.
#[derive(Clone, Copy)]
pub struct Recorded<'a> {
    pub line: usize,
    pub item: &'a ResponseItem,
    /// The line's `metadata.sampled_through_sequence`: items of one response share it.
    pub sampled_through: Option<u64>,
}

pub struct RecordedTurn<'a> {
    pub id: &'a str,
    pub line: usize,
    /// A later process resumed the thread for this turn (its settings were applied again
    /// between the previous turn's end and this one's start).
    pub resumed: bool,
    pub started_ms: u64,
    pub context: Option<&'a TurnContext>,
    /// The user's message that opened the turn.
    pub prompt: Option<Recorded<'a>>,
    /// The id of its `UserMessage` turn item.
    pub prompt_item_id: Option<String>,
    /// Every response item after the prompt, and each response's usage line, in file order.
    pub lines: Vec<TurnLine<'a>>,
    /// The turn's `compacted` lines, in order.
    pub compactions: Vec<RecordedCompaction<'a>>,
    pub end: RecordedEnd<'a>,
}

/// One `compacted` line.
#[derive(Clone, Copy)]
pub struct RecordedCompaction<'a> {
    pub line: usize,
    pub compacted: &'a Compacted,
    /// The `total_tokens` of the response before the summary request (what an automatic
    /// compaction compared with its limit).
    pub trigger_total: Option<u64>,
    /// rcodex compacted after the model refused a request as too long (and retried it).
    pub after_context_failure: bool,
}

impl RecordedTurn<'_> {
    /// A turn with no prompt that compacted: a manual compaction.
    pub fn is_manual_compaction(&self) -> bool {
        self.prompt.is_none() && !self.compactions.is_empty()
    }
}

impl Recording<'_> {
    /// The auto-compact limit the recording implies: the smallest total that triggered an
    /// automatic compaction (`None`: it never compacted on its own).
    pub fn implied_auto_compact_limit(&self) -> Option<u64> {
        self.turns
            .iter()
            .filter(|t| !t.is_manual_compaction())
            .flat_map(|t| &t.compactions)
            .filter(|c| !c.after_context_failure)
            .filter_map(|c| c.trigger_total)
            .min()
    }

    /// Whether the recording compacted after a context-window failure (rcodex's own switch).
    pub fn compacts_on_context_failure(&self) -> bool {
        self.turns
            .iter()
            .flat_map(|t| &t.compactions)
            .any(|c| c.after_context_failure)
    }

    /// The line before the summary in the compacted histories (`message` is the prefix, a
    /// newline, and the summary the model wrote).
    pub fn summary_prefix(&self) -> Option<String> {
        let c = self.turns.iter().flat_map(|t| &t.compactions).next()?;
        let summary = c.compacted.replacement_history.as_ref()?.last()?;
        let text = match summary {
            ResponseItem::Message(m) => m.content.iter().find_map(|p| match p {
                ContentItem::InputText { text } => Some(text.as_str()),
                _ => None,
            })?,
            _ => return None,
        };
        text.split_once('\n').map(|(prefix, _)| prefix.to_string())
    }
}

#[derive(Clone, Copy)]
pub enum TurnLine<'a> {
    Item(Recorded<'a>),
    /// A response completed (its id and usage).
    Usage(&'a TokenUsageRecord),
}

pub enum RecordedEnd<'a> {
    Completed {
        line: usize,
        done: &'a TaskComplete,
    },
    Failed(&'a TaskComplete),
    Aborted,
    /// The file ends inside the turn (a crash, or a turn still running).
    Open,
}

impl<'a> Recording<'a> {
    pub fn read(lines: &'a [RecordedLine]) -> Result<Recording<'a>, ReplayError> {
        let (meta, meta_line) = lines
            .iter()
            .find_map(|l| match &l.line.item {
                RolloutItem::SessionMeta(m) => Some((m, l)),
                _ => None,
            })
            .ok_or(ReplayError::NoSessionMeta)?;
        let start_ms = timestamp(meta_line, &meta.timestamp)?;
        let mut rec = Recording {
            meta,
            start_ms,
            context: Vec::new(),
            turns: Vec::new(),
            outputs: HashMap::new(),
            call_items: HashMap::new(),
            compaction_ids: Vec::new(),
            last_total: None,
            total_before_output: None,
            settings_applied: false,
        };
        for l in lines {
            rec.take(l)?;
        }
        let first_item = lines
            .iter()
            .find(|l| matches!(l.line.item, RolloutItem::ResponseItem(_)));
        if let (true, Some(item)) = (rec.turns.is_empty(), first_item) {
            return Err(ReplayError::Unsupported {
                line: item.number,
                message: format!(
                    "history without turns: no task_started line (written by {} {}); \
                     turns cannot be told apart",
                    meta.originator, meta.cli_version
                ),
            });
        }
        let usage_lines = rec
            .turns
            .iter()
            .flat_map(|t| &t.lines)
            .any(|l| matches!(l, TurnLine::Usage(_)));
        let auto = rec
            .turns
            .iter()
            .filter(|t| !t.is_manual_compaction())
            .find_map(|t| t.compactions.first());
        if let (false, Some(c)) = (usage_lines, auto) {
            return Err(ReplayError::Unsupported {
                line: c.line,
                message: format!(
                    "an automatic compaction is replayed from each response's usage, which {} {} \
                     did not record (no token_usage_record lines)",
                    rec.meta.originator, rec.meta.cli_version
                ),
            });
        }
        Ok(rec)
    }

    fn take(&mut self, l: &'a RecordedLine) -> Result<(), ReplayError> {
        let line = l.number;
        match &l.line.item {
            RolloutItem::EventMsg(EventMsg::ThreadSettingsApplied(_)) => {
                self.settings_applied = true;
            }
            RolloutItem::EventMsg(EventMsg::TaskStarted(t)) => self.turns.push(RecordedTurn {
                id: &t.turn_id,
                line,
                resumed: !self.turns.is_empty() && std::mem::take(&mut self.settings_applied),
                started_ms: timestamp(l, &l.line.timestamp)?,
                context: None,
                prompt: None,
                prompt_item_id: None,
                lines: Vec::new(),
                compactions: Vec::new(),
                end: RecordedEnd::Open,
            }),
            RolloutItem::TurnContext(c) => {
                if let Some(turn) = self.turns.last_mut() {
                    turn.context.get_or_insert(c);
                }
            }
            RolloutItem::EventMsg(EventMsg::TokenCount(count)) => {
                if let Some(info) = &count.info {
                    self.last_total = Some(info.last_token_usage.total_tokens);
                }
            }
            RolloutItem::ResponseItem(item) => self.take_item(Recorded {
                line,
                item,
                sampled_through: l.line.metadata.as_ref().map(|m| m.sampled_through_sequence),
            }),
            RolloutItem::TokenUsageRecord(record) => {
                self.last_total = Some(record.usage.total_tokens);
                if let Some(turn) = self.turns.last_mut() {
                    turn.lines.push(TurnLine::Usage(record));
                }
            }
            RolloutItem::EventMsg(EventMsg::ItemCompleted(done)) => {
                let kind = done.item.get("type").and_then(Value::as_str);
                let id = done.item.get("id").and_then(Value::as_str);
                match (kind, id, self.turns.last_mut()) {
                    (Some("UserMessage"), Some(id), Some(turn)) => {
                        turn.prompt_item_id.get_or_insert_with(|| id.to_string());
                    }
                    (Some("CommandExecution" | "FileChange"), Some(id), _) => {
                        self.call_items.insert(id, &done.item);
                    }
                    (Some("ContextCompaction"), Some(id), _) => {
                        let turn = self.turns.len().saturating_sub(1);
                        self.compaction_ids.push((turn, id.to_string()));
                    }
                    _ => {}
                }
            }
            RolloutItem::EventMsg(EventMsg::TaskComplete(done)) => {
                self.settings_applied = false;
                if let Some(turn) = self.turns.last_mut() {
                    turn.end = match &done.error {
                        Some(_) => RecordedEnd::Failed(done),
                        None => RecordedEnd::Completed { line, done },
                    };
                }
            }
            RolloutItem::EventMsg(EventMsg::TurnAborted(_)) => {
                self.settings_applied = false;
                if let Some(turn) = self.turns.last_mut() {
                    turn.end = RecordedEnd::Aborted;
                }
            }
            RolloutItem::Compacted(compacted) => {
                let Some(replacement) = &compacted.replacement_history else {
                    return Err(ReplayError::Unsupported {
                        line,
                        message: "a compacted line without replacement_history (Codex before \
                                  0.107) is not replayed"
                            .into(),
                    });
                };
                if self.turns.is_empty() {
                    return Err(ReplayError::Unsupported {
                        line,
                        message: "a compacted line before any turn".into(),
                    });
                }
                // The ids the compaction drew: every message of the new history that is no
                // prompt (the fresh context messages and the summary), in order.
                let prompts: Vec<&str> = self
                    .turns
                    .iter()
                    .filter_map(|t| t.prompt.and_then(|p| message_id(p.item)))
                    .collect();
                let turn = self.turns.len() - 1;
                for item in replacement {
                    if let Some(id) = message_id(item) {
                        if !prompts.contains(&id) {
                            self.compaction_ids.push((turn, id.to_string()));
                        }
                    }
                }
                let turn = self.turns.last_mut().expect("checked above");
                turn.compactions.push(RecordedCompaction {
                    line,
                    compacted,
                    trigger_total: self.total_before_output,
                    after_context_failure: compacted
                        .extra
                        .get(crate::session::compact::CONTEXT_FAILURE_KEY)
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn take_item(&mut self, recorded: Recorded<'a>) {
        if recorded.item.is_model_output() {
            self.total_before_output = self.last_total;
        }
        if let Some(call_id) = recorded.item.output_call_id() {
            self.outputs.insert(call_id, recorded);
        }
        let later_turn = self.turns.len() > 1;
        let Some(turn) = self.turns.last_mut() else {
            // Before any turn: nothing the machine sends comes from here.
            return;
        };
        if turn.context.is_none() && later_turn && recorded.item.is_model_output() {
            // A summary answer before the turn's settings: a compaction before the prompt.
            turn.lines.push(TurnLine::Item(recorded));
            return;
        }
        if turn.context.is_none() {
            // Before the turn's settings: the context a new thread opens with.
            if self.turns.len() == 1 {
                self.context.push(recorded);
            }
            return;
        }
        if turn.prompt.is_none() && is_user_message(recorded.item) {
            turn.prompt = Some(recorded);
            return;
        }
        turn.lines.push(TurnLine::Item(recorded));
    }
}

fn message_id(item: &ResponseItem) -> Option<&str> {
    match item {
        ResponseItem::Message(m) => m.id.as_deref(),
        _ => None,
    }
}

fn is_user_message(item: &ResponseItem) -> bool {
    matches!(item, ResponseItem::Message(m) if m.role == "user")
}

/// The prompt's text and images.
pub fn prompt_parts(item: &ResponseItem) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut images = Vec::new();
    if let ResponseItem::Message(m) = item {
        for part in &m.content {
            match part {
                ContentItem::InputText { text: t } => text.push_str(t),
                ContentItem::InputImage { image_url, .. } => images.push(image_url.clone()),
                _ => {}
            }
        }
    }
    (text, images)
}

fn timestamp(l: &RecordedLine, text: &str) -> Result<u64, ReplayError> {
    parse_rfc3339_millis(text).ok_or_else(|| ReplayError::Unsupported {
        line: l.number,
        message: format!("timestamp {text:?} is not an RFC 3339 UTC time"),
    })
}
