//! What a snapshot hides, as one table both snapshot writers read: the insta tests hand each rule
//! to `insta::Settings` (`add_redaction`, `add_filter`), `rcodex batch --snapshots` applies the
//! same rules itself ([`super::selector`]). Hidden are what changes from run to run — ids, times,
//! the temp workspace path, a command's chunk id and wall time — and rcodex's own long texts
//! (base instructions, tool descriptions, the apply_patch grammar), kept as their length and a
//! short hash so a change still shows.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::selector::Selector;
use crate::batch::discover::stable_hash;

/// What a redacted value becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholder {
    /// This text, whatever the value was.
    Text(&'static str),
    /// `[LABEL, N chars, fnv1a H]` for a string (others kept): short, yet any edit of the text
    /// changes it (H is the first 8 hex digits of the text's FNV-1a 64 hash).
    Length(&'static str),
    /// The string with each UUID in it replaced by `[LABEL]`, so a prefix such as `msg_` or a
    /// suffix such as `:0` stays visible (others kept).
    Uuids(&'static str),
}

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("uuid pattern")
});

impl Placeholder {
    /// The replacement for a value whose text (if it is a string) is `text`; `None` keeps the
    /// value as it is.
    pub fn replace(&self, text: Option<&str>) -> Option<String> {
        match (*self, text) {
            (Placeholder::Text(t), _) => Some(t.to_string()),
            (Placeholder::Length(label), Some(s)) => Some(format!(
                "[{label}, {} chars, fnv1a {:08x}]",
                s.chars().count(),
                stable_hash(s) >> 32
            )),
            (Placeholder::Uuids(label), Some(s)) => {
                Some(UUID.replace_all(s, format!("[{label}]")).into_owned())
            }
            (_, None) => None,
        }
    }

    /// [`Self::replace`] on a JSON value.
    pub fn apply(&self, value: &Value) -> Value {
        self.replace(value.as_str())
            .map_or_else(|| value.clone(), Value::String)
    }
}

/// One redaction: an insta selector and what the values it selects become.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub selector: &'static str,
    pub placeholder: Placeholder,
}

const fn rule(selector: &'static str, placeholder: Placeholder) -> Rule {
    Rule {
        selector,
        placeholder,
    }
}

use Placeholder::{Length, Text, Uuids};

/// Redactions of a request body, seen through [`request_view`].
pub const REQUEST_RULES: &[Rule] = &[
    rule(".input[0].content[0].text", Length("base instructions")),
    rule(".input[].id", Uuids("id")),
    rule(".tools[].description", Length("description")),
    rule(".tools[].format.definition", Length("grammar")),
    rule(".prompt_cache_key", Text("[thread]")),
    rule(".client_metadata.session_id", Text("[thread]")),
    rule(".client_metadata.thread_id", Text("[thread]")),
    rule(".client_metadata.turn_id", Text("[turn]")),
    rule(".client_metadata.root_turn_id", Text("[turn]")),
    rule(
        ".client_metadata[\"x-codex-installation-id\"]",
        Text("[installation]"),
    ),
    rule(".client_metadata[\"x-codex-window-id\"]", Uuids("thread")),
    rule(
        ".client_metadata[\"x-codex-turn-metadata\"].installation_id",
        Text("[installation]"),
    ),
    rule(
        ".client_metadata[\"x-codex-turn-metadata\"].session_id",
        Text("[thread]"),
    ),
    rule(
        ".client_metadata[\"x-codex-turn-metadata\"].thread_id",
        Text("[thread]"),
    ),
    rule(
        ".client_metadata[\"x-codex-turn-metadata\"].turn_id",
        Text("[turn]"),
    ),
    rule(
        ".client_metadata[\"x-codex-turn-metadata\"].root_turn_id",
        Text("[turn]"),
    ),
    rule(
        ".client_metadata[\"x-codex-turn-metadata\"].window_id",
        Uuids("thread"),
    ),
    rule(
        ".client_metadata[\"x-codex-turn-metadata\"].context_window_id",
        Text("[context window]"),
    ),
    rule(
        ".client_metadata[\"x-codex-turn-metadata\"].turn_started_at_unix_ms",
        Text("[time]"),
    ),
];

/// Redactions of the `exec --json` event list.
pub const EVENT_RULES: &[Rule] = &[
    rule("[].thread_id", Text("[thread]")),
    rule("[].turn_id", Text("[turn]")),
    rule("[].item.sender_thread_id", Text("[thread]")),
    rule("[].item.receiver_thread_ids[]", Text("[agent]")),
];

/// A regex replacement on the serialized snapshot text (insta's `add_filter`), for what sits
/// inside a longer string: the workspace path, the date in the environment context, a command
/// output's chunk id and wall time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub pattern: String,
    pub replacement: &'static str,
}

/// Filters every run shares, after the workspace path's own.
const FIXED_FILTERS: [(&str, &str); 7] = [
    (
        r"<current_date>\d{4}-\d{2}-\d{2}</current_date>",
        "<current_date>[date]</current_date>",
    ),
    (r"Chunk ID: [0-9a-f]+", "Chunk ID: [chunk]"),
    (r"Wall time: [0-9.]+ seconds", "Wall time: [time] seconds"),
    // A goal tool's output JSON (inside the output string): the thread id and the clock.
    (r#"(\\"threadId\\":\\")[^\\"]+"#, "${1}[thread]"),
    (
        r#"(\\"(?:timeUsedSeconds|createdAt|updatedAt)\\":)\d+"#,
        "${1}[time]",
    ), // A sub-agent's id inside a JSON string (spawn and wait outputs, wait targets, notifications).
    (
        r#"\\"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\""#,
        r#"\"[agent]\""#,
    ),
    // A sub-agent's id as a key (`agents_states` of a collab_tool_call item).
    (
        r#""[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}": "#,
        r#""[agent]": "#,
    ),
];

const WORKSPACE: &str = "[workspace]";

static FIXED: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    FIXED_FILTERS
        .iter()
        .map(|(p, r)| (Regex::new(p).expect("fixed filter pattern"), *r))
        .collect()
});

/// The filters for a run whose workspace was `workspace`, in the order they apply: the path
/// (as a literal), then `FIXED_FILTERS`.
pub fn filters(workspace: &Path) -> Vec<Filter> {
    let path = workspace.display().to_string();
    let literal = (!path.is_empty()).then(|| Filter {
        pattern: regex::escape(&path),
        replacement: WORKSPACE,
    });
    literal
        .into_iter()
        .chain(FIXED_FILTERS.iter().map(|(pattern, replacement)| Filter {
            pattern: pattern.to_string(),
            replacement,
        }))
        .collect()
}

/// A request body as snapshots show it: as sent, key order kept, except that the turn-metadata
/// value (a JSON document inside a string) is shown parsed, so its ids can be selected and a
/// change in it reads as a change of one field.
pub fn request_view(body: &Value) -> Value {
    let mut view = body.clone();
    let pointer = "/client_metadata/x-codex-turn-metadata";
    if let Some(meta) = view.pointer_mut(pointer) {
        if let Some(parsed) = meta.as_str().and_then(|s| serde_json::from_str(s).ok()) {
            *meta = parsed;
        }
    }
    view
}

/// `value` with `rules` applied, pretty-printed, then the [`filters`] of `workspace` applied:
/// the text of a snapshot. Does what insta does with the same rules, without compiling a
/// pattern per call (the workspace path is replaced as the literal its escaped pattern matches).
pub fn render(value: &Value, rules: &[Rule], workspace: &Path) -> String {
    let mut value = value.clone();
    for r in rules {
        let selector: Selector = r.selector.parse().expect("rule selectors are tested");
        selector.redact(&mut value, &|v| r.placeholder.apply(v));
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let path = workspace.display().to_string();
    if !path.is_empty() {
        text = text.replace(&path, WORKSPACE);
    }
    for (re, replacement) in FIXED.iter() {
        if let std::borrow::Cow::Owned(replaced) = re.replace_all(&text, *replacement) {
            text = replaced;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_rule_selector_and_filter_reads() {
        for r in REQUEST_RULES.iter().chain(EVENT_RULES) {
            assert!(r.selector.parse::<Selector>().is_ok(), "{}", r.selector);
        }
        let all = filters(Path::new("/tmp/.tmpAb+c"));
        assert_eq!(all.len(), 1 + FIXED.len());
        assert!(Regex::new(&all[0].pattern)
            .unwrap()
            .is_match("at /tmp/.tmpAb+c/x"));
    }

    #[test]
    fn a_body_is_redacted_in_place_with_its_key_order() {
        let meta = json!({"thread_id": "0193a1b2-0000-7000-8000-000000000001", "turn_started_at_unix_ms": 17, "model": "m"});
        let body = json!({
            "model": "m",
            "input": [
                {"id": "msg_0193a1b2-0000-7000-8000-000000000002", "content": [{"text": "abc"}]},
                {"id": "item_1_0", "output": "Chunk ID: 1a2b3c\nWall time: 0.0123 seconds\nin /tmp/ws/x"}
            ],
            "client_metadata": {"x-codex-window-id": "0193a1b2-0000-7000-8000-000000000001:0", "x-codex-turn-metadata": meta.to_string()},
            "prompt_cache_key": "0193a1b2-0000-7000-8000-000000000001"
        });
        let text = render(&request_view(&body), REQUEST_RULES, Path::new("/tmp/ws"));
        let got: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            got,
            json!({
                "model": "m",
                "input": [
                    {"id": "msg_[id]", "content": [{"text": "[base instructions, 3 chars, fnv1a e71fa219]"}]},
                    {"id": "item_1_0", "output": "Chunk ID: [chunk]\nWall time: [time] seconds\nin [workspace]/x"}
                ],
                "client_metadata": {"x-codex-window-id": "[thread]:0", "x-codex-turn-metadata": {"thread_id": "[thread]", "turn_started_at_unix_ms": "[time]", "model": "m"}},
                "prompt_cache_key": "[thread]"
            })
        );
        let keys: Vec<&str> = got
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["model", "input", "client_metadata", "prompt_cache_key"]
        );
    }
}
