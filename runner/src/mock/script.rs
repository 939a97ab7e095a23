//! The script format: one reply per request, in order. Deserializes from scenario TOML
//! (`[[model.reply]]`) and from JSON.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// All replies, in order.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    #[serde(default, alias = "reply")]
    pub replies: Vec<Reply>,
}

/// The answer to one request (or to `repeat` consecutive ones).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub message: Option<String>,
    pub reasoning: Option<String>,
    pub function_call: Option<FunctionCallSpec>,
    #[serde(default)]
    pub function_calls: Vec<FunctionCallSpec>,
    pub custom_tool_call: Option<CustomCallSpec>,
    /// Several output items in order.
    #[serde(default)]
    pub items: Vec<ReplyItem>,
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
    pub usage: Option<UsageSpec>,
    /// Answer this many consecutive requests the same way.
    pub repeat: Option<usize>,
    /// `end_turn` of `response.completed` (false asks the client for a follow-up).
    pub end_turn: Option<bool>,
}

/// One output item.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyItem {
    pub message: Option<String>,
    pub reasoning: Option<String>,
    pub function_call: Option<FunctionCallSpec>,
    pub custom_tool_call: Option<CustomCallSpec>,
    /// A raw output item, sent as is.
    pub raw: Option<Value>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionCallSpec {
    pub name: String,
    /// A table (sent as compact JSON) or a string (sent verbatim, so malformed is possible).
    #[serde(default)]
    pub arguments: Option<Value>,
    pub call_id: Option<String>,
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

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpError {
    pub status: u16,
    #[serde(default)]
    pub body: String,
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

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    #[serde(default = "default_input")]
    pub input_tokens: u64,
    #[serde(default)]
    pub cached_tokens: u64,
    #[serde(default = "default_output")]
    pub output_tokens: u64,
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
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// Loads a script from TOML (`[[reply]]` tables) or JSON (`{"replies": [...]}`), by extension.
pub fn load_script(path: &Path) -> Result<Script, ScriptError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScriptError {
        path: shown.clone(),
        line: 0,
        message: e.to_string(),
    })?;
    if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| ScriptError {
            path: shown,
            line: e.line(),
            message: e.to_string(),
        })
    } else {
        toml::from_str(&text).map_err(|e| ScriptError {
            path: shown,
            line: crate::config::toml_error_line(&text, &e),
            message: crate::config::one_line(e.message()),
        })
    }
}
