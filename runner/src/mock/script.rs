//! The script format: one reply per request, in order, for the root thread; and one reply list
//! per child agent (`[[agent]]`), matched on the child's first request. Deserializes from
//! scenario TOML (`[[model.reply]]`, `[[agent]]`) and from JSON.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// All replies, in order.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The replies, one per request in arrival order (`[[reply]]` in TOML).
    #[serde(default, alias = "reply")]
    pub replies: Vec<Reply>,
    /// One reply list per child agent (`[[agent]]` in TOML). Without any, children's requests
    /// take the next of `replies` like the root's.
    #[serde(default, alias = "agent")]
    pub agents: Vec<AgentScript>,
    /// The file it was read from, named in errors (set by the loader).
    #[serde(skip)]
    pub source: Option<String>,
}

/// One child agent's replies. The child is matched on its first request (a request with the
/// `x-openai-subagent` header from a `thread-id` not seen before) and kept by that `thread-id`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentScript {
    /// The child's last user `input_text` of its first request contains this; absent, the
    /// agent takes the next child no other agent's `prompt_contains` matched, in order of first
    /// request.
    pub prompt_contains: Option<String>,
    /// That child's replies, in order, across all its turns (`[[agent.reply]]` in TOML).
    #[serde(default, alias = "reply")]
    pub replies: Vec<Reply>,
}

/// The answer to one request (or to `repeat` consecutive ones).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// An assistant message with this text.
    pub message: Option<String>,
    /// A reasoning item with this summary text, before the other items.
    pub reasoning: Option<String>,
    /// One function call.
    pub function_call: Option<FunctionCallSpec>,
    /// Several function calls, in order (a parallel batch).
    #[serde(default)]
    pub function_calls: Vec<FunctionCallSpec>,
    /// One freeform (custom) tool call, such as apply_patch.
    pub custom_tool_call: Option<CustomCallSpec>,
    /// Several output items in order.
    #[serde(default)]
    pub items: Vec<ReplyItem>,
    /// Answer with this HTTP error instead of a stream.
    pub http_error: Option<HttpError>,
    /// `response.failed` with this error.
    pub failed: Option<FailedSpec>,
    /// `response.incomplete` with this reason.
    pub incomplete: Option<IncompleteSpec>,
    /// Close the stream after the items, without `response.completed`.
    #[serde(default)]
    pub cut: bool,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: u64,
    /// The usage of `response.completed` (defaults: 100 input, 10 output tokens).
    pub usage: Option<UsageSpec>,
    /// Answer this many consecutive requests the same way.
    pub repeat: Option<usize>,
    /// `end_turn` of `response.completed` (false asks the client for a follow-up).
    pub end_turn: Option<bool>,
    /// This reply answers a compaction's summary request (`tools: []`); a request offering
    /// tools gets HTTP 400 naming it instead, so a script fails where the client did not compact.
    #[serde(default)]
    pub summary: bool,
}

/// One output item.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyItem {
    /// An assistant message with this text.
    pub message: Option<String>,
    /// A reasoning item with this summary text.
    pub reasoning: Option<String>,
    /// A function call.
    pub function_call: Option<FunctionCallSpec>,
    /// A freeform (custom) tool call.
    pub custom_tool_call: Option<CustomCallSpec>,
    /// A raw output item, sent as is.
    pub raw: Option<Value>,
}

/// A function call the model makes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionCallSpec {
    /// The tool's name.
    pub name: String,
    /// A table (sent as compact JSON) or a string (sent verbatim, so malformed is possible).
    #[serde(default)]
    pub arguments: Option<Value>,
    /// The call id (`call_<request>_<position>` when absent).
    pub call_id: Option<String>,
    /// The item id (`item_<request>_<position>` when absent).
    pub id: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomCallSpec {
    pub name: String,
    pub input: String,
    pub call_id: Option<String>,
    pub id: Option<String>,
}

/// An HTTP error answer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpError {
    /// The status code (429, 500...).
    pub status: u16,
    /// The response body, sent as is.
    #[serde(default)]
    pub body: String,
    /// Extra response headers (`retry-after`, say).
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedSpec {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncompleteSpec {
    pub reason: String,
}

/// Token usage a reply reports.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    /// Input tokens.
    #[serde(default = "default_input")]
    pub input_tokens: u64,
    /// The cached part of the input.
    #[serde(default)]
    pub cached_tokens: u64,
    /// Output tokens.
    #[serde(default = "default_output")]
    pub output_tokens: u64,
    /// The reasoning part of the output.
    #[serde(default)]
    pub reasoning_tokens: u64,
}

fn default_input() -> u64 {
    100
}
fn default_output() -> u64 {
    10
}

impl Default for UsageSpec {
    fn default() -> Self {
        UsageSpec {
            input_tokens: 100,
            cached_tokens: 0,
            output_tokens: 10,
            reasoning_tokens: 0,
        }
    }
}

impl Reply {
    /// The output items in order: `items`, then the shorthand fields.
    pub fn all_items(&self) -> Vec<ReplyItem> {
        let mut out = self.items.clone();
        if let Some(r) = &self.reasoning {
            out.insert(
                0,
                ReplyItem {
                    reasoning: Some(r.clone()),
                    ..Default::default()
                },
            );
        }
        if let Some(m) = &self.message {
            out.push(ReplyItem {
                message: Some(m.clone()),
                ..Default::default()
            });
        }
        for f in self.function_call.iter().chain(&self.function_calls) {
            out.push(ReplyItem {
                function_call: Some(f.clone()),
                ..Default::default()
            });
        }
        if let Some(c) = &self.custom_tool_call {
            out.push(ReplyItem {
                custom_tool_call: Some(c.clone()),
                ..Default::default()
            });
        }
        out
    }
}

/// A bad script file: `file:line: message`.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct ScriptError {
    /// The script file.
    pub path: String,
    /// The 1-based line at fault.
    pub line: usize,
    /// What is wrong there, naming the field.
    pub message: String,
}

/// Loads a script from TOML (`[[reply]]` tables) or JSON (`{"replies": [...]}`), by extension.
/// A reply that does not parse fails the whole load, naming its line and field.
pub fn load_script(path: &Path) -> Result<Script, ScriptError> {
    let shown = path.display().to_string();
    parse_script(path).map(|script| Script {
        source: Some(shown),
        ..script
    })
}

fn parse_script(path: &Path) -> Result<Script, ScriptError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScriptError {
        path: shown.clone(),
        line: 0,
        message: e.to_string(),
    })?;
    if path.extension().is_some_and(|e| e == "json") {
        let mut de = serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let located = crate::config::LocatedError {
                line: e.inner().line(),
                field: crate::config::field_of(e.path()),
                message: e.inner().to_string(),
            };
            ScriptError {
                path: shown,
                line: located.line,
                message: located.field_and_message(),
            }
        })
    } else {
        crate::config::from_toml_str(&text).map_err(|e| ScriptError {
            path: shown,
            line: e.line,
            message: e.field_and_message(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> Result<Script, ScriptError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        load_script(&path)
    }

    #[test]
    fn a_bad_toml_reply_fails_the_load_at_its_line() {
        let e = load(
            "s.toml",
            "[[reply]]\nmessage = \"a\"\n[[reply]]\nusage = { input_tokens = \"many\" }\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(
            e.message
                .starts_with("reply[1].usage.input_tokens: invalid type: string \"many\""),
            "{e}"
        );
        let ok = load(
            "s.toml",
            "[[reply]]\nmessage = \"a\"\n[[reply]]\ncut = true\n",
        )
        .unwrap();
        assert_eq!(ok.replies.len(), 2);
    }

    #[test]
    fn agent_tables_load_with_their_replies_and_the_file_name() {
        let s = load(
            "s.toml",
            "[[reply]]\nmessage = \"root\"\n[[agent]]\nprompt_contains = \"alpha\"\n[[agent.reply]]\nmessage = \"a\"\n[[agent.reply]]\nmessage = \"b\"\n",
        )
        .unwrap();
        assert!(s.source.as_deref().unwrap().ends_with("s.toml"));
        assert_eq!(s.agents.len(), 1);
        assert_eq!(s.agents[0].replies.len(), 2);
        let e = load("s.toml", "[[agent]]\n[[agent.reply]]\nmesage = \"a\"\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(
            e.message
                .starts_with("agent[0].reply[0].mesage: unknown field"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_json_reply_fails_the_load_naming_the_field() {
        let e = load(
            "s.json",
            "{\"replies\": [\n {\"message\": \"a\"},\n {\"http_error\": {\"status\": \"teapot\"}}\n]}\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(
            e.message
                .starts_with("replies[1].http_error.status: invalid type: string \"teapot\""),
            "{e}"
        );
    }
}
