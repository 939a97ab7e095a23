//! Property tests of the turn machine: random interleavings of model events (with calls to
//! advertised and unadvertised tools), out-of-order tool results, every kind of failure, timers,
//! interrupts, steers and stale inputs, checked against the loop's invariants, and replayed twice
//! to prove the effects are a pure function of the inputs and the seed.

mod common;

use common::*;
use proptest::prelude::*;
use rcodex_core::protocol::{ResponseEvent, ResponseEventError, ThreadEvent};
use rcodex_core::session::{
    Effect, Input, ModelError, RetryPolicy, Session, SessionError, ToolOutput, TurnStatus, UserTurn,
};
use rcodex_core::sim::ReplyBuilder;
use serde_json::Value;

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

#[derive(Clone, Debug)]
enum EndPlan {
    Completed(Option<bool>),
    Failed(&'static str),
    Incomplete,
    Cut(ModelError),
    /// Fails before any event.
    Refused(ModelError),
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
    /// An event of a cancelled or finished request, a result nobody asked for, a stale timer.
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

fn end_plan() -> impl Strategy<Value = EndPlan> {
    prop_oneof![
        12 => prop_oneof![Just(None), Just(Some(true)), Just(Some(false))].prop_map(EndPlan::Completed),
        2 => prop_oneof![
            Just("server_error"),
            Just("rate_limit_exceeded"),
            Just("context_length_exceeded"),
            Just("insufficient_quota"),
        ].prop_map(EndPlan::Failed),
        1 => Just(EndPlan::Incomplete),
        2 => prop_oneof![
            Just(ModelError::StreamClosed),
            Just(ModelError::IdleTimeout),
            Just(ModelError::Stream("reset".into())),
        ].prop_map(EndPlan::Cut),
        3 => prop_oneof![
            Just(http(500, "", None)),
            Just(http(502, "", Some(40))),
            Just(http(429, "", Some(1000))),
            Just(http(429, "please try again in 0.3s", None)),
            Just(http(429, "", None)),
            Just(http(429, r#"{"error":{"type":"insufficient_quota"}}"#, None)),
            Just(http(400, "bad", None)),
            Just(ModelError::Transport("refused".into())),
        ].prop_map(EndPlan::Refused),
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

/// The events one request streams, with fresh call ids; `None` last means "then fail with".
fn events_of(
    plan: &ReplyPlan,
    n: usize,
    calls: &mut usize,
) -> (Vec<ResponseEvent>, Option<ModelError>) {
    if let EndPlan::Refused(err) = &plan.end {
        return (Vec::new(), Some(err.clone()));
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
    match &plan.end {
        EndPlan::Completed(end_turn) => events.push(ResponseEvent::Completed {
            response_id: rid,
            usage: None,
            end_turn: *end_turn,
        }),
        EndPlan::Failed(code) => events.push(ResponseEvent::Failed {
            response_id: rid,
            error: ResponseEventError {
                code: Some(code.to_string()),
                message: Some("failed; try again in 0.5s".into()),
            },
        }),
        EndPlan::Incomplete => events.push(ResponseEvent::Incomplete {
            response_id: rid,
            reason: "max_output_tokens".into(),
        }),
        EndPlan::Cut(err) => return (events, Some(err.clone())),
        EndPlan::Refused(_) => unreachable!(),
    }
    (events, None)
}

/// Drives one session through the actions, checking invariants on the way. Returns every effect.
struct Driver {
    session: Session,
    now: u64,
    plans: Vec<ReplyPlan>,
    sent: usize,
    calls: usize,
    /// The live request: id, events still to deliver, failure after them.
    stream: Option<(u64, Vec<ResponseEvent>, Option<ModelError>)>,
    stale_request: Option<(u64, ResponseEvent)>,
    running: Vec<String>,
    cancelled: Vec<String>,
    timer: Option<u64>,
    effects: Vec<Effect>,
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
            stale_request: None,
            running: Vec::new(),
            cancelled: Vec::new(),
            timer: None,
            effects: Vec::new(),
            timeline: Vec::new(),
            idle: true,
            fatal: false,
            retries: (0, 0),
            policy,
        }
    }

    fn feed(&mut self, input: Input) -> Result<(), TestCaseError> {
        self.now += 7;
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
            self.observe(e, i, &produced)?;
            if matches!(e, Effect::TurnDone(_)) {
                done_seen = true;
            }
        }
        self.effects.extend(produced);
        Ok(())
    }

    fn observe(&mut self, e: &Effect, i: usize, all: &[Effect]) -> Result<(), TestCaseError> {
        self.timeline.extend(tool_step(e));
        match e {
            Effect::SendRequest { request_id, .. } => {
                prop_assert!(self.stream.is_none(), "a second request while one is live");
                let plan = self.plans[self.sent % self.plans.len()].clone();
                self.sent += 1;
                let (events, fail) = events_of(&plan, self.sent, &mut self.calls);
                self.stream = Some((*request_id, events, fail));
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
                let live = self.stream.as_ref().map(|s| s.0);
                prop_assert_eq!(
                    live,
                    Some(*request_id),
                    "cancelled a request that is not live"
                );
                if let Some((old, mut rest, _)) = self.stream.take() {
                    if !rest.is_empty() {
                        self.stale_request = Some((old, rest.remove(0)));
                    }
                }
            }
            Effect::SetTimer { id, .. } => {
                let notice = i > 0
                    && matches!(&all[i - 1], Effect::Emit(ThreadEvent::Error { message })
                        if message.starts_with("Reconnecting... "));
                if notice {
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
                } else {
                    self.retries.0 += 1;
                    prop_assert!(self.retries.0 <= self.policy.request_max_retries);
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
                let items = recorded_items(&self.effects_with(all, i));
                check_call_pairs(&items).map_err(TestCaseError::fail)?;
                self.fatal = matches!(outcome.status, TurnStatus::Failed { .. });
                self.idle = true;
                self.stream = None;
                self.timer = None;
            }
            Effect::Record(_) | Effect::Emit(_) => {}
        }
        Ok(())
    }

    fn effects_with(&self, all: &[Effect], upto: usize) -> Vec<Effect> {
        let mut v = self.effects.clone();
        v.extend_from_slice(&all[..=upto]);
        v
    }

    fn act(&mut self, action: &Action) -> Result<(), TestCaseError> {
        match action {
            Action::Submit => self.feed(Input::Submit(UserTurn::text("do it")))?,
            Action::Stream(n) => {
                for _ in 0..*n {
                    let Some((id, events, fail)) = self.stream.as_mut() else {
                        break;
                    };
                    let id = *id;
                    let input = if !events.is_empty() {
                        Input::Model(id, events.remove(0))
                    } else if let Some(err) = fail.take() {
                        Input::ModelFailed(id, err)
                    } else {
                        self.stream = None;
                        break;
                    };
                    // The last event or the failure ends the request.
                    if matches!(&self.stream, Some((_, e, None)) if e.is_empty()) {
                        self.stream = None;
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
                if let Some((id, ev)) = self.stale_request.take() {
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
        for body in bodies(&self.effects) {
            let input = body["input"].as_array().unwrap();
            check_call_pairs(input).map_err(TestCaseError::fail)?;
        }
        Ok(())
    }
}

/// Items the model produced (`item_<reply>_<n>` ids from `ReplyBuilder`) sit in history in the
/// order the model produced them.
fn check_model_order(history: &[Value]) -> Result<(), String> {
    let mut last = (0u64, 0u64);
    for item in history {
        let Some(id) = item["id"].as_str().and_then(|s| s.strip_prefix("item_")) else {
            continue;
        };
        let (reply, n) = id.split_once('_').ok_or(format!("odd id {id}"))?;
        let key = (
            reply.parse().map_err(|_| format!("odd id {id}"))?,
            n.parse().map_err(|_| format!("odd id {id}"))?,
        );
        if key <= last {
            return Err(format!(
                "item_{id} recorded after item_{}_{}",
                last.0, last.1
            ));
        }
        last = key;
    }
    Ok(())
}

fn effects_json(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .map(|e| serde_json::to_string(e).expect("effects serialize"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_turns_keep_the_loop_invariants(
        seed in any::<u64>(),
        plans in prop::collection::vec(reply_plan(), 1..8),
        mut actions in prop::collection::vec(action(), 0..60),
    ) {
        actions.insert(0, Action::Submit);
        let mut first = Driver::new(seed, plans.clone());
        first.run(&actions)?;
        let mut second = Driver::new(seed, plans);
        second.run(&actions)?;
        prop_assert_eq!(effects_json(&first.effects), effects_json(&second.effects));
    }
}
