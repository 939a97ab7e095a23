//! Builds rollout lines in Codex's envelope: ordinals, timestamps, and `response_item` metadata.

use serde_json::{json, Value};

use crate::protocol::rollout::ItemMetadata;
use crate::protocol::{ResponseItem, RolloutItem, RolloutLine};
use crate::time::rfc3339_millis;

/// Running counters a rollout needs (ordinal, history sequence, user input order).
#[derive(Clone, Debug, Default)]
pub struct RolloutCounters {
    pub ordinal: u64,
    pub history_sequence: u64,
    pub sampled_through: u64,
    pub user_input_order: u64,
}

impl RolloutCounters {
    /// A line with the next ordinal.
    pub fn line(&mut self, now_ms: u64, item: RolloutItem) -> RolloutLine {
        let line = RolloutLine {
            timestamp: rfc3339_millis(now_ms),
            ordinal: Some(self.ordinal),
            item,
            metadata: None,
        };
        self.ordinal += 1;
        line
    }

    /// A `response_item` line with Codex's metadata and the turn passthrough key.
    pub fn response_item(
        &mut self,
        now_ms: u64,
        item: &ResponseItem,
        turn_id: &str,
        counts_as_input: bool,
    ) -> RolloutLine {
        self.history_sequence += 1;
        let user_input_order = counts_as_input.then(|| {
            let n = self.user_input_order;
            self.user_input_order += 1;
            n
        });
        let mut payload = item.clone();
        add_passthrough(&mut payload, json!({ "turn_id": turn_id }));
        let mut line = self.line(now_ms, RolloutItem::ResponseItem(payload));
        line.metadata = Some(ItemMetadata {
            history_sequence: self.history_sequence,
            sampled_through_sequence: self.sampled_through,
            client_authored: false,
            user_input_order,
            ..ItemMetadata::default()
        });
        line
    }

    /// Marks every recorded item so far as sent to the model.
    pub fn mark_sampled(&mut self) {
        self.sampled_through = self.history_sequence;
    }
}

/// Adds the passthrough key Codex writes on disk (never to unknown item types).
fn add_passthrough(item: &mut ResponseItem, value: Value) {
    use crate::protocol::response_item::PASSTHROUGH_KEY;
    if matches!(item, ResponseItem::Other(_)) {
        return;
    }
    if let Some(extra) = item.extra_mut() {
        extra.insert(PASSTHROUGH_KEY.to_string(), value);
    }
}
