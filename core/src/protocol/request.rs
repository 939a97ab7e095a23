//! The Responses API request body, with Codex's key order.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ResponseItem, ToolSpec};

/// `POST {base_url}/responses` body. Borrowing `input` and `tools` keeps building one linear in
/// the history with no deep clone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponsesRequest<'a> {
    /// The model slug (`gpt-5.5`).
    pub model: String,
    /// Only for models that take the base prompt as `instructions` (Codex 0.169 sends it as the
    /// first developer message for gpt-5.5 instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Always `true`: rcodex reads every answer as SSE.
    pub stream: bool,
    /// The whole history, re-sent on every request (no `previous_response_id`).
    pub input: Cow<'a, [ResponseItem]>,
    /// The advertised tools; absent for models that take tools another way (code-mode models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Cow<'a, [ToolSpec]>>,
    /// `"auto"`, as Codex sends it.
    pub tool_choice: String,
    /// Whether the model may call several tools in one response (the model table's
    /// `parallel_tool_calls`).
    pub parallel_tool_calls: bool,
    /// Reasoning effort and summary for reasoning models; absent for others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    /// Always `false`: nothing is stored server-side, so history travels in `input`.
    pub store: bool,
    /// Extra output to return; `["reasoning.encrypted_content"]` for reasoning models, so reasoning
    /// can be replayed.
    pub include: Vec<String>,
    /// The thread id, so requests of one thread share the server's prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    /// Verbosity and the structured-output format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextControls>,
    /// Codex's ids of the request (`session_id`, `thread_id`, `turn_id`, `x-codex-turn-metadata`,
    /// …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<Map<String, Value>>,
}

/// `reasoning` of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reasoning {
    /// `"low"`, `"medium"`, `"high"`, … (`"medium"` for gpt-5.5 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// The reasoning summary setting (`"auto"`, `"concise"`, `"detailed"`), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Which turns' reasoning the server keeps in context (`"all_turns"` for code-mode models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// `text` of a request: verbosity and, with `--output-schema`, the JSON schema format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextControls {
    /// `"low"`, `"medium"` or `"high"` (`"low"` for gpt-5.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<String>,
    /// The structured-output format asked for by `--output-schema`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
}

/// `text.format` for structured output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextFormat {
    /// `type`: `"json_schema"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the server must follow the schema exactly (always `true`).
    pub strict: bool,
    /// The JSON Schema the final message must match.
    pub schema: Value,
    /// The schema's name (`"codex_output_schema"`).
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
