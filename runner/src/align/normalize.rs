//! What differs between any two runs, whoever sends the request: ids, times, temp paths, the
//! server's port, chunk ids and wall times. They are replaced by placeholders before requests are
//! compared, so a difference `rcodex align` reports is one a reviewer has to look at.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

/// The temp folders of one client's run: they appear in cwd texts, tool outputs and paths.
#[derive(Clone, Debug)]
pub struct RunPaths {
    pub work: String,
    pub home: String,
}

/// One replacement of a volatile piece of text.
struct Rule {
    pattern: Regex,
    placeholder: &'static str,
}

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let rule = |pattern: &str, placeholder| Rule {
            pattern: Regex::new(pattern).expect("valid pattern"),
            placeholder,
        };
        vec![
            rule(
                r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                "<uuid>",
            ),
            rule(r"127\.0\.0\.1:[0-9]+", "127.0.0.1:<port>"),
            rule(r"Chunk ID: [0-9a-f]+", "Chunk ID: <chunk>"),
            rule(
                r"Wall time: [0-9.]+ seconds",
                "Wall time: <seconds> seconds",
            ),
            // Codex numbers running processes at random, rcodex from 1000.
            rule(r"session ID [0-9]+", "session ID <session>"),
        ]
    })
}

/// `text` with paths and volatile pieces replaced by placeholders.
pub fn normalize_text(text: &str, paths: &RunPaths) -> String {
    let mut out = text
        .replace(&paths.work, "<work>")
        .replace(&paths.home, "<home>");
    for rule in rules() {
        if rule.pattern.is_match(&out) {
            out = rule
                .pattern
                .replace_all(&out, rule.placeholder)
                .into_owned();
        }
    }
    out
}

/// A string that holds a JSON object (Codex's turn metadata, in a header and in
/// `client_metadata`) becomes that object, so it is compared key by key; other strings are
/// normalized text.
pub fn normalize_string(text: &str, paths: &RunPaths) -> Value {
    if text.starts_with('{') {
        if let Ok(mut inner @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
            normalize_value(&mut inner, paths);
            return inner;
        }
    }
    Value::String(normalize_text(text, paths))
}

/// Normalizes every string in `value`; numbers under time keys (`…_unix_ms`, `…_at`) become
/// `"<time>"`.
pub fn normalize_value(value: &mut Value, paths: &RunPaths) {
    match value {
        Value::String(s) => *value = normalize_string(s, paths),
        Value::Array(items) => items.iter_mut().for_each(|v| normalize_value(v, paths)),
        Value::Object(map) => normalize_object(map, paths),
        _ => {}
    }
}

fn normalize_object(map: &mut Map<String, Value>, paths: &RunPaths) {
    for (key, v) in map.iter_mut() {
        if v.is_number() && is_time_key(key) {
            *v = Value::String("<time>".into());
        } else {
            normalize_value(v, paths);
        }
    }
}

fn is_time_key(key: &str) -> bool {
    key.ends_with("_unix_ms") || key.ends_with("_at") || key == "timestamp"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths() -> RunPaths {
        RunPaths {
            work: "/tmp/.tmpAbc/work".into(),
            home: "/tmp/.tmpAbc/home".into(),
        }
    }

    #[test]
    fn ids_paths_ports_chunks_and_wall_times_become_placeholders() {
        let text = "msg_01a235ce-16d6-7181-a711-4892a8ef8538 in /tmp/.tmpAbc/work/a.txt \
                    via http://127.0.0.1:33489/v1\nChunk ID: 6936f4\nWall time: 0.0032 seconds\nProcess running with session ID 61552";
        assert_eq!(
            normalize_text(text, &paths()),
            "msg_<uuid> in <work>/a.txt via http://127.0.0.1:<port>/v1\nChunk ID: <chunk>\n\
             Wall time: <seconds> seconds\nProcess running with session ID <session>"
        );
    }

    #[test]
    fn embedded_json_objects_are_opened_and_times_hidden() {
        let mut v = json!({
            "x-codex-turn-metadata": "{\"turn_id\":\"01a235ce-16ea-7c22-940b-41fa43de9a58\",\"turn_started_at_unix_ms\":1764662000000,\"window_number\":0}",
            "count": 3,
            "note": "{not json"
        });
        normalize_value(&mut v, &paths());
        assert_eq!(
            v,
            json!({
                "x-codex-turn-metadata": {"turn_id": "<uuid>", "turn_started_at_unix_ms": "<time>", "window_number": 0},
                "count": 3,
                "note": "{not json"
            })
        );
    }

    #[test]
    fn what_is_not_volatile_is_kept() {
        let mut v = json!({"model": "gpt-5.5", "id": "item_1_0", "output": "Exit code: 0"});
        let before = v.clone();
        normalize_value(&mut v, &paths());
        assert_eq!(v, before);
    }
}
