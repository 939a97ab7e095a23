//! Turns apply_patch text into a [`Patch`]: the envelope, file operations and update chunks.
//!
//! Leniency follows Codex: marker lines may carry surrounding whitespace, a heredoc wrapper
//! (`<<EOF`, `<<'EOF'`, `<<"EOF"` … `EOF`) is stripped, blank lines between chunks are skipped,
//! and the first chunk of an update may omit its `@@` line. Error texts are Codex's.

use std::path::PathBuf;

const BEGIN: &str = "*** Begin Patch";
const END: &str = "*** End Patch";
const ADD: &str = "*** Add File: ";
const DELETE: &str = "*** Delete File: ";
const UPDATE: &str = "*** Update File: ";
const MOVE_TO: &str = "*** Move to: ";
const END_OF_FILE: &str = "*** End of File";
const CONTEXT_PREFIX: &str = "@@ ";
const BARE_CONTEXT: &str = "@@";

/// Why a patch text could not be parsed. `Display` is the text Codex shows the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The envelope is wrong (first or last line).
    #[error("invalid patch: {0}")]
    InvalidPatch(String),
    /// A file operation or chunk is malformed; `line_number` is 1-based in the patch text.
    #[error("invalid hunk at line {line_number}, {message}")]
    InvalidHunk {
        /// What is wrong, in Codex's words.
        message: String,
        /// 1-based line in the patch text.
        line_number: usize,
    },
}

/// A parsed patch: file operations in the order the patch lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Patch {
    /// The file operations, in patch order.
    pub hunks: Vec<FileHunk>,
}

/// One file operation. Paths are exactly as written in the patch (relative or absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileHunk {
    /// Create (or overwrite) a file with `contents` (every `+` line plus a newline).
    Add {
        /// The file to create, as written.
        path: PathBuf,
        /// The new content: every `+` line, each ending in a newline.
        contents: String,
    },
    /// Remove a file.
    Delete {
        /// The file to remove, as written.
        path: PathBuf,
    },
    /// Edit a file in place, optionally renaming it.
    Update {
        /// The file to edit, as written.
        path: PathBuf,
        /// `*** Move to:` destination, when the file is also renamed.
        move_to: Option<PathBuf>,
        /// The `@@` sections, in order.
        chunks: Vec<UpdateChunk>,
    },
}

impl FileHunk {
    /// The path the operation names first (the source for a move).
    pub fn path(&self) -> &PathBuf {
        match self {
            FileHunk::Add { path, .. }
            | FileHunk::Delete { path }
            | FileHunk::Update { path, .. } => path,
        }
    }
}

/// One `@@` section of an update: replace `old_lines` by `new_lines`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateChunk {
    /// The text after `@@ `, a line to seek before looking for `old_lines`.
    pub context: Option<String>,
    /// Context and removed lines, in file order.
    pub old_lines: Vec<String>,
    /// Context and added lines, in file order.
    pub new_lines: Vec<String>,
    /// `*** End of File` closed the chunk: `old_lines` should sit at the end of the file.
    pub is_end_of_file: bool,
}

/// Parses apply_patch text (freeform tool input, or the `input` of the JSON variant).
pub fn parse_patch(text: &str) -> Result<Patch, ParseError> {
    let lines: Vec<&str> = text.trim().lines().collect();
    let body = envelope_body(&lines)?;
    let mut hunks = Vec::new();
    let mut rest = body;
    // Line 1 is the begin marker; hunks start at line 2.
    let mut line_number = 2;
    while !rest.is_empty() {
        let (hunk, used) = parse_file_hunk(rest, line_number)?;
        hunks.push(hunk);
        line_number += used;
        rest = &rest[used..];
    }
    Ok(Patch { hunks })
}

/// Checks the begin/end markers (also inside a heredoc wrapper) and returns the lines between.
fn envelope_body<'a>(lines: &'a [&'a str]) -> Result<&'a [&'a str], ParseError> {
    let plain = check_markers(lines);
    if plain.is_ok() {
        return plain;
    }
    if let [first, .., last] = lines {
        let opens_heredoc = matches!(*first, "<<EOF" | "<<'EOF'" | "<<\"EOF\"");
        if opens_heredoc && last.ends_with("EOF") && lines.len() >= 4 {
            return check_markers(&lines[1..lines.len() - 1]);
        }
    }
    plain
}

fn check_markers<'a>(lines: &'a [&'a str]) -> Result<&'a [&'a str], ParseError> {
    let first = lines.first().map(|l| l.trim());
    let last = lines.last().map(|l| l.trim());
    match (first, last) {
        (Some(BEGIN), Some(END)) if lines.len() >= 2 => Ok(&lines[1..lines.len() - 1]),
        (Some(first), _) if first != BEGIN => Err(ParseError::InvalidPatch(
            "The first line of the patch must be '*** Begin Patch'".to_string(),
        )),
        (None, _) => Err(ParseError::InvalidPatch(
            "The first line of the patch must be '*** Begin Patch'".to_string(),
        )),
        _ => Err(ParseError::InvalidPatch(
            "The last line of the patch must be '*** End Patch'".to_string(),
        )),
    }
}

/// Parses one file operation at the head of `lines`; returns it and how many lines it used.
fn parse_file_hunk(lines: &[&str], line_number: usize) -> Result<(FileHunk, usize), ParseError> {
    let header = lines[0].trim();
    if let Some(path) = header.strip_prefix(ADD) {
        let mut contents = String::new();
        let mut used = 1;
        for line in &lines[1..] {
            let Some(added) = line.strip_prefix('+') else {
                break;
            };
            contents.push_str(added);
            contents.push('\n');
            used += 1;
        }
        let hunk = FileHunk::Add {
            path: PathBuf::from(path),
            contents,
        };
        return Ok((hunk, used));
    }
    if let Some(path) = header.strip_prefix(DELETE) {
        let hunk = FileHunk::Delete {
            path: PathBuf::from(path),
        };
        return Ok((hunk, 1));
    }
    if let Some(path) = header.strip_prefix(UPDATE) {
        return parse_update(path, lines, line_number);
    }
    Err(ParseError::InvalidHunk {
        message: format!(
            "'{header}' is not a valid hunk header. Valid hunk headers: '*** Add File: {{path}}', \
             '*** Delete File: {{path}}', '*** Update File: {{path}}'"
        ),
        line_number,
    })
}

fn parse_update(
    path: &str,
    lines: &[&str],
    line_number: usize,
) -> Result<(FileHunk, usize), ParseError> {
    let mut used = 1;
    let mut rest = &lines[1..];
    let move_to = rest
        .first()
        .and_then(|l| l.strip_prefix(MOVE_TO))
        .map(PathBuf::from);
    if move_to.is_some() {
        used += 1;
        rest = &rest[1..];
    }
    let mut chunks = Vec::new();
    while let Some(first) = rest.first() {
        if first.trim().is_empty() {
            used += 1;
            rest = &rest[1..];
            continue;
        }
        if first.starts_with('*') {
            break;
        }
        let (chunk, chunk_used) = parse_chunk(rest, line_number + used, chunks.is_empty())?;
        chunks.push(chunk);
        used += chunk_used;
        rest = &rest[chunk_used..];
    }
    if chunks.is_empty() {
        return Err(ParseError::InvalidHunk {
            message: format!("Update file hunk for path '{path}' is empty"),
            line_number,
        });
    }
    let hunk = FileHunk::Update {
        path: PathBuf::from(path),
        move_to,
        chunks,
    };
    Ok((hunk, used))
}

/// Parses one chunk; `first_chunk` allows the `@@` line to be missing.
fn parse_chunk(
    lines: &[&str],
    line_number: usize,
    first_chunk: bool,
) -> Result<(UpdateChunk, usize), ParseError> {
    let no_lines = |line_number| ParseError::InvalidHunk {
        message: "Update hunk does not contain any lines".to_string(),
        line_number,
    };
    let (context, start) = if lines[0] == BARE_CONTEXT {
        (None, 1)
    } else if let Some(context) = lines[0].strip_prefix(CONTEXT_PREFIX) {
        (Some(context.to_string()), 1)
    } else if first_chunk {
        (None, 0)
    } else {
        return Err(ParseError::InvalidHunk {
            message: format!(
                "Expected update hunk to start with a @@ context marker, got: '{}'",
                lines[0]
            ),
            line_number,
        });
    };
    if start >= lines.len() {
        return Err(no_lines(line_number + 1));
    }
    let mut chunk = UpdateChunk {
        context,
        old_lines: Vec::new(),
        new_lines: Vec::new(),
        is_end_of_file: false,
    };
    let mut body_lines = 0;
    for line in &lines[start..] {
        if *line == END_OF_FILE {
            if body_lines == 0 {
                return Err(no_lines(line_number + 1));
            }
            chunk.is_end_of_file = true;
            body_lines += 1;
            break;
        }
        let mut chars = line.chars();
        match chars.next() {
            None => {
                chunk.old_lines.push(String::new());
                chunk.new_lines.push(String::new());
            }
            Some(' ') => {
                chunk.old_lines.push(chars.as_str().to_string());
                chunk.new_lines.push(chars.as_str().to_string());
            }
            Some('+') => chunk.new_lines.push(chars.as_str().to_string()),
            Some('-') => chunk.old_lines.push(chars.as_str().to_string()),
            Some(_) if body_lines == 0 => {
                return Err(ParseError::InvalidHunk {
                    message: format!(
                        "Unexpected line found in update hunk: '{line}'. Every line should start \
                         with ' ' (context line), '+' (added line), or '-' (removed line)"
                    ),
                    line_number: line_number + 1,
                });
            }
            // Anything else ends the chunk; the caller decides what it is.
            Some(_) => break,
        }
        body_lines += 1;
    }
    Ok((chunk, body_lines + start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(path: &str, chunks: Vec<UpdateChunk>) -> FileHunk {
        FileHunk::Update {
            path: PathBuf::from(path),
            move_to: None,
            chunks,
        }
    }

    fn chunk(context: Option<&str>, old: &[&str], new: &[&str], eof: bool) -> UpdateChunk {
        UpdateChunk {
            context: context.map(str::to_string),
            old_lines: old.iter().map(|s| s.to_string()).collect(),
            new_lines: new.iter().map(|s| s.to_string()).collect(),
            is_end_of_file: eof,
        }
    }

    #[test]
    fn envelope_errors_use_codex_text() {
        assert_eq!(
            parse_patch("bad").unwrap_err().to_string(),
            "invalid patch: The first line of the patch must be '*** Begin Patch'"
        );
        assert_eq!(
            parse_patch("*** Begin Patch\nbad").unwrap_err().to_string(),
            "invalid patch: The last line of the patch must be '*** End Patch'"
        );
        assert_eq!(
            parse_patch("").unwrap_err().to_string(),
            "invalid patch: The first line of the patch must be '*** Begin Patch'"
        );
        // A lone begin marker is both first and last line.
        assert_eq!(
            parse_patch("*** Begin Patch").unwrap_err().to_string(),
            "invalid patch: The last line of the patch must be '*** End Patch'"
        );
    }

    #[test]
    fn parses_all_operations() {
        let text = "*** Begin Patch\n*** Add File: path/add.py\n+abc\n+def\n*** Delete File: \
                    path/delete.py\n*** Update File: path/update.py\n*** Move to: path/update2.py\n@@ \
                    def f():\n-    pass\n+    return 123\n*** End Patch";
        let patch = parse_patch(text).unwrap();
        assert_eq!(
            patch.hunks,
            vec![
                FileHunk::Add {
                    path: "path/add.py".into(),
                    contents: "abc\ndef\n".into()
                },
                FileHunk::Delete {
                    path: "path/delete.py".into()
                },
                FileHunk::Update {
                    path: "path/update.py".into(),
                    move_to: Some("path/update2.py".into()),
                    chunks: vec![chunk(
                        Some("def f():"),
                        &["    pass"],
                        &["    return 123"],
                        false
                    )],
                },
            ]
        );
    }

    #[test]
    fn empty_update_is_an_error_with_line_number() {
        let err =
            parse_patch("*** Begin Patch\n*** Update File: test.py\n*** End Patch").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid hunk at line 2, Update file hunk for path 'test.py' is empty"
        );
    }

    #[test]
    fn invalid_header_message() {
        let err =
            parse_patch("*** Begin Patch\n*** Frobnicate File: x\n*** End Patch").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid hunk at line 2, '*** Frobnicate File: x' is not a valid hunk header. Valid hunk \
             headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'"
        );
    }

    #[test]
    fn unexpected_line_in_chunk() {
        let err =
            parse_patch("*** Begin Patch\n*** Update File: a\n@@\nbad\n*** End Patch").unwrap_err();
        assert_eq!(
            err,
            ParseError::InvalidHunk {
                message: "Unexpected line found in update hunk: 'bad'. Every line should start \
                          with ' ' (context line), '+' (added line), or '-' (removed line)"
                    .into(),
                line_number: 4
            }
        );
    }

    #[test]
    fn second_chunk_needs_marker() {
        let err = parse_patch(
            "*** Begin Patch\n*** Update File: a\n@@\n-x\n+y\n@@\n-z\n+w\n*** End Patch",
        );
        assert!(err.is_ok());
        // A chunk ended by an unexpected line is followed by a line that must be `@@`.
        let err = parse_patch(
            "*** Begin Patch\n*** Update File: a\n@@\n-x\n*** End of File\n-z\n*** End Patch",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid hunk at line 6, Expected update hunk to start with a @@ context marker, got: '-z'"
        );
    }

    #[test]
    fn first_chunk_may_omit_marker_and_eof_is_recorded() {
        let patch =
            parse_patch("*** Begin Patch\n*** Update File: f\n import foo\n+bar\n*** End of File\n*** End Patch")
                .unwrap();
        assert_eq!(
            patch.hunks,
            vec![update(
                "f",
                vec![chunk(None, &["import foo"], &["import foo", "bar"], true)]
            )]
        );
    }

    #[test]
    fn blank_line_inside_chunk_is_context() {
        let patch =
            parse_patch("*** Begin Patch\n*** Update File: f\n@@ ctx\n\n a\n-b\n+c\n*** End Patch")
                .unwrap();
        assert_eq!(
            patch.hunks,
            vec![update(
                "f",
                vec![chunk(Some("ctx"), &["", "a", "b"], &["", "a", "c"], false)]
            )]
        );
    }

    #[test]
    fn lenient_whitespace_and_heredoc() {
        let inner = "*** Begin Patch \n  *** Add File: foo\n+hi\n *** End Patch";
        let patch = parse_patch(inner).unwrap();
        assert_eq!(
            patch.hunks,
            vec![FileHunk::Add {
                path: "foo".into(),
                contents: "hi\n".into()
            }]
        );
        for open in ["<<EOF", "<<'EOF'", "<<\"EOF\""] {
            let wrapped = format!("{open}\n{inner}\nEOF\n");
            assert_eq!(parse_patch(&wrapped).unwrap(), patch, "{open}");
        }
        let mismatched = format!("<<\"EOF'\n{inner}\nEOF\n");
        assert!(parse_patch(&mismatched).is_err());
    }

    #[test]
    fn empty_envelope_has_no_hunks() {
        assert_eq!(
            parse_patch("*** Begin Patch\n*** End Patch").unwrap().hunks,
            vec![]
        );
    }

    #[test]
    fn add_file_stops_at_first_non_plus_line() {
        let err =
            parse_patch("*** Begin Patch\n*** Add File: a\n+x\ny\n*** End Patch").unwrap_err();
        assert_eq!(
            err,
            ParseError::InvalidHunk {
                message: "'y' is not a valid hunk header. Valid hunk headers: '*** Add File: \
                          {path}', '*** Delete File: {path}', '*** Update File: {path}'"
                    .into(),
                line_number: 4
            }
        );
    }
}
