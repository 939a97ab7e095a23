//! Computes what a parsed patch does to files, without touching the filesystem.
//!
//! File contents come from a caller-supplied reader. Operations apply in patch order against
//! an in-memory overlay, so a file touched twice sees the first operation's result (as when
//! Codex applies hunks one after another). Nothing here writes: the runner commits the result.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use super::parser::{FileHunk, ParseError, Patch, UpdateChunk};
use super::seek::seek_sequence;
use super::text::{Replacement, TextLines};

/// Context lines around each change in [`FileChange::unified_diff`], as Codex uses.
const DIFF_CONTEXT: usize = 1;

/// What kind of operation touches a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// `*** Add File`: the file is created (`A` in the summary).
    Add,
    /// `*** Delete File`: the file is removed (`D`).
    Delete,
    /// `*** Update File`: the file is edited, maybe moved (`M`).
    Update,
}

impl From<ChangeKind> for crate::protocol::exec_event::PatchChangeKind {
    fn from(kind: ChangeKind) -> Self {
        match kind {
            ChangeKind::Add => Self::Add,
            ChangeKind::Delete => Self::Delete,
            ChangeKind::Update => Self::Update,
        }
    }
}

/// The computed effect of one file operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The operation's path resolved against the cwd (the source path of a move).
    pub path: PathBuf,
    /// The path as the patch spells it (the destination for a move); used in the summary.
    pub display_path: PathBuf,
    /// Whether the file is added, deleted or updated, with the contents before and after.
    pub kind: FileChangeKind,
    /// Unified diff of old against new content (one line of context, no file headers).
    pub unified_diff: String,
}

/// Old and new contents for one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChangeKind {
    /// The file is created.
    Add {
        /// The new file's whole content.
        content: String,
    },
    /// The file is removed.
    Delete {
        /// The content it had.
        old_content: String,
    },
    /// The file is edited (and moved when `move_path` is set).
    Update {
        /// The content before the patch.
        old_content: String,
        /// The content after the patch.
        new_content: String,
        /// The destination resolved against the cwd, for a move.
        move_path: Option<PathBuf>,
    },
}

impl FileChange {
    /// Add, delete or update, without the contents.
    pub fn change_kind(&self) -> ChangeKind {
        match self.kind {
            FileChangeKind::Add { .. } => ChangeKind::Add,
            FileChangeKind::Delete { .. } => ChangeKind::Delete,
            FileChangeKind::Update { .. } => ChangeKind::Update,
        }
    }
}

/// Why a patch cannot be applied. `Display` is Codex's text (after "apply_patch verification
/// failed: ").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyPatchError {
    /// The patch text does not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The file to update could not be read (missing, a directory, not UTF-8, ...).
    #[error("Failed to read file to update {}: {reason}", .path.display())]
    UpdateRead {
        /// The file, resolved against the cwd.
        path: PathBuf,
        /// The read error, as the reader reported it.
        reason: String,
    },
    /// The file to delete could not be read.
    #[error("Failed to read {}: {reason}", .path.display())]
    DeleteRead {
        /// The file, resolved against the cwd.
        path: PathBuf,
        /// The read error, as the reader reported it.
        reason: String,
    },
    /// An `@@ context` line was not found.
    #[error("Failed to find context '{context}' in {}", .path.display())]
    ContextNotFound {
        /// The file, resolved against the cwd.
        path: PathBuf,
        /// The `@@` context line that was sought.
        context: String,
    },
    /// A chunk's old lines were not found.
    #[error("Failed to find expected lines in {}:\n{lines}", .path.display())]
    LinesNotFound {
        /// The file, resolved against the cwd.
        path: PathBuf,
        /// The chunk's old lines, joined with newlines.
        lines: String,
    },
    /// Two chunks of one update claim the same lines.
    #[error("Failed to apply chunks to {}: chunks overlap", .path.display())]
    OverlappingChunks {
        /// The file, resolved against the cwd.
        path: PathBuf,
    },
}

/// The paths a patch names, resolved against `cwd`, with the kind of each operation
/// (the source path for a move). Lets the caller announce a file change before applying.
pub fn affected_paths(patch: &Patch, cwd: &Path) -> Vec<(PathBuf, ChangeKind)> {
    patch
        .hunks
        .iter()
        .map(|hunk| {
            let kind = match hunk {
                FileHunk::Add { .. } => ChangeKind::Add,
                FileHunk::Delete { .. } => ChangeKind::Delete,
                FileHunk::Update { .. } => ChangeKind::Update,
            };
            (cwd.join(hunk.path()), kind)
        })
        .collect()
}

/// Computes every operation's old and new contents, in patch order.
///
/// `read` returns a file's bytes; relative patch paths are joined to `cwd`. Files that are
/// not UTF-8 are refused. Any failure returns an error and no partial result.
pub fn compute_changes(
    patch: &Patch,
    cwd: &Path,
    read: &mut dyn FnMut(&Path) -> io::Result<Vec<u8>>,
) -> Result<Vec<FileChange>, ApplyPatchError> {
    let mut files = Overlay {
        written: HashMap::new(),
        read,
    };
    let mut changes = Vec::with_capacity(patch.hunks.len());
    for hunk in &patch.hunks {
        let path = cwd.join(hunk.path());
        let change = match hunk {
            FileHunk::Add { contents, .. } => {
                files.written.insert(path.clone(), Some(contents.clone()));
                FileChange {
                    display_path: hunk.path().clone(),
                    unified_diff: diff("", contents),
                    kind: FileChangeKind::Add {
                        content: contents.clone(),
                    },
                    path,
                }
            }
            FileHunk::Delete { .. } => {
                let old = files
                    .text(&path)
                    .map_err(|reason| ApplyPatchError::DeleteRead {
                        path: path.clone(),
                        reason,
                    })?;
                files.written.insert(path.clone(), None);
                FileChange {
                    display_path: hunk.path().clone(),
                    unified_diff: diff(&old, ""),
                    kind: FileChangeKind::Delete { old_content: old },
                    path,
                }
            }
            FileHunk::Update {
                move_to, chunks, ..
            } => {
                let old = files
                    .text(&path)
                    .map_err(|reason| ApplyPatchError::UpdateRead {
                        path: path.clone(),
                        reason,
                    })?;
                let new = updated_text(&old, &path, chunks)?;
                let move_path = move_to.as_ref().map(|dest| cwd.join(dest));
                match &move_path {
                    Some(dest) => {
                        files.written.insert(path.clone(), None);
                        files.written.insert(dest.clone(), Some(new.clone()));
                    }
                    None => {
                        files.written.insert(path.clone(), Some(new.clone()));
                    }
                }
                FileChange {
                    display_path: move_to.clone().unwrap_or_else(|| hunk.path().clone()),
                    unified_diff: diff(&old, &new),
                    kind: FileChangeKind::Update {
                        old_content: old,
                        new_content: new,
                        move_path,
                    },
                    path,
                }
            }
        };
        changes.push(change);
    }
    Ok(changes)
}

/// File contents as earlier operations of this patch left them, else as `read` returns them.
struct Overlay<'a> {
    written: HashMap<PathBuf, Option<String>>,
    read: &'a mut dyn FnMut(&Path) -> io::Result<Vec<u8>>,
}

impl Overlay<'_> {
    /// The file's text, or the reason it cannot be had (worded like the OS error).
    fn text(&mut self, path: &Path) -> Result<String, String> {
        match self.written.get(path) {
            Some(Some(text)) => return Ok(text.clone()),
            Some(None) => return Err(io::Error::from_raw_os_error(not_found_errno()).to_string()),
            None => {}
        }
        let bytes = (self.read)(path).map_err(|e| e.to_string())?;
        String::from_utf8(bytes).map_err(|_| "stream did not contain valid UTF-8".to_string())
    }
}

/// ENOENT, so that a file deleted earlier in the patch reads like a missing file.
fn not_found_errno() -> i32 {
    2
}

fn diff(old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(DIFF_CONTEXT)
        .to_string()
}

/// Applies an update's chunks to `old`, keeping its line endings.
fn updated_text(old: &str, path: &Path, chunks: &[UpdateChunk]) -> Result<String, ApplyPatchError> {
    let mut text = TextLines::parse(old);
    let replacements = replacements(&text.texts(), path, chunks)?;
    text.apply(&replacements)
        .ok_or_else(|| ApplyPatchError::OverlappingChunks {
            path: path.to_path_buf(),
        })?;
    Ok(text.into_string())
}

/// Locates each chunk in order and returns the replacements sorted by position.
fn replacements(
    lines: &[String],
    path: &Path,
    chunks: &[UpdateChunk],
) -> Result<Vec<Replacement>, ApplyPatchError> {
    let mut out = Vec::new();
    let mut cursor = 0;
    for chunk in chunks {
        if let Some(context) = &chunk.context {
            let found = seek_sequence(lines, std::slice::from_ref(context), cursor, false);
            let index = found.ok_or_else(|| ApplyPatchError::ContextNotFound {
                path: path.to_path_buf(),
                context: context.clone(),
            })?;
            cursor = index + 1;
        }
        if chunk.old_lines.is_empty() {
            // Pure insertion: Codex appends at the end, before a final blank line if any.
            let at = match lines.last() {
                Some(last) if last.is_empty() => lines.len() - 1,
                _ => lines.len(),
            };
            out.push(Replacement {
                start: at,
                old_len: 0,
                new_lines: chunk.new_lines.clone(),
            });
            continue;
        }
        let mut old: &[String] = &chunk.old_lines;
        let mut new: &[String] = &chunk.new_lines;
        let mut found = seek_sequence(lines, old, cursor, chunk.is_end_of_file);
        if found.is_none() && old.last().is_some_and(String::is_empty) {
            // A trailing empty old line stands for the file's final newline; retry without it.
            old = &old[..old.len() - 1];
            if new.last().is_some_and(String::is_empty) {
                new = &new[..new.len() - 1];
            }
            found = seek_sequence(lines, old, cursor, chunk.is_end_of_file);
        }
        let start = found.ok_or_else(|| ApplyPatchError::LinesNotFound {
            path: path.to_path_buf(),
            lines: chunk.old_lines.join("\n"),
        })?;
        out.push(Replacement {
            start,
            old_len: old.len(),
            new_lines: new.to_vec(),
        });
        cursor = start + old.len();
    }
    out.sort_by_key(|r| (r.start, r.old_len));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse_patch;
    use super::*;

    fn run(patch: &str, files: &[(&str, &[u8])]) -> Result<Vec<FileChange>, ApplyPatchError> {
        let cwd = Path::new("/w");
        let map: HashMap<PathBuf, Vec<u8>> = files
            .iter()
            .map(|(p, c)| (cwd.join(p), c.to_vec()))
            .collect();
        let patch = parse_patch(patch)?;
        compute_changes(&patch, cwd, &mut |p: &Path| {
            map.get(p)
                .cloned()
                .ok_or_else(|| io::Error::from_raw_os_error(2))
        })
    }

    fn new_content(change: &FileChange) -> &str {
        match &change.kind {
            FileChangeKind::Update { new_content, .. } => new_content,
            FileChangeKind::Add { content } => content,
            FileChangeKind::Delete { .. } => "",
        }
    }

    fn wrap(body: &str) -> String {
        format!("*** Begin Patch\n{body}\n*** End Patch")
    }

    #[test]
    fn update_with_multiple_chunks() {
        let changes = run(
            &wrap("*** Update File: m.txt\n@@\n foo\n-bar\n+BAR\n@@\n baz\n-qux\n+QUX"),
            &[("m.txt", b"foo\nbar\nbaz\nqux\n")],
        )
        .unwrap();
        assert_eq!(new_content(&changes[0]), "foo\nBAR\nbaz\nQUX\n");
        assert_eq!(
            changes[0].unified_diff,
            "@@ -1,4 +1,4 @@\n foo\n-bar\n+BAR\n baz\n-qux\n+QUX\n"
        );
        assert_eq!(changes[0].path, PathBuf::from("/w/m.txt"));
    }

    #[test]
    fn interleaved_chunks_and_eof_append() {
        let changes = run(
            &wrap("*** Update File: i.txt\n@@\n a\n-b\n+B\n@@\n c\n d\n-e\n+E\n@@\n f\n+g\n*** End of File"),
            &[("i.txt", b"a\nb\nc\nd\ne\nf\n")],
        )
        .unwrap();
        assert_eq!(new_content(&changes[0]), "a\nB\nc\nd\nE\nf\ng\n");
    }

    #[test]
    fn pure_addition_goes_to_end_after_replacement() {
        let changes = run(
            &wrap("*** Update File: p.txt\n@@\n+after-context\n+second-line\n@@\n line1\n-line2\n-line3\n+line2-replacement"),
            &[("p.txt", b"line1\nline2\nline3\n")],
        )
        .unwrap();
        assert_eq!(
            new_content(&changes[0]),
            "line1\nline2-replacement\nafter-context\nsecond-line\n"
        );
    }

    #[test]
    fn missing_newline_is_added_and_crlf_kept() {
        let changes = run(
            &wrap("*** Update File: a.txt\n@@\n-two\n+TWO\n+three"),
            &[("a.txt", b"one\r\ntwo")],
        )
        .unwrap();
        assert_eq!(new_content(&changes[0]), "one\r\nTWO\r\nthree\r\n");
    }

    #[test]
    fn context_and_lines_errors_use_codex_text() {
        let err = run(
            &wrap("*** Update File: a.txt\n@@ nope\n-x\n+y"),
            &[("a.txt", b"x\n")],
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "Failed to find context 'nope' in /w/a.txt");
        let err = run(
            &wrap("*** Update File: a.txt\n@@\n-x\n-z\n+y"),
            &[("a.txt", b"x\n")],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to find expected lines in /w/a.txt:\nx\nz"
        );
    }

    #[test]
    fn missing_files_use_codex_text() {
        let err = run(&wrap("*** Update File: gone.txt\n@@\n-x\n+y"), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to read file to update /w/gone.txt: No such file or directory (os error 2)"
        );
        let err = run(&wrap("*** Delete File: gone.txt"), &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to read /w/gone.txt: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn non_utf8_refused() {
        let err = run(
            &wrap("*** Update File: b.bin\n@@\n-x\n+y"),
            &[("b.bin", b"x\xff\n")],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to read file to update /w/b.bin: stream did not contain valid UTF-8"
        );
    }

    #[test]
    fn file_touched_twice_sees_first_result() {
        let changes = run(
            &wrap(
                "*** Update File: a.txt\n@@\n-one\n+two\n*** Update File: a.txt\n@@\n-two\n+three",
            ),
            &[("a.txt", b"one\n")],
        )
        .unwrap();
        assert_eq!(new_content(&changes[1]), "three\n");
        let changes = run(
            &wrap("*** Add File: n.txt\n+hello\n*** Update File: n.txt\n@@\n-hello\n+bye"),
            &[],
        )
        .unwrap();
        assert_eq!(new_content(&changes[1]), "bye\n");
        let err = run(
            &wrap("*** Delete File: a.txt\n*** Update File: a.txt\n@@\n-one\n+two"),
            &[("a.txt", b"one\n")],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to read file to update /w/a.txt: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn move_records_destination() {
        let changes = run(
            &wrap(
                "*** Update File: old/name.txt\n*** Move to: renamed/name.txt\n@@\n-line\n+line2",
            ),
            &[("old/name.txt", b"line\n")],
        )
        .unwrap();
        assert_eq!(changes[0].display_path, PathBuf::from("renamed/name.txt"));
        assert_eq!(
            changes[0].kind,
            FileChangeKind::Update {
                old_content: "line\n".into(),
                new_content: "line2\n".into(),
                move_path: Some(PathBuf::from("/w/renamed/name.txt")),
            }
        );
    }

    #[test]
    fn trailing_empty_old_line_retry() {
        let changes = run(
            &wrap("*** Update File: a.txt\n@@\n a\n-b\n+c\n "),
            &[("a.txt", b"a\nb\n")],
        )
        .unwrap();
        assert_eq!(new_content(&changes[0]), "a\nc\n");
    }

    #[test]
    fn eof_chunk_cannot_reach_back_before_earlier_chunk() {
        let err = run(
            &wrap("*** Update File: a.txt\n@@\n-b\n+B\n@@\n-b\n+C\n*** End of File"),
            &[("a.txt", b"a\nb\n")],
        )
        .unwrap_err();
        assert!(
            matches!(err, ApplyPatchError::LinesNotFound { .. }),
            "{err}"
        );
    }

    #[test]
    fn affected_paths_in_patch_order() {
        let patch = parse_patch(&wrap(
            "*** Add File: x\n+1\n*** Delete File: /abs/y\n*** Update File: z\n@@\n-a\n+b",
        ))
        .unwrap();
        assert_eq!(
            affected_paths(&patch, Path::new("/w")),
            vec![
                (PathBuf::from("/w/x"), ChangeKind::Add),
                (PathBuf::from("/abs/y"), ChangeKind::Delete),
                (PathBuf::from("/w/z"), ChangeKind::Update),
            ]
        );
    }
}
