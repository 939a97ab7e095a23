//! Property tests over random input sequences: model replies with random tool calls, tool results
//! out of order, failures of every kind, timers, interrupts and steering. Invariants: every call
//! is answered exactly once and in call order, exclusive tools run alone, retries stay within
//! their limits, nothing but records after `TurnDone`, and the same inputs give the same bytes.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rcodex_core::context::{EnvironmentContext, InitialContext};
use rcodex_core::ids::SeededIds;
use rcodex_core::protocol::{ResponseEvent, ResponseEventError, ToolSpec};
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::{
    Effect, Input, ModelError, Session, SessionConfig, ToolOutput, UserTurn,
};
use rcodex_core::sim::ReplyBuilder;
use serde_json::json;

#[derive(Clone, Debug)]
enum Call {
    Exec,
    Patch,
    Plan,
    Stdin,
    Unknown,
    BadArgs,
}

#[derive(Clone, Debug)]
enum Op {
    /// Answer the request in flight: an optional message, some calls, then a terminal event.
    Reply {
        message: bool,
        calls: Vec<Call>,
        end: End,
    },
    Fail(Fail),
    /// Finish the n-th running tool (modulo how many run).
    ToolDone(usize),
    FireTimer,
    Interrupt,
    Steer,
    /// An event for a request that is not the current one.
    Stale,
}

#[derive(Clone, Debug)]
enum End {
    Completed,
    FollowUp,
    Failed,
    Incomplete,
    Cut,
}

#[derive(Clone, Debug)]
enum Fail {
    Http500,
    Http429After,
    Http429,
    Http400,
    Transport,
    Closed,
    Idle,
}

fn call_strategy() -> impl Strategy<Value = Call> {
    prop_oneof![
        Just(Call::Exec),
        Just(Call::Patch),
        Just(Call::Plan),
        Just(Call::Stdin),
        Just(Call::Unknown),
        Just(Call::BadArgs)
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let end = prop_oneof![
        6 => Just(End::Completed),
        1 => Just(End::FollowUp),
        1 => Just(End::Failed),
        1 => Just(End::Incomplete),
        1 => Just(End::Cut),
    ];
    let fail = prop_oneof![
        Just(Fail::Http500),
        Just(Fail::Http429After),
        Just(Fail::Http429),
        Just(Fail::Http400),
        Just(Fail::Transport),
        Just(Fail::Closed),
        Just(Fail::Idle),
    ];
    prop_oneof![
        6 => (any::<bool>(), proptest::collection::vec(call_strategy(), 0..4), end).prop_map(|(message, calls, end)| Op::Reply { message, calls, end }),
        2 => fail.prop_map(Op::Fail),
        6 => (0usize..4).prop_map(Op::ToolDone),
        3 => Just(Op::FireTimer),
        1 => Just(Op::Interrupt),
        1 => Just(Op::Steer),
        1 => Just(Op::Stale),
    ]
}

fn config() -> SessionConfig {
    let env = EnvironmentContext::new("/w", SandboxMode::WorkspaceWrite, "2026-11-28", "Etc/UTC");
    let mut cfg = SessionConfig::new(InitialContext::defaults(env));
    cfg.start_ms = 1_000_000;
    let f = |name: &str| ToolSpec::Function {
        name: name.into(),
        description: "d".into(),
        strict: false,
        parameters: json!({"type": "object"}),
    };
    cfg.tools = vec![
        f("exec_command"),
        f("write_stdin"),
        f("update_plan"),
        ToolSpec::Custom {
            name: "apply_patch".into(),
            description: "d".into(),
            format: json!({}),
        },
    ];
    cfg
}

/// Drives a session through ops, checking invariants after every step.
struct Harness {
    s: Session,
    now: u64,
    request: Option<u64>,
    old_requests: Vec<u64>,
    running: Vec<(String, bool)>,
    timers: BTreeMap<u64, u64>,
    done: bool,
    log: Vec<Effect>,
    calls_made: usize,
    attempts_in_step: u32,
}

impl Harness {
    fn new() -> Self {
        let mut h = Harness {
            s: Session::new(config(), Box::new(SeededIds::new(1))),
            now: 1_000_000,
            request: None,
            old_requests: Vec::new(),
            running: Vec::new(),
            timers: BTreeMap::new(),
            done: false,
            log: Vec::new(),
            calls_made: 0,
            attempts_in_step: 0,
        };
        h.feed(Input::Submit(UserTurn::text("go")));
        h
    }

    fn feed(&mut self, input: Input) {
        self.now += 1;
        let was_done = self.done;
        if self.s.handle(self.now, input).is_err() {
            assert!(was_done, "the machine refused an input during its turn");
            return;
        }
        while let Some(e) = self.s.poll() {
            if self.done {
                assert!(
                    matches!(e, Effect::Record(_)),
                    "after TurnDone only records may follow, got {e:?}"
                );
            }
            match &e {
                Effect::SendRequest { request_id, .. } => {
                    if let Some(old) = self.request.replace(*request_id) {
                        self.old_requests.push(old);
                    }
                    self.attempts_in_step += 1;
                    assert!(
                        self.attempts_in_step <= 1 + 4 + 5,
                        "retries exceeded their limits"
                    );
                }
                Effect::RunTool { call, exclusive } => {
                    if *exclusive {
                        assert!(
                            self.running.is_empty(),
                            "exclusive {} started beside {:?}",
                            call.call_id,
                            self.running
                        );
                    } else {
                        assert!(
                            !self.running.iter().any(|(_, x)| *x),
                            "{} started beside an exclusive call",
                            call.call_id
                        );
                    }
                    self.running.push((call.call_id.clone(), *exclusive));
                }
                Effect::CancelTool { call_id } => self.running.retain(|(c, _)| c != call_id),
                Effect::CancelRequest { .. } => self.request = None,
                Effect::SetTimer { id, at_ms } => {
                    assert!(*at_ms >= self.now);
                    self.timers.insert(*at_ms * 1000 + *id, *id);
                }
                Effect::TurnDone(_) => self.done = true,
                Effect::Record(_) | Effect::Emit(_) => {}
            }
            self.log.push(e);
        }
    }

    fn apply(&mut self, op: &Op) {
        match op.clone() {
            Op::Reply {
                message,
                calls,
                end,
            } => {
                let Some(id) = self.request else { return };
                let mut b = ReplyBuilder::new(self.calls_made + 1);
                if message {
                    b = b.message("some words");
                }
                for c in calls {
                    self.calls_made += 1;
                    let cid = format!("c{}", self.calls_made);
                    b = match c {
                        Call::Exec => b.function_call(&cid, "exec_command", r#"{"cmd":"ls"}"#),
                        Call::Patch => b.custom_call(
                            &cid,
                            "apply_patch",
                            "*** Begin Patch\n*** Add File: a\n+x\n*** End Patch",
                        ),
                        Call::Plan => b.function_call(
                            &cid,
                            "update_plan",
                            r#"{"plan":[{"step":"s","status":"pending"}]}"#,
                        ),
                        Call::Stdin => b.function_call(&cid, "write_stdin", r#"{"session_id":1}"#),
                        Call::Unknown => b.function_call(&cid, "shell", "{}"),
                        Call::BadArgs => b.function_call(&cid, "exec_command", "{nope"),
                    };
                }
                for event in b.into_events() {
                    self.feed(Input::Model(id, event));
                }
                let terminal = match end {
                    End::Completed | End::FollowUp => {
                        self.attempts_in_step = 0;
                        Input::Model(
                            id,
                            ResponseEvent::Completed {
                                response_id: "r".into(),
                                usage: None,
                                end_turn: matches!(end, End::FollowUp).then_some(false),
                            },
                        )
                    }
                    End::Failed => Input::Model(
                        id,
                        ResponseEvent::Failed {
                            response_id: "r".into(),
                            error: ResponseEventError {
                                code: Some("server_error".into()),
                                message: Some("x".into()),
                            },
                        },
                    ),
                    End::Incomplete => Input::Model(
                        id,
                        ResponseEvent::Incomplete {
                            response_id: "r".into(),
                            reason: "max_output_tokens".into(),
                        },
                    ),
                    End::Cut => Input::ModelFailed(id, ModelError::StreamClosed),
                };
                self.feed(terminal);
            }
            Op::Fail(f) => {
                let Some(id) = self.request else { return };
                let http = |status, ra| ModelError::Http {
                    status,
                    body: String::new(),
                    retry_after_ms: ra,
                    request_id: None,
                };
                let err = match f {
                    Fail::Http500 => http(500, None),
                    Fail::Http429After => http(429, Some(50)),
                    Fail::Http429 => http(429, None),
                    Fail::Http400 => http(400, None),
                    Fail::Transport => ModelError::Transport("reset".into()),
                    Fail::Closed => ModelError::StreamClosed,
                    Fail::Idle => ModelError::IdleTimeout,
                };
                self.feed(Input::ModelFailed(id, err));
            }
            Op::ToolDone(n) => {
                if self.running.is_empty() {
                    return;
                }
                let (id, _) = self.running.remove(n % self.running.len());
                self.feed(Input::ToolDone(id, ToolOutput::text("out", true)));
            }
            Op::FireTimer => {
                if let Some((key, id)) = self.timers.pop_first() {
                    self.now = self.now.max(key / 1000);
                    self.feed(Input::Timer(id));
                }
            }
            Op::Interrupt => self.feed(Input::Interrupt),
            // Steering an idle machine starts a new turn; only steer a running one.
            Op::Steer if !self.done => self.feed(Input::Steer("more".into())),
            Op::Steer => {}
            Op::Stale => {
                if let Some(old) = self.old_requests.last().copied() {
                    let before = self.log.len();
                    self.feed(Input::Model(
                        old,
                        ResponseEvent::Created {
                            response_id: "stale".into(),
                        },
                    ));
                    self.feed(Input::ModelFailed(old, ModelError::StreamClosed));
                    assert_eq!(self.log.len(), before, "stale request ids must be ignored");
                }
            }
        }
    }

    fn check_history(&self) {
        let history = self.s.history();
        let mut calls = Vec::new();
        let mut answered = Vec::new();
        for item in history {
            if let Some(c) = item.call_id() {
                calls.push(c.to_string());
            }
            if let Some(o) = item.output_call_id() {
                assert!(
                    calls.iter().any(|c| c == o),
                    "output {o} answers no earlier call"
                );
                assert!(
                    !answered.contains(&o.to_string()),
                    "call {o} answered twice"
                );
                answered.push(o.to_string());
            }
        }
        if self.done {
            assert_eq!(
                answered.len(),
                calls.len(),
                "every recorded call gets exactly one output"
            );
        }
        // Outputs come in call order.
        let order: Vec<usize> = answered
            .iter()
            .map(|o| calls.iter().position(|c| c == o).unwrap())
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "outputs out of call order: {order:?}"
        );
    }
}

fn run(ops: &[Op]) -> Harness {
    let mut h = Harness::new();
    for op in ops {
        h.apply(op);
        h.check_history();
    }
    // Make sure the turn ends, then check the final invariants.
    if !h.done {
        h.feed(Input::Interrupt);
    }
    assert!(h.done);
    h.check_history();
    // Nothing more comes out of an idle machine for stale inputs.
    let before = h.log.len();
    h.feed(Input::Timer(9_999));
    h.feed(Input::ToolDone("c1".into(), ToolOutput::text("late", true)));
    assert!(h.log[before..]
        .iter()
        .all(|e| matches!(e, Effect::Record(_))));
    h
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_random_input_sequences(ops in proptest::collection::vec(op_strategy(), 0..40)) {
        run(&ops);
    }

    #[test]
    fn same_inputs_and_seed_give_byte_identical_effects(ops in proptest::collection::vec(op_strategy(), 0..25)) {
        let a = serde_json::to_string(&run(&ops).log).unwrap();
        let b = serde_json::to_string(&run(&ops).log).unwrap();
        prop_assert_eq!(a, b);
    }
}
