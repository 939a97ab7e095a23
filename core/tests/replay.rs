//! Replay against the machine's own recordings: sessions run in virtual time, their rollout lines
//! replayed, every request rebuilt byte for byte; tampered recordings diverge where tampered.

use rcodex_core::context::{EnvironmentContext, InitialContext};
use rcodex_core::ids::SeededIds;
use rcodex_core::protocol::{FunctionCallOutputPayload, ResponseItem, RolloutItem, ToolSpec};
use rcodex_core::replay::{replay, RecordedLine, Replay};
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::{
    Effect, Input, ModelError, ModelSettings, Session, SessionConfig, ToolCall, ToolOutput,
    UserTurn,
};
use rcodex_core::sim::{ReplyBuilder, ScriptedReply, Sim};
use rcodex_core::tool_set::{model_facts, tool_specs, ToolsConfig};

const START: u64 = 1_795_846_712_000;
/// Stands in for Codex's interrupt marker (whose words rcodex never carries).
const INTERRUPT_MARKER: &str = "<turn_aborted>\nmarker words\n</turn_aborted>";

/// A session configured as `rcodex exec` configures gpt-5.5 (the config replay infers).
fn session(seed: u64, update_plan: bool) -> Session {
    Session::new(config(update_plan), Box::new(SeededIds::new(seed)))
}

fn config(update_plan: bool) -> SessionConfig {
    let env = EnvironmentContext::new("/w", SandboxMode::WorkspaceWrite, "2026-11-28", "UTC");
    let mut cfg = SessionConfig::new(InitialContext::defaults(env));
    let facts = model_facts("gpt-5.5");
    cfg.start_ms = START;
    cfg.interrupt_marker = Some(INTERRUPT_MARKER.into());
    cfg.model = ModelSettings {
        slug: facts.slug.clone(),
        context_window: Some(facts.context_window),
        reasoning_effort: facts.default_reasoning_effort.clone(),
        reasoning_summary: None,
        verbosity: facts.default_verbosity.clone(),
        parallel_tool_calls: true,
        instructions_field: facts.uses_instructions_field,
    };
    let tools = ToolsConfig {
        update_plan,
        ..ToolsConfig::default()
    };
    cfg.tools = tool_specs(&facts, &tools)
        .into_iter()
        .map(|v| serde_json::from_value::<ToolSpec>(v).unwrap())
        .collect();
    cfg
}

fn tool(call: &ToolCall) -> (ToolOutput, u64) {
    (ToolOutput::text(format!("{} ran", call.call_id), true), 30)
}

/// Runs `turns` prompts against `replies`; returns the rollout lines and the request bodies.
fn record(
    replies: Vec<ScriptedReply>,
    turns: &[&str],
    interrupt_at: Option<u64>,
) -> (Vec<RecordedLine>, Vec<String>) {
    // Replay offers update_plan when the recording calls it (the tool list is not recorded).
    let plans = replies
        .iter()
        .any(|r| format!("{r:?}").contains("update_plan"));
    let mut sim = Sim::new(session(11, plans), START, replies, Box::new(tool));
    if let Some(at) = interrupt_at {
        sim.inject(at, Input::Interrupt);
    }
    for prompt in turns {
        if !sim.session.is_idle() {
            break;
        }
        let outcome = sim.run_turn(UserTurn::text(*prompt));
        if !matches!(
            outcome.status,
            rcodex_core::session::TurnStatus::Completed
                | rcodex_core::session::TurnStatus::Interrupted
        ) {
            break;
        }
    }
    recorded(&sim)
}

/// The simulated session's rollout lines (numbered from 1) and request bodies.
fn recorded(sim: &Sim) -> (Vec<RecordedLine>, Vec<String>) {
    let lines = sim
        .records()
        .into_iter()
        .enumerate()
        .map(|(i, line)| RecordedLine {
            number: i + 1,
            line: line.clone(),
        })
        .collect();
    let bodies = sim
        .log
        .iter()
        .filter_map(|e| match e {
            Effect::SendRequest { body, .. } => Some(body.clone()),
            _ => None,
        })
        .collect();
    (lines, bodies)
}

/// Where the first function call is.
fn first_call(lines: &[RecordedLine]) -> usize {
    lines
        .iter()
        .position(|l| {
            matches!(
                &l.line.item,
                RolloutItem::ResponseItem(ResponseItem::FunctionCall(_))
            )
        })
        .expect("a function call line")
}

fn replays_exactly(lines: &[RecordedLine], bodies: &[String]) -> Replay {
    let replayed = replay(lines).expect("replays");
    assert_eq!(replayed.divergence, None);
    let rebuilt: Vec<&str> = replayed.requests.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(rebuilt.len(), bodies.len(), "request count");
    for (i, (got, want)) in rebuilt.iter().zip(bodies).enumerate() {
        if got != want {
            let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
            let at = rcodex_core::replay::first_difference(&parse(want), &parse(got));
            panic!("request {} rebuilt differently at {at:?}", i + 1);
        }
    }
    replayed
}

fn shell_turn() -> Vec<ScriptedReply> {
    vec![
        ReplyBuilder::new(1)
            .reasoning("look first")
            .function_call("call_1", "exec_command", r#"{"cmd":"ls"}"#)
            .completed(100, 10),
        ReplyBuilder::new(2).message("two files").completed(150, 5),
    ]
}

#[test]
fn a_shell_turn_rebuilds_every_request_byte_for_byte() {
    let (lines, bodies) = record(shell_turn(), &["list the files"], None);
    assert_eq!(bodies.len(), 2);
    replays_exactly(&lines, &bodies);
}

#[test]
fn parallel_and_exclusive_calls_and_a_second_turn_replay() {
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("a", "exec_command", r#"{"cmd":"ls"}"#)
            .function_call("b", "exec_command", r#"{"cmd":"pwd"}"#)
            .custom_call("p", "apply_patch", "*** Begin Patch\n*** End Patch\n")
            .function_call("u", "no_such_tool", "{}")
            .completed(10, 1),
        ReplyBuilder::new(2).message("done").completed(20, 1),
        ReplyBuilder::new(3)
            .function_call("c", "update_plan", r#"{"plan":[]}"#)
            .completed(30, 1),
        ReplyBuilder::new(4).message("planned").completed(40, 1),
    ];
    let (lines, bodies) = record(replies, &["first", "second"], None);
    assert_eq!(bodies.len(), 4);
    let replayed = replays_exactly(&lines, &bodies);
    let turns: Vec<usize> = replayed.requests.iter().map(|r| r.turn).collect();
    assert_eq!(turns, [1, 1, 2, 2]);
}

#[test]
fn a_cut_stream_replays_its_partial_message_and_retry() {
    let replies = vec![
        ReplyBuilder::new(1).message("half an ans").cut(),
        ReplyBuilder::new(2)
            .message("a whole answer")
            .completed(10, 2),
    ];
    let (lines, bodies) = record(replies, &["go"], None);
    assert_eq!(bodies.len(), 2);
    replays_exactly(&lines, &bodies);
}

#[test]
fn a_failed_turn_replays_to_its_failure() {
    let fatal = ModelError::Http {
        status: 400,
        body: "bad request body".into(),
        retry_after_ms: None,
        request_id: None,
    };
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("c1", "exec_command", r#"{"cmd":"ls"}"#)
            .completed(10, 1),
        ScriptedReply::Fail(fatal),
    ];
    let (lines, bodies) = record(replies, &["go", "never sent"], None);
    assert_eq!(bodies.len(), 2);
    replays_exactly(&lines, &bodies);
}

#[test]
fn an_interrupted_turn_replays_with_its_aborted_calls() {
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("c1", "exec_command", r#"{"cmd":"sleep 9"}"#)
            .function_call("c2", "exec_command", r#"{"cmd":"sleep 9"}"#)
            .completed(10, 1),
        ReplyBuilder::new(2).message("after").completed(10, 1),
    ];
    // Tools take 30 ms; the interrupt lands while both run.
    let (lines, bodies) = record(replies, &["go", "again"], Some(START + 15));
    let aborted = lines
        .iter()
        .filter(|l| is_output(l, "Wall time: 0.0 seconds\naborted by user"))
        .count();
    assert_eq!(aborted, 2, "both calls answered as aborted");
    // The marker the interrupt left is replayed, with its recorded id, before the next prompt.
    let markers: Vec<usize> = lines
        .iter()
        .filter(|l| is_message(l, INTERRUPT_MARKER))
        .map(|l| l.number)
        .collect();
    assert_eq!(markers.len(), 1);
    let replayed = replays_exactly(&lines, &bodies);
    assert!(replayed.requests[1].body.contains("marker words"));
}

fn is_message(l: &RecordedLine, text: &str) -> bool {
    let line = serde_json::to_value(&l.line).unwrap();
    line["payload"]["type"] == "message" && line["payload"]["content"][0]["text"] == text
}

fn is_output(l: &RecordedLine, text: &str) -> bool {
    matches!(&l.line.item, RolloutItem::ResponseItem(ResponseItem::FunctionCallOutput(o)) if o.output.to_text() == text)
}

#[test]
fn a_changed_tool_output_diverges_at_its_line_and_field() {
    let (mut lines, _) = record(shell_turn(), &["list the files"], None);
    let at = lines
        .iter()
        .position(|l| is_output(l, "call_1 ran"))
        .expect("the output line");
    if let RolloutItem::ResponseItem(ResponseItem::FunctionCallOutput(o)) = &mut lines[at].line.item
    {
        o.call_id = "call_9".into();
    }
    let d = replay(&lines).unwrap().divergence.expect("diverges");
    assert_eq!(d.line, lines[at].number);
    assert_eq!(d.request, 1);
    // The machine answers call_1 with its recorded output only if one exists: none does now.
    assert!(d.what.contains("call_1"), "{}", d.what);
}

#[test]
fn an_output_moved_before_its_call_is_reported_with_a_pointer() {
    let (mut lines, _) = record(shell_turn(), &["list the files"], None);
    let at = lines
        .iter()
        .position(|l| is_output(l, "call_1 ran"))
        .unwrap();
    let output = lines.remove(at);
    let call_at = first_call(&lines);
    lines.insert(call_at, output);
    let d = replay(&lines).unwrap().divergence.expect("diverges");
    // History: developer, environment, prompt, reasoning, then the call where the recording
    // now has the output.
    assert_eq!(d.item, Some(4));
    assert_eq!(d.pointer, "/type");
    assert_eq!(d.expected["type"], "function_call_output");
    assert_eq!(d.actual["type"], "function_call");
    assert_eq!(d.line, lines[call_at].number);
}

#[test]
fn a_removed_final_message_diverges_at_the_turn_end() {
    let (lines, _) = record(shell_turn(), &["list the files"], None);
    let without_answer: Vec<_> = lines
        .iter()
        .filter(|l| {
            !matches!(&l.line.item, RolloutItem::ResponseItem(ResponseItem::Message(m)) if m.role == "assistant")
        })
        .cloned()
        .collect();
    let d = replay(&without_answer)
        .unwrap()
        .divergence
        .expect("diverges");
    assert!(d.what.contains("final message"), "{}", d.what);
    assert_eq!(d.request, 2);
    assert_eq!(d.expected, "two files");
    assert_eq!(d.actual, serde_json::Value::Null);
    let task_complete = without_answer.last().unwrap();
    assert_eq!(d.line, task_complete.number);
}

#[test]
fn an_extra_recorded_call_diverges() {
    let (mut lines, _) = record(shell_turn(), &["list the files"], None);
    let call_at = first_call(&lines);
    let mut extra = lines[call_at].clone();
    if let RolloutItem::ResponseItem(ResponseItem::FunctionCall(c)) = &mut extra.line.item {
        c.call_id = "call_extra".into();
    }
    lines.insert(call_at + 1, extra);
    for (i, l) in lines.iter_mut().enumerate() {
        l.number = i + 1;
    }
    let d = replay(&lines).unwrap().divergence.expect("diverges");
    assert!(d.what.contains("call_extra"), "{}", d.what);
    assert_eq!(d.request, 1);
}

#[test]
fn a_recording_without_session_meta_is_not_a_rollout() {
    let (lines, _) = record(shell_turn(), &["x"], None);
    let without_meta: Vec<_> = lines
        .into_iter()
        .filter(|l| !matches!(l.line.item, RolloutItem::SessionMeta(_)))
        .collect();
    assert_eq!(
        replay(&without_meta).unwrap_err(),
        rcodex_core::replay::ReplayError::NoSessionMeta
    );
}

#[test]
fn view_image_content_outputs_replay() {
    let replies = vec![
        ReplyBuilder::new(1)
            .function_call("v", "view_image", r#"{"path":"a.png"}"#)
            .completed(10, 1),
        ReplyBuilder::new(2).message("a cat").completed(10, 1),
    ];
    let image_tool = |call: &ToolCall| {
        let payload = FunctionCallOutputPayload::Content(vec![
            rcodex_core::protocol::ContentItem::InputImage {
                image_url: "data:image/png;base64,AAAA".into(),
                detail: None,
            },
        ]);
        let _ = call;
        (
            ToolOutput {
                payload,
                success: true,
                details: Default::default(),
            },
            5,
        )
    };
    let mut sim = Sim::new(session(3, false), START, replies, Box::new(image_tool));
    sim.run_turn(UserTurn::text("what is it"));
    let (lines, bodies) = recorded(&sim);
    replays_exactly(&lines, &bodies);
}

/// One real Codex 0.169 turn (`fixtures/upstream`, prose elided): its rollout replays, and the
/// rebuilt requests carry the input Codex sent, item for item. The base-instructions message is
/// not in the rollout; its id is derived differently (ids aside), its role and place are checked.
#[test]
fn a_codex_rollout_rebuilds_the_input_codex_sent() {
    let lines: Vec<RecordedLine> = include_str!("fixtures/upstream/exec-shell-rollout.jsonl")
        .lines()
        .enumerate()
        .map(|(i, text)| RecordedLine {
            number: i + 1,
            line: serde_json::from_str(text).unwrap(),
        })
        .collect();
    let replayed = replay(&lines).unwrap();
    assert_eq!(replayed.divergence, None);
    let captures = [
        include_str!("fixtures/upstream/exec-shell-request-1.json"),
        include_str!("fixtures/upstream/exec-shell-request-2.json"),
    ];
    assert_eq!(replayed.requests.len(), captures.len());
    for (n, (rebuilt, capture)) in replayed.requests.iter().zip(captures).enumerate() {
        let capture: serde_json::Value = serde_json::from_str(capture).unwrap();
        let sent = &capture["body"]["input"];
        let body: serde_json::Value = serde_json::from_str(&rebuilt.body).unwrap();
        let input = body["input"].as_array().unwrap();
        assert_eq!(
            input.len(),
            sent.as_array().unwrap().len(),
            "request {}",
            n + 1
        );
        assert_eq!(input[0]["role"], "developer");
        for (i, item) in input.iter().enumerate().skip(1) {
            let differs = rcodex_core::replay::first_difference(&sent[i], item);
            assert_eq!(differs, None, "request {} input item {i}", n + 1);
        }
    }
}

#[test]
fn history_without_turns_is_unsupported_not_a_divergence() {
    let (lines, _) = record(shell_turn(), &["x"], None);
    let without_turns: Vec<_> = lines
        .into_iter()
        .filter(|l| {
            !matches!(
                l.line.item,
                RolloutItem::EventMsg(rcodex_core::protocol::EventMsg::TaskStarted(_))
            )
        })
        .collect();
    let err = replay(&without_turns).unwrap_err();
    assert!(
        matches!(&err, rcodex_core::replay::ReplayError::Unsupported { line, message }
            if *line == without_turns[1].number && message.contains("no task_started")),
        "{err}"
    );
}

/// An exec_command answer as the runner renders it, with the command facts it reports.
fn exec_tool(call: &ToolCall) -> (ToolOutput, u64) {
    let listing = format!("{}.txt\n", call.call_id);
    let text = format!(
        "Chunk ID: 6936f4\nWall time: 0.0010 seconds\nProcess exited with code 0\nOriginal token count: 2\nOutput:\n{listing}"
    );
    let output = ToolOutput {
        payload: FunctionCallOutputPayload::Text(text),
        success: true,
        details: rcodex_core::session::ToolDetails::Command {
            aggregated_output: listing,
            exit_code: Some(0),
            duration_ms: 1,
            process_id: None,
        },
    };
    (output, 10)
}

#[test]
fn an_edited_command_output_is_not_its_recorded_result() {
    let mut sim = Sim::new(session(5, false), START, shell_turn(), Box::new(exec_tool));
    sim.run_turn(UserTurn::text("list"));
    let (mut lines, bodies) = recorded(&sim);
    replays_exactly(&lines, &bodies);
    let at = lines
        .iter()
        .position(|l| is_output(l, "Chunk ID: 6936f4\nWall time: 0.0010 seconds\nProcess exited with code 0\nOriginal token count: 2\nOutput:\ncall_1.txt\n"))
        .expect("the command's output line");
    if let RolloutItem::ResponseItem(ResponseItem::FunctionCallOutput(o)) = &mut lines[at].line.item
    {
        let edited = o.output.to_text().replace("call_1.txt", "secret.txt");
        o.output = FunctionCallOutputPayload::Text(edited);
    }
    let d = replay(&lines).unwrap().divergence.expect("diverges");
    assert_eq!(d.line, lines[at].number);
    assert_eq!(d.pointer, "/output");
    assert!(d.what.contains("exec_command (call call_1)"), "{}", d.what);
    assert!(d
        .expected
        .as_str()
        .unwrap()
        .ends_with("Output:\ncall_1.txt\n"));
    assert!(d
        .actual
        .as_str()
        .unwrap()
        .ends_with("Output:\nsecret.txt\n"));
}

/// Records `replies` for `prompts` with id seed `seed` (ids differ between seeds).
fn session_lines(seed: u64, replies: Vec<ScriptedReply>, prompts: &[&str]) -> Vec<RecordedLine> {
    let mut sim = Sim::new(session(seed, false), START, replies, Box::new(exec_tool));
    for p in prompts {
        sim.run_turn(UserTurn::text(*p));
    }
    recorded(&sim).0
}

#[test]
fn two_runs_of_one_task_compare_equal_whatever_their_ids() {
    let a = session_lines(1, shell_turn(), &["list the files"]);
    let b = session_lines(2, shell_turn(), &["list the files"]);
    assert_ne!(a[0].line, b[0].line, "different thread ids");
    let c = rcodex_core::replay::compare(&a, &b).unwrap();
    assert_eq!(c.divergence, None);
    assert_eq!(c.turns.len(), 1);
    let facts = c.turns[0].a.as_ref().unwrap();
    assert_eq!(facts.requests, 2);
    assert_eq!(facts.tool_calls, ["exec_command"]);
    assert_eq!((facts.input_tokens, facts.output_tokens), (250, 15));
    assert_eq!(facts.final_message.as_deref(), Some("two files"));
    assert_eq!(c.turns[0].a, c.turns[0].b);
}

#[test]
fn sessions_part_at_the_first_different_call_argument() {
    let other = vec![
        ReplyBuilder::new(1)
            .reasoning("look first")
            .function_call("call_1", "exec_command", r#"{"cmd":"ls -la"}"#)
            .completed(100, 10),
        ReplyBuilder::new(2).message("two files").completed(150, 5),
    ];
    let a = session_lines(1, shell_turn(), &["list the files"]);
    let b = session_lines(1, other, &["list the files"]);
    let d = rcodex_core::replay::compare(&a, &b)
        .unwrap()
        .divergence
        .expect("they part");
    assert_eq!((d.turn, d.request, d.item), (1, 1, Some(1)));
    assert_eq!(d.pointer, "/arguments");
    assert_eq!(d.a["arguments"], r#"{"cmd":"ls"}"#);
    assert_eq!(d.b["arguments"], r#"{"cmd":"ls -la"}"#);
    assert!(d.line_a > 0 && d.line_a == d.line_b);
}

#[test]
fn a_missing_turn_and_a_different_ending_are_reported() {
    let two = vec![
        ReplyBuilder::new(1).message("one").completed(1, 1),
        ReplyBuilder::new(2).message("two").completed(1, 1),
    ];
    let a = session_lines(1, two.clone(), &["first", "second"]);
    let b = session_lines(1, two, &["first"]);
    let c = rcodex_core::replay::compare(&a, &b).unwrap();
    assert_eq!(c.turns.len(), 2);
    assert!(c.turns[1].b.is_none());
    let d = c.divergence.expect("they part");
    assert_eq!(d.turn, 2);
    assert!(d.what.contains("only in A"), "{}", d.what);

    let other_end = vec![ReplyBuilder::new(1).message("uno").completed(1, 1)];
    let b = session_lines(1, other_end, &["first"]);
    let d = rcodex_core::replay::compare(&a, &b)
        .unwrap()
        .divergence
        .unwrap();
    assert_eq!((d.turn, d.item), (1, Some(0)));
    assert_eq!(d.pointer, "/content/0/text");
}

#[test]
fn a_thread_resumed_by_a_second_process_replays_as_resumed() {
    let one = vec![ReplyBuilder::new(1).message("one").completed(10, 1)];
    let mut first = Sim::new(session(1, false), START, one, Box::new(tool));
    first.run_turn(UserTurn::text("first"));
    let (mut lines, mut bodies) = recorded(&first);

    // A new process appends the second turn to the same file, resuming the thread.
    let mut cfg = config(false);
    cfg.resume = Some(rcodex_core::session::ResumedThread {
        thread_id: first.session.thread_id().into(),
        history: first.session.history().to_vec(),
        thread_usage: Default::default(),
        ..Default::default()
    });
    let two = vec![ReplyBuilder::new(2).message("two").completed(20, 1)];
    let resumed = Session::new(cfg, Box::new(SeededIds::new(2)));
    let mut second = Sim::new(resumed, START + 60_000, two, Box::new(tool));
    second.run_turn(UserTurn::text("second"));
    let (more, more_bodies) = recorded(&second);
    let offset = lines.len();
    lines.extend(more.into_iter().map(|mut l| {
        l.number += offset;
        l
    }));
    bodies.extend(more_bodies);

    let replayed = replay(&lines).unwrap();
    assert_eq!(replayed.divergence, None);
    assert_eq!(replayed.requests.len(), 2);
    assert_eq!(
        replayed.requests[0].body, bodies[0],
        "the first process's request"
    );
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    let (rebuilt, sent) = (parse(&replayed.requests[1].body), parse(&bodies[1]));
    assert_eq!(rebuilt["input"], sent["input"]);
    assert_eq!(
        rebuilt["client_metadata"]["turn_id"],
        sent["client_metadata"]["turn_id"]
    );
    let meta = |v: &serde_json::Value| {
        parse(
            v["client_metadata"]["x-codex-turn-metadata"]
                .as_str()
                .unwrap(),
        )
    };
    assert_eq!(meta(&rebuilt)["history_initialization"], "cold_resume");
    // Only the resumed process's context window id is not in the rollout.
    let mut a = meta(&rebuilt);
    let mut b = meta(&sent);
    a.as_object_mut().unwrap().remove("context_window_id");
    b.as_object_mut().unwrap().remove("context_window_id");
    assert_eq!(a, b);
}
