//! The batch view's data: a batch `--out` folder's results.jsonl (the last line of each run,
//! read through [`ResultsIndex`]) with totals, and each run's session when its rollout is there.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::session::{read_session, SessionView};
use crate::batch::results::{ResultLine, ResultsIndex, UsageSummary};

/// Text kept per timeline entry in a batch report: enough to debug, small enough that a run of
/// a thousand scenarios stays a few megabytes.
const BATCH_FOLD: usize = 2000;

/// Totals over every run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BatchTotals {
    pub runs: u64,
    pub pass: u64,
    pub fail: u64,
    pub error: u64,
    pub skipped: u64,
    pub timeout: u64,
    pub usage: UsageSummary,
    /// Sum over the runs that carry a cost; `None` when none does.
    pub cost_usd: Option<f64>,
    /// Sum of run durations.
    pub duration_ms: u64,
    /// From the first run's start to the last run's end, from the rollouts' first and last
    /// timestamps (`None` when no rollout is there).
    pub wall_ms: Option<i64>,
}

/// One run with its session.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioView {
    #[serde(flatten)]
    pub result: ResultLine,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionView>,
    /// Why the rollout could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BatchView {
    pub out: String,
    pub totals: BatchTotals,
    pub scenarios: Vec<ScenarioView>,
}

/// Reads the batch folder `dir`.
pub fn read_batch(dir: &Path) -> Result<BatchView, String> {
    let path = dir.join("results.jsonl");
    if !path.is_file() {
        return Err(format!("{}: no results.jsonl here", dir.display()));
    }
    let index = ResultsIndex::build(&path)?;
    let mut totals = BatchTotals::default();
    let mut scenarios = Vec::with_capacity(index.len());
    let (mut first, mut last) = (None::<String>, None::<String>);
    index.for_each(|r| {
        add(&mut totals, r);
        let (session, session_error) = match r.rollout.as_deref() {
            Some(rollout) => match read_session(&resolve(dir, rollout), BATCH_FOLD) {
                Ok(s) => (Some(s), None),
                Err(e) => (None, Some(e)),
            },
            None => (None, None),
        };
        if let Some(s) = &session {
            let times = s.entries.iter().map(|e| &e.t).filter(|t| !t.is_empty());
            for t in times {
                if first.as_ref().is_none_or(|f| t < f) {
                    first = Some(t.clone());
                }
                if last.as_ref().is_none_or(|l| t > l) {
                    last = Some(t.clone());
                }
            }
        }
        scenarios.push(ScenarioView {
            result: r.clone(),
            session,
            session_error,
        });
    })?;
    totals.wall_ms = match (first, last) {
        (Some(a), Some(b)) => millis_between(&a, &b),
        _ => None,
    };
    Ok(BatchView {
        out: dir.display().to_string(),
        totals,
        scenarios,
    })
}

fn add(t: &mut BatchTotals, r: &ResultLine) {
    use crate::batch::results::Status;
    t.runs += 1;
    match r.status {
        Status::Pass => t.pass += 1,
        Status::Fail => t.fail += 1,
        Status::Error => t.error += 1,
        Status::Skipped => t.skipped += 1,
        Status::Timeout => t.timeout += 1,
    }
    t.usage.input_tokens += r.usage.input_tokens;
    t.usage.cached_input_tokens += r.usage.cached_input_tokens;
    t.usage.output_tokens += r.usage.output_tokens;
    t.usage.reasoning_output_tokens += r.usage.reasoning_output_tokens;
    if let Some(c) = r.cost_usd {
        *t.cost_usd.get_or_insert(0.0) += c;
    }
    t.duration_ms += r.duration_ms;
}

/// A rollout path as results.jsonl holds it: absolute, or relative to the run folder.
fn resolve(dir: &Path, rollout: &str) -> PathBuf {
    let p = PathBuf::from(rollout);
    if p.is_absolute() || p.exists() {
        p
    } else {
        dir.join(p)
    }
}

fn millis_between(a: &str, b: &str) -> Option<i64> {
    let a = chrono::DateTime::parse_from_rfc3339(a).ok()?;
    let b = chrono::DateTime::parse_from_rfc3339(b).ok()?;
    Some((b - a).num_milliseconds())
}
