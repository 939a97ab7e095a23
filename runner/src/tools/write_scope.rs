//! Which paths a tool may write under the turn's sandbox mode.
//!
//! read-only writes nothing, danger-full-access writes anything, workspace-write writes only
//! below its roots. Paths are judged by where they really lead: the deepest existing ancestor
//! is canonicalized (resolving `..` and symlinks), and a `..` in the part that does not exist
//! yet is refused outright.

use std::path::{Component, Path, PathBuf};

use rcodex_core::apply_patch::summary::{OUTSIDE_PROJECT_REASON, READ_ONLY_REASON};
use rcodex_core::sandbox::SandboxMode;

/// The write policy of one turn.
#[derive(Debug, Clone)]
pub struct WriteScope {
    mode: SandboxMode,
    roots: Vec<PathBuf>,
}

/// Why a write is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteDenied {
    #[error("{}", READ_ONLY_REASON)]
    ReadOnly,
    #[error("{}", OUTSIDE_PROJECT_REASON)]
    OutsideRoots { path: PathBuf },
}

impl WriteDenied {
    /// The reason text Codex puts after "patch rejected: ".
    pub fn reason(&self) -> &'static str {
        match self {
            WriteDenied::ReadOnly => READ_ONLY_REASON,
            WriteDenied::OutsideRoots { .. } => OUTSIDE_PROJECT_REASON,
        }
    }
}

impl WriteScope {
    /// `roots` are the writable folders for workspace-write (the cwd, plus any extra roots and
    /// temp dirs the caller grants); they are ignored by the other modes.
    pub fn new(mode: SandboxMode, roots: Vec<PathBuf>) -> Self {
        WriteScope { mode, roots }
    }

    pub fn mode(&self) -> SandboxMode {
        self.mode
    }

    /// Decides whether the absolute `path` may be created, replaced or removed.
    pub fn check(&self, path: &Path) -> Result<(), WriteDenied> {
        match self.mode {
            SandboxMode::ReadOnly => Err(WriteDenied::ReadOnly),
            SandboxMode::DangerFullAccess => Ok(()),
            SandboxMode::WorkspaceWrite => {
                let outside = || WriteDenied::OutsideRoots {
                    path: path.to_path_buf(),
                };
                let real = real_location(path).ok_or_else(outside)?;
                let inside = self
                    .roots
                    .iter()
                    .map(|root| std::fs::canonicalize(root).unwrap_or_else(|_| root.clone()))
                    .any(|root| real.starts_with(&root));
                if inside {
                    Ok(())
                } else {
                    Err(outside())
                }
            }
        }
    }
}

/// Where `path` leads on disk: the canonical deepest existing ancestor plus the missing tail.
/// `None` if the path is relative, or its missing tail has anything but plain names.
fn real_location(path: &Path) -> Option<PathBuf> {
    if !path.is_absolute() {
        return None;
    }
    let mut existing = path;
    let mut tail = Vec::new();
    while std::fs::symlink_metadata(existing).is_err() {
        match existing.components().next_back() {
            Some(Component::Normal(name)) => tail.push(name),
            _ => return None,
        }
        existing = existing.parent()?;
    }
    let mut real = std::fs::canonicalize(existing).ok()?;
    real.extend(tail.iter().rev());
    Some(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_refuses_everything() {
        let dir = tempfile::tempdir().unwrap();
        let scope = WriteScope::new(SandboxMode::ReadOnly, vec![dir.path().to_path_buf()]);
        assert_eq!(
            scope.check(&dir.path().join("a")),
            Err(WriteDenied::ReadOnly)
        );
    }

    #[test]
    fn full_access_allows_everything() {
        let scope = WriteScope::new(SandboxMode::DangerFullAccess, vec![]);
        assert_eq!(scope.check(Path::new("/definitely/elsewhere")), Ok(()));
    }

    #[test]
    fn workspace_write_judges_real_locations() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        let scope = WriteScope::new(SandboxMode::WorkspaceWrite, vec![root.clone()]);
        assert_eq!(scope.check(&root.join("new/dir/file.txt")), Ok(()));
        assert_eq!(scope.check(&root.join("sub/../ok.txt")), Ok(()));
        assert!(scope.check(&root.join("../escape.txt")).is_err());
        assert!(scope.check(&root.join("sub/../../escape.txt")).is_err());
        assert!(scope.check(&root.join("missing/../../escape.txt")).is_err());
        assert!(scope.check(Path::new("relative.txt")).is_err());
        assert!(scope.check(&outer.path().join("sibling.txt")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn workspace_write_follows_symlinks_out() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        let elsewhere = outer.path().join("elsewhere");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("f.txt"), "x").unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("link_dir")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("f.txt"), root.join("link_file")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("nothing"), root.join("dangling")).unwrap();
        let scope = WriteScope::new(SandboxMode::WorkspaceWrite, vec![root.clone()]);
        assert!(scope.check(&root.join("link_dir/new.txt")).is_err());
        assert!(scope.check(&root.join("link_file")).is_err());
        assert!(scope.check(&root.join("dangling")).is_err());
        // A root reached through a symlink still counts as the root.
        std::os::unix::fs::symlink(&root, outer.path().join("root_alias")).unwrap();
        let aliased = WriteScope::new(
            SandboxMode::WorkspaceWrite,
            vec![outer.path().join("root_alias")],
        );
        assert_eq!(aliased.check(&root.join("a.txt")), Ok(()));
    }
}
