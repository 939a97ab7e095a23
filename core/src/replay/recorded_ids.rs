//! The id source of a replay: each id the machine draws is the one the recording has for that
//! thing (DESIGN §2), so rebuilt requests carry the recorded ids. What the recording lacks (a
//! call the session never answered, say) comes from a seeded source, with Codex's prefix.

use std::collections::{HashMap, VecDeque};

use super::interrupt_marker::marker_text;
use super::recording::{Recording, TurnLine};
use crate::ids::{IdKind, IdSource, SeededIds};
use crate::protocol::ResponseItem;

pub struct RecordedIds {
    thread: Option<String>,
    window: Option<String>,
    turns: VecDeque<String>,
    context: VecDeque<String>,
    prompts: VecDeque<Option<String>>,
    prompt_items: VecDeque<Option<String>>,
    outputs: HashMap<String, String>,
    /// The ids of interrupt markers, per turn.
    markers: VecDeque<Vec<String>>,
    /// The ids compactions drew (context messages, summary, compaction item), in order.
    compaction: VecDeque<String>,
    /// The ids of sub-agent notifications, in order.
    notifications: VecDeque<String>,
    /// The ids of Codex's `goal_objective` items (outputs with no call), with their turn.
    goal_objectives: VecDeque<(usize, String)>,
    /// The ids of goal context messages (a spent token budget), with their turn.
    goal_contexts: VecDeque<(usize, String)>,
    fresh: SeededIds,
}

impl RecordedIds {
    pub fn new(rec: &Recording) -> RecordedIds {
        let item_id = |item: &ResponseItem| match item {
            ResponseItem::Message(m) => m.id.clone(),
            ResponseItem::FunctionCallOutput(o) => o.id.clone(),
            ResponseItem::CustomToolCallOutput(o) => o.id.clone(),
            ResponseItem::ToolSearchOutput(o) => o.id.clone(),
            _ => None,
        };
        RecordedIds {
            thread: Some(rec.meta.id.clone()),
            window: rec
                .meta
                .context_window
                .as_ref()
                .and_then(|w| w.get("window_id"))
                .and_then(|w| w.as_str())
                .map(String::from),
            turns: rec.turns.iter().map(|t| t.id.to_string()).collect(),
            context: rec.context.iter().filter_map(|c| item_id(c.item)).collect(),
            // A manual compaction's turn has no prompt and draws no prompt ids.
            prompts: prompt_turns(rec)
                .map(|t| t.prompt.and_then(|p| item_id(p.item)))
                .collect(),
            prompt_items: prompt_turns(rec)
                .map(|t| t.prompt_item_id.clone())
                .collect(),
            outputs: rec
                .outputs
                .iter()
                .filter_map(|(call, out)| Some((call.to_string(), item_id(out.item)?)))
                .collect(),
            markers: rec
                .turns
                .iter()
                .map(|t| {
                    t.lines
                        .iter()
                        .filter_map(|l| match l {
                            TurnLine::Item(r) if marker_text(r.item).is_some() => item_id(r.item),
                            _ => None,
                        })
                        .collect()
                })
                .collect(),
            compaction: rec
                .compaction_ids
                .iter()
                .map(|(_, id)| id.clone())
                .collect(),
            notifications: rec
                .turns
                .iter()
                .flat_map(|t| &t.lines)
                .filter_map(|l| match l {
                    TurnLine::Item(r) if crate::session::collab::is_notification(r.item) => {
                        item_id(r.item)
                    }
                    _ => None,
                })
                .collect(),
            goal_objectives: goal_objective_ids(rec),
            goal_contexts: goal_context_ids(rec),
            fresh: SeededIds::new(0),
        }
    }
}

/// The recorded `goal_objective` items' ids, in order, with the index of their turn.
fn goal_objective_ids(rec: &Recording) -> VecDeque<(usize, String)> {
    let mut ids = VecDeque::new();
    for (k, turn) in rec.turns.iter().enumerate() {
        for line in &turn.lines {
            if let TurnLine::Item(r) = line {
                if let ResponseItem::Other(v) = r.item {
                    if v["name"] == "goal_objective" {
                        if let Some(id) = v["id"].as_str() {
                            ids.push_back((k, id.to_string()));
                        }
                    }
                }
            }
        }
    }
    ids
}

/// The recorded goal context messages' ids, in order, with the index of their turn.
fn goal_context_ids(rec: &Recording) -> VecDeque<(usize, String)> {
    let mut ids = VecDeque::new();
    for (k, turn) in rec.turns.iter().enumerate() {
        for line in &turn.lines {
            if let TurnLine::Item(r) = line {
                if let Some(id) = goal_context_message(r.item).and_then(|(id, _)| id) {
                    ids.push_back((k, id.to_string()));
                }
            }
        }
    }
    ids
}

/// The id and text of a goal context message (a user message opening with Codex's goal tag).
pub(super) fn goal_context_message(item: &ResponseItem) -> Option<(Option<&str>, &str)> {
    let ResponseItem::Message(m) = item else {
        return None;
    };
    let text = match m.content.first()? {
        crate::protocol::ContentItem::InputText { text } => text.as_str(),
        _ => return None,
    };
    let tag = crate::session::goals::GOAL_CONTEXT_TAG;
    (m.role == "user" && text.starts_with(tag)).then_some((m.id.as_deref(), text))
}

impl RecordedIds {
    /// The ids a process resuming the thread at turn `k` (0-based) draws: the later turns'
    /// ids. Its context window id is not recorded anywhere, so it is drawn fresh.
    pub fn resuming_at(rec: &Recording, k: usize) -> RecordedIds {
        let mut ids = RecordedIds::new(rec);
        ids.thread = None;
        ids.window = None;
        ids.context.clear();
        let prompts_before = prompt_turns(rec)
            .filter(|t| t.line < rec.turns.get(k).map_or(usize::MAX, |n| n.line))
            .count();
        for queue in [&mut ids.prompts, &mut ids.prompt_items] {
            queue.drain(..prompts_before.min(queue.len()));
        }
        ids.markers.drain(..k.min(ids.markers.len()));
        let before = rec.compaction_ids.iter().filter(|(t, _)| *t < k).count();
        ids.compaction.drain(..before);
        ids.turns.drain(..k.min(ids.turns.len()));
        ids.goal_objectives.retain(|(turn, _)| *turn >= k);
        ids.goal_contexts.retain(|(turn, _)| *turn >= k);
        ids
    }
}

/// The turns that opened with a prompt.
fn prompt_turns<'r, 'a>(
    rec: &'r Recording<'a>,
) -> impl Iterator<Item = &'r super::recording::RecordedTurn<'a>> {
    rec.turns.iter().filter(|t| !t.is_manual_compaction())
}

impl RecordedIds {
    /// The next recorded marker id, in turn order.
    fn next_marker(&mut self) -> Option<String> {
        while let Some(turn) = self.markers.front_mut() {
            if !turn.is_empty() {
                return Some(turn.remove(0));
            }
            self.markers.pop_front();
        }
        None
    }
}

impl IdSource for RecordedIds {
    fn id(&mut self, kind: IdKind<'_>, now_ms: u64) -> String {
        let recorded = match kind {
            IdKind::Thread => self.thread.take(),
            IdKind::ContextWindow => self.window.take(),
            IdKind::Turn => self.turns.pop_front(),
            IdKind::DeveloperMessage | IdKind::EnvironmentMessage => self.context.pop_front(),
            IdKind::UserMessage => self.prompts.pop_front().flatten(),
            IdKind::UserTurnItem => self.prompt_items.pop_front().flatten(),
            // Only a goal_objective item answers no call.
            IdKind::ToolOutput { call_id: "", .. } => {
                self.goal_objectives.pop_front().map(|(_, id)| id)
            }
            IdKind::ToolOutput { call_id, .. } | IdKind::ToolSearchOutput { call_id } => {
                self.outputs.get(call_id).cloned()
            }
            IdKind::InterruptMarker => self.next_marker(),
            IdKind::Notification => self.notifications.pop_front(),
            IdKind::GoalContextMessage => self.goal_contexts.pop_front().map(|(_, id)| id),
            IdKind::CompactedContext | IdKind::CompactionSummary | IdKind::CompactionItem => {
                self.compaction.pop_front()
            }
        };
        recorded.unwrap_or_else(|| format!("{}{}", kind.prefix(), self.fresh.uuid_v7(now_ms)))
    }

    fn uuid_v7(&mut self, now_ms: u64) -> String {
        self.fresh.uuid_v7(now_ms)
    }

    /// Retries are not recorded, so their jitter is not either: the middle of the range.
    fn unit(&mut self) -> f64 {
        0.5
    }
}
