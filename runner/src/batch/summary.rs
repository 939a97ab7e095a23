//! The table printed at the end of a batch, and pass@k when scenarios were repeated.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::results::{ResultLine, Status};
use super::{accounting, budget};

/// The id column's width for these ids.
pub fn width(longest_id: usize) -> usize {
    longest_id.clamp(8, 60)
}

/// The table's first line.
pub fn header(width: usize) -> String {
    format!(
        "{:<width$}  {:>3}  {:<7}  {:>4}  {:>8}  {:>8}  {:>9}  {:>6}  detail\n",
        "scenario", "rep", "status", "reqs", "ms", "tokens", "cost", "ttft"
    )
}

/// One run's row.
pub fn row(r: &ResultLine, width: usize) -> String {
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
    format!(
        "{:<width$}  {:>3}  {:<7}  {:>4}  {:>8}  {:>8}  {:>9}  {:>6}  {detail}\n",
        r.id,
        r.repeat,
        status,
        r.requests,
        r.duration_ms,
        budget::tokens_of(r),
        accounting::cost_cell(r.cost_usd),
        accounting::ttft_cell(r.ttft_ms)
    )
}

/// The lines under the table, gathered one run at a time: counts by status, totals and pass@k.
#[derive(Debug, Default)]
pub struct Tail {
    counts: BTreeMap<&'static str, usize>,
    runs: usize,
    totals: accounting::TotalsSum,
    /// Per scenario id: (runs passed, runs).
    per_id: BTreeMap<String, (u32, u32)>,
}

impl Tail {
    pub fn add(&mut self, r: &ResultLine) {
        let key = match r.status {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skipped => "skipped",
            Status::Timeout => "timeout",
        };
        *self.counts.entry(key).or_default() += 1;
        self.runs += 1;
        self.totals.add(r);
        let e = self.per_id.entry(r.id.clone()).or_default();
        e.1 += 1;
        if r.status == Status::Pass {
            e.0 += 1;
        }
    }

    pub fn render(self) -> String {
        let count = |k: &str| self.counts.get(k).copied().unwrap_or(0);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{} passed, {} failed, {} errors, {} skipped ({} runs)",
            count("pass"),
            count("fail"),
            count("error"),
            count("skipped"),
            self.runs
        );
        if count("timeout") > 0 {
            let _ = writeln!(out, "{} timed out", count("timeout"));
        }
        let _ = writeln!(out, "{}", self.totals.totals().line());
        if self.per_id.values().any(|(_, n)| *n > 1) {
            let solved = self.per_id.values().filter(|(p, _)| *p > 0).count();
            let _ = writeln!(
                out,
                "pass@k: {solved}/{} scenarios passed at least once",
                self.per_id.len()
            );
        }
        out
    }
}

/// A plain-text table of every result plus totals.
pub fn render(results: &[ResultLine]) -> String {
    let width = width(results.iter().map(|r| r.id.len()).max().unwrap_or(8));
    let mut out = header(width);
    let mut tail = Tail::default();
    for r in results {
        out.push_str(&row(r, width));
        tail.add(r);
    }
    out.push_str(&tail.render());
    out
}
