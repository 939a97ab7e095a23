//! The table printed at the end of a batch, and pass@k when scenarios were repeated.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::results::{ResultLine, Status};
use super::{accounting, budget};

/// A plain-text table of every result plus totals.
pub fn render(results: &[ResultLine]) -> String {
    let width = results
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(8)
        .clamp(8, 60);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>3}  {:<7}  {:>4}  {:>8}  {:>8}  {:>9}  {:>6}  detail",
        "scenario", "rep", "status", "reqs", "ms", "tokens", "cost", "ttft"
    );
    for r in results {
        let detail = match r.status {
            Status::Fail => r
                .checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| format!("{}: {}", c.check, c.detail))
                .collect::<Vec<_>>()
                .join("; "),
            Status::Error | Status::Timeout => r.error.clone().unwrap_or_default(),
            _ => String::new(),
        };
        // One row per run: a multi-line error (a setup's output) shows its first line.
        let detail: String = detail
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(160)
            .collect();
        let status = match r.status {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::Skipped => "skipped",
            Status::Timeout => "TIMEOUT",
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>3}  {:<7}  {:>4}  {:>8}  {:>8}  {:>9}  {:>6}  {detail}",
            r.id,
            r.repeat,
            status,
            r.requests,
            r.duration_ms,
            budget::tokens_of(r),
            accounting::cost_cell(r.cost_usd),
            accounting::ttft_cell(r.ttft_ms)
        );
    }
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} errors, {} skipped ({} runs)",
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Error),
        count(Status::Skipped),
        results.len()
    );
    if count(Status::Timeout) > 0 {
        let _ = writeln!(out, "{} timed out", count(Status::Timeout));
    }
    let _ = writeln!(out, "{}", accounting::Totals::of(results).line());
    let mut per: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for r in results {
        let e = per.entry(&r.id).or_default();
        e.1 += 1;
        if r.status == Status::Pass {
            e.0 += 1;
        }
    }
    if per.values().any(|(_, n)| *n > 1) {
        let solved = per.values().filter(|(p, _)| *p > 0).count();
        let _ = writeln!(
            out,
            "pass@k: {solved}/{} scenarios passed at least once",
            per.len()
        );
    }
    out
}
