//! insta's selector language (`.input[].id`, `["x-codex-window-id"]`, `.**.path`) applied to a
//! `serde_json::Value`, so `rcodex batch --snapshots` redacts exactly as the insta tests do with
//! the same rule table, without the test-only insta runtime in the binary. The matching rules are
//! insta's: a selector names whole paths from the root, `[]` matches any index, `.*` any one key
//! or index, `.**` any run of them (even none); a matched value is replaced and not looked into further.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// One step of a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// `.name` or `["name"]`.
    Key(String),
    /// `[3]`.
    Index(usize),
    /// `[]`: any array index.
    AnyIndex,
    /// `.*`: any one key or index.
    Any,
    /// `.**`: any run of steps, once per selector.
    Deep,
}

/// A parsed selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    segments: Vec<Segment>,
}

/// A selector this engine does not read (insta's ranges and multi-selectors are not needed here).
#[derive(Debug, PartialEq, Eq)]
pub struct SelectorError {
    pub selector: String,
    pub at: usize,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "selector {:?}: cannot read at byte {}",
            self.selector, self.at
        )
    }
}

impl std::error::Error for SelectorError {}

impl FromStr for Selector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, SelectorError> {
        let err = |at| SelectorError {
            selector: s.to_string(),
            at,
        };
        let bytes = s.as_bytes();
        let mut segments = Vec::new();
        let mut i = 0;
        if s == "." {
            return Ok(Selector { segments });
        }
        while i < bytes.len() {
            if s[i..].starts_with(".**") {
                if segments.contains(&Segment::Deep) {
                    return Err(err(i));
                }
                segments.push(Segment::Deep);
                i += 3;
            } else if s[i..].starts_with(".*") {
                segments.push(Segment::Any);
                i += 2;
            } else if bytes[i] == b'.' {
                let start = i + 1;
                let len = s[start..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(s.len() - start);
                let name = &s[start..start + len];
                if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                    return Err(err(i));
                }
                segments.push(Segment::Key(name.to_string()));
                i = start + len;
            } else if s[i..].starts_with("[]") {
                segments.push(Segment::AnyIndex);
                i += 2;
            } else if s[i..].starts_with("[\"") {
                let start = i + 2;
                let end = s[start..].find("\"]").ok_or_else(|| err(i))? + start;
                segments.push(Segment::Key(s[start..end].to_string()));
                i = end + 2;
            } else if bytes[i] == b'[' {
                let end = s[i..].find(']').ok_or_else(|| err(i))? + i;
                let index = s[i + 1..end].parse().map_err(|_| err(i))?;
                segments.push(Segment::Index(index));
                i = end + 1;
            } else {
                return Err(err(i));
            }
        }
        if segments.is_empty() {
            return Err(err(0));
        }
        Ok(Selector { segments })
    }
}

/// One step of a value's path from the root.
#[derive(Clone, Copy, Debug)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn step_matches(segment: &Segment, step: Step<'_>) -> bool {
    match (segment, step) {
        (Segment::Any | Segment::Deep, _) => true,
        (Segment::Key(k), Step::Key(s)) => k == s,
        (Segment::Index(i), Step::Index(s)) => *i == s,
        (Segment::AnyIndex, Step::Index(_)) => true,
        _ => false,
    }
}

impl Selector {
    fn matches(&self, path: &[Step<'_>]) -> bool {
        match self.segments.iter().position(|s| *s == Segment::Deep) {
            Some(deep) => {
                let (before, after) = (&self.segments[..deep], &self.segments[deep + 1..]);
                path.len() > deep
                    && before.iter().zip(path).all(|(s, p)| step_matches(s, *p))
                    && after
                        .iter()
                        .rev()
                        .zip(path.iter().rev())
                        .all(|(s, p)| step_matches(s, *p))
            }
            None => {
                self.segments.len() == path.len()
                    && self
                        .segments
                        .iter()
                        .zip(path)
                        .all(|(s, p)| step_matches(s, *p))
            }
        }
    }

    /// Replaces every value this selector matches with `replace(value)`.
    pub fn redact(&self, value: &mut Value, replace: &dyn Fn(&Value) -> Value) {
        self.redact_at(value, &mut Vec::new(), replace);
    }

    fn redact_at<'v>(
        &self,
        value: &'v mut Value,
        path: &mut Vec<Step<'v>>,
        replace: &dyn Fn(&Value) -> Value,
    ) {
        if self.matches(path) {
            *value = replace(value);
            return;
        }
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    path.push(Step::Index(i));
                    self.redact_at(item, path, replace);
                    path.pop();
                }
            }
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    path.push(Step::Key(key));
                    self.redact_at(item, path, replace);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redacted(selector: &str, mut v: Value) -> Value {
        let s: Selector = selector.parse().unwrap();
        s.redact(&mut v, &|_| json!("[x]"));
        v
    }

    #[test]
    fn selectors_match_as_insta_matches_them() {
        let body = json!({
            "input": [{"id": "a", "content": [{"text": "t0"}, {"text": "t1"}]}, {"id": "b"}],
            "client_metadata": {"x-codex-window-id": "w", "id": "keep"},
            "id": "top"
        });
        assert_eq!(
            redacted(".input[].id", body.clone())["input"],
            json!([{"id": "[x]", "content": [{"text": "t0"}, {"text": "t1"}]}, {"id": "[x]"}])
        );
        assert_eq!(
            redacted(".input[0].content[1].text", body.clone())["input"][0]["content"],
            json!([{"text": "t0"}, {"text": "[x]"}])
        );
        assert_eq!(
            redacted(".client_metadata[\"x-codex-window-id\"]", body.clone())["client_metadata"],
            json!({"x-codex-window-id": "[x]", "id": "keep"})
        );
        // As in insta, `.**` may stand for no step at all: `.**.id` also takes the root's `id`.
        let deep = redacted(".**.id", body.clone());
        assert_eq!(deep["id"], json!("[x]"));
        assert_eq!(deep["input"][1]["id"], json!("[x]"));
        assert_eq!(deep["client_metadata"]["id"], json!("[x]"));
        assert_eq!(redacted(".*", json!([1, 2])), json!(["[x]", "[x]"]));
        assert_eq!(
            redacted("[].thread_id", json!([{"thread_id": 1}, {"type": 2}])),
            json!([{"thread_id": "[x]"}, {"type": 2}])
        );
    }

    #[test]
    fn unreadable_selectors_say_where() {
        for bad in ["", "input", ".input[x]", ".[\"open", ".**.a.**", ".9"] {
            assert!(bad.parse::<Selector>().is_err(), "{bad:?} parsed");
        }
        let e = ".input[x]".parse::<Selector>().unwrap_err();
        assert_eq!(e.at, 6);
    }
}
