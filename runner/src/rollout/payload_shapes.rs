//! Payloads older Codex versions wrote inside the envelope, mapped to today's types so replay
//! reads one vocabulary. The core's enums already keep what they do not know as `Other`; this
//! file only rescues what has a clear modern equivalent, and refuses a session meta it cannot
//! read (that line says who wrote the file).
//!
//! - `turn_started` / `turn_complete`: the names Codex also accepts for `task_started` /
//!   `task_complete` (its on-disk names in every version seen).
//! - `task_started` / `task_complete` without `turn_id` (Codex's events before turn ids): read
//!   with an empty `turn_id`.
//! - `session_meta` with `instructions` (user instructions, 0.29 to 0.59) and no
//!   `base_instructions`, or with `git`: read as is, the older keys among its extra keys.

use rcodex_core::protocol::rollout::SessionMeta;
use rcodex_core::protocol::{EventMsg, RolloutItem};
use serde_json::{Map, Value};

/// `item` in today's shape; `Err` says why a session meta does not read.
pub fn normalise(item: RolloutItem) -> Result<RolloutItem, String> {
    match item {
        RolloutItem::Other(line) if line.get("type") == Some(&Value::from("session_meta")) => {
            let payload = line.get("payload").cloned().unwrap_or(Value::Null);
            serde_json::from_value::<SessionMeta>(payload)
                .map(RolloutItem::SessionMeta)
                .map_err(|e| format!("session_meta: {e}"))
        }
        RolloutItem::EventMsg(EventMsg::Other(Value::Object(event))) => {
            Ok(RolloutItem::EventMsg(task_event(event)))
        }
        other => Ok(other),
    }
}

/// A turn start or end in an older shape as today's typed event; anything else unchanged.
fn task_event(event: Map<String, Value>) -> EventMsg {
    let today = match event.get("type").and_then(Value::as_str) {
        Some("task_started" | "turn_started") => "task_started",
        Some("task_complete" | "turn_complete") => "task_complete",
        _ => return EventMsg::Other(Value::Object(event)),
    };
    let mut shaped = event.clone();
    shaped.insert("type".into(), today.into());
    shaped
        .entry("turn_id")
        .or_insert_with(|| Value::String(String::new()));
    match serde_json::from_value::<EventMsg>(Value::Object(shaped)) {
        Ok(EventMsg::Other(_)) | Err(_) => EventMsg::Other(Value::Object(event)),
        Ok(typed) => typed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcodex_core::protocol::RolloutLine;
    use serde_json::json;

    fn item(line: Value) -> RolloutItem {
        serde_json::from_value::<RolloutLine>(line).unwrap().item
    }

    fn event(payload: Value) -> EventMsg {
        let line = json!({"timestamp":"t","type":"event_msg","payload":payload});
        match normalise(item(line)).unwrap() {
            RolloutItem::EventMsg(e) => e,
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn turn_event_names_are_read_as_task_events() {
        let EventMsg::TaskStarted(s) = event(json!({"type":"turn_started","turn_id":"t1"})) else {
            panic!("not typed")
        };
        assert_eq!(s.turn_id, "t1");
        let EventMsg::TaskComplete(c) =
            event(json!({"type":"turn_complete","turn_id":"t1","last_agent_message":"ok"}))
        else {
            panic!("not typed")
        };
        assert_eq!(c.last_agent_message.as_deref(), Some("ok"));
    }

    #[test]
    fn task_events_without_turn_ids_read_with_an_empty_one() {
        let EventMsg::TaskStarted(s) =
            event(json!({"type":"task_started","model_context_window":272000}))
        else {
            panic!("not typed")
        };
        assert_eq!(
            (s.turn_id.as_str(), s.model_context_window),
            ("", Some(272000))
        );
        let EventMsg::TaskComplete(c) =
            event(json!({"type":"task_complete","last_agent_message":null}))
        else {
            panic!("not typed")
        };
        assert_eq!(c.turn_id, "");
    }

    #[test]
    fn other_events_stay_as_they_were() {
        let e = json!({"type":"agent_message","message":"hi"});
        assert_eq!(event(e.clone()), EventMsg::Other(e));
        // A task event that still does not fit is kept with its own name.
        let odd = json!({"type":"turn_started","turn_id":7});
        assert_eq!(event(odd.clone()), EventMsg::Other(odd));
    }

    #[test]
    fn a_session_meta_that_does_not_read_names_the_field() {
        let line = json!({"timestamp":"t","type":"session_meta","payload":{"id":"a","timestamp":"t","cwd":"/w","cli_version":"0.1.0"}});
        let e = normalise(item(line)).unwrap_err();
        assert_eq!(e, "session_meta: missing field `originator`");
    }

    #[test]
    fn unknown_line_types_are_kept() {
        let line = json!({"timestamp":"t","type":"future_kind","payload":{"x":1}});
        let kept = normalise(item(line)).unwrap();
        assert_eq!(
            kept,
            RolloutItem::Other(json!({"type":"future_kind","payload":{"x":1}}))
        );
    }
}
