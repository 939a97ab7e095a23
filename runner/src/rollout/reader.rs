//! Reads a rollout back into a thread's history. Lines are read with [`crate::jsonl`] (it says
//! why not the `jsonl` crate): bad lines are reported as `path:line`, a torn last line is
//! skipped with a warning.

use std::path::{Path, PathBuf};

use rcodex_core::protocol::rollout::TokenUsageRecord;
use rcodex_core::protocol::{EventMsg, ResponseItem, RolloutItem, RolloutLine, TokenUsage};

use crate::jsonl::{self, JsonlError};

/// What a rollout holds for resuming.
#[derive(Clone, Debug, Default)]
pub struct RolloutHistory {
    pub thread_id: String,
    pub base_instructions: Option<String>,
    /// Model-visible history: the last `compacted` replacement plus what follows.
    pub history: Vec<ResponseItem>,
    pub thread_usage: TokenUsage,
    /// The last `token_count`'s `last_token_usage` (what the auto-compaction check reads).
    pub last_usage: TokenUsage,
    /// The `window_number` of the last `compacted` line (0: never compacted).
    pub window_number: u64,
    /// Lines that could not be used (a torn last line), as `path:line: reason`.
    pub warnings: Vec<String>,
    pub lines: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RolloutReadError {
    /// Unreadable, or a bad line before the last (`path:line: reason`).
    #[error(transparent)]
    Lines(#[from] JsonlError),
    #[error("{0}: no session_meta line; not a rollout file")]
    NoMeta(String),
}

/// Parses a rollout file.
pub fn read_rollout(path: &Path) -> Result<RolloutHistory, RolloutReadError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| JsonlError::Io {
        path: shown.clone(),
        source,
    })?;
    let lines = jsonl::parse_with(&bytes, &shown, RolloutLine::from_json_slice)?;
    let mut out = RolloutHistory {
        lines: lines.records.len() + usize::from(lines.torn.is_some()),
        warnings: lines
            .torn
            .iter()
            .map(|t| {
                format!(
                    "{shown}:{}: skipped a torn last line ({})",
                    t.line, t.reason
                )
            })
            .collect(),
        ..RolloutHistory::default()
    };
    let mut have_meta = false;
    for jsonl::Record { value: line, .. } in lines.records {
        match line.item {
            RolloutItem::SessionMeta(meta) if !have_meta => {
                out.thread_id = meta.id;
                out.base_instructions = meta.base_instructions.map(|b| b.text);
                have_meta = true;
            }
            RolloutItem::ResponseItem(item) => out.history.push(item.without_passthrough()),
            RolloutItem::Compacted(c) => {
                out.window_number = c
                    .extra
                    .get("window_number")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(out.window_number + 1);
                if let Some(replacement) = c.replacement_history {
                    // Codex writes its passthrough key into the replacement too; it never
                    // sends it.
                    out.history = replacement
                        .into_iter()
                        .map(ResponseItem::without_passthrough)
                        .collect();
                } else {
                    out.history.clear();
                    out.history.push(ResponseItem::user_text(None, c.message));
                }
            }
            RolloutItem::TokenUsageRecord(TokenUsageRecord {
                thread_token_usage, ..
            }) => out.thread_usage = thread_token_usage,
            RolloutItem::EventMsg(EventMsg::TokenCount(count)) => {
                if let Some(info) = count.info {
                    out.last_usage = info.last_token_usage;
                }
            }
            _ => {}
        }
    }
    if !have_meta {
        return Err(RolloutReadError::NoMeta(shown));
    }
    Ok(out)
}

/// Finds the rollout of `thread_id` (or the newest one when `None`) under `$CODEX_HOME/sessions`.
pub fn find_rollout(codex_home: &Path, thread_id: Option<&str>) -> Option<PathBuf> {
    let root = codex_home.join("sessions");
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        let name = entry.file_name().to_string_lossy();
        if !name.starts_with("rollout-") || !name.ends_with(".jsonl") {
            continue;
        }
        if let Some(id) = thread_id {
            if name.ends_with(&format!("-{id}.jsonl")) {
                return Some(entry.into_path());
            }
            continue;
        }
        let mtime = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .unwrap_or(std::time::UNIX_EPOCH);
        if best.as_ref().is_none_or(|(t, _)| mtime >= *t) {
            best = Some((mtime, entry.into_path()));
        }
    }
    best.map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../core/tests/fixtures/upstream/exec-shell-rollout.jsonl");
        std::fs::read_to_string(p).unwrap()
    }

    #[test]
    fn reads_a_codex_rollout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        std::fs::write(&path, fixture()).unwrap();
        let h = read_rollout(&path).unwrap();
        assert_eq!(h.thread_id, "01a220ce-2b2d-74c2-8422-3d6170ae8633");
        // developer + environment + prompt + function_call + output + assistant message
        assert_eq!(h.history.len(), 6);
        assert_eq!(h.thread_usage.input_tokens, 200);
        assert!(h.warnings.is_empty());
        // Rollout-only keys are not sent back to the model.
        let text = serde_json::to_string(&h.history).unwrap();
        assert!(!text.contains("internal_chat_message_metadata_passthrough"));
        assert!(h.base_instructions.unwrap().starts_with("<upstream text"));
    }

    #[test]
    fn a_torn_last_line_is_skipped_with_a_warning_but_a_torn_middle_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        let mut text = fixture();
        text.push_str("{\"timestamp\":\"2026-11-28T06:18:33.000Z\",\"type\":\"response_it");
        std::fs::write(&path, &text).unwrap();
        let h = read_rollout(&path).unwrap();
        assert_eq!(h.history.len(), 6);
        assert_eq!(h.warnings.len(), 1);
        assert!(
            h.warnings[0].contains(":20: skipped a torn last line"),
            "{:?}",
            h.warnings
        );

        let original = fixture();
        let mut lines: Vec<&str> = original.lines().collect();
        lines[3] = "{broken";
        std::fs::write(&path, lines.join("\n")).unwrap();
        let e = read_rollout(&path).unwrap_err().to_string();
        assert!(e.contains("rollout.jsonl:4:"), "{e}");
    }

    #[test]
    fn compacted_replaces_earlier_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        let mut text = fixture();
        text.push_str("{\"timestamp\":\"t\",\"type\":\"compacted\",\"payload\":{\"message\":\"summary\",\"replacement_history\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"summary\"}]}]}}\n");
        text.push_str("{\"timestamp\":\"t\",\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"after\"}]}}\n");
        std::fs::write(&path, &text).unwrap();
        let h = read_rollout(&path).unwrap();
        assert_eq!(h.history.len(), 2);
    }
}
