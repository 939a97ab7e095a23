//! The Responses API request body, with Codex's key order.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ResponseItem, ToolSpec};

/// `POST {base_url}/responses` body. Borrowing `input` and `tools` keeps building one linear in
/// the history with no deep clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponsesRequest<'a> {
    pub model: String,
    /// Only for models that take the base prompt as `instructions` (Codex 0.169 sends it as the
    /// first developer message for gpt-5.5 instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    pub stream: bool,
    pub input: Cow<'a, [ResponseItem]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Cow<'a, [ToolSpec]>>,
    pub tool_choice: String,
    pub parallel_tool_calls: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    pub store: bool,
    pub include: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextControls>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<Map<String, Value>>,
}

/// `reasoning` of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reasoning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// `text` of a request: verbosity and, with `--output-schema`, the JSON schema format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextControls {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
}

/// `text.format` for structured output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextFormat {
    #[serde(rename = "type")]
    pub kind: String,
    pub strict: bool,
    pub schema: Value,
    pub name: String,
}

impl TextFormat {
    /// Codex's strict json_schema format for `--output-schema`.
    pub fn output_schema(schema: Value) -> Self {
        TextFormat {
            kind: "json_schema".into(),
            strict: true,
            schema,
            name: "codex_output_schema".into(),
        }
    }
}
