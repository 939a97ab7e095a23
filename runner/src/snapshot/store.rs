//! Users' snapshots (`rcodex batch --snapshots DIR`): each run's snapshots are compared with the
//! ones under DIR. A missing one is written as the new baseline (reported as new, for review); a
//! different one leaves its new version as `.snap.new` beside the old (reviewable with
//! `cargo insta review`) and fails, with a line diff; a stored one the run no longer produces
//! (it sent fewer requests) fails too. `--snapshots-update` accepts what the run produced.

use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;
use similar::TextDiff;

use super::redaction::render;
use super::snap_file;
use super::{entries, run_folder};

/// What the `source` header of a snapshot written here says.
const SOURCE: &str = "rcodex batch --snapshots";

/// A snapshot folder, and whether this run accepts what it produces.
#[derive(Clone, Debug)]
pub struct SnapshotStore {
    pub root: PathBuf,
    pub update: bool,
}

/// What became of one snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Same as stored.
    Unchanged,
    /// None was stored; this run's is now the stored one.
    New,
    /// Differs from the stored one; the new version waits in `.snap.new`.
    Drifted { diff: String },
    /// Stored, but this run did not produce it.
    NotProduced,
    /// Differed or was not produced, and `--snapshots-update` accepted the change.
    Updated,
}

/// One snapshot's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// `request-1` … `events`.
    pub name: String,
    pub path: PathBuf,
    pub verdict: Verdict,
}

impl Checked {
    /// A change a reviewer has to act on.
    pub fn failed(&self) -> bool {
        matches!(self.verdict, Verdict::Drifted { .. } | Verdict::NotProduced)
    }

    /// One line (plus the diff for a drift) saying what happened, for reports.
    pub fn describe(&self) -> String {
        let path = self.path.display();
        match &self.verdict {
            Verdict::Unchanged => format!("{path}: unchanged"),
            Verdict::New => format!("{path}: new snapshot written; review and keep it"),
            Verdict::Updated => format!("{path}: updated"),
            Verdict::NotProduced => format!(
                "{path}: stored, but this run did not produce it; --snapshots-update removes it"
            ),
            Verdict::Drifted { diff } => format!(
                "{path} differs; the new version is in {}.new (review with `cargo insta review`, \
                 accept with --snapshots-update):\n{diff}",
                path
            ),
        }
    }
}

/// What one run sent and emitted, for [`SnapshotStore::check_run`].
pub struct RunOutput<'a> {
    pub scenario_id: &'a str,
    pub repeat: u32,
    pub scenario_file: &'a Path,
    pub requests: &'a [Value],
    pub events: &'a [Value],
    pub workspace: &'a Path,
}

impl SnapshotStore {
    /// Compares (or, updating, accepts) the snapshots of one run; file errors name the file.
    pub fn check_run(&self, run: &RunOutput<'_>) -> Result<Vec<Checked>, String> {
        let folder = self.root.join(run_folder(run.scenario_id, run.repeat));
        let mut out = Vec::new();
        let produced = entries(run.requests, run.events);
        for entry in &produced {
            let path = folder.join(format!("{}.snap", entry.name));
            let text = render(&entry.value, entry.rules, run.workspace);
            let verdict = self.settle(&path, run.scenario_file, &text)?;
            out.push(Checked {
                name: entry.name.clone(),
                path,
                verdict,
            });
        }
        for path in stored_snapshots(&folder)? {
            let name = stem(&path);
            if produced.iter().any(|e| e.name == name) {
                continue;
            }
            let verdict = if self.update {
                remove(&path)?;
                remove(&snap_file::pending_path(&path))?;
                Verdict::Updated
            } else {
                Verdict::NotProduced
            };
            out.push(Checked {
                name,
                path,
                verdict,
            });
        }
        Ok(out)
    }

    fn settle(&self, path: &Path, scenario_file: &Path, text: &str) -> Result<Verdict, String> {
        let pending = snap_file::pending_path(path);
        let write = |to: &Path| {
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(to, snap_file::render(SOURCE, scenario_file, text))
                .map_err(|e| format!("{}: {e}", to.display()))
        };
        let stored = match std::fs::read_to_string(path) {
            Ok(stored) => snap_file::body(&stored),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                write(path)?;
                remove(&pending)?;
                return Ok(Verdict::New);
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        if stored == text.trim_end() {
            remove(&pending)?;
            return Ok(Verdict::Unchanged);
        }
        if self.update {
            write(path)?;
            remove(&pending)?;
            return Ok(Verdict::Updated);
        }
        write(&pending)?;
        let diff = TextDiff::from_lines(stored.as_str(), text.trim_end())
            .unified_diff()
            .context_radius(3)
            .header("stored", "this run")
            .to_string();
        Ok(Verdict::Drifted { diff })
    }
}

/// The `.snap` files directly in `folder` (none when it does not exist), sorted.
fn stored_snapshots(folder: &Path) -> Result<Vec<PathBuf>, String> {
    let read = match std::fs::read_dir(folder) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", folder.display())),
    };
    let mut out: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "snap"))
        .collect();
    out.sort();
    Ok(out)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn remove(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run<'a>(requests: &'a [Value], events: &'a [Value]) -> RunOutput<'a> {
        RunOutput {
            scenario_id: "dir/case",
            repeat: 0,
            scenario_file: Path::new("evals/dir/case.toml"),
            requests,
            events,
            workspace: Path::new("/tmp/ws"),
        }
    }

    fn verdicts(checked: &[Checked]) -> Vec<(&str, &Verdict)> {
        checked
            .iter()
            .map(|c| (c.name.as_str(), &c.verdict))
            .collect()
    }

    #[test]
    fn new_then_unchanged_then_drifted_then_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let store = SnapshotStore {
            root: dir.path().to_path_buf(),
            update: false,
        };
        let two = [json!({"model": "a"}), json!({"model": "a", "n": 2})];
        let events = [json!({"type": "turn.started"})];
        let first = store.check_run(&run(&two, &events)).unwrap();
        assert_eq!(
            verdicts(&first),
            [
                ("request-1", &Verdict::New),
                ("request-2", &Verdict::New),
                ("events", &Verdict::New)
            ]
        );
        let file = dir.path().join("dir/case/request-2.snap");
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(
            written.starts_with("---\nsource: rcodex batch --snapshots\n"),
            "{written}"
        );
        assert!(store
            .check_run(&run(&two, &events))
            .unwrap()
            .iter()
            .all(|c| c.verdict == Verdict::Unchanged));

        let changed = [json!({"model": "b"})];
        let third = store.check_run(&run(&changed, &events)).unwrap();
        let Verdict::Drifted { diff } = &third[0].verdict else {
            panic!("{third:?}")
        };
        assert!(
            diff.contains("-  \"model\": \"a\"\n+  \"model\": \"b\""),
            "{diff}"
        );
        assert_eq!(third[2].name, "request-2");
        assert_eq!(third[2].verdict, Verdict::NotProduced);
        assert!(third.iter().filter(|c| c.failed()).count() == 2);
        assert!(dir.path().join("dir/case/request-1.snap.new").exists());
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            written,
            "stored one kept"
        );

        let accept = SnapshotStore {
            update: true,
            ..store.clone()
        };
        let fourth = accept.check_run(&run(&changed, &events)).unwrap();
        assert_eq!(
            verdicts(&fourth),
            [
                ("request-1", &Verdict::Updated),
                ("events", &Verdict::Unchanged),
                ("request-2", &Verdict::Updated)
            ]
        );
        assert!(!file.exists());
        assert!(!dir.path().join("dir/case/request-1.snap.new").exists());
        assert!(store
            .check_run(&run(&changed, &events))
            .unwrap()
            .iter()
            .all(|c| c.verdict == Verdict::Unchanged));
    }
}
