//! Reads a rollout for replay: every line with its number, which program and version wrote it,
//! and a torn last line reported rather than fatal.

use std::path::{Path, PathBuf};

use rcodex_core::protocol::{RolloutItem, RolloutLine};
use rcodex_core::replay::RecordedLine;

use super::RolloutReadError;
use crate::jsonl;

/// Who wrote a rollout, from its `session_meta`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Writer {
    /// `codex_exec`, `codex_cli_rs`, `rcodex_exec`, ...
    pub originator: String,
    pub cli_version: String,
}

/// A rollout read for replay.
#[derive(Clone, Debug)]
pub struct RecordedRollout {
    pub path: PathBuf,
    pub writer: Writer,
    pub lines: Vec<RecordedLine>,
    /// Lines that could not be used (a torn last line), as `path:line: reason`.
    pub warnings: Vec<String>,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// Reads the rollout at `path`.
pub fn read_recorded(path: &Path) -> Result<RecordedRollout, RolloutReadError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| jsonl::JsonlError::Io {
        path: shown.clone(),
        source,
    })?;
    let parsed = jsonl::parse::<RolloutLine>(&bytes, &shown)?;
    let lines: Vec<RecordedLine> = parsed
        .records
        .into_iter()
        .map(|r| RecordedLine {
            number: r.line,
            line: r.value,
        })
        .collect();
    let writer = lines
        .iter()
        .find_map(|l| match &l.line.item {
            RolloutItem::SessionMeta(m) => Some(Writer {
                originator: m.originator.clone(),
                cli_version: m.cli_version.clone(),
            }),
            _ => None,
        })
        .ok_or_else(|| RolloutReadError::NoMeta(shown.clone()))?;
    let warnings = parsed
        .torn
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
