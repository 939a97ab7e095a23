//! `rcodex batch --snapshots [DIR]`: where the snapshot folder is, and how one run's snapshot
//! verdicts ([`crate::snapshot::store`]) become checks of its results line — a drift or a
//! snapshot the run no longer produces fails the run (results.jsonl, JUnit), with its diff — and
//! the closing tally.

use std::fmt;
use std::path::{Path, PathBuf};

use super::expect::CheckOutcome;
use super::results::{ResultLine, Status};
use super::run_one::Capture;
use crate::snapshot::store::{Checked, RunOutput, SnapshotStore, Verdict};

/// The snapshot folder when `--snapshots` names none: `snapshots/` beside the first scenario
/// path, i.e. in the folder that holds it (for `scenarios/`, `./snapshots`; for `evals/a.toml`,
/// `evals/snapshots`).
pub fn default_dir(first_path: &Path) -> PathBuf {
    // Rebuilt from components, so `scenarios/` has the same parent as `scenarios`.
    let path: PathBuf = first_path.components().collect();
    path.parent().unwrap_or(Path::new("")).join("snapshots")
}

/// How many snapshots ended which way in this invocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub unchanged: usize,
    pub new: usize,
    pub drifted: usize,
    pub not_produced: usize,
    pub updated: usize,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.unchanged += other.unchanged;
        self.new += other.new;
        self.drifted += other.drifted;
        self.not_produced += other.not_produced;
        self.updated += other.updated;
    }

    fn count(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Unchanged => self.unchanged += 1,
            Verdict::New => self.new += 1,
            Verdict::Drifted { .. } => self.drifted += 1,
            Verdict::NotProduced => self.not_produced += 1,
            Verdict::Updated => self.updated += 1,
        }
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} unchanged, {} new, {} drifted, {} no longer produced, {} updated",
            self.unchanged, self.new, self.drifted, self.not_produced, self.updated
        )
    }
}

/// Checks one run's snapshots and records the verdicts in its results line.
pub fn check(store: &SnapshotStore, line: &mut ResultLine, capture: &Capture) -> Tally {
    let run = RunOutput {
        scenario_id: &line.id,
        repeat: line.repeat,
        scenario_file: Path::new(&line.file),
        requests: &capture.requests,
        events: &capture.events,
        workspace: &capture.workspace,
    };
    let checked = match store.check_run(&run) {
        Ok(checked) => checked,
        Err(message) => {
            line.status = Status::Error;
            line.error = Some(format!("--snapshots: {message}"));
            return Tally::default();
        }
    };
    let mut tally = Tally::default();
    for c in &checked {
        tally.count(&c.verdict);
        line.checks.push(outcome(c));
    }
    if line.status == Status::Pass && checked.iter().any(Checked::failed) {
        line.status = Status::Fail;
    }
    tally
}

fn outcome(c: &Checked) -> CheckOutcome {
    CheckOutcome {
        check: format!("snapshot[{}]", c.name),
        passed: !c.failed(),
        detail: match c.verdict {
            Verdict::Unchanged => String::new(),
            _ => c.describe(),
        },
        command: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_folder_is_beside_the_first_path() {
        assert_eq!(default_dir(Path::new("scenarios")), Path::new("snapshots"));
        assert_eq!(default_dir(Path::new("scenarios/")), Path::new("snapshots"));
        assert_eq!(
            default_dir(Path::new("/work/evals/suite")),
            Path::new("/work/evals/snapshots")
        );
        assert_eq!(
            default_dir(Path::new("evals/a.toml")),
            Path::new("evals/snapshots")
        );
    }
}
