//! Replay: a recorded rollout driven back through the machine. Pure, like the rest of the core:
//! the runner reads the file (any layout it knows, normalised to [`RolloutLine`]s with their line
//! numbers) and hands the lines in; this module rebuilds every request the session sent and
//! reports the first place where the machine would act differently from the recording.

mod answers;
mod compare;
mod drive;
mod fork;
mod interrupt_marker;
mod json_pointer;
mod recorded_ids;
mod recording;
mod session_config;

use serde::Serialize;
use serde_json::Value;

use crate::protocol::RolloutLine;
pub use answers::RecordedAnswers;
pub use compare::{compare, Comparison, SessionDivergence, TurnComparison, TurnFacts};
pub use fork::{fork, Fork, ForkError, ForkOptions, ForkPoint};
pub use json_pointer::first_difference;

/// One rollout line and its 1-based number in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedLine {
    /// 1-based line number in the rollout file (what error messages and divergences cite).
    pub number: usize,
    /// The parsed line.
    pub line: RolloutLine,
}

/// What replaying one rollout found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Replay {
    /// Every request the machine sent, in order.
    pub requests: Vec<RebuiltRequest>,
    /// The first place the machine did not do what the recording shows; `None` when it replays.
    pub divergence: Option<Divergence>,
}

/// One rebuilt request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RebuiltRequest {
    /// 1-based turn number in the thread.
    pub turn: usize,
    /// The request's body as it goes on the wire (key order kept).
    pub body: String,
}

/// The first difference between the machine and the recording.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Divergence {
    /// The rollout line the recording shows there (0 when the recording has no such line).
    pub line: usize,
    /// 1-based index of the request during or after which it happened.
    pub request: usize,
    /// Index of the item in that request's history, when it is about an item.
    pub item: Option<usize>,
    /// JSON pointer into the compared values.
    pub pointer: String,
    /// The recording's value at `pointer`.
    pub expected: Value,
    /// The machine's value at `pointer`.
    pub actual: Value,
    /// One line for people: what differs.
    pub what: String,
}

/// A rollout that cannot be replayed at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The file has no `session_meta` line, so it is not a rollout.
    #[error("no session_meta line: not a rollout")]
    NoSessionMeta,
    /// A line the replay cannot drive, such as a turn shape this version does not know.
    #[error("line {line}: {message}")]
    Unsupported {
        /// The line's 1-based number in the file.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

/// Drives `lines` (one rollout, in file order) back through the machine: rebuilds every request
/// and stops at the first divergence.
pub fn replay(lines: &[RecordedLine]) -> Result<Replay, ReplayError> {
    let rec = recording::Recording::read(lines)?;
    let mut cfg = session_config::session_config(&rec);
    cfg.interrupt_marker = interrupt_marker::recorded_marker(&rec);
    let mut driver = drive::Driver::new(&rec, lines, cfg);
    for (i, turn) in rec.turns.iter().enumerate() {
        if !driver.run_turn(i + 1, turn) {
            break;
        }
    }
    driver.finish();
    Ok(Replay {
        requests: driver.requests,
        divergence: driver.divergence,
    })
}
