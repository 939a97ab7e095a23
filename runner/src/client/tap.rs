//! A tap on a model stream: what the provider sent, as received, before the core sees it. It
//! exists for `rcodex batch --live --record`, which turns a live run into a scripted scenario
//! and needs the raw output items and usage (the core keeps only typed, reduced events).

use rcodex_core::session::RequestId;

/// Observes every answer a [`super::ModelClient`] receives. Calls for one request come in
/// order; requests of one session do not overlap.
pub trait StreamTap: Send + Sync + std::fmt::Debug {
    /// The request was answered with an HTTP error status. `headers` are the response headers
    /// the client acts on (`retry-after`, `x-request-id`), when present.
    fn http_error(&self, request: RequestId, status: u16, headers: &[(String, String)], body: &str);
    /// One SSE `data:` payload, exactly as received (from a chat provider: the Responses
    /// payloads the chat adapter made of it).
    fn event(&self, request: RequestId, data: &str);
    /// The stream stopped (closed, broke or went idle) before a terminal event.
    fn ended_early(&self, request: RequestId);
}
