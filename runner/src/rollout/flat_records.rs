//! Codex's first rollout layout (0.29 and before) read as today's lines: a bare session meta,
//! bare response items and `record_type` markers, each put in the envelope the core reads.

use rcodex_core::protocol::rollout::SessionMeta;
use rcodex_core::protocol::{ResponseItem, RolloutItem, RolloutLine};
use serde_json::{Map, Value};

/// Keys today's session meta requires that this layout never wrote; read as empty strings.
const UNRECORDED_META_KEYS: [&str; 3] = ["cwd", "originator", "cli_version"];

/// One flat record, read as a response item (the bulk of the file), as a line of today's
/// layout. `first` is true for the file's first record, the only place a session meta appears.
/// This layout has no line times: the meta line takes the session's `timestamp`, every other
/// line an empty one.
///
/// - the first record without a `type` is the session meta (`instructions` and `git` are kept
///   among its extra keys);
/// - a `record_type` marker (`{"record_type":"state"}`) is kept whole as [`RolloutItem::Other`];
/// - anything else is a response item (unknown item types are kept by `ResponseItem::Other`);
/// - a record that is not a JSON object is an error.
pub fn to_line(record: ResponseItem, first: bool) -> Result<RolloutLine, String> {
    let (timestamp, item) = match record {
        ResponseItem::Other(Value::Object(m)) if m.contains_key("record_type") => {
            (String::new(), RolloutItem::Other(Value::Object(m)))
        }
        ResponseItem::Other(Value::Object(m)) if first && !m.contains_key("type") => {
            let meta = session_meta(m)?;
            (meta.timestamp.clone(), RolloutItem::SessionMeta(meta))
        }
        ResponseItem::Other(v) if !v.is_object() => {
            return Err(format!("expected a JSON object, found {v}"))
        }
        item => (String::new(), RolloutItem::ResponseItem(item)),
    };
    Ok(RolloutLine {
        timestamp,
        ordinal: None,
        item,
        metadata: None,
    })
}

fn session_meta(mut record: Map<String, Value>) -> Result<SessionMeta, String> {
    for key in UNRECORDED_META_KEYS {
        record
            .entry(key)
            .or_insert_with(|| Value::String(String::new()));
    }
    serde_json::from_value(Value::Object(record)).map_err(|e| format!("session meta: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A record as the reader parses it.
    fn record(v: Value) -> ResponseItem {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_first_record_is_the_session_meta_with_unrecorded_keys_empty() {
        let line = to_line(
            record(json!({"id":"abc","timestamp":"2025-09-01T00:00:00.000Z","instructions":null,"git":{"branch":"main"}})),
            true,
        )
        .unwrap();
        assert_eq!(line.timestamp, "2025-09-01T00:00:00.000Z");
        let RolloutItem::SessionMeta(meta) = line.item else {
            panic!("not a meta: {line:?}")
        };
        assert_eq!(meta.id, "abc");
        assert_eq!(
            (meta.originator.as_str(), meta.cli_version.as_str()),
            ("", "")
        );
        assert_eq!(meta.extra["git"], json!({"branch":"main"}));
        assert!(meta.extra.contains_key("instructions"));
    }

    #[test]
    fn a_meta_without_an_id_says_so() {
        let e = to_line(record(json!({"timestamp":"t"})), true).unwrap_err();
        assert_eq!(e, "session meta: missing field `id`");
    }

    #[test]
    fn state_markers_are_kept_and_items_are_typed() {
        let state = to_line(record(json!({"record_type":"state"})), false).unwrap();
        assert_eq!(
            state.item,
            RolloutItem::Other(json!({"record_type":"state"}))
        );
        assert_eq!(state.timestamp, "");
        let call = to_line(
            record(json!({"type":"function_call","id":"item_1","name":"shell","arguments":"{}","call_id":"c1"})),
            false,
        )
        .unwrap();
        assert!(matches!(
            call.item,
            RolloutItem::ResponseItem(ResponseItem::FunctionCall(_))
        ));
        let e = to_line(record(json!([1, 2])), false).unwrap_err();
        assert_eq!(e, "expected a JSON object, found [1,2]");
        // A record that looks like a meta after the first line is an item of an unknown type.
        let late = to_line(record(json!({"id":"x","timestamp":"t"})), false).unwrap();
        assert!(matches!(
            late.item,
            RolloutItem::ResponseItem(ResponseItem::Other(_))
        ));
    }
}
