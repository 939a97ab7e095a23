//! `rcodex replay --summary` as text: a heading per file, one row per turn, and under each turn
//! one line per tool call.

use super::report::{plural, FileFacts};
use super::summary::{Outcome, SessionSummary, ToolCallSummary};

const HEADER: [&str; 10] = [
    "turn", "turn id", "reqs", "retries", "in", "cached", "out", "ttft ms", "ms", "outcome",
];

/// The summary of one file as a table.
pub fn render(file: &FileFacts, summary: &SessionSummary) -> String {
    let turns = summary.turns.len();
    let mut out = format!(
        "{} ({} {}, thread {}, {} {})\n",
        file.path,
        file.writer.originator,
        file.writer.cli_version,
        summary.thread_id,
        turns,
        plural(turns, "turn")
    );
    let rows: Vec<[String; 10]> = summary
        .turns
        .iter()
        .map(|t| {
            [
                t.turn.to_string(),
                t.turn_id.clone(),
                t.requests.to_string(),
                t.retries.to_string(),
                t.tokens.input.to_string(),
                t.tokens.cached.to_string(),
                t.tokens.output.to_string(),
                optional(t.time_to_first_token_ms),
                optional(t.duration_ms),
                outcome(&t.outcome),
            ]
        })
        .collect();
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    out.push_str(&line(&HEADER.map(String::from), &widths));
    for (row, turn) in rows.iter().zip(&summary.turns) {
        out.push_str(&line(row, &widths));
        for call in &turn.tool_calls {
            out.push_str(&tool_line(call));
        }
    }
    out
}

/// Numbers right-aligned, text (turn id, outcome) left-aligned; no trailing spaces.
fn line(cells: &[String; 10], widths: &[usize; 10]) -> String {
    let mut parts = Vec::with_capacity(cells.len());
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        let text_column = i == 1 || i == 9;
        parts.push(if text_column {
            format!("{cell:<width$}")
        } else {
            format!("{cell:>width$}")
        });
    }
    let mut s = parts.join("  ").trim_end().to_string();
    s.push('\n');
    s
}

fn tool_line(call: &ToolCallSummary) -> String {
    let mut s = format!("      tool {} {} {}", call.name, call.call_id, call.status);
    if let Some(code) = call.exit_code {
        s.push_str(&format!(" exit {code}"));
    }
    if let Some(ms) = call.duration_ms {
        s.push_str(&format!(" {ms} ms"));
    }
    s.push_str(&format!(" (line {})\n", call.line));
    s
}

fn optional(value: Option<u64>) -> String {
    value.map_or_else(|| "-".into(), |v| v.to_string())
}

fn outcome(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Completed => "completed".into(),
        Outcome::Failed { message } => format!("failed: {message}"),
        Outcome::Aborted { reason } => format!("aborted: {reason}"),
        Outcome::Incomplete => "incomplete".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::report::WriterInfo;
    use crate::replay::summary::{TokenTotals, TurnSummary};

    #[test]
    fn a_turn_row_then_its_tool_calls() {
        let file = FileFacts {
            path: "r.jsonl".into(),
            writer: WriterInfo {
                originator: "rcodex_exec".into(),
                cli_version: "0.1.0".into(),
            },
            bytes: 10,
            warnings: vec![],
            agents: vec![],
        };
        let summary = SessionSummary {
            thread_id: "th".into(),
            turns: vec![TurnSummary {
                turn: 1,
                turn_id: "tu".into(),
                line: 2,
                requests: 2,
                retries: 0,
                tool_calls: vec![ToolCallSummary {
                    name: "exec_command".into(),
                    call_id: "c1".into(),
                    line: 9,
                    status: "completed".into(),
                    exit_code: Some(0),
                    duration_ms: Some(11),
                }],
                tokens: TokenTotals {
                    input: 200,
                    cached: 0,
                    output: 20,
                },
                time_to_first_token_ms: Some(3),
                duration_ms: None,
                outcome: Outcome::Failed {
                    message: "boom".into(),
                },
            }],
        };
        assert_eq!(
            render(&file, &summary),
            "r.jsonl (rcodex_exec 0.1.0, thread th, 1 turn)\n\
             turn  turn id  reqs  retries   in  cached  out  ttft ms  ms  outcome\n   \
             1  tu          2        0  200       0   20        3   -  failed: boom\n      \
             tool exec_command c1 completed exit 0 11 ms (line 9)\n"
        );
    }
}
