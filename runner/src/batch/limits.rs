//! Per-scenario limits (`timeout_s`, `max_requests`, `max_tokens`). A run over a limit ends the
//! way Ctrl-C ends it: one future, resolved by the batch's stop, the deadline or a tripped meter,
//! is the turn's interrupt, so the core cancels what is in flight and closes the turn itself.
//! The meter also times the first output (`ttft_ms`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcodex_core::protocol::ResponseEvent;
use serde::Deserialize;
use tokio::sync::watch;

use super::expect::CheckOutcome;
use super::results::{ResultLine, Status};
use super::scenario::Scenario;

/// A limit a run went over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    Timeout,
    MaxRequests,
    MaxTokens,
}

impl Limit {
    /// The scenario field that sets it.
    pub fn field(self) -> &'static str {
        match self {
            Limit::Timeout => "timeout_s",
            Limit::MaxRequests => "max_requests",
            Limit::MaxTokens => "max_tokens",
        }
    }
}

/// Why a run's interrupt fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The batch is stopping (Ctrl-C): the run is not recorded.
    Stop,
    Limit(Limit),
}

/// `timeout_s`: a number of seconds above zero (`0.5` and `30` both work).
pub fn positive_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let secs = f64::deserialize(d)?;
    if secs.is_finite() && secs > 0.0 {
        Ok(Some(secs))
    } else {
        Err(serde::de::Error::custom(format!(
            "must be a number of seconds above 0, got {secs}"
        )))
    }
}

/// Counts one run's requests and tokens against its scenario's limits and notes when the first
/// output arrived. Fed by the driver's observers; trips the run's [`Guard`].
pub struct Meter {
    max_requests: Option<usize>,
    max_tokens: Option<u64>,
    requests: usize,
    tokens: u64,
    first_request: Option<Instant>,
    ttft_ms: Option<u64>,
    trip: watch::Sender<Option<Limit>>,
}

impl Meter {
    /// A request is being sent.
    pub fn on_request(&mut self) {
        self.requests += 1;
        self.first_request.get_or_insert_with(Instant::now);
        if self.max_requests.is_some_and(|max| self.requests > max) {
            self.trip(Limit::MaxRequests);
        }
    }

    /// A stream event arrived: the first output starts the clock's stop; usage is counted.
    pub fn on_model_event(&mut self, event: &ResponseEvent) {
        let output = matches!(
            event,
            ResponseEvent::OutputItemAdded { .. }
                | ResponseEvent::OutputItemDone { .. }
                | ResponseEvent::OutputTextDelta { .. }
                | ResponseEvent::ReasoningSummaryDelta { .. }
                | ResponseEvent::ReasoningTextDelta { .. }
        );
        if output && self.ttft_ms.is_none() {
            if let Some(sent) = self.first_request {
                self.ttft_ms = Some(sent.elapsed().as_millis() as u64);
            }
        }
        if let ResponseEvent::Completed { usage: Some(u), .. } = event {
            self.tokens += u.input_tokens + u.output_tokens;
            if self.max_tokens.is_some_and(|max| self.tokens > max) {
                self.trip(Limit::MaxTokens);
            }
        }
    }

    /// Milliseconds from the first request to the first output item or delta.
    pub fn ttft_ms(&self) -> Option<u64> {
        self.ttft_ms
    }

    fn trip(&self, limit: Limit) {
        self.trip.send_if_modified(|hit| {
            let first = hit.is_none();
            if first {
                *hit = Some(limit);
            }
            first
        });
    }
}

/// Locks a shared meter (a panic elsewhere cannot leave it half-updated: it only counts).
pub fn lock(meter: &Mutex<Meter>) -> std::sync::MutexGuard<'_, Meter> {
    meter.lock().unwrap_or_else(|e| e.into_inner())
}

/// The interrupt of every turn of one run, and what made it fire.
pub struct Guard<'a> {
    future: Pin<Box<dyn Future<Output = ()> + Send + 'a>>,
    cause: Arc<Mutex<Option<Cause>>>,
    /// Once fired it stays fired: a later turn is interrupted at once, never polled twice.
    fired: bool,
}

impl Future for Guard<'_> {
    type Output = ();
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        if self.fired {
            return std::task::Poll::Ready(());
        }
        let poll = self.future.as_mut().poll(cx);
        self.fired = poll.is_ready();
        poll
    }
}

impl Guard<'_> {
    /// What fired, if anything has.
    pub fn cause(&self) -> Option<Cause> {
        *self.cause.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A meter and a guard for one run of `s`; the deadline starts now. `stop` is the batch's stop.
pub fn start<'a>(
    s: &Scenario,
    stop: &'a mut (dyn Future<Output = ()> + Send + Unpin),
) -> (Meter, Guard<'a>) {
    let (trip, mut tripped) = watch::channel(None);
    let meter = Meter {
        max_requests: s.max_requests.map(|n| n.get()),
        max_tokens: s.max_tokens.map(|n| n.get()),
        requests: 0,
        tokens: 0,
        first_request: None,
        ttft_ms: None,
        trip,
    };
    let deadline = s
        .timeout_s
        .map(|secs| tokio::time::Instant::now() + Duration::from_secs_f64(secs));
    let cause = Arc::new(Mutex::new(None));
    let set = cause.clone();
    let future = Box::pin(async move {
        let fired = tokio::select! {
            _ = stop => Cause::Stop,
            _ = sleep_until(deadline) => Cause::Limit(Limit::Timeout),
            limit = tripped_limit(&mut tripped) => Cause::Limit(limit),
        };
        *set.lock().unwrap_or_else(|e| e.into_inner()) = Some(fired);
    });
    (
        meter,
        Guard {
            future,
            cause,
            fired: false,
        },
    )
}

/// The limit the meter tripped; never resolves once the meter is gone (the run is over).
async fn tripped_limit(tripped: &mut watch::Receiver<Option<Limit>>) -> Limit {
    let hit = tripped
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|h| *h);
    match hit {
        Some(limit) => limit,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Marks `line` as stopped by `limit`: `timeout` for the deadline, `fail` (with a failed check
/// named after the field) for a request or token limit: the agent used more than it was allowed.
pub fn mark(line: &mut ResultLine, s: &Scenario, limit: Limit) {
    let detail = match limit {
        Limit::Timeout => format!(
            "the run took longer than timeout_s = {}; its turn was interrupted",
            s.timeout_s.unwrap_or_default()
        ),
        Limit::MaxRequests => format!(
            "the run started more than max_requests = {} model requests; its turn was interrupted",
            s.max_requests.map_or(0, |n| n.get())
        ),
        Limit::MaxTokens => format!(
            "the run used more than max_tokens = {} tokens; its turn was interrupted",
            s.max_tokens.map_or(0, |n| n.get())
        ),
    };
    line.limit = Some(limit.field().to_string());
    match limit {
        Limit::Timeout => {
            line.status = Status::Timeout;
            line.error = Some(detail);
        }
        Limit::MaxRequests | Limit::MaxTokens => {
            line.status = Status::Fail;
            line.checks = vec![CheckOutcome {
                check: limit.field().to_string(),
                passed: false,
                detail,
                command: None,
            }];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(extra: &str) -> Scenario {
        super::super::scenario::parse_scenario(
            &format!("name = \"x\"\nprompt = \"p\"\n{extra}"),
            std::path::Path::new("s.toml"),
        )
        .unwrap()
    }

    fn completed(input: u64, output: u64) -> ResponseEvent {
        ResponseEvent::Completed {
            response_id: "r".into(),
            usage: Some(rcodex_core::protocol::TokenUsage {
                input_tokens: input,
                output_tokens: output,
                ..Default::default()
            }),
            end_turn: None,
        }
    }

    #[tokio::test]
    async fn the_meter_trips_the_guard_on_the_first_limit_passed() {
        let s = scenario("max_requests = 2\nmax_tokens = 100\n");
        let mut stop = std::pin::pin!(std::future::pending::<()>());
        let (mut meter, mut guard) = start(&s, &mut stop);
        meter.on_request();
        meter.on_model_event(&completed(50, 10));
        meter.on_request();
        let polled = futures_util::poll!(&mut guard);
        assert!(polled.is_pending());
        meter.on_model_event(&completed(30, 20));
        meter.on_request();
        (&mut guard).await;
        assert_eq!(guard.cause(), Some(Cause::Limit(Limit::MaxTokens)));
        // Fired stays fired, with the first cause.
        (&mut guard).await;
        assert_eq!(guard.cause(), Some(Cause::Limit(Limit::MaxTokens)));
    }

    #[tokio::test]
    async fn the_deadline_or_the_stop_fires_the_guard() {
        let s = scenario("timeout_s = 0.05\n");
        let mut stop = std::pin::pin!(std::future::pending::<()>());
        let (_meter, mut guard) = start(&s, &mut stop);
        let started = tokio::time::Instant::now();
        (&mut guard).await;
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(guard.cause(), Some(Cause::Limit(Limit::Timeout)));

        let s = scenario("");
        let mut stop = std::pin::pin!(async {});
        let (_meter, mut guard) = start(&s, &mut stop);
        (&mut guard).await;
        assert_eq!(guard.cause(), Some(Cause::Stop));
    }

    #[test]
    fn time_to_first_token_runs_from_the_first_request_to_the_first_output() {
        let s = scenario("");
        let mut stop = std::pin::pin!(std::future::pending::<()>());
        let (mut meter, _guard) = start(&s, &mut stop);
        meter.on_model_event(&ResponseEvent::OutputTextDelta {
            item_id: "i".into(),
            delta: "before any request".into(),
        });
        assert_eq!(meter.ttft_ms(), None);
        meter.on_request();
        meter.on_model_event(&ResponseEvent::Created {
            response_id: "r".into(),
        });
        assert_eq!(meter.ttft_ms(), None, "created is not output");
        std::thread::sleep(Duration::from_millis(20));
        meter.on_model_event(&ResponseEvent::OutputTextDelta {
            item_id: "i".into(),
            delta: "a".into(),
        });
        assert!(meter.ttft_ms().unwrap() >= 20);
    }
}
