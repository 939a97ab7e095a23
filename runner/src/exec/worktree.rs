//! `exec --worktree`: the session runs in a fresh git worktree of the current repository, made
//! as Codex 0.169 makes it (captured): `$CODEX_HOME/worktrees/<NNNN>/<repository folder name>`,
//! detached at `HEAD`, kept after the run. Outside a git repository it fails as Codex does.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Makes the worktree for `cwd` and returns the directory the session should run in: the
/// same place relative to the repository root, when the worktree has it, else its root.
pub fn make_worktree(codex_home: &Path, cwd: &Path) -> Result<PathBuf, String> {
    let top = git(cwd, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(top.trim());
    let name = top
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "repo".into());
    let parent = free_slot(&codex_home.join("worktrees"))?;
    let tree = parent.join(name);
    let tree_arg = tree.display().to_string();
    git(&top, &["worktree", "add", "--detach", &tree_arg, "HEAD"])?;
    match cwd.strip_prefix(&top) {
        Ok(inside) if !inside.as_os_str().is_empty() && tree.join(inside).is_dir() => {
            Ok(tree.join(inside))
        }
        _ => Ok(tree),
    }
}

/// A new `worktrees/NNNN` folder (four digits, not yet taken).
fn free_slot(root: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64 + d.as_secs())
        .unwrap_or(0)
        ^ u64::from(std::process::id());
    for i in 0..9000u64 {
        let n = 1000 + (seed + i) % 9000;
        let dir = root.join(n.to_string());
        if std::fs::create_dir(&dir).is_ok() {
            return Ok(dir);
        }
    }
    Err(format!("{}: no free worktree slot", root.display()))
}

/// Runs git in `dir`; `Err` carries git's own message, as Codex reports it.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("git command failed: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git command failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
