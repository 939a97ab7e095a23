//! The optional live request: one minimal Responses request (a short input, no tools) sent
//! through the same client code a turn uses, reporting the first event and how the stream ended.

use std::sync::Mutex;
use std::time::Instant;

use rcodex_core::protocol::ResponseEvent;
use rcodex_core::session::{Input, ModelError};

use crate::client::{stream_response, ModelClient, StreamSink};

use super::check::Check;

/// Collects the stream's inputs in order.
#[derive(Default)]
struct Collect(Mutex<Vec<Input>>);

impl StreamSink for Collect {
    fn send(&self, input: Input) {
        self.0.lock().expect("collect").push(input);
    }
}

/// The smallest request the Responses API takes: one user message, streamed, nothing stored.
pub fn minimal_body(model: &str) -> String {
    serde_json::json!({
        "model": model,
        "instructions": "Answer with one word.",
        "input": [{
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Say ok."}],
        }],
        "tools": [],
        "stream": true,
        "store": false,
    })
    .to_string()
}

/// Sends the minimal request and judges its answer.
pub async fn check_live(client: &ModelClient, model: &str) -> Check {
    let sink = Collect::default();
    let started = Instant::now();
    stream_response(client, 1, minimal_body(model), Vec::new(), &sink).await;
    let ms = started.elapsed().as_millis();
    let inputs = sink.0.into_inner().expect("collect");
    let first = inputs.iter().find_map(|i| match i {
        Input::Model(_, e) => Some(event_name(e)),
        _ => None,
    });
    let first = first.map_or(String::new(), |f| format!(" (first event {f})"));
    let url = &client.endpoint().url;
    match inputs.last() {
        Some(Input::Model(_, ResponseEvent::Completed { .. })) => Check::ok(
            "live",
            format!("POST {url} model {model}: response.completed in {ms} ms{first}"),
        ),
        Some(Input::Model(_, ResponseEvent::Failed { error, .. })) => Check::fail(
            "live",
            format!(
                "POST {url} model {model}: response.failed: {} {}{first}",
                error.code.as_deref().unwrap_or("(no code)"),
                error.message.as_deref().unwrap_or("")
            ),
            "the provider refused the request; check the model name and the account",
        ),
        Some(Input::Model(_, ResponseEvent::Incomplete { reason, .. })) => Check::warn(
            "live",
            format!("POST {url} model {model}: response.incomplete ({reason}){first}"),
            "",
        ),
        Some(Input::ModelFailed(_, err)) => failed(url, model, err, &first),
        _ => Check::fail(
            "live",
            format!("POST {url} model {model}: the stream ended without a terminal event{first}"),
            "check that base_url serves the Responses API",
        ),
    }
}

fn failed(url: &str, model: &str, err: &ModelError, first: &str) -> Check {
    let at = format!("POST {url} model {model}");
    match err {
        ModelError::Http {
            status: status @ (401 | 403),
            body,
            ..
        } => Check::fail(
            "live",
            format!("{at}: HTTP {status}: the key was refused: {}", short(body)),
            "check that the key is valid for this provider",
        ),
        ModelError::Http { status, body, .. } => Check::fail(
            "live",
            format!("{at}: HTTP {status}: {}", short(body)),
            match status {
                // OpenAI answers an unknown model with 404 `model_not_found`.
                400 | 404 if body.contains("model") => {
                    "check the model name (-m or model in config.toml)".to_string()
                }
                404 => "check base_url: it must be the API root that has /responses".to_string(),
                400..=499 => "the server refused the request as sent; see its message".to_string(),
                _ => "the server failed the request; try later or check the provider".to_string(),
            },
        ),
        ModelError::Transport(why) => Check::fail(
            "live",
            format!("{at}: no answer: {why}"),
            "check base_url and the network",
        ),
        ModelError::IdleTimeout => Check::fail(
            "live",
            format!("{at}: no bytes within the stream idle timeout{first}"),
            "check the server, or raise stream_idle_timeout_ms",
        ),
        ModelError::StreamClosed => Check::fail(
            "live",
            format!("{at}: the stream closed before response.completed{first}"),
            "check that base_url serves the Responses API",
        ),
        ModelError::Stream(why) => Check::fail(
            "live",
            format!("{at}: bad stream: {why}{first}"),
            "check that base_url serves the Responses API",
        ),
    }
}

/// A server's error body on one line, at most 300 characters.
fn short(body: &str) -> String {
    let one: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 300 {
        format!("{}...", one.chars().take(300).collect::<String>())
    } else {
        one
    }
}

fn event_name(e: &ResponseEvent) -> String {
    match e {
        ResponseEvent::Created { .. } => "response.created".into(),
        ResponseEvent::OutputItemAdded { .. } => "response.output_item.added".into(),
        ResponseEvent::OutputItemDone { .. } => "response.output_item.done".into(),
        ResponseEvent::OutputTextDelta { .. } => "response.output_text.delta".into(),
        ResponseEvent::ReasoningSummaryDelta { .. } => {
            "response.reasoning_summary_text.delta".into()
        }
        ResponseEvent::ReasoningTextDelta { .. } => "response.reasoning_text.delta".into(),
        ResponseEvent::Completed { .. } => "response.completed".into(),
        ResponseEvent::Failed { .. } => "response.failed".into(),
        ResponseEvent::Incomplete { .. } => "response.incomplete".into(),
        ResponseEvent::Other { event_type, .. } => event_type.clone(),
    }
}
