//! One streamed request: status handling, incremental SSE decoding, idle timeout per read.

use futures_util::StreamExt;
use rcodex_core::protocol::ResponseEvent;
use rcodex_core::session::{Input, ModelError, RequestId};
use rcodex_core::sse::SseDecoder;

use super::wire::WireDecoder;
use super::ModelClient;

/// Where a stream's inputs go (the driver's channel).
pub trait StreamSink: Send + Sync {
    fn send(&self, input: Input);
}

impl StreamSink for tokio::sync::mpsc::UnboundedSender<Input> {
    fn send(&self, input: Input) {
        let _ = tokio::sync::mpsc::UnboundedSender::send(self, input);
    }
}

/// Sends `body` and feeds every event (or the failure) to `sink` as inputs for `request_id`.
pub async fn stream_response(
    client: &ModelClient,
    request_id: RequestId,
    body: String,
    headers: Vec<(String, String)>,
    sink: &dyn StreamSink,
) {
    let endpoint = client.endpoint();
    let (body, mut wire) = match WireDecoder::prepare(client.wire_api(), request_id, body) {
        Ok(prepared) => prepared,
        Err(e) => {
            sink.send(Input::ModelFailed(request_id, ModelError::Stream(e)));
            return;
        }
    };
    let mut req = client.http().post(&endpoint.url);
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.as_str());
    }
    // Codex's order: the per-request headers, accept and content-type, then the endpoint's
    // (authorization, originator, user-agent, the provider's own).
    req = req
        .header("accept", "text/event-stream")
        .header("content-type", "application/json");
    for (k, v) in &endpoint.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let req = req.body(body);
    // The idle timeout also bounds the wait for the response headers.
    let resp = match tokio::time::timeout(endpoint.idle_timeout, req.send()).await {
        Err(_) => {
            sink.send(Input::ModelFailed(request_id, ModelError::IdleTimeout));
            return;
        }
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            sink.send(Input::ModelFailed(
                request_id,
                ModelError::Transport(e.to_string()),
            ));
            return;
        }
    };
    let status = resp.status();
    if !status.is_success() {
        let retry_after_header = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let retry_after_ms = retry_after_header
            .as_deref()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|secs| (secs * 1000.0) as u64);
        let request_id_header = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = wire.http_error_body(status.as_u16(), resp.text().await.unwrap_or_default());
        if let Some(tap) = client.tap() {
            let mut headers = Vec::new();
            headers.extend(retry_after_header.map(|v| ("retry-after".to_string(), v)));
            headers.extend(
                request_id_header
                    .clone()
                    .map(|v| ("x-request-id".to_string(), v)),
            );
            tap.http_error(request_id, status.as_u16(), &headers, &body);
        }
        sink.send(Input::ModelFailed(
            request_id,
            ModelError::Http {
                status: status.as_u16(),
                body,
                retry_after_ms,
                request_id: request_id_header,
            },
        ));
        return;
    }
    let mut bytes = resp.bytes_stream();
    let mut decoder = SseDecoder::new();
    loop {
        let next = tokio::time::timeout(endpoint.idle_timeout, bytes.next()).await;
        let chunk = match next {
            Err(_) => {
                tap_ended_early(client, request_id);
                sink.send(Input::ModelFailed(request_id, ModelError::IdleTimeout));
                return;
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                tap_ended_early(client, request_id);
                sink.send(Input::ModelFailed(
                    request_id,
                    ModelError::Stream(e.to_string()),
                ));
                return;
            }
            Ok(Some(Ok(chunk))) => chunk,
        };
        decoder.feed(&chunk);
        while let Some(frame) = decoder.next_frame() {
            if frame.data.is_empty() {
                continue;
            }
            match wire.decode(&frame.data) {
                Ok(events) => {
                    if let Some(tap) = client.tap() {
                        for payload in wire.tap_payloads(&frame.data, &events) {
                            tap.event(request_id, &payload);
                        }
                    }
                    for event in events {
                        let terminal = matches!(
                            event,
                            ResponseEvent::Completed { .. }
                                | ResponseEvent::Failed { .. }
                                | ResponseEvent::Incomplete { .. }
                        );
                        sink.send(Input::Model(request_id, event));
                        if terminal {
                            return;
                        }
                    }
                }
                Err(e) => {
                    sink.send(Input::ModelFailed(request_id, ModelError::Stream(e)));
                    return;
                }
            }
        }
    }
    tap_ended_early(client, request_id);
    sink.send(Input::ModelFailed(request_id, ModelError::StreamClosed));
}

fn tap_ended_early(client: &ModelClient, request_id: RequestId) {
    if let Some(tap) = client.tap() {
        tap.ended_early(request_id);
    }
}
