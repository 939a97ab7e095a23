//! Forking a recorded session: the machine replays the recording up to a request, hands that
//! request over unsent, and the new thread's rollout — the parent's up to the cut, then its own —
//! replays in turn. Sessions run in virtual time against scripted replies.

use rcodex_core::context::{EnvironmentContext, InitialContext};
use rcodex_core::ids::SeededIds;
use rcodex_core::protocol::{ResponseItem, RolloutItem, RolloutLine, ToolSpec};
use rcodex_core::replay::{fork, replay, Fork, ForkError, ForkOptions, ForkPoint, RecordedLine};
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::{
    Effect, ModelSettings, Session, SessionConfig, ToolCall, ToolInput, ToolOutput, TurnStatus,
    UserTurn,
};
use rcodex_core::sim::{ReplyBuilder, Sim};
use rcodex_core::tool_set::{model_facts, tool_specs, ToolsConfig};
use serde_json::Value;

const START: u64 = 1_795_846_712_000;
const NEW_THREAD: &str = "019ad000-0000-7000-8000-00000000f0a1";

fn config() -> SessionConfig {
    let env = EnvironmentContext::new("/w", SandboxMode::WorkspaceWrite, "2026-11-28", "UTC");
    let mut cfg = SessionConfig::new(InitialContext::defaults(env));
    let facts = model_facts("gpt-5.5");
    cfg.start_ms = START;
    cfg.model = ModelSettings {
        slug: facts.slug.clone(),
        context_window: Some(facts.context_window),
        reasoning_effort: facts.default_reasoning_effort.clone(),
        reasoning_summary: None,
        verbosity: facts.default_verbosity.clone(),
        parallel_tool_calls: true,
        instructions_field: facts.uses_instructions_field,
    };
    cfg.tools = tool_specs(&facts, &ToolsConfig::default())
        .into_iter()
        .map(|v| serde_json::from_value::<ToolSpec>(v).unwrap())
        .collect();
    cfg
}

fn tool(call: &ToolCall) -> (ToolOutput, u64) {
    (ToolOutput::text(format!("{} ran", call.call_id), true), 30)
}

/// Two turns: a shell call then an answer; then a second shell call and answer.
fn parent() -> (Vec<RecordedLine>, Vec<Value>) {
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("call_1", "exec_command", r#"{"cmd":"ls"}"#)
            .completed(100, 10),
        ReplyBuilder::new(2).message("two files").completed(150, 5),
        ReplyBuilder::new(3)
            .function_call("call_2", "exec_command", r#"{"cmd":"cat a"}"#)
            .completed(200, 10),
        ReplyBuilder::new(4).message("a says hi").completed(250, 5),
    ];
    let session = Session::new(config(), Box::new(SeededIds::new(7)));
    let mut sim = Sim::new(session, START, replies, Box::new(tool));
    for prompt in ["list the files", "read a"] {
        assert_eq!(
            sim.run_turn(UserTurn::text(prompt)).status,
            TurnStatus::Completed
        );
    }
    (numbered(sim.records().into_iter().cloned()), sim.requests())
}

fn numbered(lines: impl IntoIterator<Item = RolloutLine>) -> Vec<RecordedLine> {
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| RecordedLine {
            number: i + 1,
            line,
        })
        .collect()
}

fn options(model: Option<&str>) -> ForkOptions {
    ForkOptions {
        thread_id: NEW_THREAD.into(),
        ids: Box::new(SeededIds::new(99)),
        model: model.map(String::from),
        configure: Box::new(|cfg| cfg.identity.originator = "rcodex_fork_test".into()),
    }
}

fn fork_at(lines: &[RecordedLine], at: &str) -> Result<Fork, ForkError> {
    fork(lines, at.parse().unwrap(), options(None))
}

fn held_body(fork: &Fork) -> Value {
    match &fork.held[0] {
        Effect::SendRequest { body, .. } => serde_json::from_str(body).unwrap(),
        other => panic!("the first held effect sends the cut request, not {other:?}"),
    }
}

fn json(line: &RolloutLine) -> Value {
    serde_json::to_value(line).unwrap()
}

#[test]
fn the_cut_request_carries_the_recorded_history_under_the_new_thread() {
    let (lines, bodies) = parent();
    for (at, index) in [("1", 0), ("1.2", 1), ("2", 2), ("2.2", 3)] {
        let forked = fork_at(&lines, at).unwrap();
        let body = held_body(&forked);
        assert_eq!(body["input"], bodies[index]["input"], "--fork-at {at}");
        assert_eq!(body["prompt_cache_key"], NEW_THREAD, "--fork-at {at}");
        assert_ne!(bodies[index]["prompt_cache_key"], NEW_THREAD);
        assert_eq!(forked.replayed_requests, index);
    }
}

#[test]
fn the_new_rollout_is_the_parents_up_to_the_cut_under_a_meta_naming_parent_and_point() {
    let (lines, _) = parent();
    let parent_id = match &lines[0].line.item {
        RolloutItem::SessionMeta(m) => m.id.clone(),
        other => panic!("first line {other:?}"),
    };
    let forked = fork_at(&lines, "2.2").unwrap();
    let meta = json(&forked.records[0]);
    assert_eq!(meta["payload"]["id"], NEW_THREAD);
    assert_eq!(meta["payload"]["forked_from_id"], parent_id.as_str());
    assert_eq!(
        meta["payload"]["fork_point"],
        serde_json::json!({"turn": 2, "request": 2})
    );
    assert_eq!(meta["payload"]["originator"], "rcodex_fork_test");
    // Every later line is the parent's, in order, up to the second call's answer; the thread
    // it names is the new one. (A turn's time to first token is not in the recording's lines:
    // the replayed one is the first recorded item's time.)
    let copied = &forked.records[1..];
    let cut = lines
        .iter()
        .position(|l| matches!(&l.line.item, RolloutItem::ResponseItem(ResponseItem::FunctionCallOutput(o)) if o.call_id == "call_2"))
        .unwrap();
    assert!(
        copied.len() > cut,
        "the rollout reaches past call_2's output"
    );
    let comparable = |line: &RolloutLine| {
        let mut v = json(line);
        if let Some(p) = v["payload"].as_object_mut() {
            p.remove("time_to_first_token_ms");
        }
        v.to_string()
    };
    for (i, line) in copied.iter().enumerate() {
        let parents = comparable(&lines[i + 1].line).replace(&parent_id, NEW_THREAD);
        assert_eq!(comparable(line), parents, "line {}", i + 2);
    }
    assert!(
        !lines[copied.len() + 1..].iter().any(|l| matches!(
            &l.line.item,
            RolloutItem::ResponseItem(ResponseItem::FunctionCallOutput(_))
        )),
        "no answer is recorded after the cut"
    );
    assert!(forked.later_turns.is_empty());
}

#[test]
fn a_fork_goes_on_against_a_new_model_and_its_rollout_replays() {
    let (lines, _) = parent();
    let forked = fork_at(&lines, "1.2").unwrap();
    assert_eq!(
        forked
            .later_turns
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>(),
        ["read a"]
    );
    let Fork {
        session,
        held,
        records,
        later_turns,
        ..
    } = forked;
    let replies = vec![
        ReplyBuilder::new(21)
            .message("forked answer")
            .completed(10, 1),
        ReplyBuilder::new(22)
            .function_call("call_f", "exec_command", r#"{"cmd":"cat a"}"#)
            .completed(10, 1),
        ReplyBuilder::new(23).message("forked end").completed(10, 1),
    ];
    let mut sim = Sim::new(session, START + 60_000, replies, Box::new(tool));
    let first = sim.continue_turn(held);
    assert_eq!(first.status, TurnStatus::Completed);
    assert_eq!(first.last_agent_message.as_deref(), Some("forked answer"));
    for turn in later_turns {
        assert_eq!(sim.run_turn(turn).status, TurnStatus::Completed);
    }
    let rollout = numbered(
        records
            .into_iter()
            .chain(sim.records().into_iter().cloned()),
    );
    let replayed = replay(&rollout).expect("the fork's rollout replays");
    assert_eq!(replayed.divergence, None);
    assert_eq!(replayed.requests.len(), 4);
    let turns: Vec<usize> = replayed.requests.iter().map(|r| r.turn).collect();
    assert_eq!(turns, [1, 1, 2, 2]);
}

#[test]
fn the_recorded_answers_answer_the_same_call_only() {
    let (lines, _) = parent();
    let mut answers = fork_at(&lines, "1").unwrap().answers;
    assert_eq!(answers.len(), 2);
    let call = |args: &str| ToolCall {
        call_id: "call_new".into(),
        name: "exec_command".into(),
        namespace: None,
        input: ToolInput::Arguments(args.into()),
    };
    let out = answers
        .answer(&call(r#"{"cmd": "cat a"}"#))
        .expect("recorded");
    assert_eq!(out.payload.to_text(), "call_2 ran");
    assert!(answers.answer(&call(r#"{"cmd":"cat b"}"#)).is_none());
}

#[test]
fn a_new_model_gets_its_tools_and_the_recorded_calls_still_replay() {
    let (lines, _) = parent();
    let forked = fork(&lines, "2".parse().unwrap(), options(Some("gpt-5.1-codex"))).unwrap();
    let body = held_body(&forked);
    assert_eq!(body["model"], "gpt-5.1-codex");
    let names: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"exec_command"), "{names:?}");
}

#[test]
fn points_the_recording_does_not_reach_are_refused() {
    let (lines, _) = parent();
    assert_eq!(
        fork_at(&lines, "3").err().map(|e| e.to_string()).as_deref(),
        Some("--fork-at 3.1: the session has 2 turn(s)")
    );
    assert_eq!(
        fork_at(&lines, "1.3")
            .err()
            .map(|e| e.to_string())
            .as_deref(),
        Some("--fork-at 1.3: turn 1 sent 2 request(s)")
    );
    for bad in ["0", "1.0", "x", "1.", ".2", "-1"] {
        assert!(bad.parse::<ForkPoint>().is_err(), "{bad:?} parses");
    }
    assert_eq!(
        "4.2".parse::<ForkPoint>(),
        Ok(ForkPoint {
            turn: 4,
            request: 2
        })
    );
}

#[test]
fn a_recording_that_diverges_before_the_cut_is_refused_and_after_it_is_not() {
    let (mut lines, _) = parent();
    let second_answer = lines
        .iter()
        .position(|l| matches!(&l.line.item, RolloutItem::ResponseItem(ResponseItem::FunctionCallOutput(o)) if o.call_id == "call_2"))
        .unwrap();
    if let RolloutItem::ResponseItem(ResponseItem::FunctionCallOutput(o)) =
        &mut lines[second_answer].line.item
    {
        o.call_id = "call_9".into();
    }
    assert!(fork_at(&lines, "2.1").is_ok());
    match fork_at(&lines, "2.2") {
        Err(ForkError::Diverged(d)) => assert!(d.what.contains("call_2"), "{}", d.what),
        other => panic!("expected a divergence, got {:?}", other.err()),
    }
}
