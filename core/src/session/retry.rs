//! Retry policy: which failures are retried, how often, after how long, and the messages Codex
//! prints. The runner only sleeps when this says so (via `Effect::SetTimer`).

use super::input::ModelError;
use crate::protocol::ResponseEventError;

/// Provider retry limits and the backoff base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// HTTP-level retries (5xx, transport) of one sampling request. Codex: 4.
    pub request_max_retries: u32,
    /// Stream-level retries ("Reconnecting... n/N"). Codex: 5.
    pub stream_max_retries: u32,
    /// First backoff delay in milliseconds; attempt n waits `base × 2^(n−1)` with jitter. Codex:
    /// 200.
    pub base_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            request_max_retries: 4,
            stream_max_retries: 5,
            base_delay_ms: 200,
        }
    }
}

impl RetryPolicy {
    /// Spends one retry of the kind `disposition` calls for, or gives up when that kind is
    /// spent. `jitter` (a number in `[0, 1)`) is drawn only when the server named no delay, so
    /// the id source is consumed exactly as often as backoff is computed.
    pub fn decide(
        &self,
        count: &mut RetryCount,
        disposition: Disposition,
        failure: Option<&ModelError>,
        jitter: impl FnOnce() -> f64,
    ) -> RetryDecision {
        match disposition {
            Disposition::Fatal(error) => RetryDecision::GiveUp(error),
            Disposition::RetryRequest { delay_ms } => {
                if count.request >= self.request_max_retries {
                    let last = failure.unwrap_or(&ModelError::StreamClosed);
                    return RetryDecision::GiveUp(request_retries_exhausted(last));
                }
                count.request += 1;
                RetryDecision::Retry {
                    delay_ms: delay_ms.unwrap_or_else(|| self.backoff_ms(count.request, jitter())),
                    notice: None,
                }
            }
            Disposition::RetryStream { delay_ms, reason } => {
                if count.stream >= self.stream_max_retries {
                    return RetryDecision::GiveUp(TurnError {
                        message: reason,
                        info: ErrorInfo::Other,
                    });
                }
                count.stream += 1;
                let n = count.stream;
                let notice = format!("Reconnecting... {n}/{} ({reason})", self.stream_max_retries);
                RetryDecision::Retry {
                    delay_ms: delay_ms.unwrap_or_else(|| self.backoff_ms(n, jitter())),
                    notice: Some(notice),
                }
            }
        }
    }

    /// `base × 2^(attempt−1)`, scaled by a jitter in `[0.9, 1.1)` from `unit ∈ [0, 1)`.
    pub fn backoff_ms(&self, attempt: u32, unit: f64) -> u64 {
        let exp = 1u64 << attempt.saturating_sub(1).min(20);
        let jitter = 0.9 + 0.2 * unit;
        (self.base_delay_ms as f64 * exp as f64 * jitter).round() as u64
    }
}

/// What to do about one failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Retry silently at the HTTP level; `delay_ms` overrides backoff when the server said.
    RetryRequest {
        /// The server's `Retry-After`, in milliseconds; `None` means backoff.
        delay_ms: Option<u64>,
    },
    /// Retry the stream with a "Reconnecting..." notice.
    RetryStream {
        /// The delay the server asked for, in milliseconds; `None` means backoff.
        delay_ms: Option<u64>,
        /// What went wrong, shown in the notice and, once retries run out, as the error.
        reason: String,
    },
    /// End the turn with this error.
    Fatal(TurnError),
}

/// Why a turn failed: the message users see and Codex's `codex_error_info`. Sticky: once a turn
/// fails with it, the session answers every later input with the same error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TurnError {
    /// What the user sees (stderr, `turn.failed`, `task_complete.error.message`).
    pub message: String,
    /// The class recorded as `codex_error_info`.
    pub info: ErrorInfo,
}

/// Retries spent on the current sampling request; a completed response resets them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryCount {
    /// HTTP-level retries spent, against `request_max_retries`.
    pub request: u32,
    /// Stream-level retries spent, against `stream_max_retries`.
    pub stream: u32,
}

/// What one failure leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Sample again after `delay_ms`, telling the user `notice` first if there is one.
    Retry {
        /// How long to wait before the next request, in milliseconds (the runner's timer).
        delay_ms: u64,
        /// The "Reconnecting... n/N (reason)" line for the error stream; `None` for a silent retry.
        notice: Option<String>,
    },
    /// Stop retrying: the turn fails with this error.
    GiveUp(TurnError),
}

/// Codex's `codex_error_info` for a failed `task_complete`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorInfo {
    /// `internal_server_error`: HTTP 5xx answers after request retries ran out.
    InternalServerError,
    /// `context_window_exceeded`: the request did not fit the model's context window.
    ContextWindowExceeded,
    /// `usage_limit_exceeded`: the account's quota is spent.
    UsageLimitExceeded,
    /// `other`: any other failure.
    Other,
}

impl ErrorInfo {
    /// The snake_case string Codex records.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorInfo::InternalServerError => "internal_server_error",
            ErrorInfo::ContextWindowExceeded => "context_window_exceeded",
            ErrorInfo::UsageLimitExceeded => "usage_limit_exceeded",
            ErrorInfo::Other => "other",
        }
    }
}

/// What the user sees when the model's context window is exceeded (Codex's message).
pub const CONTEXT_WINDOW_MESSAGE: &str = "Codex ran out of room in the model's context window. \
Start a new thread or clear earlier history before retrying.";
/// What the user sees when a ChatGPT plan's usage limit is reached (`usage_limit_reached`):
/// rcodex's words (Codex adds an upgrade link for the plan).
pub const USAGE_LIMIT_MESSAGE: &str = "You've hit your usage limit. Try again later.";

/// What the user sees when the quota is spent (`insufficient_quota`; Codex's message).
pub const QUOTA_MESSAGE: &str = "Quota exceeded. Check your plan and billing details.";

fn fatal(message: impl Into<String>, info: ErrorInfo) -> Disposition {
    Disposition::Fatal(TurnError {
        message: message.into(),
        info,
    })
}

/// Classifies a failed request.
pub fn classify_model_error(err: &ModelError) -> Disposition {
    match err {
        ModelError::Http {
            status,
            body,
            retry_after_ms,
            request_id,
        } => classify_http(*status, body, *retry_after_ms, request_id.as_deref()),
        ModelError::Transport(_) => Disposition::RetryRequest { delay_ms: None },
        ModelError::StreamClosed => Disposition::RetryStream {
            delay_ms: None,
            reason:
                "stream disconnected before completion: stream closed before response.completed"
                    .into(),
        },
        ModelError::IdleTimeout => Disposition::RetryStream {
            delay_ms: None,
            reason: "stream disconnected before completion: idle timeout waiting for SSE".into(),
        },
        ModelError::Stream(msg) => Disposition::RetryStream {
            delay_ms: None,
            reason: format!("stream disconnected before completion: {msg}"),
        },
    }
}

fn classify_http(
    status: u16,
    body: &str,
    retry_after_ms: Option<u64>,
    request_id: Option<&str>,
) -> Disposition {
    let exceeded = || {
        let mut m = format!(
            "exceeded retry limit, last status: {status} {}",
            reason_phrase(status)
        );
        if let Some(id) = request_id {
            m.push_str(&format!(", request id: {id}"));
        }
        m
    };
    match status {
        429 if body.contains("insufficient_quota") => {
            fatal(QUOTA_MESSAGE, ErrorInfo::UsageLimitExceeded)
        }
        // Codex 0.169: no retry, `codex_error_info: "usage_limit_exceeded"` (captured).
        429 if body.contains("usage_limit_reached") => {
            fatal(USAGE_LIMIT_MESSAGE, ErrorInfo::UsageLimitExceeded)
        }
        429 => match retry_after_ms.or_else(|| try_again_in_ms(body)) {
            Some(ms) => Disposition::RetryStream {
                delay_ms: Some(ms),
                reason: format!("{status} {}", reason_phrase(status)),
            },
            None => fatal(exceeded(), ErrorInfo::Other),
        },
        500..=599 => Disposition::RetryRequest {
            delay_ms: retry_after_ms,
        },
        400 if body.contains("context_length_exceeded") => {
            fatal(CONTEXT_WINDOW_MESSAGE, ErrorInfo::ContextWindowExceeded)
        }
        400 => fatal(body.to_string(), ErrorInfo::Other),
        _ => fatal(
            format!(
                "unexpected status {status} {}: {body}",
                reason_phrase(status)
            ),
            ErrorInfo::Other,
        ),
    }
}

/// The error when HTTP-level retries ran out.
fn request_retries_exhausted(err: &ModelError) -> TurnError {
    match err {
        ModelError::Http {
            status, request_id, ..
        } => {
            let mut m = format!(
                "exceeded retry limit, last status: {status} {}",
                reason_phrase(*status)
            );
            if let Some(id) = request_id {
                m.push_str(&format!(", request id: {id}"));
            }
            let info = if *status >= 500 {
                ErrorInfo::InternalServerError
            } else {
                ErrorInfo::Other
            };
            TurnError { message: m, info }
        }
        ModelError::Transport(msg) => TurnError {
            message: format!("error sending request: {msg}"),
            info: ErrorInfo::Other,
        },
        other => TurnError {
            message: format!("{other:?}"),
            info: ErrorInfo::Other,
        },
    }
}

/// Classifies a `response.failed` event.
pub fn classify_failed(error: &ResponseEventError) -> Disposition {
    let message = error
        .message
        .clone()
        .unwrap_or_else(|| "response failed".into());
    match error.code.as_deref() {
        Some("context_length_exceeded") => {
            fatal(CONTEXT_WINDOW_MESSAGE, ErrorInfo::ContextWindowExceeded)
        }
        Some("insufficient_quota") => fatal(QUOTA_MESSAGE, ErrorInfo::UsageLimitExceeded),
        Some("invalid_prompt") => fatal(message, ErrorInfo::Other),
        Some("rate_limit_exceeded") => Disposition::RetryStream {
            delay_ms: try_again_in_ms(&message),
            reason: message,
        },
        _ => Disposition::RetryStream {
            delay_ms: None,
            reason: message,
        },
    }
}

/// Parses "try again in 1.2s" / "try again in 350ms" (case-insensitive) into milliseconds.
pub fn try_again_in_ms(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("try again in ")? + "try again in ".len();
    let rest = &lower[at..];
    let num_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let value: f64 = rest[..num_len].parse().ok()?;
    let unit = rest[num_len..].trim_start();
    let ms = if unit.starts_with("ms") {
        value
    } else if unit.starts_with('s') {
        value * 1000.0
    } else {
        return None;
    };
    Some(ms.round() as u64)
}

/// The reason phrase of the statuses a model server sends.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ms(1, 0.5), 200);
        assert_eq!(p.backoff_ms(3, 0.5), 800);
        assert!((180..=220).contains(&p.backoff_ms(1, 0.0)));
        assert!((180..=220).contains(&p.backoff_ms(1, 0.999)));
    }

    #[test]
    fn decide_counts_each_kind_of_retry_to_its_limit() {
        let p = RetryPolicy {
            request_max_retries: 2,
            stream_max_retries: 1,
            base_delay_ms: 100,
        };
        let mut count = RetryCount::default();
        let http = ModelError::Http {
            status: 502,
            body: String::new(),
            retry_after_ms: None,
            request_id: None,
        };
        let request = || Disposition::RetryRequest { delay_ms: None };
        let stream = || Disposition::RetryStream {
            delay_ms: None,
            reason: "cut".into(),
        };
        let retry = |delay_ms, notice: Option<&str>| RetryDecision::Retry {
            delay_ms,
            notice: notice.map(String::from),
        };
        assert_eq!(
            p.decide(&mut count, request(), Some(&http), || 0.5),
            retry(100, None)
        );
        assert_eq!(
            p.decide(&mut count, request(), Some(&http), || 0.5),
            retry(200, None)
        );
        assert_eq!(
            p.decide(&mut count, request(), Some(&http), || 0.5),
            RetryDecision::GiveUp(TurnError {
                message: "exceeded retry limit, last status: 502 Bad Gateway".into(),
                info: ErrorInfo::InternalServerError,
            })
        );
        // Stream retries have their own budget and say so.
        assert_eq!(
            p.decide(&mut count, stream(), None, || 0.5),
            retry(100, Some("Reconnecting... 1/1 (cut)"))
        );
        assert_eq!(
            p.decide(&mut count, stream(), None, || 0.5),
            RetryDecision::GiveUp(TurnError {
                message: "cut".into(),
                info: ErrorInfo::Other,
            })
        );
        assert_eq!(
            count,
            RetryCount {
                request: 2,
                stream: 1
            }
        );
    }

    #[test]
    fn decide_takes_the_server_delay_without_drawing_jitter() {
        let p = RetryPolicy::default();
        let mut count = RetryCount::default();
        let said = Disposition::RetryStream {
            delay_ms: Some(1_000),
            reason: "429 Too Many Requests".into(),
        };
        let no_draw = || -> f64 { panic!("jitter drawn although the server named a delay") };
        assert_eq!(
            p.decide(&mut count, said, None, no_draw),
            RetryDecision::Retry {
                delay_ms: 1_000,
                notice: Some("Reconnecting... 1/5 (429 Too Many Requests)".into()),
            }
        );
        let fatal_error = TurnError {
            message: "no".into(),
            info: ErrorInfo::Other,
        };
        assert_eq!(
            p.decide(
                &mut count,
                Disposition::Fatal(fatal_error.clone()),
                None,
                no_draw
            ),
            RetryDecision::GiveUp(fatal_error)
        );
    }

    #[test]
    fn parses_try_again_hints() {
        assert_eq!(try_again_in_ms("Please try again in 1.2s."), Some(1200));
        assert_eq!(try_again_in_ms("Try again in 350ms"), Some(350));
        assert_eq!(try_again_in_ms("try again later"), None);
    }

    #[test]
    fn classifies_the_fault_table() {
        let http = |status, body: &str, ra| ModelError::Http {
            status,
            body: body.into(),
            retry_after_ms: ra,
            request_id: Some("mockreq-1".into()),
        };
        assert!(matches!(
            classify_model_error(&http(500, "", None)),
            Disposition::RetryRequest { .. }
        ));
        assert!(matches!(
            classify_model_error(&http(429, "", Some(1000))),
            Disposition::RetryStream {
                delay_ms: Some(1000),
                ..
            }
        ));
        assert_eq!(
            classify_model_error(&http(429, "slow down", None)),
            fatal(
                "exceeded retry limit, last status: 429 Too Many Requests, request id: mockreq-1",
                ErrorInfo::Other
            )
        );
        assert!(matches!(
            classify_model_error(&http(429, "try again in 1.5s", None)),
            Disposition::RetryStream {
                delay_ms: Some(1500),
                ..
            }
        ));
        assert_eq!(
            classify_model_error(&http(
                429,
                r#"{"error":{"type":"insufficient_quota"}}"#,
                None
            )),
            fatal(QUOTA_MESSAGE, ErrorInfo::UsageLimitExceeded)
        );
        assert_eq!(
            classify_model_error(&http(400, "bad body", None)),
            fatal("bad body", ErrorInfo::Other)
        );
        let failed = |code: &str, msg: &str| ResponseEventError {
            code: Some(code.into()),
            message: Some(msg.into()),
        };
        assert_eq!(
            classify_failed(&failed("context_length_exceeded", "x")),
            fatal(CONTEXT_WINDOW_MESSAGE, ErrorInfo::ContextWindowExceeded)
        );
        assert!(matches!(
            classify_failed(&failed("rate_limit_exceeded", "Please try again in 1.2s")),
            Disposition::RetryStream {
                delay_ms: Some(1200),
                ..
            }
        ));
        assert!(matches!(
            classify_failed(&failed("server_error", "oops")),
            Disposition::RetryStream { delay_ms: None, .. }
        ));
    }
}
