//! Events of a streamed Responses API answer (one per SSE `data:` payload).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::usage::WireUsage;
use super::{ResponseItem, TokenUsage};

/// One parsed stream event, reduced to what the turn machine acts on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResponseEvent {
    /// `response.created`: the server accepted the request and named the response.
    Created {
        /// The server's response id (`resp_…`); empty when the event omits it.
        response_id: String,
    },
    /// `response.output_item.added`: an output item started streaming (may be partial).
    OutputItemAdded {
        /// The item as announced so far.
        item: ResponseItem,
    },
    /// `response.output_item.done`: an output item is complete; this is what enters history.
    OutputItemDone {
        /// The finished item.
        item: ResponseItem,
    },
    /// `response.output_text.delta`: a piece of an assistant message's text.
    OutputTextDelta {
        /// The id of the message item the text belongs to.
        item_id: String,
        /// The text piece.
        delta: String,
    },
    /// `response.reasoning_summary_text.delta`: a piece of a reasoning summary.
    ReasoningSummaryDelta {
        /// The id of the reasoning item.
        item_id: String,
        /// Which summary part the piece extends (0-based).
        summary_index: u64,
        /// The text piece.
        delta: String,
    },
    /// `response.reasoning_text.delta`: a piece of raw reasoning text.
    ReasoningTextDelta {
        /// The id of the reasoning item.
        item_id: String,
        /// Which content part the piece extends (0-based).
        content_index: u64,
        /// The text piece.
        delta: String,
    },
    /// `response.completed`: the response finished; ends the stream.
    Completed {
        /// The server's response id.
        response_id: String,
        /// The response's token usage, when the server reported it.
        usage: Option<TokenUsage>,
        /// `false` asks for a follow-up request even without tool calls.
        end_turn: Option<bool>,
    },
    /// `response.failed`: the server gave up on the response; retried or fatal by its error code.
    Failed {
        /// The server's response id.
        response_id: String,
        /// The `response.error` object.
        error: ResponseEventError,
    },
    /// `response.incomplete`: the response stopped early (for instance at `max_output_tokens`);
    /// ends the turn.
    Incomplete {
        /// The server's response id.
        response_id: String,
        /// `incomplete_details.reason`, or `"unknown"`.
        reason: String,
    },
    /// An event type the machine ignores (kept for logs).
    Other {
        /// The event's `type` as sent.
        event_type: String,
    },
}

/// `response.error` of a `response.failed` event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseEventError {
    /// Machine-readable class (`server_error`, `rate_limit_exceeded`, `context_length_exceeded`,
    /// …).
    #[serde(default)]
    pub code: Option<String>,
    /// What the server said; may carry "try again in Ns".
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    response: Option<WireResponse>,
    #[serde(default)]
    item: Option<ResponseItem>,
    #[serde(default)]
    item_id: Option<String>,
    #[serde(default)]
    delta: Option<String>,
    #[serde(default)]
    summary_index: Option<u64>,
    #[serde(default)]
    content_index: Option<u64>,
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    end_turn: Option<bool>,
    #[serde(default)]
    error: Option<ResponseEventError>,
    #[serde(default)]
    incomplete_details: Option<Value>,
}

/// Why a `data:` payload could not become an event.
#[derive(Debug, thiserror::Error)]
pub enum EventParseError {
    /// The payload is not JSON, or not an object of the expected shape.
    #[error("invalid event JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A known event type lacks a field the machine needs.
    #[error("{event}: missing field `{field}`")]
    Missing {
        /// The event's `type`.
        event: String,
        /// The missing field's name.
        field: &'static str,
    },
}

impl ResponseEvent {
    /// Parses one SSE `data:` payload of the Responses API.
    pub fn from_json(data: &str) -> Result<ResponseEvent, EventParseError> {
        let w: WireEvent = serde_json::from_str(data)?;
        let missing = |field| EventParseError::Missing {
            event: w.kind.clone(),
            field,
        };
        let response_id =
            |r: &Option<WireResponse>| r.as_ref().and_then(|r| r.id.clone()).unwrap_or_default();
        Ok(match w.kind.as_str() {
            "response.created" => ResponseEvent::Created {
                response_id: response_id(&w.response),
            },
            "response.output_item.added" => ResponseEvent::OutputItemAdded {
                item: w.item.clone().ok_or_else(|| missing("item"))?,
            },
            "response.output_item.done" => ResponseEvent::OutputItemDone {
                item: w.item.clone().ok_or_else(|| missing("item"))?,
            },
            "response.output_text.delta" => ResponseEvent::OutputTextDelta {
                item_id: w.item_id.clone().unwrap_or_default(),
                delta: w.delta.clone().ok_or_else(|| missing("delta"))?,
            },
            "response.reasoning_summary_text.delta" => ResponseEvent::ReasoningSummaryDelta {
                item_id: w.item_id.clone().unwrap_or_default(),
                summary_index: w.summary_index.unwrap_or(0),
                delta: w.delta.clone().ok_or_else(|| missing("delta"))?,
            },
            "response.reasoning_text.delta" => ResponseEvent::ReasoningTextDelta {
                item_id: w.item_id.clone().unwrap_or_default(),
                content_index: w.content_index.unwrap_or(0),
                delta: w.delta.clone().ok_or_else(|| missing("delta"))?,
            },
            "response.completed" => {
                let r = w.response.as_ref().ok_or_else(|| missing("response"))?;
                ResponseEvent::Completed {
                    response_id: r.id.clone().unwrap_or_default(),
                    usage: r.usage.as_ref().map(TokenUsage::from),
                    end_turn: r.end_turn,
                }
            }
            "response.failed" => {
                let r = w.response.as_ref().ok_or_else(|| missing("response"))?;
                ResponseEvent::Failed {
                    response_id: r.id.clone().unwrap_or_default(),
                    error: r.error.clone().unwrap_or_default(),
                }
            }
            "response.incomplete" => {
                let r = w.response.as_ref().ok_or_else(|| missing("response"))?;
                let reason = r
                    .incomplete_details
                    .as_ref()
                    .and_then(|d| d.get("reason"))
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_string();
                ResponseEvent::Incomplete {
                    response_id: r.id.clone().unwrap_or_default(),
                    reason,
                }
            }
            other => ResponseEvent::Other {
                event_type: other.to_string(),
            },
        })
    }
}
