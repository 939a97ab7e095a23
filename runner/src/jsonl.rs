//! Reading JSON Lines files (batch `results.jsonl`, its merge, rollouts): one reader for all.
//!
//! Plain `serde_json` per line rather than the `jsonl` crate, which reads one value per call and
//! knows neither line numbers nor where the file ends. We need:
//! - line numbers, so a bad line is reported as `file:line: what is wrong`;
//! - a torn last line tolerated: every writer (rollout recorder, results file) flushes one whole
//!   line per write and may be killed mid-write, so the last non-blank line may be cut off. It is
//!   returned as [`TornLine`] for the caller to warn about or drop; a bad line anywhere else is an
//!   error, since no crash explains it.
//! - the length of the prefix made of whole lines, so an appender can cut a torn tail and resume.

use std::io;
use std::path::Path;

use serde::de::DeserializeOwned;

/// A line that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}:{line}: {message}")]
    BadLine {
        path: String,
        line: usize,
        message: String,
    },
}

impl JsonlError {
    /// The file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, JsonlError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// One parsed line.
#[derive(Clone, Debug, PartialEq)]
pub struct Record<T> {
    /// 1-based line number in the file.
    pub line: usize,
    /// Byte offset just past the line and its `\n` (if written).
    pub end: u64,
    pub value: T,
}

/// The last non-blank line when it did not parse (a write cut short).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// Why it did not parse.
    pub reason: String,
}

/// A whole file read as JSON Lines.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonLines<T> {
    /// Every line that parsed, in file order; blank lines are skipped.
    pub records: Vec<Record<T>>,
    pub torn: Option<TornLine>,
    /// Bytes from the start through the last `\n` that ends a parsed or blank line with nothing
    /// torn before it: where an appender may continue after cutting the rest.
    pub whole_len: u64,
}

impl<T> JsonLines<T> {
    /// The values of the lines within [`JsonLines::whole_len`]: what stays when an appender cuts
    /// the file there (a last line that parsed but lacks its `\n` is cut too).
    pub fn into_whole_values(self) -> Vec<T> {
        let whole_len = self.whole_len;
        self.records
            .into_iter()
            .filter(|r| r.end <= whole_len)
            .map(|r| r.value)
            .collect()
    }
}

/// Reads and parses the file at `path`.
pub fn read_file<T: DeserializeOwned>(path: &Path) -> Result<JsonLines<T>, JsonlError> {
    let shown = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => parse(&bytes, &shown),
        Err(source) => Err(JsonlError::Io {
            path: shown,
            source,
        }),
    }
}

/// Parses JSON Lines `bytes`; `shown` names the file in errors.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], shown: &str) -> Result<JsonLines<T>, JsonlError> {
    parse_with(bytes, shown, |raw| serde_json::from_slice::<T>(raw))
}

/// [`parse`] with another reader of one line's bytes than `serde_json::from_slice` (such as
/// `RolloutLine::from_json_slice`, which gives the same values faster).
pub fn parse_with<T>(
    bytes: &[u8],
    shown: &str,
    read_line: impl Fn(&[u8]) -> serde_json::Result<T>,
) -> Result<JsonLines<T>, JsonlError> {
    // Where the last non-blank line starts: a line that does not parse there is torn.
    let last_non_blank = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map(|at| memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |nl| nl + 1));
    let mut out = JsonLines {
        records: Vec::new(),
        torn: None,
        whole_len: 0,
    };
    let mut start = 0;
    let mut line = 0;
    while start < bytes.len() {
        let stop = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |nl| start + nl + 1);
        let raw = &bytes[start..stop];
        let at = std::mem::replace(&mut start, stop);
        let end = stop as u64;
        let terminated = raw.ends_with(b"\n");
        line += 1;
        if is_blank(raw) {
            if terminated && out.torn.is_none() {
                out.whole_len = end;
            }
            continue;
        }
        match read_line(raw) {
            Ok(value) => {
                if terminated {
                    out.whole_len = end;
                }
                out.records.push(Record { line, end, value });
            }
            Err(e) if Some(at) == last_non_blank => {
                out.torn = Some(TornLine {
                    line,
                    reason: e.to_string(),
                });
            }
            Err(e) => {
                return Err(JsonlError::BadLine {
                    path: shown.to_string(),
                    line,
                    message: e.to_string(),
                })
            }
        }
    }
    Ok(out)
}

fn is_blank(raw: &[u8]) -> bool {
    raw.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn values(lines: &JsonLines<Value>) -> Vec<(usize, Value)> {
        lines
            .records
            .iter()
            .map(|r| (r.line, r.value.clone()))
            .collect()
    }

    #[test]
    fn lines_are_numbered_and_blank_lines_skipped() {
        let text = b"{\"a\":1}\n\n  \n{\"a\":2}\n";
        let lines: JsonLines<Value> = parse(text, "f.jsonl").unwrap();
        assert_eq!(values(&lines), [(1, json!({"a":1})), (4, json!({"a":2}))]);
        assert_eq!(lines.torn, None);
        assert_eq!(lines.whole_len, text.len() as u64);
    }

    #[test]
    fn a_torn_last_line_is_reported_not_an_error() {
        let text = b"{\"a\":1}\n{\"a\":2}\n{\"a\":";
        let lines: JsonLines<Value> = parse(text, "f.jsonl").unwrap();
        assert_eq!(values(&lines).len(), 2);
        assert_eq!(lines.torn.as_ref().map(|t| t.line), Some(3));
        assert_eq!(lines.whole_len, 16);
        // Blank lines after a torn line still leave it the last one, and are not whole.
        let text = b"{\"a\":1}\n{\"a\"\n\n";
        let lines: JsonLines<Value> = parse(text, "f.jsonl").unwrap();
        assert_eq!(lines.torn.as_ref().map(|t| t.line), Some(2));
        assert_eq!(lines.whole_len, 8);
    }

    #[test]
    fn a_bad_line_before_the_last_names_file_and_line() {
        let text = b"{\"a\":1}\nnot json\n{\"a\":2}\n";
        let err = parse::<Value>(text, "dir/f.jsonl").unwrap_err().to_string();
        assert!(err.starts_with("dir/f.jsonl:2: expected"), "{err}");
    }

    #[test]
    fn a_bad_field_is_named_with_its_line() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Row {
            id: String,
        }
        let err = parse::<Row>(b"{\"id\":\"x\"}\n{\"id\":3}\n{}\n", "r.jsonl")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("r.jsonl:2: invalid type"), "{err}");
    }

    #[test]
    fn an_unterminated_last_line_parses_but_is_not_whole() {
        let text = b"{\"a\":1}\n{\"a\":2}";
        let lines: JsonLines<Value> = parse(text, "f.jsonl").unwrap();
        assert_eq!(values(&lines).len(), 2);
        assert_eq!(lines.torn, None);
        assert_eq!(lines.whole_len, 8);
        assert_eq!(lines.into_whole_values(), [json!({"a":1})]);
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_file::<Value>(&dir.path().join("none.jsonl")).unwrap_err();
        assert!(err.is_not_found());
        assert!(err.to_string().contains("none.jsonl: "), "{err}");
    }

    /// The reader as first written (split, collect, find the last non-blank line), kept as
    /// the reference for the memchr scan.
    fn reference(bytes: &[u8]) -> Result<JsonLines<Value>, String> {
        let raw_lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
        let last_non_blank = raw_lines.iter().rposition(|raw| !is_blank(raw));
        let mut out = JsonLines {
            records: Vec::new(),
            torn: None,
            whole_len: 0,
        };
        let mut end = 0u64;
        for (index, raw) in raw_lines.into_iter().enumerate() {
            end += raw.len() as u64;
            let terminated = raw.ends_with(b"\n");
            let line = index + 1;
            if is_blank(raw) {
                if terminated && out.torn.is_none() {
                    out.whole_len = end;
                }
                continue;
            }
            match serde_json::from_slice::<Value>(raw) {
                Ok(value) => {
                    if terminated {
                        out.whole_len = end;
                    }
                    out.records.push(Record { line, end, value });
                }
                Err(e) if Some(index) == last_non_blank => {
                    out.torn = Some(TornLine {
                        line,
                        reason: e.to_string(),
                    });
                }
                Err(e) => return Err(format!("f.jsonl:{line}: {e}")),
            }
        }
        Ok(out)
    }

    proptest::proptest! {
        #[test]
        fn the_scan_reads_any_text_as_the_reference_does(
            pieces in proptest::collection::vec(
                proptest::sample::select(&[
                    "{\"a\":1}", "[2]", "", " ", "\t", "\r", "\u{c}", "{\"a\"", "x", "\"s\"",
                ][..]),
                0..8,
            ),
            newlines in proptest::collection::vec(0usize..3, 8),
        ) {
            let mut text = String::new();
            for (piece, n) in pieces.iter().zip(&newlines) {
                text.push_str(piece);
                text.push_str(&"\n".repeat(*n));
            }
            let scanned = parse::<Value>(text.as_bytes(), "f.jsonl").map_err(|e| e.to_string());
            proptest::prop_assert_eq!(scanned, reference(text.as_bytes()), "{:?}", text);
        }
    }
}
