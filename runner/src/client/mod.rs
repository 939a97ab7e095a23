//! The model client: POSTs a request body to a Responses endpoint and turns the answer into
//! core inputs (`Input::Model` per SSE event, `Input::ModelFailed` for HTTP, transport and stream
//! failures). It never retries on its own: retry policy is the core's. A `wire_api = "chat"`
//! provider is reached through the chat-completions adapter (`chat/`).

pub mod chat;
mod stream;
mod tap;
mod wire;

pub use stream::{stream_response, StreamSink};
pub use tap::StreamTap;

use std::sync::Arc;
use std::time::Duration;

use crate::config::WireApi;

/// Where and how to reach a model provider.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Full URL of the responses endpoint, query included.
    pub url: String,
    /// Headers added to every request after the core's own (auth, originator, user-agent, ...).
    pub headers: Vec<(String, String)>,
    /// Longest wait for the next byte of a stream.
    pub idle_timeout: Duration,
}

/// One pooled HTTP client per provider.
#[derive(Clone, Debug)]
pub struct ModelClient {
    http: reqwest::Client,
    endpoint: Endpoint,
    /// Sees every answer as received (`batch --record`).
    tap: Option<Arc<dyn StreamTap>>,
    /// The API shape the endpoint speaks (Responses unless [`ModelClient::with_wire_api`]).
    wire_api: WireApi,
}

impl ModelClient {
    pub fn new(endpoint: Endpoint) -> Result<ModelClient, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .pool_max_idle_per_host(4)
            .tcp_nodelay(true);
        if is_loopback(&endpoint.url) {
            builder = builder.no_proxy();
        }
        Ok(ModelClient {
            http: builder.build()?,
            endpoint,
            tap: None,
            wire_api: WireApi::Responses,
        })
    }

    /// This client with `tap` seeing every answer it receives.
    pub fn with_tap(self, tap: Arc<dyn StreamTap>) -> ModelClient {
        ModelClient {
            tap: Some(tap),
            ..self
        }
    }

    /// This client speaking `wire_api` (the endpoint URL must be the matching one).
    pub fn with_wire_api(self, wire_api: WireApi) -> ModelClient {
        ModelClient { wire_api, ..self }
    }

    pub fn wire_api(&self) -> WireApi {
        self.wire_api
    }

    pub(crate) fn tap(&self) -> Option<&dyn StreamTap> {
        self.tap.as_deref()
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// The user-agent rcodex sends: its own name, never Codex's.
pub fn user_agent() -> String {
    format!(
        "rcodex_exec/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn is_loopback(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.starts_with("127.") || rest.starts_with("localhost") || rest.starts_with("[::1]")
}
