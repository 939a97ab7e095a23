//! `rcodex batch compare RUN_A RUN_B`: what changed between two batch runs, scenario by
//! scenario, for a pull-request comment (markdown) or a machine (`--json`). RUN_A is the
//! baseline, RUN_B the candidate; any scenario that passed in A and does not in B is a
//! regression, and a regression makes the exit code 1.
//!
//! With `--repeat`, a scenario's verdict is `pass` only when every run of it passed (the rule
//! the batch's own exit code uses); pass@1 and pass@k (k = the smaller repeat count of the two
//! runs, see `pass_at_k`) show how far a flaky scenario moved.

mod markdown;
mod pass_at_k;
mod read;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use pass_at_k::pass_at_k;
pub use read::{read_run, RunLine, Tokens};

/// How a scenario changed from A to B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Passed in A, not in B.
    Regressed,
    /// Did not pass in A, passes in B.
    Fixed,
    /// Only in B.
    New,
    /// Only in A.
    Missing,
    /// Same verdict.
    Unchanged,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Regressed => "regressed",
            Change::Fixed => "fixed",
            Change::New => "new",
            Change::Missing => "missing",
            Change::Unchanged => "unchanged",
        }
    }
}

/// One scenario's runs on one side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Side {
    /// `pass` when every run passed; else the status of the first run that did not.
    pub status: String,
    pub runs: u32,
    pub passes: u32,
    pub pass_at_1: f64,
    pub pass_at_k: f64,
    /// Means per run.
    pub tokens: u64,
    pub cost_usd: Option<f64>,
    pub duration_ms: u64,
    pub ttft_ms: Option<u64>,
}

/// B minus A, per run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Delta {
    pub tokens: i64,
    pub cost_usd: Option<f64>,
    pub duration_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioChange {
    pub id: String,
    pub change: Change,
    pub a: Option<Side>,
    pub b: Option<Side>,
    /// When the scenario is in both runs.
    pub delta: Option<Delta>,
}

/// One run's totals over all its lines.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    pub scenarios: u32,
    pub runs: u32,
    pub passed_runs: u32,
    /// Scenarios whose every run passed.
    pub passed_scenarios: u32,
    /// Mean over scenarios.
    pub pass_at_1: f64,
    pub pass_at_k: f64,
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
    /// Sum of the lines that carry a cost; `None` when none does.
    pub cost_usd: Option<f64>,
    /// Sum of run durations (not the batch's wall time, which overlaps runs).
    pub duration_ms: u64,
    /// Mean time to first token over the runs that report it.
    pub ttft_ms: Option<u64>,
}

/// The whole comparison (`--json` prints it as is).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    /// The k of pass@k.
    pub k: u32,
    pub regressed: u32,
    pub fixed: u32,
    pub new: u32,
    pub missing: u32,
    pub unchanged: u32,
    /// Every scenario: changed ones first (regressed, fixed, new, missing), then by id.
    pub scenarios: Vec<ScenarioChange>,
    pub totals_a: Totals,
    pub totals_b: Totals,
}

fn mean_u64(values: impl Iterator<Item = u64>) -> Option<u64> {
    let (sum, n) = values.fold((0u64, 0u64), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n)
}

fn total_tokens(l: &RunLine) -> u64 {
    l.usage.input_tokens + l.usage.output_tokens
}

fn side(lines: &[RunLine], k: u32) -> Side {
    let runs = lines.len() as u32;
    let passes = lines.iter().filter(|l| l.passed()).count() as u32;
    let status = lines
        .iter()
        .find(|l| !l.passed())
        .map_or("pass", |l| l.status.as_str())
        .to_string();
    let costs: Vec<f64> = lines.iter().filter_map(|l| l.cost_usd).collect();
    Side {
        status,
        runs,
        passes,
        pass_at_1: pass_at_k(runs, passes, 1),
        pass_at_k: pass_at_k(runs, passes, k),
        tokens: mean_u64(lines.iter().map(total_tokens)).unwrap_or(0),
        cost_usd: (!costs.is_empty()).then(|| costs.iter().sum::<f64>() / costs.len() as f64),
        duration_ms: mean_u64(lines.iter().map(|l| l.duration_ms)).unwrap_or(0),
        ttft_ms: mean_u64(lines.iter().filter_map(|l| l.ttft_ms)),
    }
}

fn delta(a: &Side, b: &Side) -> Delta {
    Delta {
        tokens: b.tokens as i64 - a.tokens as i64,
        cost_usd: match (a.cost_usd, b.cost_usd) {
            (Some(x), Some(y)) => Some(y - x),
            _ => None,
        },
        duration_ms: b.duration_ms as i64 - a.duration_ms as i64,
    }
}

fn totals(run: &BTreeMap<String, Vec<RunLine>>, k: u32) -> Totals {
    let mut t = Totals::default();
    let mut costs = None::<f64>;
    let mut ttfts = Vec::new();
    let (mut at1, mut atk) = (0.0, 0.0);
    for lines in run.values() {
        let s = side(lines, k);
        t.scenarios += 1;
        t.runs += s.runs;
        t.passed_runs += s.passes;
        t.passed_scenarios += u32::from(s.status == "pass");
        at1 += s.pass_at_1;
        atk += s.pass_at_k;
        for l in lines {
            t.input_tokens += l.usage.input_tokens;
            t.cached_input_tokens += l.usage.cached_input_tokens;
            t.output_tokens += l.usage.output_tokens;
            t.reasoning_output_tokens += l.usage.reasoning_output_tokens;
            t.duration_ms += l.duration_ms;
            if let Some(c) = l.cost_usd {
                *costs.get_or_insert(0.0) += c;
            }
            ttfts.extend(l.ttft_ms);
        }
    }
    if t.scenarios > 0 {
        t.pass_at_1 = at1 / f64::from(t.scenarios);
        t.pass_at_k = atk / f64::from(t.scenarios);
    }
    t.cost_usd = costs;
    t.ttft_ms = mean_u64(ttfts.into_iter());
    t
}

/// The most runs any scenario has in `run` (its `--repeat`).
fn repeats(run: &BTreeMap<String, Vec<RunLine>>) -> u32 {
    run.values().map(|v| v.len() as u32).max().unwrap_or(1)
}

/// Compares two runs read with [`read_run`]; `a` and `b` name them in the report.
pub fn compare(
    a: &str,
    run_a: &BTreeMap<String, Vec<RunLine>>,
    b: &str,
    run_b: &BTreeMap<String, Vec<RunLine>>,
) -> Comparison {
    let k = match (run_a.is_empty(), run_b.is_empty()) {
        (false, false) => repeats(run_a).min(repeats(run_b)),
        _ => repeats(run_a).max(repeats(run_b)),
    }
    .max(1);
    let ids: BTreeSet<&String> = run_a.keys().chain(run_b.keys()).collect();
    let mut scenarios = Vec::new();
    for id in ids {
        let sa = run_a.get(id).map(|l| side(l, k));
        let sb = run_b.get(id).map(|l| side(l, k));
        let change = match (&sa, &sb) {
            (Some(x), Some(y)) => match (x.status == "pass", y.status == "pass") {
                (true, false) => Change::Regressed,
                (false, true) => Change::Fixed,
                _ => Change::Unchanged,
            },
            (None, _) => Change::New,
            (_, None) => Change::Missing,
        };
        let d = match (&sa, &sb) {
            (Some(x), Some(y)) => Some(delta(x, y)),
            _ => None,
        };
        scenarios.push(ScenarioChange {
            id: id.clone(),
            change,
            a: sa,
            b: sb,
            delta: d,
        });
    }
    // Stable: ids stay in order within each kind.
    scenarios.sort_by_key(|s| s.change);
    let count = |c: Change| scenarios.iter().filter(|s| s.change == c).count() as u32;
    Comparison {
        a: a.to_string(),
        b: b.to_string(),
        k,
        regressed: count(Change::Regressed),
        fixed: count(Change::Fixed),
        new: count(Change::New),
        missing: count(Change::Missing),
        unchanged: count(Change::Unchanged),
        totals_a: totals(run_a, k),
        totals_b: totals(run_b, k),
        scenarios,
    }
}

/// Runs `batch compare`: prints the report, returns 1 on a regression, else 0; a folder or
/// file that cannot be read is an `Err` (exit 2).
pub fn run_compare(a: &Path, b: &Path, json: bool, max_rows: usize) -> Result<i32, String> {
    let run_a = read_run(a)?;
    let run_b = read_run(b)?;
    let shown = |p: &Path| PathBuf::from(p).display().to_string();
    let c = compare(&shown(a), &run_a, &shown(b), &run_b);
    if json {
        let text = serde_json::to_string_pretty(&c).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", markdown::render(&c, max_rows));
    }
    Ok(i32::from(c.regressed > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, repeat: u32, status: &str, tokens: u64, ms: u64) -> RunLine {
        RunLine {
            id: id.into(),
            repeat,
            status: status.into(),
            usage: Tokens {
                input_tokens: tokens,
                ..Tokens::default()
            },
            duration_ms: ms,
            cost_usd: None,
            ttft_ms: None,
        }
    }

    fn run(lines: Vec<RunLine>) -> BTreeMap<String, Vec<RunLine>> {
        let mut out: BTreeMap<String, Vec<RunLine>> = BTreeMap::new();
        for l in lines {
            out.entry(l.id.clone()).or_default().push(l);
        }
        out
    }

    #[test]
    fn every_kind_of_change_is_classified_and_changed_ones_come_first() {
        let a = run(vec![
            line("same", 0, "pass", 10, 5),
            line("broke", 0, "pass", 10, 5),
            line("healed", 0, "fail", 10, 5),
            line("gone", 0, "pass", 10, 5),
            line("still_bad", 0, "fail", 10, 5),
        ]);
        let b = run(vec![
            line("same", 0, "pass", 15, 3),
            line("broke", 0, "error", 10, 5),
            line("healed", 0, "pass", 10, 5),
            line("added", 0, "pass", 10, 5),
            line("still_bad", 0, "timeout", 10, 5),
        ]);
        let c = compare("a", &a, "b", &b);
        let kinds: Vec<(&str, Change)> = c
            .scenarios
            .iter()
            .map(|s| (s.id.as_str(), s.change))
            .collect();
        assert_eq!(
            kinds,
            [
                ("broke", Change::Regressed),
                ("healed", Change::Fixed),
                ("added", Change::New),
                ("gone", Change::Missing),
                ("same", Change::Unchanged),
                ("still_bad", Change::Unchanged),
            ]
        );
        assert_eq!(
            (c.regressed, c.fixed, c.new, c.missing, c.unchanged),
            (1, 1, 1, 1, 2)
        );
        let same = c.scenarios.iter().find(|s| s.id == "same").unwrap();
        assert_eq!(
            same.delta,
            Some(Delta {
                tokens: 5,
                cost_usd: None,
                duration_ms: -2
            })
        );
        assert_eq!(c.scenarios[0].b.as_ref().unwrap().status, "error");
        assert_eq!(c.k, 1);
    }

    #[test]
    fn repeats_give_pass_at_k_and_a_strict_verdict() {
        let a = run(vec![
            line("flaky", 0, "pass", 1, 1),
            line("flaky", 1, "pass", 1, 1),
            line("flaky", 2, "pass", 1, 1),
        ]);
        let b = run(vec![
            line("flaky", 0, "pass", 1, 1),
            line("flaky", 1, "fail", 1, 1),
            line("flaky", 2, "pass", 1, 1),
        ]);
        let c = compare("a", &a, "b", &b);
        assert_eq!(c.k, 3);
        let s = &c.scenarios[0];
        assert_eq!(s.change, Change::Regressed);
        let sb = s.b.as_ref().unwrap();
        assert_eq!((sb.runs, sb.passes), (3, 2));
        assert!((sb.pass_at_1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(sb.pass_at_k, 1.0);
        assert_eq!(sb.status, "fail");
        assert!((c.totals_b.pass_at_1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(c.totals_b.passed_runs, 2);
    }

    #[test]
    fn costs_and_ttft_are_used_when_present() {
        let mut with_cost = line("x", 0, "pass", 100, 10);
        with_cost.cost_usd = Some(0.5);
        with_cost.ttft_ms = Some(30);
        let a = run(vec![line("x", 0, "pass", 100, 10)]);
        let b = run(vec![with_cost]);
        let c = compare("a", &a, "b", &b);
        assert_eq!(c.scenarios[0].delta.as_ref().unwrap().cost_usd, None);
        assert_eq!(c.totals_a.cost_usd, None);
        assert_eq!(c.totals_b.cost_usd, Some(0.5));
        assert_eq!(c.totals_b.ttft_ms, Some(30));
    }
}
