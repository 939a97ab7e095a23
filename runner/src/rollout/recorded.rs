//! Reads a rollout for replay: every line with its number, which program, version and layout
//! generation wrote it, and a torn last line reported rather than fatal. Files from older Codex
//! versions ([`Layout`]) are normalised to today's [`RolloutLine`]s; line types nobody knows
//! are kept as `Other`, never dropped.
//!
//! Lines go through [`crate::jsonl`] (it says why not the `jsonl` crate): bad lines before the
//! last are `path:line: what is wrong`, a torn last line is skipped with a warning. Each line is
//! read by the core's `from_json_slice` readers: the derived `Deserialize`'s values, without
//! its buffering (see `rcodex_core::protocol::from_json`).

use std::io::Read;
use std::path::{Path, PathBuf};

use rcodex_core::protocol::{ResponseItem, RolloutItem, RolloutLine};
use rcodex_core::replay::RecordedLine;

use super::layout::Layout;
use super::{flat_records, payload_shapes, RolloutReadError};
use crate::jsonl::{self, JsonlError, TornLine};

/// Who wrote a rollout, from its `session_meta`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Writer {
    /// `codex_exec`, `codex_cli_rs`, `rcodex_exec`, ...; empty for [`Layout::FlatRecords`],
    /// which did not record it.
    pub originator: String,
    /// Empty for [`Layout::FlatRecords`], which did not record it.
    pub cli_version: String,
    /// The layout generation of the file.
    pub layout: Layout,
}

/// A rollout read for replay.
#[derive(Clone, Debug)]
pub struct RecordedRollout {
    pub path: PathBuf,
    pub writer: Writer,
    /// Every line in today's shape, with its number in the file. What older layouts did not
    /// record is an empty string: the times of flat records and their meta's `cwd`,
    /// `originator` and `cli_version`; the `turn_id` of task events from before turn ids.
    pub lines: Vec<RecordedLine>,
    /// Lines that could not be used (a torn last line), as `path:line: reason`.
    pub warnings: Vec<String>,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// Reads the rollout at `path`, in any layout Codex has written.
pub fn read_recorded(path: &Path) -> Result<RecordedRollout, RolloutReadError> {
    FILE_BUFFER.with_borrow_mut(|bytes| {
        let read = read_into(path, bytes).and_then(|()| read_bytes(path, bytes));
        if bytes.capacity() > KEPT_BUFFER {
            *bytes = Vec::new();
        }
        read
    })
}

thread_local! {
    /// The bytes of the file being read, kept for the next file this thread reads: a replay of
    /// many files would otherwise allocate (and fault in) a fresh buffer for every one.
    static FILE_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A buffer grown past this by one large file is dropped after it.
const KEPT_BUFFER: usize = 4 << 20;

fn read_into(path: &Path, bytes: &mut Vec<u8>) -> Result<(), RolloutReadError> {
    let io = |source| JsonlError::Io {
        path: path.display().to_string(),
        source,
    };
    bytes.clear();
    let mut file = std::fs::File::open(path).map_err(io)?;
    file.read_to_end(bytes).map_err(io)?;
    Ok(())
}

/// Reads the rollout whose text is `bytes`.
fn read_bytes(path: &Path, bytes: &[u8]) -> Result<RecordedRollout, RolloutReadError> {
    let shown = path.display().to_string();
    let layout = Layout::of_file(bytes);
    let (lines, torn) = match layout {
        Layout::FlatRecords => read_flat(bytes, &shown)?,
        Layout::Envelope | Layout::OrdinalEnvelope => read_envelope(bytes, &shown)?,
    };
    let writer = lines
        .iter()
        .find_map(|l| match &l.line.item {
            RolloutItem::SessionMeta(m) => Some(Writer {
                originator: m.originator.clone(),
                cli_version: m.cli_version.clone(),
                layout,
            }),
            _ => None,
        })
        .ok_or_else(|| RolloutReadError::NoMeta(shown.clone()))?;
    let warnings = torn
        .map(|t| {
            format!(
                "{shown}:{}: skipped a torn last line ({})",
                t.line, t.reason
            )
        })
        .into_iter()
        .collect();
    Ok(RecordedRollout {
        path: path.to_path_buf(),
        writer,
        lines,
        warnings,
        bytes: bytes.len() as u64,
    })
}

type ReadLines = (Vec<RecordedLine>, Option<TornLine>);

/// `{timestamp, [ordinal,] type, payload}` lines, older payload shapes made today's.
fn read_envelope(bytes: &[u8], shown: &str) -> Result<ReadLines, JsonlError> {
    let parsed = jsonl::parse_with(bytes, shown, RolloutLine::from_json_slice)?;
    let lines = parsed
        .records
        .into_iter()
        .map(|r| {
            let RolloutLine {
                timestamp,
                ordinal,
                item,
                metadata,
            } = r.value;
            let item = payload_shapes::normalise(item).map_err(|m| bad_line(shown, r.line, m))?;
            Ok(RecordedLine {
                number: r.line,
                line: RolloutLine {
                    timestamp,
                    ordinal,
                    item,
                    metadata,
                },
            })
        })
        .collect::<Result<_, JsonlError>>()?;
    Ok((lines, parsed.torn))
}

/// Bare records of Codex 0.29 and before, each put in today's envelope.
fn read_flat(bytes: &[u8], shown: &str) -> Result<ReadLines, JsonlError> {
    let parsed = jsonl::parse_with(bytes, shown, ResponseItem::from_json_slice)?;
    let lines = parsed
        .records
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            let line = flat_records::to_line(r.value, index == 0)
                .map_err(|m| bad_line(shown, r.line, m))?;
            Ok(RecordedLine {
                number: r.line,
                line,
            })
        })
        .collect::<Result<_, JsonlError>>()?;
    Ok((lines, parsed.torn))
}

fn bad_line(shown: &str, line: usize, message: String) -> JsonlError {
    JsonlError::BadLine {
        path: shown.to_string(),
        line,
        message,
    }
}

#[cfg(test)]
#[path = "recorded_tests.rs"]
mod tests;
