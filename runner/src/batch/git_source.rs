//! `workspace.git = { repo, rev }`: a run's workspace as a clone of a repository at a revision,
//! made with the `git` command. A remote repository is fetched once per batch into a bare
//! mirror under `$XDG_CACHE_HOME/rcodex/git/` (shared by every scenario and repeat, and by later
//! batches, under a file lock), and each run clones that mirror locally, with `origin` pointing
//! back at the real URL; a local repository is cloned directly (git hard-links its objects).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;

use super::at_line::AtLine;
use super::workspace::beside;

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
pub fn is_url(repo: &str) -> bool {
    if repo.contains("://") {
        return true;
    }
    // scp-like `user@host:path`: a colon before any slash, after an `@`.
    match (repo.find('@'), repo.find(':'), repo.find('/')) {
        (Some(at), Some(colon), slash) => at < colon && slash.is_none_or(|s| colon < s),
        _ => false,
    }
}

/// Checks the values as the file is read (and records their lines).
pub fn check(git: &mut GitSource, text: &str, scenario_file: &Path) -> Result<(), (usize, String)> {
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
    Ok(())
}

/// Clones the repository into `work` (an existing, empty folder) and checks out `rev`.
/// `Err((line, "field: what"))`.
pub fn materialize(
    git: &GitSource,
    scenario_file: &Path,
    work: &Path,
) -> Result<(), (usize, String)> {
    let repo_error = |e: String| (git.repo.line, format!("workspace.git.repo: {e}"));
    let remote = is_url(&git.repo.value);
    let repo = if remote {
        git.repo.value.clone()
    } else {
        beside(scenario_file, &git.repo.value).display().to_string()
    };
    let work_str = work
        .to_str()
        .ok_or_else(|| repo_error("workspace path is not UTF-8".into()))?;
    // With a revision to check out, the default branch's files need not be written first.
    let clone: &[&str] = if git.rev.is_some() {
        &["clone", "--quiet", "--no-checkout", "--"]
    } else {
        &["clone", "--quiet", "--"]
    };
    if remote {
        let mirror = refreshed_mirror(&repo).map_err(repo_error)?;
        let mirror = mirror
            .to_str()
            .ok_or_else(|| repo_error("cache path is not UTF-8".into()))?;
        run_git(None, &[clone, &[mirror, work_str]].concat()).map_err(repo_error)?;
        // The agent (and a fetch of a commit no branch holds) sees the real remote.
        run_git(Some(work), &["remote", "set-url", "origin", &repo]).map_err(repo_error)?;
    } else {
        run_git(None, &[clone, &[&repo, work_str]].concat()).map_err(repo_error)?;
    }
    if let Some(rev) = &git.rev {
        check_out(work, &rev.value)
            .map_err(|e| (rev.line, format!("workspace.git.rev: {repo}: {e}")))?;
    }
    Ok(())
}

/// Runs `git args…` (in `cwd`); its stdout on success, else its last stderr line.
fn run_git(cwd: Option<&Path>, args: &[&str]) -> Result<String, String> {
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

/// Checks out `rev` detached: a commit, tag or local branch, else a branch of `origin`, else
/// whatever `git fetch origin <rev>` brings (a commit no branch points at).
fn check_out(work: &Path, rev: &str) -> Result<(), String> {
    let resolve = |r: &str| {
        run_git(
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
            run_git(Some(work), &["fetch", "--quiet", "origin", rev])?;
            resolve("FETCH_HEAD")
        })
        .map_err(|_| format!("{rev:?} is not a commit, tag or branch there"))?;
    run_git(Some(work), &["checkout", "--quiet", "--detach", &commit]).map(drop)
}

/// `$XDG_CACHE_HOME/rcodex/git`, else `~/.cache/rcodex/git`.
fn cache_root() -> PathBuf {
    let cache = match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
    };
    cache.join("rcodex").join("git")
}

/// The bare mirror of `url`, cloned or fetched at most once per process; concurrent runs of one
/// batch wait for the first, other processes for the file lock.
fn refreshed_mirror(url: &str) -> Result<PathBuf, String> {
    type Slot = Arc<Mutex<Option<PathBuf>>>;
    static MIRRORS: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    let slot = MIRRORS
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| "mirror cache poisoned".to_string())?
        .entry(url.to_string())
        .or_default()
        .clone();
    let mut done = slot
        .lock()
        .map_err(|_| "mirror cache poisoned".to_string())?;
    if let Some(path) = done.as_ref() {
        return Ok(path.clone());
    }
    let root = cache_root();
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let name = format!("{:016x}", super::discover::stable_hash(url));
    let mirror = root.join(format!("{name}.git"));
    let _lock = FileLock::acquire(&root.join(format!("{name}.lock")))?;
    let mirror_str = mirror.to_str().ok_or("cache path is not UTF-8")?;
    if mirror.join("HEAD").exists() {
        run_git(
            Some(&mirror),
            &[
                "fetch",
                "--quiet",
                "--prune",
                "--",
                url,
                "+refs/heads/*:refs/heads/*",
                "+refs/tags/*:refs/tags/*",
            ],
        )?;
    } else {
        let _ = std::fs::remove_dir_all(&mirror);
        // Bare, not --mirror: branches and tags, not a host's pull-request refs.
        run_git(None, &["clone", "--quiet", "--bare", "--", url, mirror_str])?;
    }
    *done = Some(mirror.clone());
    Ok(mirror)
}

/// An exclusive `flock` on a file, released when dropped (the descriptor closes).
struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    fn acquire(path: &Path) -> Result<FileLock, String> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        // SAFETY: plain syscall on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(format!(
                "{}: {}",
                path.display(),
                std::io::Error::last_os_error()
            ));
        }
        Ok(FileLock { _file: file })
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
}
