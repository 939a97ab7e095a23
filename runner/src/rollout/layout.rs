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

use std::borrow::Cow;
use std::fmt;

use serde::de::{Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

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

/// The keys of a first line that tell the layouts apart: whether `ordinal` and `payload` are
/// there and not null. Read as `#[derive(Deserialize)]` would read the struct, but a map stops
/// as soon as both are seen: the layout is then today's whatever follows (a line that does not
/// read counts as today's too), so the rest of the line, usually a long session meta, is not
/// scanned twice.
struct FirstLineKeys {
    ordinal: bool,
    payload: bool,
}

impl<'de> Deserialize<'de> for FirstLineKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct("FirstLineKeys", &["ordinal", "payload"], FirstLineVisitor)
    }
}

struct FirstLineVisitor;

impl<'de> Visitor<'de> for FirstLineVisitor {
    type Value = FirstLineKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct FirstLineKeys")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FirstLineKeys, A::Error> {
        let mut ordinal: Option<bool> = None;
        let mut payload: Option<bool> = None;
        while let Some(key) = map.next_key::<Cow<str>>()? {
            let slot = match &*key {
                "ordinal" => &mut ordinal,
                "payload" => &mut payload,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(A::Error::custom("duplicate field"));
            }
            *slot = Some(map.next_value::<Option<IgnoredAny>>()?.is_some());
            if ordinal == Some(true) && payload == Some(true) {
                return Err(A::Error::custom("today's layout; the rest is not read"));
            }
        }
        Ok(FirstLineKeys {
            ordinal: ordinal.unwrap_or(false),
            payload: payload.unwrap_or(false),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstLineKeys, A::Error> {
        let mut next = |index| {
            seq.next_element::<Option<IgnoredAny>>()?
                .ok_or_else(|| A::Error::invalid_length(index, &"struct FirstLineKeys"))
        };
        Ok(FirstLineKeys {
            ordinal: next(0)?.is_some(),
            payload: next(1)?.is_some(),
        })
    }
}

impl Layout {
    /// The layout of a file whose first non-blank line is `first`. A line that is not a JSON
    /// object counts as today's layout, so the line reader reports what is wrong with it.
    pub fn of_first_line(first: &[u8]) -> Layout {
        match serde_json::from_slice::<FirstLineKeys>(first) {
            Ok(FirstLineKeys { payload: false, .. }) => Layout::FlatRecords,
            Ok(FirstLineKeys { ordinal: true, .. }) => Layout::OrdinalEnvelope,
            Ok(_) => Layout::Envelope,
            Err(_) => Layout::OrdinalEnvelope,
        }
    }

    /// The layout of a whole file.
    pub fn of_file(bytes: &[u8]) -> Layout {
        let mut rest = bytes;
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |nl| nl + 1);
            let (line, after) = rest.split_at(end);
            if !line.iter().all(u8::is_ascii_whitespace) {
                return Layout::of_first_line(line);
            }
            rest = after;
        }
        Layout::OrdinalEnvelope
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

    /// The first-line keys as serde derives them: the reference for the hand-written reader.
    #[derive(Deserialize)]
    struct DerivedKeys {
        ordinal: Option<IgnoredAny>,
        payload: Option<IgnoredAny>,
    }

    fn derived_layout(first: &[u8]) -> Layout {
        match serde_json::from_slice::<DerivedKeys>(first) {
            Ok(DerivedKeys { payload: None, .. }) => Layout::FlatRecords,
            Ok(DerivedKeys {
                ordinal: Some(_), ..
            }) => Layout::OrdinalEnvelope,
            Ok(_) => Layout::Envelope,
            Err(_) => Layout::OrdinalEnvelope,
        }
    }

    proptest::proptest! {
        #[test]
        fn any_first_line_gets_the_layout_the_derive_gives(
            entries in proptest::collection::vec(
                (
                    proptest::sample::select(&["ordinal", "payload", "timestamp", "id"][..]),
                    proptest::sample::select(&["null", "1", "{\"a\":[1]}", "\"s\""][..]),
                ),
                0..5,
            ),
            array in proptest::bool::ANY,
            cut in 0usize..40,
        ) {
            let line = if array {
                let values: Vec<&str> = entries.iter().map(|(_, v)| *v).collect();
                format!("[{}]", values.join(","))
            } else {
                let pairs: Vec<String> = entries.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", pairs.join(","))
            };
            for text in [line.as_str(), &line[..line.len().saturating_sub(cut)]] {
                proptest::prop_assert_eq!(
                    Layout::of_first_line(text.as_bytes()),
                    derived_layout(text.as_bytes()),
                    "{}", text
                );
            }
        }
    }
}
