//! Chat-completions stream chunks → Responses events, so the core consumes a chat stream as if a
//! Responses server had sent it.
//!
//! Pure: fed one SSE `data:` payload at a time. Text and reasoning deltas stream through as they
//! come; tool-call pieces (arguments split over chunks, several calls interleaved by `index`) are
//! assembled per index and emitted in index order when the choice finishes. `[DONE]` ends the
//! response (`response.completed`, or `response.incomplete` after `finish_reason: "length"`); an
//! `{"error": …}` chunk becomes `response.failed`. Ids the server does not give are made up from
//! the request id and the call index, never at random.

use std::collections::{BTreeMap, BTreeSet};

use rcodex_core::protocol::{ResponseEvent, ResponseEventError, ResponseItem, TokenUsage};
use serde::Deserialize;
use serde_json::{json, Value};

use super::request::FREEFORM_ARGUMENT;

/// A chunk that is not a chat-completions chunk.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid chat-completions chunk: {0}")]
pub struct ChatChunkError(pub String);

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<ChatUsage>,
    #[serde(default)]
    error: Option<ChatError>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    index: u64,
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    /// vLLM and OpenRouter spell it `reasoning`; DeepSeek, llama.cpp and others `reasoning_content`.
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCallDelta>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    /// Missing on some servers (Ollama, when it sends whole calls): the position in the chunk.
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// `usage` of the last chunk (`stream_options.include_usage`).
#[derive(Deserialize)]
struct ChatUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct ChatError {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl From<&ChatUsage> for TokenUsage {
    fn from(u: &ChatUsage) -> Self {
        TokenUsage {
            input_tokens: u.prompt_tokens,
            cached_input_tokens: u
                .prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
            cache_write_input_tokens: 0,
            output_tokens: u.completion_tokens,
            reasoning_output_tokens: u
                .completion_tokens_details
                .as_ref()
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0),
            total_tokens: u
                .total_tokens
                .unwrap_or(u.prompt_tokens + u.completion_tokens),
        }
    }
}

/// One tool call being assembled from its pieces.
#[derive(Default)]
struct PartialCall {
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Decoder state for one streamed answer.
pub struct ChatStreamDecoder {
    request_id: u64,
    freeform_tools: BTreeSet<String>,
    response_id: Option<String>,
    reasoning: Option<String>,
    text: Option<String>,
    calls: BTreeMap<u64, PartialCall>,
    finish_reason: Option<String>,
    /// The output items were emitted (at `finish_reason`, or at `[DONE]` without one).
    items_done: bool,
    usage: Option<TokenUsage>,
}

/// What a context-length error looks like where a server gives no `context_length_exceeded` code.
pub fn mentions_context_length(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("context_length_exceeded")
        || t.contains("maximum context length")
        || t.contains("context window")
        || t.contains("context length")
}

impl ChatStreamDecoder {
    /// For request `request_id`; calls to `freeform_tools` come back as `custom_tool_call`s.
    pub fn new(request_id: u64, freeform_tools: BTreeSet<String>) -> Self {
        ChatStreamDecoder {
            request_id,
            freeform_tools,
            response_id: None,
            reasoning: None,
            text: None,
            calls: BTreeMap::new(),
            finish_reason: None,
            items_done: false,
            usage: None,
        }
    }

    /// The events one `data:` payload yields; `[DONE]` yields the terminal event.
    pub fn push(&mut self, data: &str) -> Result<Vec<ResponseEvent>, ChatChunkError> {
        let mut out = Vec::new();
        if data.trim() == "[DONE]" {
            self.ensure_created(None, &mut out);
            self.finish_items(&mut out);
            out.push(self.terminal());
            return Ok(out);
        }
        let chunk: Chunk =
            serde_json::from_str(data).map_err(|e| ChatChunkError(format!("{e}: {data}")))?;
        self.ensure_created(chunk.id.as_deref(), &mut out);
        if let Some(error) = &chunk.error {
            out.push(self.failed(error));
            return Ok(out);
        }
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            if let Some(delta) = &choice.delta {
                self.delta(delta, &mut out);
            }
            if let Some(reason) = &choice.finish_reason {
                self.finish_reason = Some(reason.clone());
                self.finish_items(&mut out);
            }
        }
        if let Some(usage) = &chunk.usage {
            self.usage = Some(TokenUsage::from(usage));
        }
        Ok(out)
    }

    fn response_id(&self) -> String {
        self.response_id
            .clone()
            .unwrap_or_else(|| format!("chatcmpl_{}", self.request_id))
    }

    fn ensure_created(&mut self, id: Option<&str>, out: &mut Vec<ResponseEvent>) {
        if self.response_id.is_some() {
            return;
        }
        let id = id
            .filter(|s| !s.is_empty())
            .map_or_else(|| format!("chatcmpl_{}", self.request_id), str::to_string);
        self.response_id = Some(id.clone());
        out.push(ResponseEvent::Created { response_id: id });
    }

    fn reasoning_id(&self) -> String {
        format!("rs_{}", self.response_id())
    }

    fn message_id(&self) -> String {
        format!("msg_{}", self.response_id())
    }

    fn delta(&mut self, delta: &Delta, out: &mut Vec<ResponseEvent>) {
        let reasoning = delta
            .reasoning_content
            .as_deref()
            .or(delta.reasoning.as_deref())
            .filter(|s| !s.is_empty());
        if let Some(piece) = reasoning {
            if self.reasoning.is_none() {
                out.push(ResponseEvent::OutputItemAdded {
                    item: self.reasoning_item(None),
                });
            }
            self.reasoning.get_or_insert_default().push_str(piece);
            out.push(ResponseEvent::ReasoningTextDelta {
                item_id: self.reasoning_id(),
                content_index: 0,
                delta: piece.to_string(),
            });
        }
        if let Some(piece) = delta.content.as_deref().filter(|s| !s.is_empty()) {
            if self.text.is_none() {
                out.push(ResponseEvent::OutputItemAdded {
                    item: self.message_item(None),
                });
            }
            self.text.get_or_insert_default().push_str(piece);
            out.push(ResponseEvent::OutputTextDelta {
                item_id: self.message_id(),
                delta: piece.to_string(),
            });
        }
        for (position, call) in delta.tool_calls.iter().enumerate() {
            let index = call.index.unwrap_or(position as u64);
            let slot = self.calls.entry(index).or_default();
            if let Some(id) = call.id.as_ref().filter(|s| !s.is_empty()) {
                slot.id = Some(id.clone());
            }
            if let Some(f) = &call.function {
                if let Some(name) = &f.name {
                    slot.name.push_str(name);
                }
                if let Some(args) = &f.arguments {
                    slot.arguments.push_str(args);
                }
            }
        }
    }

    fn reasoning_item(&self, text: Option<&str>) -> ResponseItem {
        let content = text.map(|t| json!([{"type": "reasoning_text", "text": t}]));
        item(
            json!({"type": "reasoning", "id": self.reasoning_id(), "summary": [], "content": content}),
        )
    }

    fn message_item(&self, text: Option<&str>) -> ResponseItem {
        let (status, content) = match text {
            None => ("in_progress", json!([])),
            Some(t) => (
                "completed",
                json!([{"type": "output_text", "text": t, "annotations": []}]),
            ),
        };
        item(
            json!({"type": "message", "role": "assistant", "id": self.message_id(), "status": status, "content": content}),
        )
    }

    /// Emits the finished items once: reasoning, text, then the calls in index order.
    fn finish_items(&mut self, out: &mut Vec<ResponseEvent>) {
        if self.items_done {
            return;
        }
        self.items_done = true;
        if let Some(r) = &self.reasoning {
            out.push(ResponseEvent::OutputItemDone {
                item: self.reasoning_item(Some(r)),
            });
        }
        if let Some(t) = &self.text {
            out.push(ResponseEvent::OutputItemDone {
                item: self.message_item(Some(t)),
            });
        }
        let response_id = self.response_id();
        for (index, call) in std::mem::take(&mut self.calls) {
            let call_id = call
                .id
                .unwrap_or_else(|| format!("call_{response_id}_{index}"));
            let item_id = format!("fc_{response_id}_{index}");
            let done = if self.freeform_tools.contains(&call.name) {
                json!({"type": "custom_tool_call", "id": item_id, "status": "completed", "call_id": call_id, "name": call.name, "input": freeform_input(&call.arguments)})
            } else {
                let arguments = if call.arguments.trim().is_empty() {
                    "{}".to_string()
                } else {
                    call.arguments
                };
                json!({"type": "function_call", "id": item_id, "status": "completed", "name": call.name, "arguments": arguments, "call_id": call_id})
            };
            out.push(ResponseEvent::OutputItemAdded {
                item: item(done.clone()),
            });
            out.push(ResponseEvent::OutputItemDone { item: item(done) });
        }
    }

    fn terminal(&self) -> ResponseEvent {
        let response_id = self.response_id();
        match self.finish_reason.as_deref() {
            Some("length") => ResponseEvent::Incomplete {
                response_id,
                reason: "max_output_tokens".into(),
            },
            Some("content_filter") => ResponseEvent::Incomplete {
                response_id,
                reason: "content_filter".into(),
            },
            _ => ResponseEvent::Completed {
                response_id,
                usage: self.usage,
                end_turn: None,
            },
        }
    }

    fn failed(&self, error: &ChatError) -> ResponseEvent {
        let message = error.message.clone();
        let code = match &error.code {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ if message.as_deref().is_some_and(mentions_context_length) => {
                Some("context_length_exceeded".into())
            }
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => error.kind.clone(),
        };
        ResponseEvent::Failed {
            response_id: self.response_id(),
            error: ResponseEventError { code, message },
        }
    }
}

/// The text of a freeform call: the `input` argument, or the raw arguments when they are not
/// the JSON object the exposed function asked for.
fn freeform_input(arguments: &str) -> String {
    serde_json::from_str::<Value>(arguments)
        .ok()
        .and_then(|v| {
            v.get(FREEFORM_ARGUMENT)
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| arguments.to_string())
}

fn item(v: Value) -> ResponseItem {
    serde_json::from_value(v).expect("a well-formed item")
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
