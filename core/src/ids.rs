//! Where every id and every bit of randomness in the machine comes from: handed in, never drawn.
//!
//! Tests, snapshots and batch runs use [`SeededIds`]; live runs hand in a source backed by the
//! real clock and OS randomness (the runner's); replay hands in the recording's ids.

/// What an id names. The machine says so on every draw, so that a source replaying a recording
/// can hand back the recorded id; a fresh source ignores it and draws a UUIDv7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind<'a> {
    /// A new thread.
    Thread,
    /// A new session's context window.
    ContextWindow,
    /// A new turn.
    Turn,
    /// The developer message that opens a new thread's context (`msg_…`).
    DeveloperMessage,
    /// The environment-context message of a new thread (`msg_…`).
    EnvironmentMessage,
    /// A turn's prompt, as a history message (`msg_…`).
    UserMessage,
    /// A turn's prompt, as the `UserMessage` turn item of its `item_completed` line.
    UserTurnItem,
    /// The user message an interrupted turn leaves in history (`msg_…`).
    InterruptMarker,
    /// A sub-agent's `<subagent_notification>` user message in its parent's history (`msg_…`).
    Notification,
    /// A fresh context message written into a compacted history (`msg_…`).
    CompactedContext,
    /// The summary message a compaction leaves in history (`msg_…`).
    CompactionSummary,
    /// The `ContextCompaction` turn item of a compaction's `item_completed` line.
    CompactionItem,
    /// The history item answering call `call_id` (`fco_…`, or `ctco_…` for freeform tools).
    ToolOutput {
        /// The call this output answers.
        call_id: &'a str,
        /// Whether the call was a freeform (`custom_tool_call`) one.
        freeform: bool,
    },
    /// The user message that tells the model its goal's token budget is spent (`msg_…`).
    GoalContextMessage,
    /// The `tool_search_output` answering search `call_id` (`tso_…`).
    ToolSearchOutput {
        /// The search this output answers.
        call_id: &'a str,
    },
}

impl IdKind<'_> {
    /// What Codex puts before the UUID in ids of this kind.
    pub fn prefix(&self) -> &'static str {
        match self {
            IdKind::DeveloperMessage
            | IdKind::EnvironmentMessage
            | IdKind::UserMessage
            | IdKind::InterruptMarker
            | IdKind::Notification
            | IdKind::CompactedContext
            | IdKind::CompactionSummary
            | IdKind::GoalContextMessage => "msg_",
            IdKind::ToolOutput { freeform: true, .. } => "ctco_",
            IdKind::ToolOutput {
                freeform: false, ..
            } => "fco_",
            IdKind::ToolSearchOutput { .. } => "tso_",
            IdKind::Thread
            | IdKind::ContextWindow
            | IdKind::Turn
            | IdKind::UserTurnItem
            | IdKind::CompactionItem => "",
        }
    }
}

/// A source of ids and jitter. Implementations must be deterministic for a given seed.
pub trait IdSource: Send {
    /// The whole id (prefix included) of a `kind` thing made at `now_ms`. Fresh sources draw a
    /// UUIDv7; a source replaying a recording returns the recorded id.
    fn id(&mut self, kind: IdKind<'_>, now_ms: u64) -> String {
        format!("{}{}", kind.prefix(), self.uuid_v7(now_ms))
    }

    /// A UUIDv7 string whose timestamp part is `now_ms`.
    fn uuid_v7(&mut self, now_ms: u64) -> String;
    /// A uniform number in `[0, 1)`, for retry jitter.
    fn unit(&mut self) -> f64;
    /// Six lowercase hex digits (Codex's exec `Chunk ID`).
    fn chunk_id(&mut self) -> String {
        let n = (self.unit() * 16_777_216.0) as u32;
        format!("{n:06x}")
    }
}

/// A splitmix64 stream: tiny, fast, and the same sequence for the same seed everywhere.
#[derive(Clone, Debug)]
pub struct SeededIds {
    state: u64,
}

impl SeededIds {
    /// A source whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        SeededIds { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl IdSource for SeededIds {
    fn uuid_v7(&mut self, now_ms: u64) -> String {
        format_uuid_v7(now_ms, self.next_u64(), self.next_u64())
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Lays out a UUIDv7 from a millisecond timestamp and 128 random bits (version and variant set).
pub fn format_uuid_v7(now_ms: u64, r1: u64, r2: u64) -> String {
    let ts = now_ms & 0xFFFF_FFFF_FFFF;
    let rand_a = (r1 & 0x0FFF) | 0x7000;
    let rand_b = (r2 & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        ts >> 16,
        ts & 0xFFFF,
        rand_a,
        rand_b >> 48,
        rand_b & 0xFFFF_FFFF_FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_repeat_for_the_same_seed_and_look_like_uuid_v7() {
        let mut a = SeededIds::new(7);
        let mut b = SeededIds::new(7);
        let x = a.uuid_v7(1_795_846_712_136);
        assert_eq!(x, b.uuid_v7(1_795_846_712_136));
        assert_eq!(x.len(), 36);
        assert_eq!(&x[14..15], "7");
        assert!(x.starts_with("01a220ce-2b48"));
        assert_ne!(a.uuid_v7(1), SeededIds::new(8).uuid_v7(1));
        let u = a.unit();
        assert!((0.0..1.0).contains(&u));
        assert_eq!(a.chunk_id().len(), 6);
    }

    #[test]
    fn fresh_ids_carry_their_kind_prefix_and_draw_like_uuid_v7() {
        let (mut a, mut b) = (SeededIds::new(3), SeededIds::new(3));
        let output = IdKind::ToolOutput {
            call_id: "c1",
            freeform: false,
        };
        assert_eq!(a.id(output, 5), format!("fco_{}", b.uuid_v7(5)));
        assert_eq!(
            a.id(IdKind::UserMessage, 5),
            format!("msg_{}", b.uuid_v7(5))
        );
        assert_eq!(a.id(IdKind::Turn, 5), b.uuid_v7(5));
        let freeform = IdKind::ToolOutput {
            call_id: "c2",
            freeform: true,
        };
        assert!(a.id(freeform, 5).starts_with("ctco_"));
    }
}
