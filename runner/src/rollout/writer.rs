//! Appends rollout lines, one `write` per line with the newline included, so a crash loses at
//! most the line being written and never leaves a line without its end.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local};
use rcodex_core::protocol::RolloutLine;

/// `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<thread_id>.jsonl` (local time).
pub fn rollout_path(codex_home: &Path, thread_id: &str, at: DateTime<Local>) -> PathBuf {
    codex_home
        .join("sessions")
        .join(at.format("%Y").to_string())
        .join(at.format("%m").to_string())
        .join(at.format("%d").to_string())
        .join(format!(
            "rollout-{}-{thread_id}.jsonl",
            at.format("%Y-%m-%dT%H-%M-%S")
        ))
}

/// An open rollout file.
#[derive(Debug)]
pub struct RolloutWriter {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
}

impl RolloutWriter {
    /// Creates the file (and its folders) or opens it to append (resume).
    pub fn open(path: PathBuf) -> io::Result<RolloutWriter> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(RolloutWriter {
            file,
            path,
            buf: Vec::with_capacity(4096),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line and hands it to the OS before returning.
    pub fn write(&mut self, line: &RolloutLine) -> io::Result<()> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, line)?;
        self.buf.push(b'\n');
        self.file.write_all(&self.buf)?;
        self.file.flush()
    }
}
