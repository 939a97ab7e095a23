//! Compaction through the virtual-time simulator: manual, automatic mid-turn and pre-turn, and
//! once after a context-window failure; the shapes Codex 0.169 was captured sending and
//! recording (see `core/src/session/compact.rs`).

mod harness;

use harness::*;
use rcodex_core::protocol::{ResponseEventError, RolloutItem, ThreadEvent};
use rcodex_core::session::{Effect, Input, ModelError, TurnStatus, UserTurn};
use rcodex_core::sim::{ReplyBuilder, ScriptedReply, Sim};
use serde_json::Value;

const LIMIT: u64 = 2000;

fn compacting_sim(replies: Vec<ScriptedReply>, on_context_failure: bool) -> Sim {
    let mut cfg = config();
    cfg.compact.auto_token_limit = Some(LIMIT);
    cfg.compact.on_context_failure = on_context_failure;
    Sim::new(session_with(cfg, 7), START, replies, tool_taking(|_| 5))
}

fn ls_call(n: usize, input_tokens: u64) -> ScriptedReply {
    ReplyBuilder::new(n)
        .function_call("call_ls", "exec_command", r#"{"cmd":"ls"}"#)
        .completed(input_tokens, 10)
}

fn message(n: usize, text: &str, input_tokens: u64) -> ScriptedReply {
    ReplyBuilder::new(n)
        .message(text)
        .completed(input_tokens, 10)
}

/// `role:text` of each message of a request's input (other items by type).
fn shape(request: &Value) -> Vec<String> {
    request["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| match i["type"].as_str().unwrap() {
            "message" => {
                let text: String = i["content"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|c| c["text"].as_str())
                    .collect();
                let first = text.lines().next().unwrap_or_default().to_string();
                format!("{}:{}", i["role"].as_str().unwrap(), first)
            }
            other => other.to_string(),
        })
        .collect()
}

fn headers(sim: &Sim) -> Vec<Vec<(String, String)>> {
    sim.log
        .iter()
        .filter_map(|e| match e {
            Effect::SendRequest { headers, .. } => Some(headers.clone()),
            _ => None,
        })
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    &headers.iter().find(|(k, _)| k == name).unwrap().1
}

fn compacted(sim: &Sim) -> Vec<rcodex_core::protocol::rollout::Compacted> {
    sim.records()
        .into_iter()
        .filter_map(|l| match &l.item {
            RolloutItem::Compacted(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn line_kinds(sim: &Sim) -> Vec<String> {
    sim.records()
        .into_iter()
        .map(|l| {
            let v = serde_json::to_value(&l.item).unwrap();
            let t = v["type"].as_str().unwrap_or_default().to_string();
            let p = &v["payload"];
            match p["type"].as_str() {
                Some("item_completed") => format!("item_completed:{}", p["item"]["type"]),
                Some(inner) => format!("{t}:{inner}"),
                None => t,
            }
        })
        .collect()
}

const PROMPT_LINE: &str = "Write a handoff note for the model that will continue this conversation in a fresh context. Say what the user asked for, what has been done and decided, which files and commands matter, what is still open, and the next step. Be brief and concrete.";

#[test]
fn over_the_limit_after_a_tool_call_the_turn_compacts_before_its_follow_up() {
    let mut sim = compacting_sim(
        vec![
            ls_call(1, 5000),
            message(2, "Summary: listed files.", 100),
            message(3, "Done after compaction.", 100),
        ],
        false,
    );
    let out = sim.run_turn(UserTurn::text("compact please"));
    assert_eq!(out.status, TurnStatus::Completed);
    assert_eq!(out.requests, 3);
    assert_eq!(
        out.last_agent_message.as_deref(),
        Some("Done after compaction.")
    );
    let requests = sim.requests();
    // The summary request: no tools, no parallel calls, the history then our prompt, no id.
    let summary = &requests[1];
    assert_eq!(summary["tools"], serde_json::json!([]));
    assert_eq!(summary["parallel_tool_calls"], false);
    let last = summary["input"].as_array().unwrap().last().unwrap();
    assert!(last.get("id").is_none(), "{last}");
    assert_eq!(
        shape(summary)[1..],
        [
            "developer:<permissions instructions>".to_string(),
            "user:<environment_context>".into(),
            "user:compact please".into(),
            "function_call".into(),
            "function_call_output".into(),
            format!("user:{PROMPT_LINE}"),
        ][..],
        "{:?}",
        shape(summary)
    );
    let meta: Value =
        serde_json::from_str(header(&headers(&sim)[1], "x-codex-turn-metadata")).unwrap();
    assert_eq!(meta["request_kind"], "compaction");
    assert_eq!(meta["compaction"]["phase"], "mid_turn");
    assert!(meta.get("model").is_none());
    // The follow-up: a fresh context before the kept prompt, then the summary; window 1.
    let after = shape(&requests[2]);
    assert_eq!(
        after[1..],
        [
            "developer:<permissions instructions>",
            "user:<environment_context>",
            "user:compact please",
            "user:Earlier work on this conversation was compacted. A summary of it follows.",
        ],
        "{after:?}"
    );
    let summary_text = requests[2]["input"].as_array().unwrap().last().unwrap()["content"][0]
        ["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(summary_text.ends_with("\nSummary: listed files."));
    let h = headers(&sim);
    assert!(header(&h[2], "x-codex-window-id").ends_with(":1"));
    assert!(header(&h[1], "x-codex-window-id").ends_with(":0"));
    // The rollout: one compacted line whose replacement is what the next request sent.
    let c = compacted(&sim);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].message, summary_text);
    let sent: Vec<Value> = requests[2]["input"].as_array().unwrap()[1..].to_vec();
    let replacement: Vec<Value> = c[0]
        .replacement_history
        .as_ref()
        .unwrap()
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect();
    assert_eq!(sent, replacement);
    let kinds = line_kinds(&sim);
    let at = kinds.iter().position(|k| k == "compacted").unwrap();
    assert_eq!(
        kinds[at - 4..at + 6],
        [
            "event_msg:token_count",
            "response_item:message",
            "token_usage_record",
            "event_msg:token_count",
            "compacted",
            "turn_context",
            "event_msg:thread_settings_applied",
            "event_msg:token_count",
            "item_completed:\"ContextCompaction\"",
            "item_completed:\"AgentMessage\"",
        ],
        "{kinds:?}"
    );
    // The summary answer is on disk (as Codex writes it), though no history keeps it.
    let items = recorded_items(&sim.log);
    assert!(items
        .iter()
        .any(|i| i["content"][0]["text"] == "Summary: listed files."));
    // `--json` shows nothing of it, as Codex.
    let events = sim.events();
    assert!(events
        .iter()
        .all(|e| !matches!(e, ThreadEvent::Error { .. })));
    // The summary's usage counts toward the turn's.
    assert_eq!(out.turn_usage.input_tokens, 5200);
}

#[test]
fn a_turn_ending_over_the_limit_compacts_before_the_next_prompt() {
    let mut sim = compacting_sim(
        vec![
            message(1, "First answer.", 5000),
            message(2, "Summary of turn one.", 100),
            message(3, "Second answer.", 100),
        ],
        false,
    );
    let first = sim.run_turn(UserTurn::text("one"));
    assert_eq!(
        first.requests, 1,
        "no compaction after a turn's last response"
    );
    let second = sim.run_turn(UserTurn::text("two"));
    assert_eq!(second.status, TurnStatus::Completed);
    assert_eq!(second.requests, 2);
    let requests = sim.requests();
    let summary = shape(&requests[1]);
    assert!(
        !summary.iter().any(|s| s == "user:two"),
        "the new prompt waits for the compaction: {summary:?}"
    );
    assert_eq!(summary.last().unwrap(), &format!("user:{PROMPT_LINE}"));
    let meta: Value =
        serde_json::from_str(header(&headers(&sim)[1], "x-codex-turn-metadata")).unwrap();
    assert_eq!(meta["compaction"]["phase"], "pre_turn");
    let after = shape(&requests[2]);
    assert_eq!(
        after[1..],
        [
            "developer:<permissions instructions>",
            "user:<environment_context>",
            "user:one",
            "user:Earlier work on this conversation was compacted. A summary of it follows.",
            "user:two",
        ],
        "{after:?}"
    );
}

#[test]
fn input_compact_between_turns_is_one_summary_request_and_a_completed_turn() {
    let mut sim = compacting_sim(
        vec![message(1, "Answer.", 100), message(2, "Short summary.", 50)],
        false,
    );
    sim.run_turn(UserTurn::text("hello"));
    sim.inject(sim.now, Input::Compact);
    let out = sim.continue_turn(Vec::new());
    assert_eq!(out.status, TurnStatus::Completed);
    assert_eq!(out.requests, 1);
    let meta: Value =
        serde_json::from_str(header(&headers(&sim)[1], "x-codex-turn-metadata")).unwrap();
    assert_eq!(meta["compaction"]["trigger"], "manual");
    let history = sim.session.history();
    assert_eq!(history.len(), 4, "{history:?}");
    assert_eq!(compacted(&sim).len(), 1);
    // Below the limit, the next turn sends the compacted history and its prompt at once.
    sim.replies.push_back(message(3, "After.", 100));
    let next = sim.run_turn(UserTurn::text("go on"));
    assert_eq!(next.requests, 1);
    assert_eq!(
        shape(sim.requests().last().unwrap()).last().unwrap(),
        "user:go on"
    );
}

fn context_failure() -> ScriptedReply {
    ScriptedReply::Events(vec![rcodex_core::protocol::ResponseEvent::Failed {
        response_id: "resp_x".into(),
        error: ResponseEventError {
            code: Some("context_length_exceeded".into()),
            message: Some("Your input exceeds the context window of this model.".into()),
        },
    }])
}

#[test]
fn a_context_failure_compacts_once_and_retries_the_request() {
    let mut sim = compacting_sim(
        vec![
            context_failure(),
            message(2, "Summary after failure.", 100),
            message(3, "Done after retry.", 100),
        ],
        true,
    );
    let out = sim.run_turn(UserTurn::text("big"));
    assert_eq!(out.status, TurnStatus::Completed, "{:?}", out.status);
    assert_eq!(out.requests, 3);
    let meta: Value =
        serde_json::from_str(header(&headers(&sim)[1], "x-codex-turn-metadata")).unwrap();
    assert_eq!(meta["compaction"]["reason"], "context_window_exceeded");
    assert_eq!(
        shape(&sim.requests()[2]).last().unwrap(),
        "user:Earlier work on this conversation was compacted. A summary of it follows."
    );
}

#[test]
fn a_second_context_failure_ends_the_turn_with_the_error() {
    let mut sim = compacting_sim(
        vec![
            context_failure(),
            message(2, "Summary after failure.", 100),
            context_failure(),
        ],
        true,
    );
    let out = sim.run_turn(UserTurn::text("big"));
    assert!(
        matches!(&out.status, TurnStatus::Failed { message } if message.contains("context window")),
        "{:?}",
        out.status
    );
    assert_eq!(out.requests, 3);
}

#[test]
fn without_the_setting_a_context_failure_ends_the_turn_as_codex_does() {
    let mut sim = compacting_sim(vec![context_failure()], false);
    let out = sim.run_turn(UserTurn::text("big"));
    assert!(matches!(out.status, TurnStatus::Failed { .. }));
    assert_eq!(out.requests, 1);
}

#[test]
fn a_failed_summary_request_ends_the_turn() {
    let mut sim = compacting_sim(
        vec![
            ls_call(1, 5000),
            ScriptedReply::Fail(ModelError::Http {
                status: 400,
                body: "bad".into(),
                retry_after_ms: None,
                request_id: None,
            }),
        ],
        false,
    );
    let out = sim.run_turn(UserTurn::text("x"));
    assert!(
        matches!(out.status, TurnStatus::Failed { .. }),
        "{:?}",
        out.status
    );
    assert_eq!(out.requests, 2);
}

#[test]
fn the_same_inputs_compact_to_the_same_bytes() {
    let run = || {
        let mut sim = compacting_sim(
            vec![
                ls_call(1, 5000),
                message(2, "Summary.", 100),
                message(3, "Done.", 100),
            ],
            false,
        );
        sim.run_turn(UserTurn::text("x"));
        format!("{:?}", sim.log)
    };
    assert_eq!(run(), run());
}

// ---- the invariant over random sessions ------------------------------------------------------

use proptest::prelude::*;
use rcodex_core::ids::SeededIds;
use rcodex_core::session::Session;

/// One answer to a sampling request: a tool call or a final message, with its input tokens.
#[derive(Clone, Debug)]
struct Answer {
    call: bool,
    tokens: u64,
}

/// A turn: maybe a manual compaction first, then its prompt, answered by `answers` in order
/// (a final message once they run out).
#[derive(Clone, Debug)]
struct PlannedTurn {
    compact_first: bool,
    answers: Vec<Answer>,
}

fn planned_turn() -> impl Strategy<Value = PlannedTurn> {
    let answer = (any::<bool>(), 0u64..4000).prop_map(|(call, tokens)| Answer { call, tokens });
    (any::<bool>(), prop::collection::vec(answer, 0..5)).prop_map(|(compact_first, answers)| {
        PlannedTurn {
            compact_first,
            answers,
        }
    })
}

/// Drives a session over the planned turns, answering each summary request with a summary
/// (`summary_tokens` input tokens) and each sampling request from the plan. Returns every effect.
fn drive(turns: &[PlannedTurn], limit: u64, summary_tokens: u64) -> Vec<Effect> {
    let mut cfg = config();
    cfg.compact.auto_token_limit = Some(limit);
    let mut session = Session::new(cfg, Box::new(SeededIds::new(3)));
    let mut log = Vec::new();
    let mut now = START;
    let mut n = 0;
    for turn in turns {
        let mut answers = turn.answers.clone().into_iter();
        let mut starts = vec![Input::Submit(UserTurn::text(format!("turn {n}")))];
        if turn.compact_first {
            starts.insert(0, Input::Compact);
        }
        for start in starts {
            let mut inputs = std::collections::VecDeque::from([start]);
            while let Some(input) = inputs.pop_front() {
                now += 1;
                session.handle(now, input).expect("accepted");
                while let Some(effect) = session.poll() {
                    log.push(effect.clone());
                    match effect {
                        Effect::SendRequest {
                            request_id, body, ..
                        } => {
                            n += 1;
                            let body: Value = serde_json::from_str(&body).unwrap();
                            let reply = if body["tools"] == serde_json::json!([]) {
                                message(n, "Summary.", summary_tokens)
                            } else {
                                match answers.next() {
                                    Some(Answer { call: true, tokens }) => ReplyBuilder::new(n)
                                        .function_call(&format!("c{n}"), "exec_command", "{}")
                                        .completed(tokens, 10),
                                    Some(Answer { tokens, .. }) => message(n, "Answer.", tokens),
                                    None => message(n, "Answer.", 10),
                                }
                            };
                            let ScriptedReply::Events(events) = reply else {
                                unreachable!()
                            };
                            inputs.extend(events.into_iter().map(|e| Input::Model(request_id, e)));
                        }
                        Effect::RunTool { call, .. } => inputs.push_back(Input::ToolDone(
                            call.call_id,
                            rcodex_core::session::ToolOutput::text("ok", true),
                        )),
                        _ => {}
                    }
                }
            }
        }
    }
    log
}

/// After every compaction the next request's input (after the base prefix) starts with the
/// `compacted` line's replacement; no summary request directly follows another; every request
/// keeps calls and outputs paired.
fn check_compactions(log: &[Effect]) -> Result<(), String> {
    let mut last_was_summary = false;
    let mut pending: Option<Vec<Value>> = None;
    for effect in log {
        match effect {
            Effect::SendRequest { body, .. } => {
                let body: Value = serde_json::from_str(body).unwrap();
                let input = body["input"].as_array().unwrap();
                check_call_pairs(input)?;
                let summary = body["tools"] == serde_json::json!([]);
                if summary && last_was_summary {
                    return Err("two summary requests in a row".into());
                }
                if let Some(replacement) = pending.take() {
                    let sent = &input[1..];
                    if sent.len() < replacement.len()
                        || sent[..replacement.len()] != replacement[..]
                    {
                        return Err(format!(
                            "request after a compaction does not start with its replacement: \
                             {sent:?} vs {replacement:?}"
                        ));
                    }
                }
                last_was_summary = summary;
            }
            Effect::Record(line) => {
                if let RolloutItem::Compacted(c) = &line.item {
                    let items = c.replacement_history.as_ref().unwrap();
                    pending = Some(
                        items
                            .iter()
                            .map(|i| serde_json::to_value(i).unwrap())
                            .collect(),
                    );
                }
            }
            _ => {}
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn compactions_keep_history_and_never_repeat_without_new_input(
        turns in prop::collection::vec(planned_turn(), 1..6),
        limit in 500u64..3000,
        summary_tokens in 0u64..4000,
    ) {
        let log = drive(&turns, limit, summary_tokens);
        prop_assert_eq!(check_compactions(&log), Ok(()));
        let done = log.iter().filter(|e| matches!(e, Effect::TurnDone(_))).count();
        let manual = turns.iter().filter(|t| t.compact_first).count();
        prop_assert_eq!(done, turns.len() + manual);
    }
}

#[test]
fn the_invariant_check_catches_a_request_that_drops_the_replacement() {
    let turns = vec![PlannedTurn {
        compact_first: false,
        answers: vec![Answer {
            call: true,
            tokens: 5000,
        }],
    }];
    let mut log = drive(&turns, LIMIT, 10);
    assert_eq!(check_compactions(&log), Ok(()));
    // Drop the summary message from the request after the compaction: the check must see it.
    let last = log
        .iter()
        .rposition(|e| matches!(e, Effect::SendRequest { .. }))
        .unwrap();
    if let Effect::SendRequest { body, .. } = &mut log[last] {
        let mut v: Value = serde_json::from_str(body).unwrap();
        v["input"].as_array_mut().unwrap().remove(1);
        *body = v.to_string();
    }
    assert!(check_compactions(&log).is_err());
}
