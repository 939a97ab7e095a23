//! The generations of Codex's rollout file layout, and which one a file uses, so a reader can
//! take the sessions users still have in `~/.codex/sessions` and not only today's.
//!
//! Observed by running each CLI against the scripted server (fixtures in
//! `tests/fixtures/rollouts/`):
//! - 0.29: no envelope. Line 1 is a bare `{id, timestamp, instructions, git?}`; then bare
//!   response items and `{"record_type":"state"}` lines. No originator, version or times.
//! - 0.34 to 0.107: `{timestamp, type, payload}`.
//! - 0.150 and later (and rcodex): `{timestamp, ordinal, type, payload}` with `metadata` on
//!   `response_item` lines.

use serde::de::IgnoredAny;
use serde::Deserialize;

/// A rollout layout generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// No envelope: a bare session-meta object first, then bare items and `record_type` lines.
    FlatRecords,
    /// `{timestamp, type, payload}` lines without `ordinal`.
    Envelope,
    /// `{timestamp, ordinal, type, payload}` lines.
    OrdinalEnvelope,
}

/// The keys of a first line that tell the layouts apart.
#[derive(Deserialize)]
struct FirstLineKeys {
    ordinal: Option<IgnoredAny>,
    payload: Option<IgnoredAny>,
}

impl Layout {
    /// The layout of a file whose first non-blank line is `first`. A line that is not a JSON
    /// object counts as today's layout, so the line reader reports what is wrong with it.
    pub fn of_first_line(first: &[u8]) -> Layout {
        match serde_json::from_slice::<FirstLineKeys>(first) {
            Ok(FirstLineKeys { payload: None, .. }) => Layout::FlatRecords,
            Ok(FirstLineKeys {
                ordinal: Some(_), ..
            }) => Layout::OrdinalEnvelope,
            Ok(_) => Layout::Envelope,
            Err(_) => Layout::OrdinalEnvelope,
        }
    }

    /// The layout of a whole file.
    pub fn of_file(bytes: &[u8]) -> Layout {
        bytes
            .split(|&b| b == b'\n')
            .find(|line| !line.iter().all(u8::is_ascii_whitespace))
            .map_or(Layout::OrdinalEnvelope, Layout::of_first_line)
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Layout::FlatRecords => "flat records (Codex 0.29 and before)",
            Layout::Envelope => "envelope without ordinal (Codex 0.34 to 0.107 seen)",
            Layout::OrdinalEnvelope => "envelope with ordinal (Codex 0.150 and later, rcodex)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_generation_is_told_by_its_first_line() {
        let cases: [(&str, Layout); 5] = [
            (
                r#"{"id":"a","timestamp":"t","instructions":null}"#,
                Layout::FlatRecords,
            ),
            (
                r#"{"timestamp":"t","type":"session_meta","payload":{}}"#,
                Layout::Envelope,
            ),
            (
                r#"{"timestamp":"t","ordinal":0,"type":"session_meta","payload":{}}"#,
                Layout::OrdinalEnvelope,
            ),
            ("not json", Layout::OrdinalEnvelope),
            ("[1,2]", Layout::OrdinalEnvelope),
        ];
        for (line, want) in cases {
            assert_eq!(Layout::of_first_line(line.as_bytes()), want, "{line}");
        }
    }

    #[test]
    fn blank_lines_before_the_first_record_are_skipped() {
        let file = b"\n  \n{\"timestamp\":\"t\",\"type\":\"x\",\"payload\":1}\n";
        assert_eq!(Layout::of_file(file), Layout::Envelope);
        assert_eq!(Layout::of_file(b""), Layout::OrdinalEnvelope);
    }
}
