//! `rcodex replay diff A B`: two recorded sessions side by side — a table of what each turn cost
//! and how it ended, then the first place their histories part, shown like a replay divergence.

use std::path::Path;

use rcodex_core::replay::{compare, Comparison, SessionDivergence, TurnFacts};
use serde::Serialize;

use super::args::DiffArgs;
use super::diff::render_between;
use crate::rollout::read_recorded;

/// Runs the comparison; the exit status: 0 the sessions agree, 1 they part, 2 unreadable.
pub fn run_diff(args: &DiffArgs) -> i32 {
    let read = |path: &Path| {
        let rollout = read_recorded(path).map_err(|e| e.to_string())?;
        for warning in &rollout.warnings {
            eprintln!("warning: {warning}");
        }
        Ok::<_, String>(rollout)
    };
    let (a, b) = match (read(&args.a), read(&args.b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let comparison = match compare(&a.lines, &b.lines) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {} / {}: {e}", args.a.display(), args.b.display());
            return 2;
        }
    };
    let (a, b) = (args.a.display().to_string(), args.b.display().to_string());
    if args.json {
        let report = JsonReport {
            a: &a,
            b: &b,
            comparison: &comparison,
        };
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        print!("{}", to_text(&a, &b, &comparison));
    }
    i32::from(comparison.divergence.is_some())
}

/// `--json`: `{a, b, turns: [{turn, a, b}], divergence}`; `a`/`b` of a turn are `null` where that
/// session has no such turn.
#[derive(Serialize)]
struct JsonReport<'a> {
    a: &'a str,
    b: &'a str,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

fn to_text(a: &str, b: &str, c: &Comparison) -> String {
    let mut out = format!("A: {a}\nB: {b}\n");
    out.push_str("turn  requests A/B  tool calls A/B  tokens in A/B    tokens out A/B  duration ms A/B  outcome A/B\n");
    for t in &c.turns {
        let side = |f: &Option<TurnFacts>, pick: &dyn Fn(&TurnFacts) -> String| {
            f.as_ref().map_or("-".to_string(), pick)
        };
        let pair = |pick: &dyn Fn(&TurnFacts) -> String| {
            format!("{}/{}", side(&t.a, pick), side(&t.b, pick))
        };
        out.push_str(&format!(
            "{:<5} {:<13} {:<15} {:<16} {:<15} {:<16} {}\n",
            t.turn,
            pair(&|f| f.requests.to_string()),
            pair(&|f| f.tool_calls.len().to_string()),
            pair(&|f| f.input_tokens.to_string()),
            pair(&|f| f.output_tokens.to_string()),
            pair(&|f| f.duration_ms.map_or("-".into(), |d| d.to_string())),
            pair(&|f| f.outcome.to_string()),
        ));
    }
    match &c.divergence {
        None => out.push_str(&format!(
            "same: {} {} (ids, chunk ids and wall times aside)\n",
            c.turns.len(),
            if c.turns.len() == 1 {
                "turn agrees"
            } else {
                "turns agree"
            }
        )),
        Some(d) => out.push_str(&divergence_text(a, b, d)),
    }
    out
}

fn divergence_text(a: &str, b: &str, d: &SessionDivergence) -> String {
    let item = d.item.map(|i| format!(", item {i}")).unwrap_or_default();
    let mut out = format!(
        "parted: turn {}, request {}{item}: {} ({a}:{}, {b}:{})\n",
        d.turn, d.request, d.what, d.line_a, d.line_b
    );
    if d.a != d.b {
        for line in render_between(&d.a, &d.b, ("A", "B")).lines() {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
