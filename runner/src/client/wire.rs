//! The wire one request speaks: Responses bodies and events pass through as the core made them;
//! chat-completions requests go through the adapter in `chat/` both ways.

use rcodex_core::protocol::ResponseEvent;

use super::chat::{chat_request, http_error_body, responses_wire_json, ChatStreamDecoder};
use crate::config::WireApi;

/// Per-request state of the wire: how stream payloads become events.
pub enum WireDecoder {
    Responses,
    Chat(Box<ChatStreamDecoder>),
}

impl WireDecoder {
    /// The body to send for `wire` and the decoder of its answer.
    pub fn prepare(
        wire: WireApi,
        request_id: u64,
        body: String,
    ) -> Result<(String, WireDecoder), String> {
        match wire {
            WireApi::Responses => Ok((body, WireDecoder::Responses)),
            WireApi::Chat => {
                let chat = chat_request(&body).map_err(|e| e.to_string())?;
                let decoder = ChatStreamDecoder::new(request_id, chat.freeform_tools);
                Ok((chat.body.to_string(), WireDecoder::Chat(Box::new(decoder))))
            }
        }
    }

    /// The events of one SSE `data:` payload (`[DONE]` matters to chat only).
    pub fn decode(&mut self, data: &str) -> Result<Vec<ResponseEvent>, String> {
        match self {
            WireDecoder::Responses if data == "[DONE]" => Ok(Vec::new()),
            WireDecoder::Responses => ResponseEvent::from_json(data)
                .map(|e| vec![e])
                .map_err(|e| e.to_string()),
            WireDecoder::Chat(d) => d.push(data).map_err(|e| e.to_string()),
        }
    }

    /// What a stream tap sees of one payload: a Responses payload as received; for chat, the
    /// Responses payloads of the events the adapter made of it (the tap records one format).
    pub fn tap_payloads(&self, data: &str, events: &[ResponseEvent]) -> Vec<String> {
        match self {
            WireDecoder::Responses if data == "[DONE]" => Vec::new(),
            WireDecoder::Responses => vec![data.to_string()],
            WireDecoder::Chat(_) => events.iter().filter_map(responses_wire_json).collect(),
        }
    }

    /// An HTTP error body as the core's retry rules should see it.
    pub fn http_error_body(&self, status: u16, body: String) -> String {
        match self {
            WireDecoder::Responses => body,
            WireDecoder::Chat(_) => http_error_body(status, body),
        }
    }
}
