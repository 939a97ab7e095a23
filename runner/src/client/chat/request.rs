//! Responses request body → chat-completions request body.
//!
//! The core builds Responses bodies only; this turns one into what `/chat/completions` expects:
//! `instructions` and system/developer messages become `system` messages, the output items of one
//! response (reasoning, text, tool calls) become one `assistant` message, tool outputs become `tool`
//! messages, and freeform (custom) tools become functions with one string argument, `input`.

use std::collections::BTreeSet;

use rcodex_core::protocol::response_item::ReasoningContent;
use rcodex_core::protocol::{ContentItem, FunctionCallOutputPayload, ResponseItem};
use serde_json::{json, Map, Value};

/// The argument that carries a freeform tool's text when it is exposed as a function.
pub const FREEFORM_ARGUMENT: &str = "input";

/// A request ready for `/chat/completions`, and what the stream decoder needs to map calls back.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    pub body: Value,
    /// Names of freeform tools: their calls come back as `custom_tool_call` items.
    pub freeform_tools: BTreeSet<String>,
}

/// Why a Responses body could not be mapped.
#[derive(Debug, thiserror::Error)]
pub enum ChatRequestError {
    #[error("request body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("request body: input[{index}]: {message}")]
    Item { index: usize, message: String },
}

/// Maps a Responses request body (as the core serialized it) to a chat-completions body.
pub fn chat_request(responses_body: &str) -> Result<ChatRequest, ChatRequestError> {
    let body: Value = serde_json::from_str(responses_body)?;
    let mut out = Map::new();
    if let Some(model) = body.get("model") {
        out.insert("model".into(), model.clone());
    }
    let mut messages = Vec::new();
    if let Some(text) = body.get("instructions").and_then(Value::as_str) {
        if !text.is_empty() {
            messages.push(json!({"role": "system", "content": text}));
        }
    }
    let input = body.get("input").and_then(Value::as_array);
    let mut items = Vec::new();
    for (index, raw) in input.into_iter().flatten().enumerate() {
        let item: ResponseItem =
            serde_json::from_value(raw.clone()).map_err(|e| ChatRequestError::Item {
                index,
                message: e.to_string(),
            })?;
        items.push(item);
    }
    messages.extend(history_messages(&items));
    out.insert("messages".into(), Value::Array(messages));

    let (tools, freeform_tools) = chat_tools(body.get("tools"));
    if !tools.is_empty() {
        out.insert("tools".into(), Value::Array(tools));
        if let Some(choice) = body.get("tool_choice") {
            out.insert("tool_choice".into(), choice.clone());
        }
        if let Some(parallel) = body.get("parallel_tool_calls") {
            out.insert("parallel_tool_calls".into(), parallel.clone());
        }
    }
    if let Some(effort) = body.pointer("/reasoning/effort").filter(|v| !v.is_null()) {
        out.insert("reasoning_effort".into(), effort.clone());
    }
    if let Some(format) = body.pointer("/text/format") {
        if format.get("type").and_then(Value::as_str) == Some("json_schema") {
            let mut schema = Map::new();
            for key in ["name", "schema", "strict"] {
                if let Some(v) = format.get(key) {
                    schema.insert(key.into(), v.clone());
                }
            }
            out.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": schema}),
            );
        }
    }
    out.insert("stream".into(), Value::Bool(true));
    out.insert("stream_options".into(), json!({"include_usage": true}));
    Ok(ChatRequest {
        body: Value::Object(out),
        freeform_tools,
    })
}

/// Function tools as chat spells them; freeform tools as a function taking one string.
/// Tools chat cannot express (web_search, tool_search, local_shell, ...) are left out.
fn chat_tools(tools: Option<&Value>) -> (Vec<Value>, BTreeSet<String>) {
    let mut out = Vec::new();
    let mut freeform = BTreeSet::new();
    for tool in tools.and_then(Value::as_array).into_iter().flatten() {
        let name = tool.get("name").cloned().unwrap_or(Value::Null);
        let description = tool.get("description").cloned().unwrap_or(json!(""));
        match tool.get("type").and_then(Value::as_str) {
            Some("function") => {
                let mut function = Map::new();
                function.insert("name".into(), name);
                function.insert("description".into(), description);
                function.insert(
                    "parameters".into(),
                    tool.get("parameters")
                        .cloned()
                        .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
                );
                if let Some(strict) = tool.get("strict") {
                    function.insert("strict".into(), strict.clone());
                }
                out.push(json!({"type": "function", "function": function}));
            }
            Some("custom") => {
                if let Some(n) = name.as_str() {
                    freeform.insert(n.to_string());
                }
                out.push(json!({"type": "function", "function": {
                    "name": name,
                    "description": description,
                    "parameters": {
                        "type": "object",
                        "properties": {FREEFORM_ARGUMENT: {"type": "string"}},
                        "required": [FREEFORM_ARGUMENT],
                        "additionalProperties": false,
                    },
                }}));
            }
            _ => {}
        }
    }
    (out, freeform)
}

/// The assistant message being assembled from the output items of one response.
#[derive(Default)]
struct AssistantTurn {
    reasoning: String,
    text: String,
    calls: Vec<Value>,
}

impl AssistantTurn {
    fn is_empty(&self) -> bool {
        self.reasoning.is_empty() && self.text.is_empty() && self.calls.is_empty()
    }

    fn into_message(self) -> Value {
        let mut m = Map::new();
        m.insert("role".into(), json!("assistant"));
        m.insert(
            "content".into(),
            if self.text.is_empty() && !self.calls.is_empty() {
                Value::Null
            } else {
                Value::String(self.text)
            },
        );
        if !self.reasoning.is_empty() {
            m.insert("reasoning".into(), Value::String(self.reasoning));
        }
        if !self.calls.is_empty() {
            m.insert("tool_calls".into(), Value::Array(self.calls));
        }
        Value::Object(m)
    }
}

/// History as chat messages. One response's items arrive in order reasoning → text → calls; a
/// new assistant message starts when that order restarts (reasoning after anything, text after
/// text or calls), or when any other message or tool output comes between.
fn history_messages(items: &[ResponseItem]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut turn = AssistantTurn::default();
    let flush = |turn: &mut AssistantTurn, out: &mut Vec<Value>| {
        if !turn.is_empty() {
            out.push(std::mem::take(turn).into_message());
        }
    };
    for item in items {
        match item {
            ResponseItem::Reasoning(r) => {
                if !turn.is_empty() {
                    flush(&mut turn, &mut out);
                }
                let content: Vec<String> = r
                    .content
                    .iter()
                    .flatten()
                    .filter_map(|c| match c {
                        ReasoningContent::ReasoningText { text }
                        | ReasoningContent::Text { text } => Some(text.clone()),
                        ReasoningContent::Other(_) => None,
                    })
                    .collect();
                turn.reasoning = if content.is_empty() {
                    r.summary_texts().join("\n\n")
                } else {
                    content.join("")
                };
            }
            ResponseItem::Message(m) if m.role == "assistant" => {
                if !turn.text.is_empty() || !turn.calls.is_empty() {
                    flush(&mut turn, &mut out);
                }
                turn.text = joined_text(&m.content);
            }
            ResponseItem::FunctionCall(c) => {
                turn.calls
                    .push(tool_call(&c.call_id, &c.name, c.arguments.clone()))
            }
            ResponseItem::CustomToolCall(c) => turn.calls.push(tool_call(
                &c.call_id,
                &c.name,
                json!({FREEFORM_ARGUMENT: c.input}).to_string(),
            )),
            ResponseItem::LocalShellCall(c) => {
                let call_id = c
                    .call_id
                    .clone()
                    .or_else(|| c.id.clone())
                    .unwrap_or_default();
                let arguments = serde_json::to_string(&c.action).unwrap_or_default();
                turn.calls
                    .push(tool_call(&call_id, "local_shell", arguments));
            }
            ResponseItem::Message(m) => {
                flush(&mut turn, &mut out);
                let role = if m.role == "developer" {
                    "system"
                } else {
                    m.role.as_str()
                };
                out.push(json!({"role": role, "content": message_content(&m.content)}));
            }
            ResponseItem::FunctionCallOutput(o) => {
                flush(&mut turn, &mut out);
                push_tool_output(&mut out, &o.call_id, &o.output);
            }
            ResponseItem::CustomToolCallOutput(o) => {
                flush(&mut turn, &mut out);
                push_tool_output(&mut out, &o.call_id, &o.output);
            }
            // Chat has no form for hosted calls or for tool_search (its tool is left out of chat
            // requests too, so only a history recorded over Responses holds these).
            ResponseItem::WebSearchCall(_)
            | ResponseItem::ToolSearchCall(_)
            | ResponseItem::ToolSearchOutput(_)
            | ResponseItem::Other(_) => {}
        }
    }
    flush(&mut turn, &mut out);
    out
}

fn tool_call(call_id: &str, name: &str, arguments: String) -> Value {
    json!({"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}})
}

/// A tool output as a `tool` message; images it carries follow in a `user` message, since a
/// `tool` message holds text only.
fn push_tool_output(out: &mut Vec<Value>, call_id: &str, output: &FunctionCallOutputPayload) {
    let (text, images) = match output {
        FunctionCallOutputPayload::Text(t) => (t.clone(), Vec::new()),
        FunctionCallOutputPayload::Content(parts) => (
            joined_text(parts),
            parts.iter().filter_map(image_part).collect::<Vec<_>>(),
        ),
    };
    out.push(json!({"role": "tool", "tool_call_id": call_id, "content": text}));
    if !images.is_empty() {
        out.push(json!({"role": "user", "content": images}));
    }
}

/// The text parts of a content list, concatenated as the model reads them.
fn joined_text(parts: &[ContentItem]) -> String {
    parts
        .iter()
        .filter_map(|c| match c {
            ContentItem::InputText { text } | ContentItem::OutputText { text, .. } => {
                Some(text.as_str())
            }
            _ => None,
        })
        .collect()
}

fn image_part(c: &ContentItem) -> Option<Value> {
    match c {
        ContentItem::InputImage { image_url, detail } => {
            let mut url = json!({"url": image_url});
            if let Some(d) = detail {
                url["detail"] = json!(d);
            }
            Some(json!({"type": "image_url", "image_url": url}))
        }
        _ => None,
    }
}

/// A string when every part is text; otherwise chat's list of `text` and `image_url` parts.
fn message_content(parts: &[ContentItem]) -> Value {
    if parts
        .iter()
        .all(|c| !matches!(c, ContentItem::InputImage { .. }))
    {
        return Value::String(joined_text(parts));
    }
    Value::Array(
        parts
            .iter()
            .filter_map(|c| match c {
                ContentItem::InputText { text } | ContentItem::OutputText { text, .. } => {
                    Some(json!({"type": "text", "text": text}))
                }
                other => image_part(other),
            })
            .collect(),
    )
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
