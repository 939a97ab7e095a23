//! Shows a divergence's expected and actual values as a line diff people can read: pretty JSON
//! for structures, the text itself when both sides are strings (a tool output, a message).

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// A unified-style diff of `expected` (the recording) against `actual` (the machine), every line
/// prefixed `-`, `+` or ` ` and ending in `\n`.
pub fn render(expected: &Value, actual: &Value) -> String {
    render_between(expected, actual, ("recorded", "replayed"))
}

/// The same diff with its two sides named `labels` (`--- A`, `+++ B`).
pub fn render_between(expected: &Value, actual: &Value, labels: (&str, &str)) -> String {
    let (old, new) = match (expected, actual) {
        (Value::String(a), Value::String(b)) => (with_newline(a), with_newline(b)),
        _ => (pretty(expected), pretty(actual)),
    };
    let mut out = format!("--- {}\n+++ {}\n", labels.0, labels.1);
    for change in TextDiff::from_lines(&old, &new).iter_all_changes() {
        let sign = match change.tag() {
            ChangeTag::Delete => '-',
            ChangeTag::Insert => '+',
            ChangeTag::Equal => ' ',
        };
        out.push(sign);
        out.push_str(change.value());
        if change.missing_newline() {
            out.push('\n');
        }
    }
    out
}

fn pretty(value: &Value) -> String {
    // Serialising a `Value` cannot fail: its keys are strings.
    with_newline(&serde_json::to_string_pretty(value).unwrap_or_default())
}

fn with_newline(text: &str) -> String {
    let mut s = text.to_string();
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn structures_diff_as_pretty_json_lines() {
        let got = render(
            &json!({"name": "exec_command", "call_id": "a"}),
            &json!({"name": "exec_command", "call_id": "b"}),
        );
        assert_eq!(
            got,
            "--- recorded\n+++ replayed\n {\n   \"name\": \"exec_command\",\n-  \"call_id\": \"a\"\n+  \"call_id\": \"b\"\n }\n"
        );
    }

    #[test]
    fn strings_diff_as_their_text() {
        let got = render(&json!("one\ntwo\nthree"), &json!("one\n2\nthree"));
        assert_eq!(got, "--- recorded\n+++ replayed\n one\n-two\n+2\n three\n");
    }

    #[test]
    fn a_missing_side_shows_as_null() {
        let got = render(&json!(null), &json!({"type": "message"}));
        assert!(got.contains("-null\n"), "{got}");
        assert!(got.contains("+  \"type\": \"message\"\n"), "{got}");
    }
}
