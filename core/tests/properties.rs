//! Property tests of the turn machine: random interleavings of model events (with calls to
//! advertised and unadvertised tools), out-of-order tool results, every kind of failure, timers,
//! interrupts, steers and stale inputs, checked against the loop's invariants — every call answered
//! once and in call order, exclusive tools alone, retries within their limits and waiting as long
//! as the server said (or the backoff), nothing but records while idle — and replayed twice to
//! prove the effects are a pure function of the inputs and the seed. The scripted counterpart is
//! `turn_loop.rs`; both use `harness/`.

mod harness;

use harness::*;
use proptest::prelude::*;
use rcodex_core::protocol::{ResponseEvent, ResponseEventError, ThreadEvent};
use rcodex_core::session::{
    Effect, Input, ModelError, RetryPolicy, Session, SessionError, ToolOutput, TurnStatus, UserTurn,
};
use rcodex_core::sim::ReplyBuilder;
use serde::Deserialize;
use serde_json::{json, Value};

/// Names the model may call: advertised ones and ones it made up.
const NAMES: &[&str] = &[
    "exec_command",
    "exec_command",
    "write_stdin",
    "update_plan",
    "apply_patch",
    "shell",
    "browser",
];

#[derive(Clone, Debug)]
enum ItemPlan {
    Message(String),
    Reasoning,
    Call {
        name: usize,
        custom: bool,
        valid_args: bool,
    },
}

/// What the retry table says about one failure (written out per fault below, not derived).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Retry {
    /// The turn fails at once.
    Fatal,
    /// Retried after the backoff, unless its retry budget is spent.
    Backoff,
    /// Retried after exactly the delay the server asked for, unless its budget is spent.
    After(u64),
}

/// How a response ends.
#[derive(Clone, Debug)]
enum EndPlan {
    Completed(Option<bool>),
    /// `response.failed` with this code.
    Failed {
        code: &'static str,
        retry: Retry,
    },
    Incomplete,
    /// The stream breaks after its events.
    Cut(ModelError),
    /// Fails before any event.
    Refused {
        error: ModelError,
        retry: Retry,
    },
}

#[derive(Clone, Debug)]
struct ReplyPlan {
    items: Vec<ItemPlan>,
    end: EndPlan,
}

#[derive(Clone, Debug)]
enum Action {
    Submit,
    /// Deliver the next `n` events of the live stream.
    Stream(usize),
    /// Finish the `i % running`-th running call.
    ToolDone(usize, bool),
    Timer,
    Interrupt,
    Steer,
    /// An event of a superseded or cancelled request, a result nobody asked for, a stale timer.
    Stale,
}

fn item_plan() -> impl Strategy<Value = ItemPlan> {
    prop_oneof![
        2 => "[a-z ]{0,12}".prop_map(ItemPlan::Message),
        1 => Just(ItemPlan::Reasoning),
        4 => (0..NAMES.len(), any::<bool>(), prop::bool::weighted(0.85))
            .prop_map(|(name, custom, valid_args)| ItemPlan::Call { name, custom, valid_args }),
    ]
}

fn http(status: u16, body: &str, retry_after_ms: Option<u64>) -> ModelError {
    ModelError::Http {
        status,
        body: body.into(),
        retry_after_ms,
        request_id: Some("req-1".into()),
    }
}

fn refused(error: ModelError, retry: Retry) -> EndPlan {
    EndPlan::Refused { error, retry }
}

/// The message of every `response.failed`: only a rate limit's hint is honoured.
const FAILED_MESSAGE: &str = "failed; try again in 0.5s";

fn end_plan() -> impl Strategy<Value = EndPlan> {
    use Retry::{After, Backoff, Fatal};
    let failed = |code, retry| EndPlan::Failed { code, retry };
    prop_oneof![
        12 => prop_oneof![Just(None), Just(Some(true)), Just(Some(false))].prop_map(EndPlan::Completed),
        2 => prop_oneof![
            Just(failed("server_error", Backoff)),
            Just(failed("rate_limit_exceeded", After(500))),
            Just(failed("context_length_exceeded", Fatal)),
            Just(failed("insufficient_quota", Fatal)),
        ],
        1 => Just(EndPlan::Incomplete),
        2 => prop_oneof![
            Just(ModelError::StreamClosed),
            Just(ModelError::IdleTimeout),
            Just(ModelError::Stream("reset".into())),
        ].prop_map(EndPlan::Cut),
        3 => prop_oneof![
            Just(refused(http(500, "", None), Backoff)),
            Just(refused(http(502, "", Some(40)), After(40))),
            Just(refused(http(429, "", Some(1000)), After(1000))),
            Just(refused(http(429, "please try again in 0.3s", None), After(300))),
            Just(refused(http(429, "", None), Fatal)),
            Just(refused(http(429, r#"{"error":{"type":"insufficient_quota"}}"#, None), Fatal)),
            Just(refused(http(400, "bad", None), Fatal)),
            Just(refused(ModelError::Transport("refused".into()), Backoff)),
            Just(refused(ModelError::StreamClosed, Backoff)),
            Just(refused(ModelError::IdleTimeout, Backoff)),
        ],
    ]
}

fn reply_plan() -> impl Strategy<Value = ReplyPlan> {
    (prop::collection::vec(item_plan(), 0..5), end_plan())
        .prop_map(|(items, end)| ReplyPlan { items, end })
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => Just(Action::Submit),
        10 => (1usize..6).prop_map(Action::Stream),
        5 => (any::<usize>(), prop::bool::weighted(0.8)).prop_map(|(i, ok)| Action::ToolDone(i, ok)),
        3 => Just(Action::Timer),
        1 => Just(Action::Interrupt),
        1 => Just(Action::Steer),
        1 => Just(Action::Stale),
    ]
}

/// One request the model is answering: what it still has to stream.
struct LiveRequest {
    id: u64,
    events: Vec<ResponseEvent>,
    /// The failure after the events, if the reply ends in one.
    fail: Option<ModelError>,
    /// What the retry table says about how this reply ends (`None`: it completes).
    retry: Option<Retry>,
}

/// The request one plan makes, with fresh call ids.
fn live_request(id: u64, plan: &ReplyPlan, n: usize, calls: &mut usize) -> LiveRequest {
    let request = |events, fail, retry| LiveRequest {
        id,
        events,
        fail,
        retry,
    };
    if let EndPlan::Refused { error, retry } = &plan.end {
        return request(Vec::new(), Some(error.clone()), Some(*retry));
    }
    let mut b = ReplyBuilder::new(n);
    for item in &plan.items {
        b = match item {
            ItemPlan::Message(text) => b.message(text),
            ItemPlan::Reasoning => b.reasoning("thinking"),
            ItemPlan::Call {
                name,
                custom,
                valid_args,
            } => {
                *calls += 1;
                let id = format!("call_{calls}");
                let name = NAMES[*name];
                let patch = "*** Begin Patch\n*** Add File: a.txt\n+x\n*** End Patch";
                match (custom, valid_args) {
                    (true, _) => b.custom_call(&id, name, patch),
                    (false, true) => b.function_call(&id, name, r#"{"cmd":"true","plan":[]}"#),
                    (false, false) => b.function_call(&id, name, "{oops"),
                }
            }
        };
    }
    let mut events = b.into_events();
    let rid = format!("resp_{n}");
    let retry = match &plan.end {
        EndPlan::Completed(end_turn) => {
            events.push(ResponseEvent::Completed {
                response_id: rid,
                usage: None,
                end_turn: *end_turn,
            });
            None
        }
        EndPlan::Failed { code, retry } => {
            events.push(ResponseEvent::Failed {
                response_id: rid,
                error: ResponseEventError {
                    code: Some(code.to_string()),
                    message: Some(FAILED_MESSAGE.into()),
                },
            });
            Some(*retry)
        }
        EndPlan::Incomplete => {
            events.push(ResponseEvent::Incomplete {
                response_id: rid,
                reason: "max_output_tokens".into(),
            });
            Some(Retry::Fatal)
        }
        EndPlan::Cut(err) => return request(events, Some(err.clone()), Some(Retry::Backoff)),
        EndPlan::Refused { .. } => unreachable!("handled above"),
    };
    request(events, None, retry)
}

/// Drives one session through the actions, checking invariants on the way. Keeps every effect.
struct Driver {
    session: Session,
    now: u64,
    plans: Vec<ReplyPlan>,
    sent: usize,
    calls: usize,
    stream: Option<LiveRequest>,
    /// The last request sent.
    last_request: Option<u64>,
    /// How the reply about to end should be handled, for the effects its last input causes.
    ending: Option<Retry>,
    /// Requests the machine has moved past (superseded by a newer one, or cancelled), with an
    /// event they never delivered.
    dead_requests: Vec<(u64, ResponseEvent)>,
    running: Vec<String>,
    cancelled: Vec<String>,
    timer: Option<u64>,
    effects: Vec<Effect>,
    /// Where the running turn's effects start in `effects`.
    turn_start: usize,
    timeline: Vec<ToolStep>,
    /// No turn runs (after TurnDone, before the next Submit or Steer).
    idle: bool,
    fatal: bool,
    /// Retries within the current sampling step: (request-level, stream-level).
    retries: (u32, u32),
    policy: RetryPolicy,
}

impl Driver {
    fn new(seed: u64, plans: Vec<ReplyPlan>) -> Self {
        let cfg = config();
        let policy = cfg.retry;
        Driver {
            session: session_with(cfg, seed),
            now: START,
            plans,
            sent: 0,
            calls: 0,
            stream: None,
            last_request: None,
            ending: None,
            dead_requests: Vec::new(),
            running: Vec::new(),
            cancelled: Vec::new(),
            timer: None,
            effects: Vec::new(),
            turn_start: 0,
            timeline: Vec::new(),
            idle: true,
            fatal: false,
            retries: (0, 0),
            policy,
        }
    }

    fn feed(&mut self, input: Input) -> Result<(), TestCaseError> {
        self.now += 7;
        let ending = self.ending.take();
        let starts_turn = matches!(input, Input::Submit(_) | Input::Steer(_));
        let was_idle = self.session.is_idle();
        let tool_done = match &input {
            Input::ToolDone(id, _) => Some(id.clone()),
            _ => None,
        };
        // Only the live stream is fed through here, so a completion ends the sampling step.
        let completes_step = matches!(input, Input::Model(_, ResponseEvent::Completed { .. }));
        match self.session.handle(self.now, input.clone()) {
            Err(SessionError::Fatal(_)) => {
                prop_assert!(self.fatal, "Fatal without a failed turn");
                return Ok(());
            }
            Err(SessionError::Busy) => {
                prop_assert!(
                    !was_idle && matches!(input, Input::Submit(_)),
                    "Busy for {input:?}"
                );
                return Ok(());
            }
            Ok(()) => prop_assert!(!self.fatal, "input accepted after a fatal error"),
        }
        if let Some(id) = tool_done {
            self.timeline.push(ToolStep::Done { call_id: id });
        }
        if completes_step {
            self.retries = (0, 0);
        }
        if self.idle && was_idle && starts_turn {
            self.idle = false;
            self.retries = (0, 0);
            self.turn_start = self.effects.len();
        }
        let idle_before = self.idle;
        let mut produced = Vec::new();
        while let Some(e) = self.session.poll() {
            produced.push(e);
        }
        let mut done_seen = false;
        for (i, e) in produced.iter().enumerate() {
            if idle_before || done_seen {
                prop_assert!(
                    matches!(e, Effect::Record(_)),
                    "{e:?} while idle (input {input:?}, effect {i})"
                );
            }
            self.observe(e, i, &produced, ending)?;
            if matches!(e, Effect::TurnDone(_)) {
                done_seen = true;
            }
        }
        if let Some(retry) = ending {
            self.check_ending(retry, &produced)?;
        }
        self.effects.extend(produced);
        Ok(())
    }

    /// A failure is retried or ends the turn as the retry table says; a retryable one may end
    /// the turn only once its budget is spent.
    fn check_ending(&self, retry: Retry, produced: &[Effect]) -> Result<(), TestCaseError> {
        let retried = produced
            .iter()
            .any(|e| matches!(e, Effect::SetTimer { .. }));
        let failed = produced.iter().any(
            |e| matches!(e, Effect::TurnDone(o) if matches!(o.status, TurnStatus::Failed { .. })),
        );
        if retry == Retry::Fatal {
            prop_assert!(
                failed && !retried,
                "a fatal failure must end the turn at once"
            );
        } else if !retried {
            let spent = self.retries.0 >= self.policy.request_max_retries
                || self.retries.1 >= self.policy.stream_max_retries;
            prop_assert!(
                failed && spent,
                "a retryable failure ({:?}) was not retried though only {:?} (request, stream) retries were used",
                retry,
                self.retries
            );
        }
        Ok(())
    }

    /// Checks one effect of `all` (the effects of one input, which ends the reply as `ending`
    /// says, if it ends one).
    fn observe(
        &mut self,
        e: &Effect,
        i: usize,
        all: &[Effect],
        ending: Option<Retry>,
    ) -> Result<(), TestCaseError> {
        self.timeline.extend(tool_step(e));
        match e {
            Effect::SendRequest { request_id, .. } => {
                prop_assert!(self.stream.is_none(), "a second request while one is live");
                if let Some(last) = self.last_request.replace(*request_id) {
                    let stale = ResponseEvent::Created {
                        response_id: "stale".into(),
                    };
                    self.dead_requests.push((last, stale));
                }
                let plan = self.plans[self.sent % self.plans.len()].clone();
                self.sent += 1;
                self.stream = Some(live_request(*request_id, &plan, self.sent, &mut self.calls));
                self.timer = None;
            }
            Effect::RunTool { call, .. } => self.running.push(call.call_id.clone()),
            Effect::CancelTool { call_id } => {
                prop_assert!(
                    self.running.contains(call_id),
                    "cancelled {} which is not running",
                    call_id
                );
                self.running.retain(|c| c != call_id);
                self.cancelled.push(call_id.clone());
            }
            Effect::CancelRequest { request_id } => {
                let live = self.stream.as_ref().map(|s| s.id);
                prop_assert_eq!(
                    live,
                    Some(*request_id),
                    "cancelled a request that is not live"
                );
                if let Some(mut old) = self.stream.take() {
                    if !old.events.is_empty() {
                        self.dead_requests.push((old.id, old.events.remove(0)));
                    }
                }
            }
            Effect::SetTimer { id, at_ms } => {
                let notice = i > 0
                    && matches!(&all[i - 1], Effect::Emit(ThreadEvent::Error { message })
                        if message.starts_with("Reconnecting... "));
                let retry = if notice {
                    self.retries.1 += 1;
                    prop_assert!(self.retries.1 <= self.policy.stream_max_retries);
                    let want = format!(
                        "Reconnecting... {}/{}",
                        self.retries.1, self.policy.stream_max_retries
                    );
                    let Effect::Emit(ThreadEvent::Error { message }) = &all[i - 1] else {
                        unreachable!()
                    };
                    prop_assert!(message.starts_with(&want), "{} vs {}", message, want);
                    self.retries.1
                } else {
                    self.retries.0 += 1;
                    prop_assert!(self.retries.0 <= self.policy.request_max_retries);
                    self.retries.0
                };
                let Some(delay) = at_ms.checked_sub(self.now) else {
                    return Err(TestCaseError::fail(format!(
                        "timer set in the past: {at_ms} < {}",
                        self.now
                    )));
                };
                match ending {
                    Some(Retry::After(hint)) => prop_assert_eq!(
                        delay,
                        hint,
                        "retry {} must wait what the server asked",
                        retry
                    ),
                    Some(Retry::Backoff) => {
                        let range = backoff_range(self.policy.base_delay_ms, retry);
                        prop_assert!(
                            range.contains(&delay),
                            "retry {} waited {} ms without a server hint, outside the backoff {:?}",
                            retry,
                            delay,
                            range
                        );
                    }
                    other => {
                        return Err(TestCaseError::fail(format!(
                            "a timer after an input that ends no reply as retryable: {other:?}"
                        )))
                    }
                }
                self.timer = Some(*id);
                self.stream = None;
            }
            Effect::TurnDone(outcome) => {
                prop_assert!(
                    self.running.is_empty(),
                    "calls left running: {:?}",
                    self.running
                );
                prop_assert_eq!(i, all.len() - 1, "TurnDone is the last effect of its input");
                // This turn's recorded calls are all answered, in call order.
                let mut turn = self.effects[self.turn_start..].to_vec();
                turn.extend_from_slice(&all[..=i]);
                check_call_pairs(&recorded_items(&turn)).map_err(TestCaseError::fail)?;
                self.fatal = matches!(outcome.status, TurnStatus::Failed { .. });
                self.idle = true;
                self.stream = None;
                self.timer = None;
            }
            Effect::Record(_) | Effect::Emit(_) => {}
        }
        Ok(())
    }

    fn act(&mut self, action: &Action) -> Result<(), TestCaseError> {
        match action {
            Action::Submit => self.feed(Input::Submit(UserTurn::text("do it")))?,
            Action::Stream(n) => {
                for _ in 0..*n {
                    let Some(live) = self.stream.as_mut() else {
                        break;
                    };
                    let id = live.id;
                    let ending = live.retry;
                    let input = if !live.events.is_empty() {
                        Input::Model(id, live.events.remove(0))
                    } else if let Some(err) = live.fail.take() {
                        Input::ModelFailed(id, err)
                    } else {
                        self.stream = None;
                        break;
                    };
                    // The last event or the failure ends the request.
                    if live.events.is_empty() && live.fail.is_none() {
                        self.stream = None;
                        self.ending = ending;
                    }
                    self.feed(input)?;
                }
            }
            Action::ToolDone(i, ok) => {
                if !self.running.is_empty() {
                    let id = self.running.remove(i % self.running.len());
                    let output = ToolOutput::text(format!("{id} finished"), *ok);
                    self.feed(Input::ToolDone(id, output))?;
                }
            }
            Action::Timer => match self.timer.take() {
                Some(id) => self.feed(Input::Timer(id))?,
                None => self.stale(Input::Timer(u64::MAX))?,
            },
            Action::Interrupt => self.feed(Input::Interrupt)?,
            Action::Steer => self.feed(Input::Steer("and also this".into()))?,
            Action::Stale => {
                if let Some((id, ev)) = self.dead_requests.pop() {
                    self.stale(Input::Model(id, ev))?;
                    self.stale(Input::ModelFailed(id, ModelError::StreamClosed))?;
                }
                self.stale(Input::ToolDone(
                    "call_unknown".into(),
                    ToolOutput::text("?", true),
                ))?;
                if let Some(id) = self.cancelled.pop() {
                    self.stale(Input::ToolDone(id, ToolOutput::text("late", true)))?;
                }
            }
        }
        Ok(())
    }

    /// An input that must change nothing.
    fn stale(&mut self, input: Input) -> Result<(), TestCaseError> {
        let before = self.session.history().len();
        match self.session.handle(self.now, input.clone()) {
            Ok(()) | Err(SessionError::Fatal(_)) => {}
            Err(e) => return Err(TestCaseError::fail(format!("{e} for {input:?}"))),
        }
        prop_assert!(self.session.poll().is_none(), "stale {input:?} had effects");
        prop_assert_eq!(self.session.history().len(), before);
        Ok(())
    }

    /// Plays the actions, then lets the turn run out (or interrupts it).
    fn run(&mut self, actions: &[Action]) -> Result<(), TestCaseError> {
        for a in actions {
            self.act(a)?;
        }
        for _ in 0..300 {
            if self.idle || self.fatal {
                break;
            }
            if self.stream.is_some() {
                self.act(&Action::Stream(1))?;
            } else if !self.running.is_empty() {
                self.act(&Action::ToolDone(0, true))?;
            } else if self.timer.is_some() {
                self.act(&Action::Timer)?;
            } else {
                break;
            }
        }
        if !self.idle && !self.fatal {
            self.feed(Input::Interrupt)?;
        }
        prop_assert!(self.idle, "the turn did not end");
        check_exclusive(&self.timeline).map_err(TestCaseError::fail)?;
        let items = recorded_items(&self.effects);
        check_call_pairs(&items).map_err(TestCaseError::fail)?;
        // The model-visible history obeys the same pairing rules as the rollout.
        let history: Vec<Value> = self
            .session
            .history()
            .iter()
            .map(|i| serde_json::to_value(i).unwrap())
            .collect();
        check_call_pairs(&history).map_err(TestCaseError::fail)?;
        check_model_order(&history).map_err(TestCaseError::fail)?;
        // Every request's input pairs up too: a call is never sent without its output.
        for effect in &self.effects {
            if let Effect::SendRequest { body, .. } = effect {
                check_call_pairs(&input_heads(body)).map_err(TestCaseError::fail)?;
            }
        }
        Ok(())
    }
}

/// The part of a request body the pairing rules look at.
#[derive(Deserialize)]
struct BodyInput {
    input: Vec<ItemHead>,
}

#[derive(Deserialize)]
struct ItemHead {
    #[serde(rename = "type")]
    kind: String,
    call_id: Option<String>,
}

/// Each input item of a request body as `{type, call_id}`, without building the rest.
fn input_heads(body: &str) -> Vec<Value> {
    let body: BodyInput = serde_json::from_str(body).expect("request bodies are JSON");
    body.input
        .into_iter()
        .map(|i| json!({"type": i.kind, "call_id": i.call_id}))
        .collect()
}

/// Both runs produced the same bytes: request bodies compared as the strings they are, every
/// other effect as its serialization (re-escaping each body would dominate the run time).
fn check_same_bytes(a: &[Effect], b: &[Effect]) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len(), "effect counts differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let same = match (x, y) {
            (Effect::SendRequest { .. }, Effect::SendRequest { .. }) => x == y,
            _ => serde_json::to_string(x).unwrap() == serde_json::to_string(y).unwrap(),
        };
        prop_assert!(same, "effect {} differs:\n{:?}\n{:?}", i, x, y);
    }
    Ok(())
}

/// Runs the plans and actions twice with one seed: the invariants hold and the bytes agree.
fn check_turns(seed: u64, plans: Vec<ReplyPlan>, actions: &[Action]) -> Result<(), TestCaseError> {
    let mut first = Driver::new(seed, plans.clone());
    first.run(actions)?;
    let mut second = Driver::new(seed, plans);
    second.run(actions)?;
    check_same_bytes(&first.effects, &second.effects)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_turns_keep_the_loop_invariants(
        seed in any::<u64>(),
        plans in prop::collection::vec(reply_plan(), 1..8),
        mut actions in prop::collection::vec(action(), 0..60),
    ) {
        actions.insert(0, Action::Submit);
        check_turns(seed, plans, &actions)?;
    }
}

// ---- cases proptest once shrank a failure to (kept from the old seed file) ---------------------

fn completed(items: Vec<ItemPlan>) -> ReplyPlan {
    ReplyPlan {
        items,
        end: EndPlan::Completed(None),
    }
}

fn exec_then_patch() -> Vec<ItemPlan> {
    let call = |name, custom| ItemPlan::Call {
        name,
        custom,
        valid_args: true,
    };
    vec![call(0, false), call(4, true)]
}

fn check_case(plans: Vec<ReplyPlan>, actions: &[Action]) {
    if let Err(e) = check_turns(1, plans, actions) {
        panic!("{e}");
    }
}

#[test]
fn steer_after_a_finished_turn_starts_a_new_one() {
    let actions = [Action::Submit, Action::Stream(10), Action::Steer];
    check_case(vec![completed(Vec::new())], &actions);
}

#[test]
fn steer_after_an_interrupt_starts_a_new_turn() {
    let actions = [Action::Submit, Action::Interrupt, Action::Steer];
    check_case(vec![completed(Vec::new())], &actions);
}

#[test]
fn an_exclusive_call_after_a_parallel_one_waits_for_it() {
    let actions = [Action::Submit, Action::Stream(10)];
    check_case(vec![completed(exec_then_patch())], &actions);
}

#[test]
fn calls_after_a_cut_stream_and_its_retry_are_answered() {
    let cut = ReplyPlan {
        items: Vec::new(),
        end: EndPlan::Cut(ModelError::StreamClosed),
    };
    let actions = [
        Action::Submit,
        Action::Stream(2),
        Action::Timer,
        Action::Stream(10),
    ];
    check_case(vec![cut, completed(exec_then_patch())], &actions);
}
