//! The apply_patch tool: verify a patch against the files, check the write scope, then commit
//! every change or none, and word the result the way Codex shows it to the model.
//!
//! All contents are computed first (in rcodex-core). Commit writes each file through a temp
//! file in its folder plus a rename, and keeps an undo journal; if any step fails, the journal
//! restores every file and removes every folder the commit created.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rcodex_core::apply_patch::summary::{
    exec_output, rejected, verification_failed, EMPTY_PATCH_REASON,
};
use rcodex_core::apply_patch::{
    compute_changes, parse_patch, success_summary, ApplyPatchError, FileChange, FileChangeKind,
};
use serde::Deserialize;

use super::write_scope::WriteScope;

/// The result of one apply_patch call.
#[derive(Debug, Clone)]
pub struct ApplyPatchRun {
    /// Exactly the text the model receives as the tool output.
    pub output: String,
    /// Whether the files were changed.
    pub success: bool,
    /// The computed changes (empty if the patch did not verify). Present on a rejection or a
    /// failed commit too, so the caller can report what was attempted.
    pub changes: Vec<FileChange>,
}

/// Extracts the patch from the JSON function variant's arguments, `{"input": "<patch>"}`.
/// The error is the text Codex sends back to the model.
pub fn parse_json_args(arguments: &str) -> Result<String, String> {
    #[derive(Deserialize)]
    struct Args {
        input: String,
    }
    serde_json::from_str::<Args>(arguments)
        .map(|args| args.input)
        .map_err(|e| format!("failed to parse function arguments: {e:?}"))
}

/// Verifies and applies `input` (the patch text) with relative paths resolved against `cwd`.
pub fn run_apply_patch(input: &str, cwd: &Path, scope: &WriteScope) -> ApplyPatchRun {
    let started = Instant::now();
    let refused = |output: String, changes: Vec<FileChange>| ApplyPatchRun {
        output,
        success: false,
        changes,
    };
    let changes = match verify(input, cwd) {
        Ok(changes) => changes,
        Err(e) => return refused(verification_failed(&e), Vec::new()),
    };
    if changes.is_empty() {
        return refused(rejected(EMPTY_PATCH_REASON), changes);
    }
    let plan = final_states(&changes);
    if let Some(denied) = plan.iter().find_map(|(path, _)| scope.check(path).err()) {
        return refused(rejected(denied.reason()), changes);
    }
    match commit(&plan) {
        Ok(()) => ApplyPatchRun {
            output: exec_output(0, started.elapsed(), &success_summary(&changes)),
            success: true,
            changes,
        },
        Err(message) => refused(
            exec_output(1, started.elapsed(), &format!("{message}\n")),
            changes,
        ),
    }
}

fn verify(input: &str, cwd: &Path) -> Result<Vec<FileChange>, ApplyPatchError> {
    let patch = parse_patch(input)?;
    compute_changes(&patch, cwd, &mut |path: &Path| fs::read(path))
}

/// Each touched path's content once the whole patch has applied (`None`: absent), in the
/// order the patch first touches them.
fn final_states(changes: &[FileChange]) -> Vec<(PathBuf, Option<String>)> {
    let mut plan: Vec<(PathBuf, Option<String>)> = Vec::new();
    let mut set =
        |path: &Path, state: Option<String>| match plan.iter_mut().find(|(p, _)| p == path) {
            Some(entry) => entry.1 = state,
            None => plan.push((path.to_path_buf(), state)),
        };
    for change in changes {
        match &change.kind {
            FileChangeKind::Add { content } => set(&change.path, Some(content.clone())),
            FileChangeKind::Delete { .. } => set(&change.path, None),
            FileChangeKind::Update {
                new_content,
                move_path,
                ..
            } => match move_path {
                Some(dest) => {
                    set(&change.path, None);
                    set(dest, Some(new_content.clone()));
                }
                None => set(&change.path, Some(new_content.clone())),
            },
        }
    }
    plan
}

/// One step that undoes one committed effect.
enum Undo {
    /// Put back a file's bytes and permissions.
    Restore {
        path: PathBuf,
        bytes: Vec<u8>,
        permissions: fs::Permissions,
    },
    /// Recreate a symlink that was deleted.
    #[cfg(unix)]
    Relink { path: PathBuf, target: PathBuf },
    /// Remove a file that did not exist before.
    Remove(PathBuf),
    /// Remove a folder that did not exist before.
    RemoveDir(PathBuf),
}

/// Applies the plan; on failure undoes everything done so far and returns Codex's message.
fn commit(plan: &[(PathBuf, Option<String>)]) -> Result<(), String> {
    let mut journal = Vec::new();
    for (path, state) in plan {
        let step = match state {
            Some(content) => write_file(path, content.as_bytes(), &mut journal)
                .map_err(|_| format!("Failed to write file {}", path.display())),
            None => delete_file(path, &mut journal)
                .map_err(|_| format!("Failed to delete file {}", path.display())),
        };
        if let Err(message) = step {
            rollback(journal);
            return Err(message);
        }
    }
    Ok(())
}

/// Writes through a symlink to its target, via a temp file and a rename.
fn write_file(path: &Path, content: &[u8], journal: &mut Vec<Undo>) -> io::Result<()> {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let target = if is_link {
        fs::canonicalize(path)?
    } else {
        path.to_path_buf()
    };
    let original = match fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => return Err(io::Error::other("path is a directory")),
        Ok(meta) => Some((fs::read(&target)?, meta.permissions())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let parent = target
        .parent()
        .ok_or_else(|| io::Error::other("path has no parent folder"))?;
    create_missing_dirs(parent, journal)?;
    let mut temp = tempfile::NamedTempFile::new_in(parent)?;
    temp.write_all(content)?;
    if let Some((_, permissions)) = &original {
        temp.as_file().set_permissions(permissions.clone())?;
    }
    temp.persist(&target).map_err(|e| e.error)?;
    journal.push(match original {
        Some((bytes, permissions)) => Undo::Restore {
            path: target,
            bytes,
            permissions,
        },
        None => Undo::Remove(target),
    });
    Ok(())
}

fn delete_file(path: &Path, journal: &mut Vec<Undo>) -> io::Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        // Added and deleted within this patch: nothing on disk to remove.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.is_dir() {
        return Err(io::Error::other("path is a directory"));
    }
    #[cfg(unix)]
    if meta.file_type().is_symlink() {
        let target = fs::read_link(path)?;
        fs::remove_file(path)?;
        journal.push(Undo::Relink {
            path: path.to_path_buf(),
            target,
        });
        return Ok(());
    }
    let bytes = fs::read(path)?;
    fs::remove_file(path)?;
    journal.push(Undo::Restore {
        path: path.to_path_buf(),
        bytes,
        permissions: meta.permissions(),
    });
    Ok(())
}

/// Creates `dir` and its missing ancestors, journaling each folder it creates.
fn create_missing_dirs(dir: &Path, journal: &mut Vec<Undo>) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut cursor = Some(dir);
    while let Some(d) = cursor {
        if fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d);
        cursor = d.parent();
    }
    for d in missing.into_iter().rev() {
        fs::create_dir(d)?;
        journal.push(Undo::RemoveDir(d.to_path_buf()));
    }
    Ok(())
}

/// Undoes journaled effects, newest first. Best effort: a failed undo step does not stop
/// the others.
fn rollback(journal: Vec<Undo>) {
    for undo in journal.into_iter().rev() {
        let _ = match undo {
            Undo::Restore {
                path,
                bytes,
                permissions,
            } => fs::write(&path, bytes).and_then(|()| fs::set_permissions(&path, permissions)),
            #[cfg(unix)]
            Undo::Relink { path, target } => std::os::unix::fs::symlink(target, path),
            Undo::Remove(path) => fs::remove_file(path),
            Undo::RemoveDir(path) => fs::remove_dir(path),
        };
    }
}

#[cfg(test)]
#[path = "apply_patch_tests.rs"]
mod tests;
