//! Two recorded sessions side by side (`rcodex replay diff A B`): turn by turn, what each turn
//! cost and how it ended, and the first place their histories part — the prompt, a tool call or
//! its arguments, a tool's output, a message, or how a turn ended. This is how a user compares
//! two models or two prompt versions on one task. Ids differ between any two runs and so do a
//! command's chunk id and wall time; they are left out of the comparison.

use serde::Serialize;
use serde_json::Value;

use super::drive::to_value;
use super::json_pointer::first_difference;
use super::recording::{Recorded, RecordedEnd, RecordedTurn, Recording, TurnLine};
use super::{RecordedLine, ReplayError};
use crate::protocol::ResponseItem;

/// What comparing two sessions found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// One row per turn either session has.
    pub turns: Vec<TurnComparison>,
    /// The first place the sessions part; `None` when their histories and ends agree.
    pub divergence: Option<SessionDivergence>,
}

/// Both sessions' facts for one turn.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnComparison {
    /// 1-based.
    pub turn: usize,
    /// Session A's turn; `None` when A has fewer turns.
    pub a: Option<TurnFacts>,
    /// Session B's turn; `None` when B has fewer turns.
    pub b: Option<TurnFacts>,
}

/// One turn's cost and end, as its lines record them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TurnFacts {
    /// Completed responses (usage lines).
    pub requests: usize,
    /// Names of the tools called, in order.
    pub tool_calls: Vec<String>,
    /// Input tokens summed over the turn's responses.
    pub input_tokens: u64,
    /// Cached input tokens summed over the turn's responses.
    pub cached_input_tokens: u64,
    /// Output tokens summed over the turn's responses.
    pub output_tokens: u64,
    /// The turn's `task_complete.duration_ms`, when it recorded one.
    pub duration_ms: Option<u64>,
    /// completed, failed, interrupted, or open (the file ends inside the turn).
    pub outcome: &'static str,
    /// The turn's last assistant message, on a completed turn.
    pub final_message: Option<String>,
}

/// The first place the two sessions part.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionDivergence {
    /// 1-based turn.
    pub turn: usize,
    /// 1-based response within the turn the item follows (0: the prompt).
    pub request: usize,
    /// Index of the item after the turn's prompt, when it is about an item.
    pub item: Option<usize>,
    /// Line in A and in B (0 where that session has no such line).
    pub line_a: usize,
    /// Line in B (0 where B has no such line).
    pub line_b: usize,
    /// JSON pointer into the compared values; empty when one session lacks the turn or the
    /// turns end differently.
    pub pointer: String,
    /// Session A's value there.
    pub a: Value,
    /// Session B's value there.
    pub b: Value,
    /// One line for people: what differs.
    pub what: String,
}

/// Compares session `a` with session `b` (each one rollout's lines, in file order).
pub fn compare(a: &[RecordedLine], b: &[RecordedLine]) -> Result<Comparison, ReplayError> {
    let (a, b) = (Recording::read(a)?, Recording::read(b)?);
    let count = a.turns.len().max(b.turns.len());
    let turns = (0..count)
        .map(|i| TurnComparison {
            turn: i + 1,
            a: a.turns.get(i).map(facts),
            b: b.turns.get(i).map(facts),
        })
        .collect();
    let divergence = (0..count).find_map(|i| match (a.turns.get(i), b.turns.get(i)) {
        (Some(x), Some(y)) => turn_divergence(i + 1, x, y),
        (x, y) => Some(SessionDivergence {
            turn: i + 1,
            request: 0,
            item: None,
            line_a: x.map_or(0, |t| t.line),
            line_b: y.map_or(0, |t| t.line),
            pointer: String::new(),
            a: Value::from(x.is_some()),
            b: Value::from(y.is_some()),
            what: format!(
                "turn {} is only in {}",
                i + 1,
                if x.is_some() { "A" } else { "B" }
            ),
        }),
    });
    Ok(Comparison { turns, divergence })
}

fn turn_divergence(turn: usize, a: &RecordedTurn, b: &RecordedTurn) -> Option<SessionDivergence> {
    let at = |request, item, x: Option<&Recorded>, y: Option<&Recorded>, what: &str| {
        let (va, vb) = (
            x.map_or(Value::Null, comparable),
            y.map_or(Value::Null, comparable),
        );
        let pointer = first_difference(&va, &vb)?;
        Some(SessionDivergence {
            turn,
            request,
            item,
            line_a: x.map_or(0, |r| r.line),
            line_b: y.map_or(0, |r| r.line),
            what: format!(
                "{what} differs at {}",
                if pointer.is_empty() { "/" } else { &pointer }
            ),
            pointer,
            a: va,
            b: vb,
        })
    };
    if let Some(d) = at(0, None, a.prompt.as_ref(), b.prompt.as_ref(), "the prompt") {
        return Some(d);
    }
    let (xs, ys) = (items_with_requests(a), items_with_requests(b));
    for i in 0..xs.len().max(ys.len()) {
        let (x, y) = (xs.get(i), ys.get(i));
        let request = x.or(y).map_or(0, |(r, _)| *r);
        let what = format!("history item {i} of the turn");
        if let Some(d) = at(
            request,
            Some(i),
            x.map(|(_, r)| r),
            y.map(|(_, r)| r),
            &what,
        ) {
            return Some(d);
        }
    }
    let (fa, fb) = (facts(a), facts(b));
    (fa.outcome != fb.outcome || fa.final_message != fb.final_message).then(|| SessionDivergence {
        turn,
        request: fa.requests.max(fb.requests),
        item: None,
        line_a: end_line(a),
        line_b: end_line(b),
        pointer: String::new(),
        what: "the turn ends differently".into(),
        a: serde_json::json!({"outcome": fa.outcome, "final_message": fa.final_message}),
        b: serde_json::json!({"outcome": fb.outcome, "final_message": fb.final_message}),
    })
}

/// The turn's history items after the prompt, each with the 1-based response it follows.
fn items_with_requests<'a>(turn: &RecordedTurn<'a>) -> Vec<(usize, Recorded<'a>)> {
    let mut request = 1;
    let mut out = Vec::new();
    for line in &turn.lines {
        match line {
            TurnLine::Item(r) => out.push((request, *r)),
            TurnLine::Usage(_) => request += 1,
        }
    }
    out
}

fn end_line(turn: &RecordedTurn) -> usize {
    match turn.end {
        RecordedEnd::Completed { line, .. } => line,
        _ => turn.line,
    }
}

fn facts(turn: &RecordedTurn) -> TurnFacts {
    let mut f = TurnFacts {
        requests: 0,
        tool_calls: Vec::new(),
        input_tokens: 0,
        cached_input_tokens: 0,
        output_tokens: 0,
        duration_ms: None,
        outcome: "open",
        final_message: None,
    };
    for line in &turn.lines {
        match line {
            TurnLine::Usage(u) => {
                f.requests += 1;
                f.input_tokens += u.usage.input_tokens;
                f.cached_input_tokens += u.usage.cached_input_tokens;
                f.output_tokens += u.usage.output_tokens;
            }
            TurnLine::Item(r) => match r.item {
                ResponseItem::FunctionCall(c) => f.tool_calls.push(c.name.clone()),
                ResponseItem::CustomToolCall(c) => f.tool_calls.push(c.name.clone()),
                ResponseItem::LocalShellCall(_) => f.tool_calls.push("local_shell".into()),
                _ => {}
            },
        }
    }
    (f.outcome, f.duration_ms, f.final_message) = match &turn.end {
        RecordedEnd::Completed { done, .. } => (
            "completed",
            done.duration_ms,
            done.last_agent_message.clone(),
        ),
        RecordedEnd::Failed(done) => ("failed", done.duration_ms, None),
        RecordedEnd::Aborted => ("interrupted", None, None),
        RecordedEnd::Open => ("open", None, None),
    };
    f
}

/// An item as two runs can share it: no ids, no rollout passthrough, and a command's chunk id
/// and wall time blanked.
fn comparable(r: &Recorded) -> Value {
    let mut v = to_value(r.item);
    if let Value::Object(map) = &mut v {
        map.shift_remove("id");
        map.shift_remove("call_id");
        if let Some(Value::String(text)) = map.get_mut("output") {
            *text = without_run_noise(text);
        }
    }
    v
}

fn without_run_noise(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            if line.starts_with("Chunk ID: ") {
                "Chunk ID: …\n"
            } else if line.starts_with("Wall time: ") {
                "Wall time: …\n"
            } else {
                line
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_outputs_compare_without_chunk_ids_and_wall_times() {
        let a =
            "Chunk ID: 6936f4\nWall time: 0.0010 seconds\nProcess exited with code 0\nOutput:\nx\n";
        let b =
            "Chunk ID: 0a1b2c\nWall time: 1.5000 seconds\nProcess exited with code 0\nOutput:\nx\n";
        assert_eq!(without_run_noise(a), without_run_noise(b));
        assert_ne!(
            without_run_noise(a),
            without_run_noise(&b.replace("x\n", "y\n"))
        );
    }
}
