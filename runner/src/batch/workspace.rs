//! Where a scenario run works: its own temporary folder, filled from the scenario's sources (a
//! git revision, then a copied folder, then the inline `files` on top), deleted after the run
//! unless `--keep-workspaces` asked for it or the run did not pass; a kept path goes into
//! results.jsonl (`workspace`) so a failure can be looked at.

use std::path::{Path, PathBuf};

use super::results::{ResultLine, Status};
use super::scenario::{Scenario, Workspace};

/// `value` relative to the folder holding the scenario file (absolute paths stay as they are).
pub(super) fn beside(scenario_file: &Path, value: &str) -> PathBuf {
    let base = scenario_file.parent().unwrap_or(Path::new(""));
    let joined = base.join(value);
    std::path::absolute(&joined).unwrap_or(joined)
}

/// Checks `workspace.dir` and `workspace.git` as the file is read (and records their lines):
/// `Err((line, "field: what"))`.
pub fn check_sources(
    ws: &mut Workspace,
    text: &str,
    scenario_file: &Path,
) -> Result<(), (usize, String)> {
    if let Some(dir) = ws.dir.as_mut() {
        let line = dir.locate(text);
        if dir.value.trim().is_empty() {
            return Err((line, "workspace.dir: must not be empty".into()));
        }
        let path = beside(scenario_file, &dir.value);
        if !path.is_dir() {
            return Err((
                line,
                format!("workspace.dir: {} is not a folder", path.display()),
            ));
        }
    }
    if let Some(git) = ws.git.as_mut() {
        super::git_source::check(git, text, scenario_file)?;
    }
    Ok(())
}

/// Fills `work` (an existing, empty folder) from the scenario's git revision and folder, in
/// that order; the inline files are written afterwards by [`Scenario::write_workspace`].
pub fn fill_from_sources(s: &Scenario, work: &Path) -> Result<(), String> {
    let file = s.path.display();
    if let Some(git) = &s.workspace.git {
        super::git_source::materialize(git, &s.path, work)
            .map_err(|(line, e)| format!("{file}:{line}: {e}"))?;
    }
    if let Some(dir) = &s.workspace.dir {
        let from = beside(&s.path, &dir.value);
        copy_tree(&from, work).map_err(|e| format!("{file}:{}: workspace.dir: {e}", dir.line))?;
    }
    Ok(())
}

/// Writes the whole workspace; cloning and copying block, so they run off the async workers
/// (a scenario with inline files only is written in place, as before).
pub async fn write(s: &Scenario, work: &Path) -> Result<(), String> {
    if s.workspace.git.is_none() && s.workspace.dir.is_none() {
        return s.write_workspace(work);
    }
    let (s, work) = (s.clone(), work.to_path_buf());
    tokio::task::spawn_blocking(move || s.write_workspace(&work))
        .await
        .map_err(|e| format!("writing the workspace: {e}"))?
}

/// Copies the tree under `from` into `to` (files with their permissions, folders, symlinks as
/// symlinks), over what is there.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = entry.path().strip_prefix(from).map_err(|e| e.to_string())?;
        let target = to.join(rel);
        let io = |e: std::io::Error| format!("{}: {e}", entry.path().display());
        let kind = entry.file_type();
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(io)?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).map_err(io)?;
            let _ = std::fs::remove_file(&target);
            std::os::unix::fs::symlink(link, &target).map_err(io)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io)?;
        }
    }
    Ok(())
}

/// One run's temporary workspace: deleted when dropped, unless kept.
pub struct RunWorkspace {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl RunWorkspace {
    /// A new empty folder named after the scenario (`rcodex-<id>-r<repeat>-XXXXXX`), so a kept
    /// one is recognisable in the temp folder.
    pub fn create(id: &str, repeat: u32) -> Result<RunWorkspace, String> {
        let slug: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .take(48)
            .collect();
        let dir = tempfile::Builder::new()
            .prefix(&format!("rcodex-{slug}-r{repeat}-"))
            .tempdir_in(crate::temp::temp_root())
            .map_err(|e| format!("temp dir: {e}"))?;
        let path = dir.path().canonicalize().map_err(|e| e.to_string())?;
        Ok(RunWorkspace { dir, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leaves the folder on disk; returns where it is.
    pub fn keep(self) -> PathBuf {
        let _ = self.dir.keep();
        self.path
    }
}

/// After a run: keeps its workspace when `keep_all` (`--keep-workspaces`) or when the run
/// failed, errored or timed out, and records the kept path in `line`; otherwise deletes it.
pub fn settle(ws: Option<RunWorkspace>, line: &mut ResultLine, keep_all: bool) {
    let Some(ws) = ws else { return };
    let keep = match line.status {
        Status::Fail | Status::Error | Status::Timeout => true,
        Status::Pass => keep_all,
        Status::Skipped => false,
    };
    if keep {
        line.workspace = Some(ws.keep().display().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_tree_copies_files_folders_modes_and_symlinks() {
        use std::os::unix::fs::PermissionsExt;
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("a/b")).unwrap();
        std::fs::write(src.path().join("a/b/f.txt"), "x").unwrap();
        std::fs::write(src.path().join("run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            src.path().join("run.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::os::unix::fs::symlink("a/b/f.txt", src.path().join("link")).unwrap();
        std::fs::write(dst.path().join("link"), "old").unwrap();
        copy_tree(src.path(), dst.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dst.path().join("a/b/f.txt")).unwrap(),
            "x"
        );
        let mode = std::fs::metadata(dst.path().join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        assert_eq!(
            std::fs::read_link(dst.path().join("link")).unwrap(),
            Path::new("a/b/f.txt")
        );
    }

    #[test]
    fn a_workspace_is_deleted_unless_kept_or_not_passed() {
        let line = |status| {
            ResultLine {
            status,
            ..serde_json::from_str(
                r#"{"id":"a","repeat":0,"name":"a","file":"a.toml","status":"pass","duration_ms":0}"#,
            )
            .unwrap()
        }
        };
        let mut cases = Vec::new();
        for (status, keep_all, kept) in [
            (Status::Pass, false, false),
            (Status::Pass, true, true),
            (Status::Fail, false, true),
            (Status::Error, false, true),
            (Status::Skipped, true, false),
        ] {
            let ws = RunWorkspace::create("dir/a b", 2).unwrap();
            let path = ws.path().to_path_buf();
            assert!(path
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("rcodex-dir-a-b-r2-"));
            let mut l = line(status);
            settle(Some(ws), &mut l, keep_all);
            assert_eq!(path.exists(), kept, "{status:?} keep_all={keep_all}");
            assert_eq!(l.workspace.is_some(), kept);
            cases.push(path);
        }
        for p in cases.into_iter().filter(|p| p.exists()) {
            std::fs::remove_dir_all(p).unwrap();
        }
    }
}
