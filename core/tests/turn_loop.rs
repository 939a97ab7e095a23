//! Scenario tests of the turn loop through the virtual-time simulator: the captured shell turn,
//! tool batching, follow-ups, steering, interrupts, every row of the retry table, and
//! determinism. The random-sequence counterpart is `properties.rs`; both use `harness/`.

mod harness;

use harness::*;
use rcodex_core::protocol::{
    ResponseEvent, ResponseEventError, RolloutItem, ThreadEvent, TokenUsage,
};
use rcodex_core::session::{
    Effect, ErrorInfo, Input, ModelError, SessionError, ToolCall, TurnError, TurnStatus, UserTurn,
};
use rcodex_core::sim::{ReplyBuilder, ScriptedReply, Sim};
use serde_json::{json, Value};

const ROLLOUT: &str = include_str!("fixtures/upstream/exec-shell-rollout.jsonl");
const EVENTS: &str = include_str!("fixtures/upstream/exec-shell-events.jsonl");
const REQ2: &str = include_str!("fixtures/upstream/exec-shell-request-2.json");
const TOOL_OUTPUT: &str = include_str!("fixtures/upstream/exec-shell-tool-output.txt");

fn ask(sim: &mut Sim, text: &str) -> rcodex_core::session::TurnOutcome {
    sim.run_turn(UserTurn::text(text))
}

fn http(status: u16, body: &str, retry_after_ms: Option<u64>) -> ModelError {
    ModelError::Http {
        status,
        body: body.into(),
        retry_after_ms,
        request_id: Some("mockreq-1".into()),
    }
}

fn failed(code: &str, message: &str) -> ScriptedReply {
    ScriptedReply::Events(vec![
        ResponseEvent::Created {
            response_id: "resp_f".into(),
        },
        ResponseEvent::Failed {
            response_id: "resp_f".into(),
            error: ResponseEventError {
                code: Some(code.into()),
                message: Some(message.into()),
            },
        },
    ])
}

fn ok_reply(n: usize, text: &str) -> ScriptedReply {
    ReplyBuilder::new(n).message(text).completed(10, 1)
}

/// The `turn_id` of every `turn_context` line recorded so far, in order.
fn turn_context_ids(sim: &Sim) -> Vec<String> {
    sim.records()
        .into_iter()
        .filter_map(|l| match &l.item {
            RolloutItem::TurnContext(c) => c.turn_id.clone(),
            _ => None,
        })
        .collect()
}

fn failed_message(status: &TurnStatus) -> &str {
    match status {
        TurnStatus::Failed { message } => message,
        other => panic!("expected a failed turn, got {other:?}"),
    }
}

/// Codex's texts for the two failures that are never retried, spelled out here so that a changed
/// constant in the core cannot pass unnoticed.
const QUOTA_MESSAGE: &str = "Quota exceeded. Check your plan and billing details.";
const CONTEXT_WINDOW_MESSAGE: &str = "Codex ran out of room in the model's context window. \
Start a new thread or clear earlier history before retrying.";

fn input_of(body: &Value) -> &Vec<Value> {
    body["input"].as_array().expect("input is an array")
}

#[test]
fn no_tool_turn_emits_exactly_four_events() {
    let mut sim = sim(
        vec![ReplyBuilder::new(1).message("Hi there.").completed(100, 10)],
        tool_taking(|_| 1),
    );
    let outcome = ask(&mut sim, "say hi");
    assert_eq!(outcome.status, TurnStatus::Completed);
    assert_eq!(outcome.requests, 1);
    let events: Vec<Value> = sim
        .events()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let turn_id = turn_context_ids(&sim).pop().expect("a turn_context line");
    let usage = json!({"input_tokens": 100, "cached_input_tokens": 0,
        "cache_write_input_tokens": 0, "output_tokens": 10, "reasoning_output_tokens": 0});
    // Codex's four events; `turn_id`, `last_usage` and `requests` are rcodex's additions.
    assert_eq!(
        events,
        vec![
            json!({"type": "thread.started", "thread_id": sim.session.thread_id()}),
            json!({"type": "turn.started", "turn_id": turn_id}),
            json!({"type": "item.completed", "item": {"id": "item_0", "type": "agent_message", "text": "Hi there."}}),
            json!({"type": "turn.completed", "usage": usage, "turn_id": turn_id,
                "last_usage": usage, "requests": [usage]}),
        ]
    );
    assert_eq!(outcome.last_agent_message.as_deref(), Some("Hi there."));
    assert!(matches!(sim.log.last(), Some(Effect::TurnDone(_))));
}

/// The captured `list the files` turn: same rollout line kinds, same `--json` stream.
fn shell_sim() -> Sim {
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call(
                "call_shell_1",
                "exec_command",
                r#"{"cmd": "ls -la", "yield_time_ms": 1000}"#,
            )
            .completed(100, 10),
        ReplyBuilder::new(2)
            .message("The directory contains a.txt and b.txt.")
            .completed(100, 10),
    ];
    let fixture_events: Vec<Value> = EVENTS
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let aggregated = fixture_events[3]["item"]["aggregated_output"]
        .as_str()
        .unwrap()
        .to_string();
    let tool = Box::new(move |_: &ToolCall| (command_output(TOOL_OUTPUT, &aggregated), 3));
    let mut sim = sim(replies, tool);
    let outcome = ask(&mut sim, "list the files");
    assert_eq!(outcome.status, TurnStatus::Completed);
    sim
}

#[test]
fn shell_turn_rollout_kinds_match_the_capture() {
    let sim = shell_sim();
    let want: Vec<String> = ROLLOUT
        .lines()
        .map(|l| kind_of_line_value(&serde_json::from_str(l).unwrap()))
        .filter(|k| k != "world_state")
        .collect();
    let got: Vec<String> = sim.records().into_iter().map(line_kind).collect();
    assert_eq!(got, want);
    // The thread items inside `item_completed` lines carry Codex's keys in Codex's order.
    let item_keys = |v: &Value| -> Option<Vec<String>> {
        (v["payload"]["type"] == "item_completed").then(|| {
            v["payload"]["item"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        })
    };
    let want_items: Vec<Vec<String>> = ROLLOUT
        .lines()
        .filter_map(|l| item_keys(&serde_json::from_str(l).unwrap()))
        .collect();
    let got_items: Vec<Vec<String>> = sim
        .records()
        .into_iter()
        .filter_map(|l| item_keys(&serde_json::to_value(l).unwrap()))
        .collect();
    assert_eq!(got_items, want_items);
    let command = sim
        .records()
        .into_iter()
        .map(|l| serde_json::to_value(l).unwrap())
        .find(|v| v["payload"]["item"]["type"] == "CommandExecution")
        .unwrap();
    assert_eq!(command["payload"]["item"]["cwd"], "file:///w");
    assert_eq!(
        command["payload"]["item"]["command"],
        json!(["/bin/bash", "-lc", "ls -la"])
    );
    // Ordinals count lines from 0 without gaps.
    for (n, line) in sim.records().iter().enumerate() {
        assert_eq!(line.ordinal, Some(n as u64));
    }
}

#[test]
fn shell_turn_exec_events_match_the_capture() {
    let sim = shell_sim();
    let want: Vec<Value> = EVENTS
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut got: Vec<Value> = sim
        .events()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let kinds = |v: &[Value]| v.iter().map(kind_of_event_value).collect::<Vec<_>>();
    assert_eq!(kinds(&got), kinds(&want));
    // Apart from the thread id and rcodex's additive fields on `turn.*` (present on each), the
    // stream is the captured one byte for byte.
    got[0]["thread_id"] = want[0]["thread_id"].clone();
    for event in &mut got {
        let kind = event["type"].as_str().unwrap_or_default().to_string();
        let additions: &[&str] = match kind.as_str() {
            "turn.started" | "turn.failed" => &["turn_id"],
            "turn.completed" => &["turn_id", "last_usage", "requests"],
            _ => &[],
        };
        let fields = event.as_object_mut().unwrap();
        for key in additions {
            assert!(fields.shift_remove(*key).is_some(), "{kind} lacks {key}");
        }
    }
    assert_eq!(got, want);
}

#[test]
fn shell_turn_second_request_appends_call_and_output() {
    let sim = shell_sim();
    let bodies = bodies(&sim.log);
    assert_eq!(bodies.len(), 2);
    let fixture: Value = serde_json::from_str(REQ2).unwrap();
    let want_keys: Vec<&String> = fixture["body"].as_object().unwrap().keys().collect();
    for body in &bodies {
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(keys, want_keys, "top-level keys in Codex order");
    }
    let (first, second) = (input_of(&bodies[0]), input_of(&bodies[1]));
    assert_eq!(second.len(), first.len() + 2);
    assert_eq!(&second[..first.len()], &first[..], "history is append-only");
    let call = &second[second.len() - 2];
    let output = &second[second.len() - 1];
    assert_eq!(call["type"], "function_call");
    assert_eq!(output["type"], "function_call_output");
    assert_eq!(call["call_id"], "call_shell_1");
    assert_eq!(output["call_id"], "call_shell_1");
    assert!(output["id"].as_str().unwrap().starts_with("fco_"));
    assert_eq!(output["output"], TOOL_OUTPUT);
    // Same keys, same values as the captured pair, apart from generated ids.
    let want = input_of(&fixture["body"]);
    let (want_call, want_output) = (&want[want.len() - 2], &want[want.len() - 1]);
    let strip = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("id");
        v
    };
    assert_eq!(strip(call), strip(want_call));
    assert_eq!(strip(output), strip(want_output));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(output), keys(want_output));
    // Nothing recorded on disk leaks into a request.
    assert!(!bodies[1].to_string().contains("passthrough"));
}

#[test]
fn within_a_turn_only_input_differs() {
    let sim = shell_sim();
    let mut bodies = bodies(&sim.log);
    for b in &mut bodies {
        b.as_object_mut().unwrap().remove("input");
    }
    assert_eq!(bodies[0], bodies[1]);
    let headers: Vec<_> = sim
        .log
        .iter()
        .filter_map(|e| match e {
            Effect::SendRequest { headers, .. } => Some(headers.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(headers[0], headers[1]);
}

#[test]
fn parallel_calls_finishing_in_reverse_keep_call_order() {
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("call_a", "exec_command", r#"{"cmd":"sleep 5"}"#)
            .function_call("call_b", "exec_command", r#"{"cmd":"true"}"#)
            .completed(10, 1),
        ok_reply(2, "done"),
    ];
    let mut sim = sim(
        replies,
        tool_taking(|c| if c.call_id == "call_a" { 50 } else { 10 }),
    );
    assert_eq!(ask(&mut sim, "go").status, TurnStatus::Completed);
    let timeline = tool_timeline(&sim);
    let run = |id: &str| ToolStep::Run {
        call_id: id.into(),
        exclusive: false,
    };
    let done = |id: &str| ToolStep::Done { call_id: id.into() };
    assert_eq!(
        timeline,
        vec![
            run("call_a"),
            run("call_b"),
            done("call_b"),
            done("call_a"),
            ToolStep::TurnOver
        ]
    );
    let body = &bodies(&sim.log)[1];
    let tail: Vec<(String, String)> = input_of(body)
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(|i| {
            (
                i["type"].as_str().unwrap().into(),
                i["call_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    let pair = |t: &str, c: &str| (t.to_string(), c.to_string());
    assert_eq!(
        tail,
        vec![
            pair("function_call", "call_a"),
            pair("function_call", "call_b"),
            pair("function_call_output", "call_a"),
            pair("function_call_output", "call_b"),
        ]
    );
    // `--json` shows completions in finish order (capture c).
    let kinds: Vec<String> = sim.events().into_iter().map(event_kind).collect();
    assert_eq!(
        kinds[2..6],
        [
            "item.started:command_execution",
            "item.started:command_execution",
            "item.completed:command_execution",
            "item.completed:command_execution"
        ]
    );
    let completed_ids: Vec<String> = sim
        .events()
        .into_iter()
        .filter_map(|e| match e {
            ThreadEvent::ItemCompleted { item } if item.id != "item_2" => Some(item.id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(completed_ids, ["item_1", "item_0"]);
    check_call_pairs(&recorded_items(&sim.log)).unwrap();
    // The session's own history holds the outputs in call order too.
    let answered: Vec<&str> = sim
        .session
        .history()
        .iter()
        .filter_map(|i| i.output_call_id())
        .collect();
    assert_eq!(answered, ["call_a", "call_b"]);
}

#[test]
fn a_library_tool_named_exclusive_runs_alone_and_others_stay_parallel() {
    let mut cfg = config();
    for name in ["lock_db", "echo"] {
        cfg.tools.push(rcodex_core::protocol::ToolSpec::Function {
            name: name.into(),
            description: "test".into(),
            strict: false,
            parameters: json!({"type": "object", "properties": {}}),
        });
    }
    cfg.exclusive_tools = vec!["lock_db".into()];
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("c1", "echo", "{}")
            .function_call("c2", "echo", "{}")
            .function_call("c3", "lock_db", "{}")
            .function_call("c4", "echo", "{}")
            .completed(10, 1),
        ok_reply(2, "done"),
    ];
    let tool = tool_taking(|c| 100 - c.call_id[1..].parse::<u64>().unwrap() * 10);
    let mut sim = Sim::new(session_with(cfg, 7), START, replies, tool);
    assert_eq!(ask(&mut sim, "go").status, TurnStatus::Completed);
    let timeline = tool_timeline(&sim);
    check_exclusive(&timeline).unwrap();
    let exclusive: Vec<String> = timeline
        .iter()
        .filter_map(|s| match s {
            ToolStep::Run {
                call_id,
                exclusive: true,
            } => Some(call_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(exclusive, ["c3"]);
    let pos = |s: ToolStep| timeline.iter().position(|x| *x == s).unwrap();
    // c1 and c2 overlap; c3 starts only after both ended.
    assert!(
        pos(ToolStep::Run {
            call_id: "c2".into(),
            exclusive: false
        }) < pos(ToolStep::Done {
            call_id: "c1".into()
        })
    );
    assert!(
        pos(ToolStep::Done {
            call_id: "c1".into()
        }) < pos(ToolStep::Run {
            call_id: "c3".into(),
            exclusive: true
        })
    );
}

#[test]
fn exclusive_calls_run_alone() {
    let patch = "*** Begin Patch\n*** Add File: a.txt\n+x\n*** End Patch\n";
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("c1", "exec_command", r#"{"cmd":"a"}"#)
            .function_call("c2", "exec_command", r#"{"cmd":"b"}"#)
            .custom_call("c3", "apply_patch", patch)
            .function_call("c4", "exec_command", r#"{"cmd":"c"}"#)
            .function_call(
                "c5",
                "update_plan",
                r#"{"plan":[{"step":"x","status":"pending"}]}"#,
            )
            .function_call("c6", "write_stdin", r#"{"session_id":1,"chars":""}"#)
            .function_call("c7", "exec_command", r#"{"cmd":"d"}"#)
            .function_call("c8", "exec_command", r#"{"cmd":"e"}"#)
            .completed(10, 1),
        ok_reply(2, "done"),
    ];
    // Earlier calls take longer, so a careless scheduler would overlap them.
    let mut sim = sim(
        replies,
        tool_taking(|c| 100 - c.call_id[1..].parse::<u64>().unwrap() * 10),
    );
    assert_eq!(ask(&mut sim, "go").status, TurnStatus::Completed);
    let timeline = tool_timeline(&sim);
    check_exclusive(&timeline).unwrap();
    let runs: Vec<(String, bool)> = timeline
        .iter()
        .filter_map(|s| match s {
            ToolStep::Run { call_id, exclusive } => Some((call_id.clone(), *exclusive)),
            _ => None,
        })
        .collect();
    let ids: Vec<&str> = runs.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(ids, ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]);
    let exclusive: Vec<&str> = runs
        .iter()
        .filter(|(_, ex)| *ex)
        .map(|(c, _)| c.as_str())
        .collect();
    assert_eq!(exclusive, ["c3", "c5", "c6"]);
    // c1 and c2 ran together; c7 and c8 ran together.
    let pos = |s: ToolStep| timeline.iter().position(|x| *x == s).unwrap();
    let done = |id: &str| ToolStep::Done { call_id: id.into() };
    let run = |id: &str| ToolStep::Run {
        call_id: id.into(),
        exclusive: false,
    };
    assert!(pos(run("c2")) < pos(done("c1")));
    assert!(pos(run("c8")) < pos(done("c7")));
    let items = recorded_items(&sim.log);
    check_call_pairs(&items).unwrap();
    assert!(items
        .iter()
        .any(|i| i["type"] == "custom_tool_call_output" && i["call_id"] == "c3"));
    let answered: Vec<&str> = sim
        .session
        .history()
        .iter()
        .filter_map(|i| i.output_call_id())
        .collect();
    assert_eq!(answered, ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]);
}

#[test]
fn unknown_tool_and_bad_arguments_are_answered_and_the_turn_goes_on() {
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("c_unknown", "shell", r#"{"command":["ls"]}"#)
            .function_call("c_bad", "exec_command", "{not json")
            .function_call("c_arr", "exec_command", "[1]")
            .custom_call("c_custom", "browser", "open x")
            .completed(10, 1),
        ok_reply(2, "ok"),
    ];
    let mut sim = sim(replies, tool_taking(|_| 1));
    let outcome = ask(&mut sim, "go");
    assert_eq!(outcome.status, TurnStatus::Completed);
    assert_eq!(outcome.requests, 2);
    assert!(
        !sim.log.iter().any(|e| matches!(e, Effect::RunTool { .. })),
        "nothing runs"
    );
    let body = &bodies(&sim.log)[1];
    let outputs: Vec<(String, String)> = input_of(body)
        .iter()
        .filter(|i| i["type"] == "function_call_output" || i["type"] == "custom_tool_call_output")
        .map(|i| {
            (
                i["call_id"].as_str().unwrap().into(),
                i["output"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(outputs.len(), 4);
    assert_eq!(
        outputs[0],
        ("c_unknown".into(), "unsupported call: shell".into())
    );
    assert!(outputs[1]
        .1
        .starts_with("failed to parse function arguments"));
    assert!(outputs[2]
        .1
        .starts_with("failed to parse function arguments"));
    assert_eq!(
        outputs[3],
        ("c_custom".into(), "unsupported call: browser".into())
    );
    check_call_pairs(input_of(body)).unwrap();
}

#[test]
fn end_turn_false_forces_a_follow_up() {
    let mut events = ReplyBuilder::new(1).message("thinking aloud").into_events();
    events.push(ResponseEvent::Completed {
        response_id: "resp_1".into(),
        usage: None,
        end_turn: Some(false),
    });
    let mut sim = sim(
        vec![ScriptedReply::Events(events), ok_reply(2, "final")],
        tool_taking(|_| 1),
    );
    let outcome = ask(&mut sim, "go");
    assert_eq!(outcome.requests, 2);
    assert_eq!(outcome.last_agent_message.as_deref(), Some("final"));
    let body = &bodies(&sim.log)[1];
    let last = input_of(body).last().unwrap();
    assert_eq!(last["role"], "assistant");
    assert_eq!(last["content"][0]["text"], "thinking aloud");
}

#[test]
fn steer_text_joins_the_next_request() {
    // Steered while a tool runs: after the tool output.
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("c1", "exec_command", r#"{"cmd":"make"}"#)
            .completed(10, 1),
        ok_reply(2, "ok"),
    ];
    let mut s = sim(replies, tool_taking(|_| 100));
    s.inject(START + 20, Input::Steer("also run the tests".into()));
    assert_eq!(ask(&mut s, "build").requests, 2);
    let body = &bodies(&s.log)[1];
    let input = input_of(body);
    let n = input.len();
    assert_eq!(input[n - 2]["type"], "function_call_output");
    assert_eq!(input[n - 1]["role"], "user");
    assert_eq!(input[n - 1]["content"][0]["text"], "also run the tests");

    // Steered while the model streams a final answer: one more request.
    let mut s = sim(
        vec![ok_reply(1, "first"), ok_reply(2, "second")],
        tool_taking(|_| 1),
    );
    s.inject(START + 2, Input::Steer("wait, one more thing".into()));
    let outcome = ask(&mut s, "go");
    assert_eq!(outcome.requests, 2);
    assert_eq!(outcome.last_agent_message.as_deref(), Some("second"));
    let body = &bodies(&s.log)[1];
    let input = input_of(body);
    assert_eq!(input[input.len() - 2]["role"], "assistant");
    assert_eq!(
        input[input.len() - 1]["content"][0]["text"],
        "wait, one more thing"
    );
}

fn assert_interrupted(sim: &Sim) {
    match sim.log.last() {
        Some(Effect::TurnDone(o)) => assert_eq!(o.status, TurnStatus::Interrupted),
        other => panic!("expected TurnDone last, got {other:?}"),
    }
    let kinds: Vec<String> = sim.records().into_iter().map(line_kind).collect();
    assert!(
        kinds.contains(&"event_msg:turn_aborted".to_string()),
        "{kinds:?}"
    );
    check_call_pairs(&recorded_items(&sim.log)).unwrap();
}

#[test]
fn interrupt_mid_stream_cancels_the_request() {
    // At START + 1 nothing has streamed yet; at START + 3 the message is half there.
    for at in [START + 1, START + 3] {
        let mut s = sim(vec![ok_reply(1, "a long answer")], tool_taking(|_| 1));
        s.inject(at, Input::Interrupt);
        let outcome = ask(&mut s, "go");
        assert_eq!(outcome.status, TurnStatus::Interrupted, "interrupt at {at}");
        assert!(s
            .log
            .iter()
            .any(|e| matches!(e, Effect::CancelRequest { request_id: 1 })));
        assert_interrupted(&s);
        // The session takes the next turn.
        s.replies.push_back(ok_reply(2, "hi"));
        assert_eq!(ask(&mut s, "again").status, TurnStatus::Completed);
    }
}

#[test]
fn interrupt_mid_tool_cancels_running_calls_and_answers_every_call() {
    let patch = "*** Begin Patch\n*** Add File: a.txt\n+x\n*** End Patch\n";
    let replies = vec![ReplyBuilder::new(1)
        .function_call("c1", "exec_command", r#"{"cmd":"a"}"#)
        .function_call("c2", "exec_command", r#"{"cmd":"b"}"#)
        .custom_call("c3", "apply_patch", patch)
        .completed(10, 1)];
    let mut s = sim(replies, tool_taking(|_| 5_000));
    s.inject(START + 1_250, Input::Interrupt);
    let outcome = ask(&mut s, "go");
    assert_eq!(outcome.status, TurnStatus::Interrupted);
    let cancelled: Vec<&str> = s
        .log
        .iter()
        .filter_map(|e| match e {
            Effect::CancelTool { call_id } => Some(call_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(cancelled, ["c1", "c2"], "the queued patch never ran");
    assert!(!s
        .log
        .iter()
        .any(|e| matches!(e, Effect::CancelRequest { .. })));
    assert_interrupted(&s);
    let outputs: Vec<Value> = recorded_items(&s.log)
        .into_iter()
        .filter(|i| i["type"].as_str().unwrap().ends_with("_output"))
        .collect();
    assert_eq!(outputs.len(), 3);
    // The running commands say how long they ran (Codex 0.169, captured); the patch never ran.
    let texts: Vec<&str> = outputs
        .iter()
        .map(|o| o["output"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Wall time: 1.2 seconds\naborted by user",
            "Wall time: 1.2 seconds\naborted by user",
            "aborted"
        ]
    );
    assert_eq!(outputs[2]["type"], "custom_tool_call_output");
    let answered: Vec<&str> = s
        .session
        .history()
        .iter()
        .filter_map(|i| i.output_call_id())
        .collect();
    assert_eq!(answered, ["c1", "c2", "c3"], "history answers every call");
    // After `turn_aborted`, each cut-short command completes as failed, exit -1, no output
    // (Codex 0.169, captured); the patch that never ran has no item.
    let lines: Vec<Value> = s
        .records()
        .iter()
        .map(|l| serde_json::to_value(l).unwrap())
        .collect();
    let aborted_at = lines
        .iter()
        .position(|l| l["payload"]["type"] == "turn_aborted")
        .expect("turn_aborted");
    let after: Vec<(&str, &str, i64)> = lines[aborted_at + 1..]
        .iter()
        .map(|l| &l["payload"]["item"])
        .map(|i| {
            (
                i["id"].as_str().unwrap(),
                i["status"].as_str().unwrap(),
                i["exit_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(after, [("c1", "failed", -1), ("c2", "failed", -1)]);
    // Late results of cancelled calls change nothing.
    let before = s.session.history().len();
    s.session
        .handle(
            s.now + 100,
            Input::ToolDone("c1".into(), command_output("x", "x")),
        )
        .unwrap();
    assert!(s.session.poll().is_none());
    assert_eq!(s.session.history().len(), before);
}

#[test]
fn interrupt_during_backoff_ends_the_turn() {
    let mut s = sim(
        vec![ScriptedReply::Fail(http(500, "", None)); 3],
        tool_taking(|_| 1),
    );
    s.inject(START + 2, Input::Interrupt);
    assert_eq!(ask(&mut s, "go").status, TurnStatus::Interrupted);
    assert_eq!(bodies(&s.log).len(), 1);
    assert_interrupted(&s);
}

// ---- the retry table --------------------------------------------------------------------------

fn failing_turn(replies: Vec<ScriptedReply>) -> (Sim, rcodex_core::session::TurnOutcome) {
    let mut s = sim(replies, tool_taking(|_| 1));
    let outcome = ask(&mut s, "go");
    (s, outcome)
}

#[test]
fn http_500_always_gives_up_after_request_max_retries() {
    let (s, outcome) = failing_turn(vec![ScriptedReply::Fail(http(500, "oops", None)); 10]);
    assert_eq!(bodies(&s.log).len(), 5, "1 + request_max_retries (4)");
    assert_eq!(
        failed_message(&outcome.status),
        "exceeded retry limit, last status: 500 Internal Server Error, request id: mockreq-1"
    );
    let delays = timer_delays(&s);
    assert_eq!(delays.len(), 4);
    check_backoff(&delays).unwrap();
    // Transport-level retries are silent: the only error event is the final one.
    assert_eq!(error_events(&s), [failed_message(&outcome.status)]);
    let complete = s.records().into_iter().last().unwrap();
    let v = serde_json::to_value(complete).unwrap();
    assert_eq!(v["payload"]["type"], "task_complete");
    assert_eq!(
        v["payload"]["error"]["codex_error_info"],
        "internal_server_error"
    );
    assert_eq!(v["payload"]["last_agent_message"], Value::Null);
}

#[test]
fn http_500_once_is_retried_silently() {
    let (s, outcome) = failing_turn(vec![
        ScriptedReply::Fail(http(500, "", None)),
        ok_reply(2, "fine"),
    ]);
    assert_eq!(outcome.status, TurnStatus::Completed);
    assert_eq!(bodies(&s.log).len(), 2);
    assert!(error_events(&s).is_empty());
}

#[test]
fn response_failed_always_reconnects_five_times() {
    let (s, outcome) = failing_turn(vec![failed("server_error", "boom"); 10]);
    assert_eq!(bodies(&s.log).len(), 6);
    let errors = error_events(&s);
    assert_eq!(errors.len(), 6, "{errors:?}");
    for (n, e) in errors[..5].iter().enumerate() {
        assert!(
            e.starts_with(&format!("Reconnecting... {}/5", n + 1)),
            "{e}"
        );
    }
    assert_eq!(errors[5], failed_message(&outcome.status));
    let delays = timer_delays(&s);
    assert_eq!(delays.len(), 5, "one backoff per reconnect");
    check_backoff(&delays).unwrap();
    let kinds: Vec<String> = s.events().into_iter().map(event_kind).collect();
    assert_eq!(kinds.last().unwrap(), "turn.failed");
}

#[test]
fn http_429_with_retry_after_waits_as_told() {
    let (s, outcome) = failing_turn(vec![
        ScriptedReply::Fail(http(429, "slow down", Some(1000))),
        ok_reply(2, "fine"),
    ]);
    assert_eq!(outcome.status, TurnStatus::Completed);
    assert_eq!(bodies(&s.log).len(), 2);
    assert_eq!(timer_delays(&s), [1000]);
    let errors = error_events(&s);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("Reconnecting... 1/5"));
}

#[test]
fn http_5xx_with_retry_after_waits_as_told_and_silently() {
    let (s, outcome) = failing_turn(vec![
        ScriptedReply::Fail(http(503, "", Some(2000))),
        ok_reply(2, "fine"),
    ]);
    assert_eq!(outcome.status, TurnStatus::Completed);
    assert_eq!(bodies(&s.log).len(), 2);
    assert_eq!(
        timer_delays(&s),
        [2000],
        "Retry-After overrides the backoff"
    );
    assert!(
        error_events(&s).is_empty(),
        "a request-level retry prints nothing"
    );
}

#[test]
fn http_429_without_hints_fails_at_once() {
    let (s, outcome) = failing_turn(vec![ScriptedReply::Fail(http(429, "slow down", None)); 3]);
    assert_eq!(bodies(&s.log).len(), 1);
    assert_eq!(
        failed_message(&outcome.status),
        "exceeded retry limit, last status: 429 Too Many Requests, request id: mockreq-1"
    );
}

#[test]
fn http_429_try_again_hint_in_body_sets_the_delay() {
    let body = r#"{"error":{"message":"Rate limit reached. Please try again in 1.5s."}}"#;
    let (s, outcome) = failing_turn(vec![
        ScriptedReply::Fail(http(429, body, None)),
        ok_reply(2, "fine"),
    ]);
    assert_eq!(outcome.status, TurnStatus::Completed);
    assert_eq!(bodies(&s.log).len(), 2);
    assert_eq!(timer_delays(&s), [1500]);
}

#[test]
fn rate_limit_failed_event_uses_the_hint() {
    let (s, outcome) = failing_turn(vec![
        failed(
            "rate_limit_exceeded",
            "Rate limit reached. Please try again in 1.2s.",
        ),
        ok_reply(2, "fine"),
    ]);
    assert_eq!(outcome.status, TurnStatus::Completed);
    assert_eq!(timer_delays(&s), [1200]);
}

#[test]
fn quota_fails_at_once_with_codex_message() {
    let body = r#"{"error":{"type":"insufficient_quota","code":"insufficient_quota"}}"#;
    let (s, outcome) = failing_turn(vec![ScriptedReply::Fail(http(429, body, None)); 3]);
    assert_eq!(bodies(&s.log).len(), 1);
    assert_eq!(failed_message(&outcome.status), QUOTA_MESSAGE);
}

#[test]
fn context_length_exceeded_fails_at_once() {
    let (s, outcome) = failing_turn(vec![failed("context_length_exceeded", "too long"); 3]);
    assert_eq!(bodies(&s.log).len(), 1);
    assert_eq!(failed_message(&outcome.status), CONTEXT_WINDOW_MESSAGE);
    let body = r#"{"error":{"code":"context_length_exceeded"}}"#;
    let (s, outcome) = failing_turn(vec![ScriptedReply::Fail(http(400, body, None)); 3]);
    assert_eq!(bodies(&s.log).len(), 1);
    assert_eq!(failed_message(&outcome.status), CONTEXT_WINDOW_MESSAGE);
}

#[test]
fn incomplete_response_fails_at_once() {
    let mut events = ReplyBuilder::new(1).message("partial").into_events();
    events.push(ResponseEvent::Incomplete {
        response_id: "resp_1".into(),
        reason: "max_output_tokens".into(),
    });
    let (s, outcome) = failing_turn(vec![ScriptedReply::Events(events), ok_reply(2, "x")]);
    assert_eq!(bodies(&s.log).len(), 1);
    assert_eq!(
        failed_message(&outcome.status),
        "Incomplete response returned, reason: max_output_tokens"
    );
}

#[test]
fn http_400_fails_with_the_raw_body() {
    let (s, outcome) = failing_turn(vec![ScriptedReply::Fail(http(400, "bad body", None)); 2]);
    assert_eq!(bodies(&s.log).len(), 1);
    assert_eq!(failed_message(&outcome.status), "bad body");
}

#[test]
fn cut_stream_is_retried_with_the_partial_message() {
    // Created, item added, first delta ("Hello,"), then the stream breaks.
    let events = ReplyBuilder::new(1).message("Hello, world!").into_events();
    let partial = ScriptedReply::EventsThenFail(events[..3].to_vec(), ModelError::StreamClosed);
    let (s, outcome) = failing_turn(vec![partial, ok_reply(2, "Hello, world!")]);
    assert_eq!(outcome.status, TurnStatus::Completed);
    let bodies = bodies(&s.log);
    assert_eq!(bodies.len(), 2);
    let last = input_of(&bodies[1]).last().unwrap().clone();
    assert_eq!(last["role"], "assistant");
    assert_eq!(last["content"][0]["text"], "Hello,");
    let errors = error_events(&s);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("Reconnecting... 1/5 (stream disconnected before completion"));
    check_backoff(&timer_delays(&s)).unwrap();
}

#[test]
fn a_fatal_error_is_sticky_but_its_records_drain() {
    let mut session = session();
    session
        .handle(START, Input::Submit(UserTurn::text("go")))
        .unwrap();
    let mut effects = Vec::new();
    while let Some(e) = session.poll() {
        effects.push(e);
    }
    session
        .handle(START + 5, Input::ModelFailed(1, http(400, "nope", None)))
        .unwrap();
    // Refused before anything is drained ...
    let err = session
        .handle(START + 6, Input::Submit(UserTurn::text("again")))
        .unwrap_err();
    let fatal = SessionError::Fatal(TurnError {
        message: "nope".into(),
        info: ErrorInfo::Other,
    });
    assert_eq!(err, fatal);
    assert_eq!(
        session.handle(START + 6, Input::Interrupt).unwrap_err(),
        fatal
    );
    // ... yet everything the failure produced is still there, TurnDone last.
    let mut tail = Vec::new();
    while let Some(e) = session.poll() {
        tail.push(e);
    }
    let kinds: Vec<String> = tail
        .iter()
        .map(|e| match e {
            Effect::Record(l) => line_kind(l),
            Effect::Emit(ev) => event_kind(ev),
            Effect::TurnDone(_) => "turn_done".into(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "error",
            "turn.failed",
            "event_msg:task_complete",
            "turn_done"
        ]
    );
    assert!(session.poll().is_none());
}

#[test]
fn two_turns_share_history_and_cumulative_usage() {
    let replies = vec![
        ReplyBuilder::new(1)
            .message("first answer")
            .completed(100, 10),
        ReplyBuilder::new(2)
            .message("second answer")
            .completed(150, 15),
    ];
    let mut s = sim(replies, tool_taking(|_| 1));
    assert_eq!(ask(&mut s, "one").status, TurnStatus::Completed);
    let split = s.log.len();
    let outcome = ask(&mut s, "two");
    assert_eq!(outcome.status, TurnStatus::Completed);
    assert_eq!(outcome.turn_usage.input_tokens, 150);
    assert_eq!(outcome.thread_usage.input_tokens, 250);
    let second: Vec<String> = s.log[split..]
        .iter()
        .filter_map(|e| match e {
            Effect::Emit(ev) => Some(event_kind(ev)),
            _ => None,
        })
        .collect();
    assert_eq!(
        second,
        [
            "turn.started",
            "item.completed:agent_message",
            "turn.completed"
        ]
    );
    let kinds: Vec<String> = s.events().into_iter().map(event_kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "thread.started").count(),
        1,
        "one thread, two turns"
    );
    // Every turn.completed reports the thread's usage so far.
    let reported: Vec<u64> = s
        .events()
        .into_iter()
        .filter_map(|e| match e {
            ThreadEvent::TurnCompleted { usage, .. } => Some(usage.input_tokens),
            _ => None,
        })
        .collect();
    assert_eq!(reported, [100, 250]);
    let last_completed = s.events().into_iter().last().unwrap().clone();
    let second_request = (&TokenUsage {
        input_tokens: 150,
        output_tokens: 15,
        total_tokens: 165,
        ..TokenUsage::default()
    })
        .into();
    let turn_ids = turn_context_ids(&s);
    assert_eq!(turn_ids.len(), 2);
    assert_ne!(turn_ids[0], turn_ids[1]);
    // `usage` is the thread's; `last_usage` and `requests` are this turn's requests alone.
    assert_eq!(
        last_completed,
        ThreadEvent::TurnCompleted {
            usage: (&TokenUsage {
                input_tokens: 250,
                output_tokens: 25,
                total_tokens: 275,
                ..TokenUsage::default()
            })
                .into(),
            turn_id: Some(turn_ids[1].clone()),
            last_usage: Some(second_request),
            requests: Some(vec![second_request]),
        }
    );
    let bodies = bodies(&s.log);
    let (one, two) = (input_of(&bodies[0]), input_of(&bodies[1]));
    assert_eq!(&two[..one.len()], &one[..]);
    let texts: Vec<(&str, &str)> = two[one.len()..]
        .iter()
        .map(|i| {
            (
                i["role"].as_str().unwrap(),
                i["content"][0]["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(texts, [("assistant", "first answer"), ("user", "two")]);
    // The second turn opens with task_started and turn_context, no new session_meta.
    let kinds: Vec<String> = s.log[split..]
        .iter()
        .filter_map(|e| match e {
            Effect::Record(l) => Some(line_kind(l)),
            _ => None,
        })
        .collect();
    assert_eq!(kinds[0], "event_msg:task_started");
    assert_eq!(kinds[1], "turn_context");
    assert_eq!(kinds[2], "response_item:message");
    assert!(!kinds.contains(&"session_meta".to_string()));
}

#[test]
fn output_schema_is_a_strict_json_schema_format() {
    let schema = json!({"type": "object", "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"], "additionalProperties": false});
    let mut cfg = config();
    cfg.output_schema = Some(schema.clone());
    let mut s = Sim::new(
        session_with(cfg, 1),
        START,
        vec![ok_reply(1, r#"{"ok":true}"#)],
        tool_taking(|_| 1),
    );
    ask(&mut s, "go");
    let body = &bodies(&s.log)[0];
    assert_eq!(
        body["text"],
        json!({"verbosity": "low", "format": {"type": "json_schema", "strict": true,
            "schema": schema, "name": "codex_output_schema"}})
    );
}

#[test]
fn history_keeps_the_model_output_order() {
    // Reasoning before each call, and a message after a call: the next request must carry them
    // exactly as the model produced them, then the outputs in call order.
    let replies = vec![
        ReplyBuilder::new(1)
            .reasoning("first")
            .function_call("c1", "exec_command", r#"{"cmd":"a"}"#)
            .reasoning("second")
            .function_call("c2", "exec_command", r#"{"cmd":"b"}"#)
            .message("running both")
            .completed(10, 1),
        ok_reply(2, "done"),
    ];
    let mut s = sim(replies, tool_taking(|_| 5));
    assert_eq!(ask(&mut s, "go").status, TurnStatus::Completed);
    let body = &bodies(&s.log)[1];
    let input = input_of(body);
    let tail: Vec<String> = input[input.len() - 7..]
        .iter()
        .map(|i| match i["type"].as_str().unwrap() {
            "reasoning" => format!("reasoning:{}", i["summary"][0]["text"].as_str().unwrap()),
            "message" => format!("message:{}", i["content"][0]["text"].as_str().unwrap()),
            other => format!("{other}:{}", i["call_id"].as_str().unwrap()),
        })
        .collect();
    assert_eq!(
        tail,
        [
            "reasoning:first",
            "function_call:c1",
            "reasoning:second",
            "function_call:c2",
            "message:running both",
            "function_call_output:c1",
            "function_call_output:c2",
        ]
    );
    // The rollout records the same order.
    let items = recorded_items(&s.log);
    let kinds: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds[kinds.len() - 8..],
        [
            "reasoning",
            "function_call",
            "reasoning",
            "function_call",
            "message",
            "function_call_output",
            "function_call_output",
            "message"
        ]
    );
    assert_eq!(
        s.session.history().len(),
        input.len() - 1 + 1,
        "history = the request input without the base-instruction prefix, plus the final answer"
    );
}

#[test]
fn resumed_thread_appends_to_the_old_history() {
    use rcodex_core::protocol::ResponseItem;
    use rcodex_core::session::ResumedThread;
    let old = vec![
        ResponseItem::user_text(Some("msg_env".into()), "<environment_context/>"),
        ResponseItem::user_text(Some("msg_u1".into()), "one"),
        ResponseItem::user_text(None, "steered"),
    ];
    let mut cfg = config();
    cfg.resume = Some(ResumedThread {
        thread_id: "01a220ce-2b2d-74c2-8422-3d6170ae8633".into(),
        history: old.clone(),
        thread_usage: TokenUsage {
            input_tokens: 200,
            output_tokens: 20,
            total_tokens: 220,
            ..TokenUsage::default()
        },
        ..Default::default()
    });
    let mut s = Sim::new(
        session_with(cfg, 3),
        START,
        vec![ReplyBuilder::new(1).message("again").completed(100, 10)],
        tool_taking(|_| 1),
    );
    let outcome = ask(&mut s, "two");
    assert_eq!(outcome.thread_usage.input_tokens, 300);
    let kinds: Vec<String> = s.records().into_iter().map(line_kind).collect();
    assert_eq!(
        kinds[..5],
        [
            "event_msg:thread_settings_applied",
            "event_msg:task_started",
            "turn_context",
            "response_item:message",
            "event_msg:item_completed"
        ]
    );
    let events = s.events();
    assert_eq!(
        *events[0],
        ThreadEvent::ThreadStarted {
            thread_id: "01a220ce-2b2d-74c2-8422-3d6170ae8633".into()
        }
    );
    let body = &bodies(&s.log)[0];
    let input = input_of(body);
    // The base instructions, the old history as it was, then the new prompt.
    assert_eq!(input.len(), 1 + old.len() + 1);
    assert_eq!(input[0]["role"], "developer");
    for (sent, was) in input[1..=old.len()].iter().zip(&old) {
        assert_eq!(*sent, serde_json::to_value(was).unwrap());
    }
    assert_eq!(input[old.len() + 1]["content"][0]["text"], "two");
    let metadata: Value = serde_json::from_str(
        body["client_metadata"]["x-codex-turn-metadata"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(metadata["history_initialization"], "cold_resume");
    match events.last().unwrap() {
        ThreadEvent::TurnCompleted { usage, .. } => assert_eq!(usage.input_tokens, 300),
        other => panic!("{other:?}"),
    }
}

#[test]
fn same_inputs_and_seed_give_identical_effects_and_the_seed_matters() {
    let run = |seed: u64| {
        let replies = vec![
            ReplyBuilder::new(1)
                .reasoning("plan")
                .function_call("c1", "exec_command", r#"{"cmd":"ls"}"#)
                .completed(100, 10),
            ScriptedReply::Fail(http(500, "", None)),
            ok_reply(2, "done"),
        ];
        let mut s = Sim::new(
            session_with(config(), seed),
            START,
            replies,
            tool_taking(|_| 3),
        );
        assert_eq!(ask(&mut s, "go").status, TurnStatus::Completed);
        serde_json::to_string(&s.log).unwrap()
    };
    assert_eq!(run(7), run(7));
    // Ids and backoff jitter come from the seed: another seed gives other bytes.
    assert_ne!(run(7), run(8), "the seed matters");
}
