//! Writes recorded answers as `[[model.reply]]` entries of the scripted model's format
//! (scenarios/README.md): `items = [{ raw = {...} }]` with each output item as received,
//! `usage`, `end_turn`, `http_error`, `failed`, `incomplete`, `cut`. The rest of the scenario
//! file is kept as written (toml_edit keeps comments, order and layout).
//!
//! TOML has no null: a `null` inside an item is left out (a key absent reads the same as a
//! null one everywhere the core looks), so a recording can differ from the wire only there.

use serde_json::{Map, Value as Json};
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use super::RecordedReply;

/// A JSON value as a TOML value; `None` for `null`, which TOML cannot hold.
fn to_toml(v: &Json) -> Option<Value> {
    Some(match v {
        Json::Null => return None,
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::from(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::Array(items.iter().filter_map(to_toml).collect()),
        Json::Object(map) => Value::InlineTable(inline(map)),
    })
}

fn inline(map: &Map<String, Json>) -> InlineTable {
    let mut t = InlineTable::new();
    for (k, v) in map {
        if let Some(v) = to_toml(v) {
            t.insert(k, v);
        }
    }
    t
}

fn count(usage: &Json, pointer: &str) -> i64 {
    usage
        .pointer(pointer)
        .and_then(Json::as_u64)
        .map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

/// One recorded answer as a `[[model.reply]]` table.
fn reply_table(r: &RecordedReply) -> Table {
    let mut t = Table::new();
    if !r.items.is_empty() {
        // One item per line: `items = [\n    { raw = {...} },\n]`.
        let mut items = Array::new();
        for item in &r.items {
            let mut entry = InlineTable::new();
            if let Some(raw) = to_toml(item) {
                entry.insert("raw", raw);
            }
            items.push(entry);
        }
        for v in items.iter_mut() {
            v.decor_mut().set_prefix("\n    ");
        }
        items.set_trailing_comma(true);
        items.set_trailing("\n");
        t.insert("items", Item::Value(Value::Array(items)));
    }
    if let Some(usage) = &r.usage {
        let mut u = InlineTable::new();
        u.insert("input_tokens", count(usage, "/input_tokens").into());
        u.insert(
            "cached_tokens",
            count(usage, "/input_tokens_details/cached_tokens").into(),
        );
        u.insert("output_tokens", count(usage, "/output_tokens").into());
        u.insert(
            "reasoning_tokens",
            count(usage, "/output_tokens_details/reasoning_tokens").into(),
        );
        t.insert("usage", Item::Value(Value::InlineTable(u)));
    }
    if let Some(end_turn) = r.end_turn {
        t.insert("end_turn", toml_edit::value(end_turn));
    }
    if let Some(error) = &r.http_error {
        let mut e = InlineTable::new();
        e.insert("status", i64::from(error.status).into());
        e.insert("body", error.body.as_str().into());
        if !error.headers.is_empty() {
            let mut h = InlineTable::new();
            for (k, v) in &error.headers {
                h.insert(k, v.as_str().into());
            }
            e.insert("headers", Value::InlineTable(h));
        }
        t.insert("http_error", Item::Value(Value::InlineTable(e)));
    }
    if let Some(error) = &r.failed {
        let text = |k: &str| {
            error
                .get(k)
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string()
        };
        let mut f = InlineTable::new();
        f.insert("code", text("code").into());
        f.insert("message", text("message").into());
        t.insert("failed", Item::Value(Value::InlineTable(f)));
    }
    if let Some(reason) = &r.incomplete {
        let mut i = InlineTable::new();
        i.insert("reason", reason.as_str().into());
        t.insert("incomplete", Item::Value(Value::InlineTable(i)));
    }
    if r.cut {
        t.insert("cut", toml_edit::value(true));
    }
    t
}

/// `scenario` (TOML text) with its `[[model.reply]]` entries replaced by `replies`,
/// `model.name = model` added when it has none, and `edit` applied to the rest.
pub fn rewrite(
    scenario: &str,
    model: &str,
    replies: &[RecordedReply],
    edit: impl FnOnce(&mut DocumentMut),
) -> Result<String, String> {
    let mut doc: DocumentMut = scenario.parse().map_err(|e| format!("{e}"))?;
    edit(&mut doc);
    let model_item = doc.entry("model").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    if let Item::Value(Value::InlineTable(t)) = model_item {
        *model_item = Item::Table(t.clone().into_table());
    }
    let Item::Table(section) = model_item else {
        return Err("model: must be a table".into());
    };
    section.remove("reply");
    if !section.contains_key("name") {
        section.insert("name", toml_edit::value(model));
        section.set_implicit(false);
    }
    let mut array = ArrayOfTables::new();
    for r in replies {
        array.push(reply_table(r));
    }
    section.insert("reply", Item::ArrayOfTables(array));
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::RecordedHttpError;
    use super::*;
    use crate::batch::scenario::{parse_scenario, script_of};
    use std::path::Path;

    fn message_reply() -> RecordedReply {
        RecordedReply {
            items: vec![serde_json::from_str(
                r#"{"type":"message","role":"assistant","id":"msg_1","status":"completed","phase":null,"content":[{"type":"output_text","text":"Hi \"there\"\n","annotations":[]}]}"#,
            )
            .unwrap()],
            usage: Some(serde_json::json!({
                "input_tokens": 120,
                "input_tokens_details": {"cached_tokens": 64},
                "output_tokens": 9,
                "output_tokens_details": {"reasoning_tokens": 3},
                "total_tokens": 129
            })),
            ..RecordedReply::default()
        }
    }

    #[test]
    fn replies_replace_the_script_and_the_rest_is_kept_as_written() {
        let original = "# keep me\nname = \"x\"\nprompt = \"p\"\n\n[model]\n[[model.reply]]\nmessage = \"old\"\n\n[expect]\nfinal_message = \"Hi\" # and me\n";
        let errored = RecordedReply {
            http_error: Some(RecordedHttpError {
                status: 503,
                body: "busy".into(),
                headers: vec![("retry-after".into(), "0".into())],
            }),
            ..RecordedReply::default()
        };
        let text = rewrite(original, "gpt-5.4", &[errored, message_reply()], |_| {}).unwrap();
        assert!(text.starts_with("# keep me\nname = \"x\"\n"), "{text}");
        assert!(text.contains("final_message = \"Hi\" # and me"), "{text}");
        assert!(!text.contains("old"), "{text}");
        assert!(text.contains("name = \"gpt-5.4\""), "{text}");
        // It parses as a scenario, and the script says what was received.
        let s = parse_scenario(&text, Path::new("rec.toml")).unwrap();
        assert_eq!(s.model.name.as_deref(), Some("gpt-5.4"));
        assert_eq!(s.expect.final_message.as_deref(), Some("Hi"));
        let script = script_of(&s);
        assert_eq!(script.replies.len(), 2);
        let e = script.replies[0].http_error.as_ref().unwrap();
        assert_eq!((e.status, e.body.as_str()), (503, "busy"));
        assert_eq!(e.headers["retry-after"], "0");
        let reply = &script.replies[1];
        let raw = reply.items[0].raw.as_ref().unwrap();
        assert_eq!(raw["content"][0]["text"], "Hi \"there\"\n");
        assert_eq!(raw["id"], "msg_1");
        assert!(raw.get("phase").is_none(), "null is left out: {raw}");
        let u = reply.usage.unwrap();
        assert_eq!(
            (
                u.input_tokens,
                u.cached_tokens,
                u.output_tokens,
                u.reasoning_tokens
            ),
            (120, 64, 9, 3)
        );
    }

    #[test]
    fn items_are_written_one_a_line_in_the_order_received() {
        let text = rewrite(
            "name = \"x\"\nprompt = \"p\"\n",
            "m",
            &[message_reply()],
            |_| {},
        )
        .unwrap();
        assert!(
            text.contains(
                "items = [\n    { raw = { type = \"message\", role = \"assistant\", id = \"msg_1\""
            ),
            "{text}"
        );
    }

    #[test]
    fn a_model_name_given_is_kept_and_an_inline_model_works() {
        let failed = RecordedReply {
            failed: Some(
                serde_json::from_str(r#"{"code":"server_error","message":"boom"}"#).unwrap(),
            ),
            ..RecordedReply::default()
        };
        let cut = RecordedReply {
            cut: true,
            end_turn: Some(false),
            incomplete: Some("max_output_tokens".into()),
            ..RecordedReply::default()
        };
        let original = "name = \"x\"\nprompt = \"p\"\nmodel = { name = \"mine\", reply = [{ message = \"a\" }] }\n";
        let text = rewrite(original, "other", &[failed, cut], |_| {}).unwrap();
        let s = parse_scenario(&text, Path::new("rec.toml")).unwrap();
        assert_eq!(s.model.name.as_deref(), Some("mine"));
        let replies = script_of(&s).replies;
        assert_eq!(replies[0].failed.as_ref().unwrap().code, "server_error");
        assert!(replies[1].cut);
        assert_eq!(replies[1].end_turn, Some(false));
        assert_eq!(
            replies[1].incomplete.as_ref().unwrap().reason,
            "max_output_tokens"
        );
    }
}
