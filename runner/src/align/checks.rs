//! The checks `rcodex align` makes on each pair of requests (Codex's n-th against rcodex's n-th)
//! and which check a difference belongs to: its pointer decides. Headers and bodies are
//! normalized first (`normalize`), so what is left is a real difference.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::json_diff::{differences, Change, Difference, Layout, Plain};
use super::normalize::{normalize_string, normalize_value, RunPaths};
use crate::mock::RecordedRequest;

/// One column of the alignment table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// How many requests, their method and path.
    Requests,
    /// Header names, their order, and their values.
    Headers,
    /// Top-level body keys, their order and values, except `input` and `tools`.
    Body,
    /// Input items: types, roles, keys, content-part structure, id presence and prefixes.
    Input,
    /// Tools by name: order, types, parameter schemas.
    Tools,
    /// The text of every part: messages, tool outputs, instructions, tool descriptions.
    Texts,
}

impl Check {
    pub const ALL: [Check; 6] = [
        Check::Requests,
        Check::Headers,
        Check::Body,
        Check::Input,
        Check::Tools,
        Check::Texts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Check::Requests => "requests",
            Check::Headers => "headers",
            Check::Body => "body",
            Check::Input => "input",
            Check::Tools => "tools",
            Check::Texts => "texts",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One difference in one request, filed under its check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// 1-based request number.
    pub request: usize,
    pub check: Check,
    #[serde(flatten)]
    pub difference: Difference,
}

/// A client's requests with the paths of its run, for normalizing.
pub struct Captured<'a> {
    pub requests: &'a [RecordedRequest],
    pub paths: &'a RunPaths,
}

/// Every difference between the two clients' requests, request by request.
pub fn compare(codex: &Captured, rcodex: &Captured) -> Vec<Finding> {
    let mut out = Vec::new();
    let (a, b) = (codex.requests, rcodex.requests);
    if a.len() != b.len() {
        out.push(Finding {
            request: a.len().min(b.len()) + 1,
            check: Check::Requests,
            difference: Difference {
                pointer: "/".into(),
                change: Change::Value {
                    codex: Value::from(a.len()),
                    rcodex: Value::from(b.len()),
                },
            },
        });
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let request = i + 1;
        let line = |r: &RecordedRequest| Value::String(format!("{} {}", r.method, r.path));
        let file = |check, d| Finding {
            request,
            check,
            difference: d,
        };
        out.extend(
            differences(&line(x), &line(y), &Plain)
                .into_iter()
                .map(|d| file(Check::Requests, d)),
        );
        let (hx, hy) = (
            headers_value(&x.headers, codex.paths),
            headers_value(&y.headers, rcodex.paths),
        );
        out.extend(
            differences(&hx, &hy, &Plain)
                .into_iter()
                .map(|d| file(Check::Headers, d)),
        );
        let (bx, by) = (
            body_value(&x.body, codex.paths),
            body_value(&y.body, rcodex.paths),
        );
        out.extend(
            differences(&bx, &by, &BodyLayout)
                .into_iter()
                .map(|d| file(classify_body(&d), d)),
        );
    }
    out
}

/// How request bodies are read.
struct BodyLayout;

impl Layout for BodyLayout {
    /// Codex sends `client_metadata` (and the turn metadata inside it) in a different key order
    /// from run to run, so only its keys and values are compared.
    fn unordered(&self, pointer: &str) -> bool {
        pointer.starts_with("/client_metadata")
    }

    /// Input items pair by type and role, their content parts by type and the tag their text
    /// opens with, so an item or part only Codex sends (its skills list) does not make every
    /// later one look different.
    fn element_key(&self, pointer: &str, element: &Value) -> Option<String> {
        let is_content = pointer.starts_with("/input/") && pointer.ends_with("/content");
        if pointer != "/input" && !is_content {
            return None;
        }
        let kind = element["type"].as_str().unwrap_or("");
        Some(if is_content {
            let text = element["text"].as_str().unwrap_or("");
            format!("{kind}:{}", opening_tag(text))
        } else {
            format!("{kind}:{}", element["role"].as_str().unwrap_or(""))
        })
    }
}

/// `<permissions instructions>` of a text that opens with a tag; the first line of a Markdown
/// heading; else nothing.
fn opening_tag(text: &str) -> &str {
    if text.starts_with('<') {
        if let Some(end) = text.find('>') {
            return &text[..=end];
        }
    }
    if text.starts_with("# ") {
        return text.lines().next().unwrap_or("");
    }
    ""
}

/// Headers as an object in arrival order, values normalized. `content-length` follows the
/// body, which the other checks compare, so only its presence and place count.
fn headers_value(headers: &[(String, String)], paths: &RunPaths) -> Value {
    let mut map = Map::new();
    for (name, value) in headers {
        let value = if name.eq_ignore_ascii_case("content-length") {
            Value::String("<length>".into())
        } else {
            normalize_string(value, paths)
        };
        map.insert(name.to_ascii_lowercase(), value);
    }
    Value::Object(map)
}

/// The body normalized, with `tools` keyed by tool name (`type` for tools without one), so a
/// pointer names the tool and a missing tool does not shift every later one.
fn body_value(body: &Value, paths: &RunPaths) -> Value {
    let mut body = body.clone();
    normalize_value(&mut body, paths);
    if let Some(Value::Array(tools)) = body.get("tools") {
        let keyed: Map<String, Value> = tools
            .iter()
            .map(|t| {
                let key = t["name"].as_str().or(t["type"].as_str()).unwrap_or("?");
                (key.to_string(), t.clone())
            })
            .collect();
        body["tools"] = Value::Object(keyed);
    }
    body
}

/// Which check a body difference belongs to. Prose is `texts` wherever it sits; everything
/// else under `input` or `tools` is structure.
fn classify_body(d: &Difference) -> Check {
    let segments: Vec<&str> = d.pointer.split('/').skip(1).collect();
    let both_strings = matches!(
        &d.change,
        Change::Value {
            codex: Value::String(_),
            rcodex: Value::String(_)
        }
    );
    match segments.first().copied() {
        Some("instructions") => Check::Texts,
        Some("tools") => {
            let last = segments.last().copied();
            let grammar = d.pointer.ends_with("/format/definition");
            if both_strings && (last == Some("description") || grammar) {
                Check::Texts
            } else {
                Check::Tools
            }
        }
        Some("input") => {
            let last = segments.last().copied();
            let output = segments.get(2) == Some(&"output");
            if both_strings && (last == Some("text") || output) {
                Check::Texts
            } else {
                Check::Input
            }
        }
        _ => Check::Body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Instant;

    fn request(headers: &[(&str, &str)], body: Value) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/v1/responses".into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body,
            received_at: Instant::now(),
        }
    }

    fn paths(tag: &str) -> RunPaths {
        RunPaths {
            work: format!("/tmp/{tag}/work"),
            home: format!("/tmp/{tag}/home"),
        }
    }

    fn findings(codex: Vec<RecordedRequest>, rcodex: Vec<RecordedRequest>) -> Vec<Finding> {
        let (pa, pb) = (paths("a"), paths("b"));
        compare(
            &Captured {
                requests: &codex,
                paths: &pa,
            },
            &Captured {
                requests: &rcodex,
                paths: &pb,
            },
        )
    }

    fn summary(f: &[Finding]) -> Vec<(usize, Check, &str)> {
        f.iter()
            .map(|f| (f.request, f.check, f.difference.pointer.as_str()))
            .collect()
    }

    #[test]
    fn ids_paths_and_lengths_alone_are_no_difference() {
        let codex = request(
            &[
                ("session-id", "01a235ce-16d6-7181-a711-4892a8ef8538"),
                ("content-length", "10"),
            ],
            json!({"input": [{"type": "message", "id": "msg_01a235ce-1727-7101-9dbb-4a51e74aa04e", "content": [{"type": "input_text", "text": "<cwd>/tmp/a/work</cwd>"}]}]}),
        );
        let rcodex = request(
            &[
                ("session-id", "01a235ce-19fe-7a79-9865-cdf79543eed0"),
                ("content-length", "12"),
            ],
            json!({"input": [{"type": "message", "id": "msg_01a235ce-1a00-7d5f-bca4-db2dfacac3bf", "content": [{"type": "input_text", "text": "<cwd>/tmp/b/work</cwd>"}]}]}),
        );
        assert_eq!(findings(vec![codex], vec![rcodex]), vec![]);
    }

    #[test]
    fn each_difference_lands_in_its_check() {
        let codex = request(
            &[
                ("originator", "codex_exec"),
                ("accept", "text/event-stream"),
            ],
            json!({
                "model": "gpt-5.5",
                "input": [
                    {"type": "message", "id": "msg_1", "role": "developer", "content": [{"type": "input_text", "text": "upstream"}]},
                    {"type": "function_call_output", "call_id": "c", "output": "ok"}
                ],
                "tools": [
                    {"type": "function", "name": "exec_command", "description": "theirs", "parameters": {"required": ["cmd"]}},
                    {"type": "web_search"}
                ]
            }),
        );
        let rcodex = request(
            &[
                ("accept", "text/event-stream"),
                ("originator", "rcodex_exec"),
            ],
            json!({
                "model": "gpt-5.4",
                "input": [
                    {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "ours"}]},
                    {"type": "function_call_output", "call_id": "c", "output": "ok!"}
                ],
                "tools": [
                    {"type": "function", "name": "exec_command", "description": "ours", "parameters": {"required": []}}
                ]
            }),
        );
        let got = findings(vec![codex.clone()], vec![rcodex, codex]);
        assert_eq!(
            summary(&got),
            vec![
                (2, Check::Requests, "/"),
                (1, Check::Headers, "/"),
                (1, Check::Headers, "/originator"),
                (1, Check::Body, "/model"),
                (1, Check::Input, "/input/0/id"),
                (1, Check::Texts, "/input/0/content/0/text"),
                (1, Check::Texts, "/input/1/output"),
                (1, Check::Texts, "/tools/exec_command/description"),
                (1, Check::Tools, "/tools/exec_command/parameters/required/0"),
                (1, Check::Tools, "/tools/web_search"),
            ]
        );
    }

    #[test]
    fn client_metadata_key_order_is_not_a_difference() {
        let codex = request(&[], json!({"client_metadata": {"a": "1", "b": "2"}}));
        let rcodex = request(&[], json!({"client_metadata": {"b": "2", "a": "1"}}));
        assert_eq!(findings(vec![codex], vec![rcodex]), vec![]);
    }

    #[test]
    fn message_parts_pair_by_their_opening_tag() {
        let part = |t: &str| json!({"type": "input_text", "text": t});
        let codex = request(
            &[],
            json!({"input": [{"type": "message", "role": "developer", "content": [
                part("<skills_instructions>\nupstream"), part("<permissions instructions>\ntheirs"), part("<tools>\nupstream")
            ]}]}),
        );
        let rcodex = request(
            &[],
            json!({"input": [{"type": "message", "role": "developer", "content": [
                part("<permissions instructions>\nours")
            ]}]}),
        );
        assert_eq!(
            summary(&findings(vec![codex], vec![rcodex])),
            vec![
                (1, Check::Input, "/input/0/content/0"),
                (1, Check::Texts, "/input/0/content/1/text"),
                (1, Check::Input, "/input/0/content/2"),
            ]
        );
        assert_eq!(
            opening_tag("<environment_context>\n  <cwd>"),
            "<environment_context>"
        );
        assert_eq!(
            opening_tag("# AGENTS.md instructions for <work>\n\nx"),
            "# AGENTS.md instructions for <work>"
        );
        assert_eq!(opening_tag("Say hello."), "");
    }
}
