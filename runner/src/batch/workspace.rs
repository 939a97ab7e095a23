//! Where a scenario run works: its own temporary folder, filled from the scenario's sources (a
//! git revision, then a copied folder, then the inline `files` on top), deleted after the run
//! unless `--keep-workspaces` asked for it or the run did not pass; a kept path goes into
//! results.jsonl (`workspace`) so a failure can be looked at.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use super::at_line::AtLine;
use super::results::{ResultLine, Status};
use super::scenario::{Scenario, Workspace};

/// `workspace.git = { repo = "path or URL", rev = "..." }`: cloned, then checked out at `rev`
/// (default: the repository's default branch).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitSource {
    pub repo: AtLine<String>,
    #[serde(default)]
    pub rev: Option<AtLine<String>>,
}

/// True for what git reads as a remote (`https://…`, `file://…`, `git@host:path`); anything
/// else is a local path, relative to the scenario file.
fn is_url(repo: &str) -> bool {
    if repo.contains("://") {
        return true;
    }
    // scp-like `user@host:path`: a colon before any slash, after an `@`.
    match (repo.find('@'), repo.find(':'), repo.find('/')) {
        (Some(at), Some(colon), slash) => at < colon && slash.is_none_or(|s| colon < s),
        _ => false,
    }
}

/// `value` relative to the folder holding the scenario file (absolute paths stay as they are).
fn beside(scenario_file: &Path, value: &str) -> PathBuf {
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
        let line = git.repo.locate(text);
        let repo = git.repo.value.as_str();
        if repo.trim().is_empty() {
            return Err((line, "workspace.git.repo: must not be empty".into()));
        }
        if repo.starts_with('-') {
            return Err((line, "workspace.git.repo: must not start with `-`".into()));
        }
        if !is_url(repo) && !beside(scenario_file, repo).exists() {
            return Err((
                line,
                format!(
                    "workspace.git.repo: {} does not exist (a local path is relative to the scenario file)",
                    beside(scenario_file, repo).display()
                ),
            ));
        }
        if let Some(rev) = git.rev.as_mut() {
            let line = rev.locate(text);
            let bad = rev.value.is_empty()
                || rev.value.starts_with('-')
                || rev
                    .value
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control());
            if bad {
                return Err((
                    line,
                    format!(
                        "workspace.git.rev: {:?} is not a revision (a commit, tag or branch; no spaces, no leading `-`)",
                        rev.value
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Fills `work` (an existing, empty folder) from the scenario's git revision and folder, in
/// that order; the inline files are written afterwards by [`Scenario::write_workspace`].
pub fn fill_from_sources(s: &Scenario, work: &Path) -> Result<(), String> {
    let file = s.path.display();
    if let Some(git) = &s.workspace.git {
        let repo = if is_url(&git.repo.value) {
            git.repo.value.clone()
        } else {
            beside(&s.path, &git.repo.value).display().to_string()
        };
        let at = |line: usize, field: &str, what: String| format!("{file}:{line}: {field}: {what}");
        git_clone(&repo, work).map_err(|e| at(git.repo.line, "workspace.git.repo", e))?;
        if let Some(rev) = &git.rev {
            check_out(work, &rev.value)
                .map_err(|e| at(rev.line, "workspace.git.rev", format!("{repo}: {e}")))?;
        }
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

/// Runs `git args…` in `cwd`; stdout on success, else its last stderr line.
fn git(cwd: Option<&Path>, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new("git");
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    let out = cmd
        .args(args)
        // Never wait for a password prompt in a headless batch.
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("git: {e}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!("git {} failed: {last}", args[0]))
}

fn git_clone(repo: &str, work: &Path) -> Result<(), String> {
    let work = work.to_str().ok_or("workspace path is not UTF-8")?;
    git(None, &["clone", "--quiet", "--", repo, work]).map(drop)
}

/// Checks out `rev` detached: a commit, tag or local branch, else a branch of `origin`, else
/// whatever `git fetch origin <rev>` brings (a commit no branch points at).
fn check_out(work: &Path, rev: &str) -> Result<(), String> {
    let resolve = |r: &str| {
        git(
            Some(work),
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{r}^{{commit}}"),
            ],
        )
    };
    let commit = resolve(rev)
        .or_else(|_| resolve(&format!("refs/remotes/origin/{rev}")))
        .or_else(|_| {
            git(Some(work), &["fetch", "--quiet", "origin", rev])?;
            resolve("FETCH_HEAD")
        })
        .map_err(|_| format!("{rev:?} is not a commit, tag or branch there"))?;
    git(Some(work), &["checkout", "--quiet", "--detach", &commit]).map(drop)
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
            .tempdir()
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
/// failed or errored, and records the kept path in `line`; otherwise deletes it.
pub fn settle(ws: Option<RunWorkspace>, line: &mut ResultLine, keep_all: bool) {
    let Some(ws) = ws else { return };
    let keep = match line.status {
        Status::Fail | Status::Error => true,
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
    fn urls_and_local_paths_are_told_apart() {
        for url in [
            "https://github.com/o/r.git",
            "file:///tmp/r",
            "git@github.com:o/r.git",
        ] {
            assert!(is_url(url), "{url}");
        }
        for local in [
            "../fixture",
            "/abs/repo",
            "repo",
            "dir/with:colon",
            "a@b/c:d",
        ] {
            assert!(!is_url(local), "{local}");
        }
    }

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
