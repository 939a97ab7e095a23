//! Infrastructure failures are not agent failures: a turn that failed because the provider or
//! the network did (transport errors, 5xx or 429 after the core's own retries, streams that kept
//! breaking, auth and quota refusals) makes its row an `error`, which `--retry-errors N` runs
//! again, never a `fail`. What the model did wrong (a request beyond the script, a context
//! window overflow) stays a `fail`.

use rcodex_core::session::retry::QUOTA_MESSAGE;
use serde_json::Value;

use super::results::{ResultLine, Status};

/// Whether a failed turn's `message` is the provider's or the network's fault. `events` are the
/// run's `--json` events: a stream that gave up after reconnecting announced its reason in
/// `Reconnecting... n/N (reason)` notices, and the final message is that reason.
pub fn is_infrastructure(message: &str, events: &[Value]) -> bool {
    const PREFIXES: [&str; 4] = [
        // 5xx and 429 with the request retries spent.
        "exceeded retry limit",
        // Connect refused, reset before the headers.
        "error sending request",
        // The stream broke (closed, idle timeout) and the stream retries are spent.
        "stream disconnected before completion",
        // 401, 403, 404...: the provider refused the request itself.
        "unexpected status ",
    ];
    if PREFIXES.iter().any(|p| message.starts_with(p)) || message == QUOTA_MESSAGE {
        return true;
    }
    let reconnect_reason = format!("({message})");
    events.iter().any(|e| {
        e["type"] == "error"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Reconnecting...") && m.ends_with(&reconnect_reason))
    })
}

/// Turns a failed row whose turn ended in an infrastructure failure into an `error` row with
/// the reason. A row whose expectations all held (a scenario that expects the failure) stays.
pub fn reclassify(line: &mut ResultLine, turn_error: Option<&str>, events: &[Value]) {
    let Some(message) = turn_error else { return };
    if line.status == Status::Fail && is_infrastructure(message, events) {
        line.status = Status::Error;
        line.error = Some(format!("infrastructure: {message}"));
    }
}

/// Whether `--retry-errors` runs this row again.
pub fn retryable(line: &ResultLine) -> bool {
    line.status == Status::Error
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn provider_and_network_failures_are_infrastructure() {
        for m in [
            "exceeded retry limit, last status: 500 Internal Server Error",
            "exceeded retry limit, last status: 429 Too Many Requests, request id: r1",
            "error sending request: connection refused",
            "stream disconnected before completion: idle timeout waiting for SSE",
            "unexpected status 401 Unauthorized: bad key",
            QUOTA_MESSAGE,
        ] {
            assert!(is_infrastructure(m, &[]), "{m}");
        }
    }

    #[test]
    fn model_failures_are_not() {
        let context = rcodex_core::session::retry::CONTEXT_WINDOW_MESSAGE;
        assert!(!is_infrastructure(context, &[]));
        assert!(!is_infrastructure(
            "rcodex mock: no scripted reply for request 3",
            &[]
        ));
    }

    #[test]
    fn a_response_failed_that_kept_coming_back_is_infrastructure() {
        let events = [
            json!({"type": "error", "message": "Reconnecting... 1/5 (The server had an error.)"}),
            json!({"type": "turn.failed", "error": {"message": "The server had an error."}}),
        ];
        assert!(is_infrastructure("The server had an error.", &events));
        assert!(!is_infrastructure("Something else.", &events));
    }
}
