//! Which files `rcodex replay PATH...` reads: a file as given, a folder walked (walkdir) for the
//! rollouts in it, in a fixed order so that runs and their reports are deterministic.

use std::path::{Path, PathBuf};

/// One thing to replay, in report order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A file to read (it may still turn out missing or not a rollout).
    File(PathBuf),
    /// A folder (or part of one) that could not be listed, or held no rollout: `path: message`.
    Unlistable { path: PathBuf, message: String },
}

/// Expands `paths` in the order given; each folder's files sorted by path.
pub fn targets(paths: &[PathBuf]) -> Vec<Target> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk_dir(path, &mut out);
        } else {
            out.push(Target::File(path.clone()));
        }
    }
    out
}

fn walk_dir(dir: &Path, out: &mut Vec<Target>) {
    let before = out.len();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) if e.file_type().is_file() && is_rollout_name(e.path()) => {
                out.push(Target::File(e.into_path()));
            }
            Ok(_) => {}
            Err(e) => out.push(Target::Unlistable {
                path: e.path().unwrap_or(dir).to_path_buf(),
                message: e.to_string(),
            }),
        }
    }
    if out.len() == before {
        out.push(Target::Unlistable {
            path: dir.to_path_buf(),
            message: "no rollout files (rollout-*.jsonl, rollouts/*.jsonl) in this folder".into(),
        });
    }
}

/// Codex and `rcodex exec` name rollouts `rollout-<time>-<id>.jsonl`; `rcodex batch --out`
/// keeps them as `rollouts/<scenario>-r<k>.jsonl` next to `results.jsonl`, which is not one.
fn is_rollout_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if !name.ends_with(".jsonl") {
        return false;
    }
    let in_rollouts_folder = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|p| p == "rollouts");
    name.starts_with("rollout-") || in_rollouts_folder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    #[test]
    fn folders_yield_rollouts_sorted_and_skip_other_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        touch(&root.join("sessions/2026/12/02/rollout-b.jsonl"));
        touch(&root.join("sessions/2026/12/01/rollout-z.jsonl"));
        touch(&root.join("sessions/2026/12/01/notes.jsonl"));
        touch(&root.join("sessions/state_5.sqlite"));
        touch(&root.join("batch/results.jsonl"));
        touch(&root.join("batch/rollouts/tools__x-r0.jsonl"));
        // A linked rollout is followed like a file.
        touch(&root.join("elsewhere/kept.jsonl"));
        std::os::unix::fs::symlink(
            root.join("elsewhere/kept.jsonl"),
            root.join("sessions/2026/12/02/rollout-c.jsonl"),
        )
        .unwrap();
        let got = targets(&[root.join("sessions"), root.join("batch")]);
        let want: Vec<Target> = [
            "sessions/2026/12/01/rollout-z.jsonl",
            "sessions/2026/12/02/rollout-b.jsonl",
            "sessions/2026/12/02/rollout-c.jsonl",
            "batch/rollouts/tools__x-r0.jsonl",
        ]
        .iter()
        .map(|p| Target::File(root.join(p)))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_file_is_taken_as_given_and_an_empty_folder_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("anything.txt");
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let got = targets(&[file.clone(), empty.clone()]);
        assert_eq!(got[0], Target::File(file));
        assert!(
            matches!(&got[1], Target::Unlistable { path, .. } if *path == empty),
            "{got:?}"
        );
        assert_eq!(got.len(), 2);
    }
}
