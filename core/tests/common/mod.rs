//! Shared fixtures of the core's scenario, property and no-I/O tests: a session configured like
//! `codex exec` (exec_command, apply_patch, update_plan, write_stdin), fake tools, and readers
//! that turn an effect log into things worth asserting (line kinds, tool timelines, call pairs).

#![allow(dead_code)]

use rcodex_core::context::{EnvironmentContext, InitialContext};
use rcodex_core::ids::SeededIds;
use rcodex_core::protocol::{FunctionCallOutputPayload, RolloutLine, ThreadEvent, ToolSpec};
use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::{
    Effect, Input, Session, SessionConfig, ToolCall, ToolDetails, ToolOutput,
};
use rcodex_core::sim::{FakeTool, ScriptedReply, Sim};
use serde_json::{json, Value};

/// The capture's clock: 2026-11-28T06:18:32Z.
pub const START: u64 = 1_795_846_712_000;

/// Tools every test session advertises; `apply_patch` is freeform like Codex's.
pub const ADVERTISED: &[&str] = &["exec_command", "write_stdin", "update_plan", "apply_patch"];

fn function_tool(name: &str) -> ToolSpec {
    ToolSpec::Function {
        name: name.into(),
        description: format!("test tool {name}"),
        strict: false,
        parameters: json!({"type": "object", "properties": {}}),
    }
}

pub fn config() -> SessionConfig {
    let env = EnvironmentContext::new("/w", SandboxMode::DangerFullAccess, "2026-11-28", "Etc/UTC");
    let mut cfg = SessionConfig::new(InitialContext::defaults(env));
    cfg.start_ms = START;
    cfg.tools = vec![
        function_tool("exec_command"),
        function_tool("write_stdin"),
        function_tool("update_plan"),
        ToolSpec::Custom {
            name: "apply_patch".into(),
            description: "test patch tool".into(),
            format: json!({"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}),
        },
    ];
    cfg
}

pub fn session_with(cfg: SessionConfig, seed: u64) -> Session {
    Session::new(cfg, Box::new(SeededIds::new(seed)))
}

pub fn session() -> Session {
    session_with(config(), 7)
}

/// A command result the way the runner reports one (exit 0).
pub fn command_output(text: &str, aggregated: &str) -> ToolOutput {
    ToolOutput {
        payload: FunctionCallOutputPayload::Text(text.into()),
        success: true,
        details: ToolDetails::Command {
            aggregated_output: aggregated.into(),
            exit_code: Some(0),
            duration_ms: 0,
            process_id: None,
        },
    }
}

/// A fake tool answering `"<name> ok"` after `ms(call)` virtual milliseconds.
pub fn tool_taking(ms: impl Fn(&ToolCall) -> u64 + 'static) -> FakeTool {
    Box::new(move |call: &ToolCall| {
        (
            ToolOutput::text(format!("{} ok", call.call_id), true),
            ms(call),
        )
    })
}

pub fn sim(replies: Vec<ScriptedReply>, tool: FakeTool) -> Sim {
    Sim::new(session(), START, replies, tool)
}

/// A rollout line as `type` or `type:payload.type` (event_msg and response_item lines).
pub fn line_kind(line: &RolloutLine) -> String {
    let v = serde_json::to_value(line).expect("rollout lines serialize");
    kind_of_line_value(&v)
}

pub fn kind_of_line_value(v: &Value) -> String {
    let ty = v["type"].as_str().unwrap_or("?").to_string();
    match v["payload"]["type"].as_str() {
        Some(inner) if ty == "event_msg" || ty == "response_item" => format!("{ty}:{inner}"),
        _ => ty,
    }
}

/// An exec event as `type` or `type:item.type`.
pub fn event_kind(event: &ThreadEvent) -> String {
    let v = serde_json::to_value(event).expect("events serialize");
    kind_of_event_value(&v)
}

pub fn kind_of_event_value(v: &Value) -> String {
    let ty = v["type"].as_str().unwrap_or("?").to_string();
    match v["item"]["type"].as_str() {
        Some(inner) => format!("{ty}:{inner}"),
        None => ty,
    }
}

/// The `response_item` payloads recorded in an effect log, in order.
pub fn recorded_items(log: &[Effect]) -> Vec<Value> {
    log.iter()
        .filter_map(|e| match e {
            Effect::Record(line) => {
                let v = serde_json::to_value(line).expect("serializes");
                (v["type"] == "response_item").then(|| v["payload"].clone())
            }
            _ => None,
        })
        .collect()
}

const CALL_TYPES: &[&str] = &["function_call", "custom_tool_call", "local_shell_call"];
const OUTPUT_TYPES: &[&str] = &["function_call_output", "custom_tool_call_output"];

/// Every output answers an earlier call of the matching kind, every call gets exactly one output,
/// and outputs come in call order. Returns a description of the first violation.
pub fn check_call_pairs(items: &[Value]) -> Result<(), String> {
    let mut calls: Vec<(String, bool)> = Vec::new();
    let mut answered: Vec<String> = Vec::new();
    for item in items {
        let ty = item["type"].as_str().unwrap_or("");
        if CALL_TYPES.contains(&ty) {
            let id = item["call_id"].as_str().unwrap_or("").to_string();
            if calls.iter().any(|(c, _)| *c == id) {
                return Err(format!("call {id} recorded twice"));
            }
            calls.push((id, ty == "custom_tool_call"));
        } else if OUTPUT_TYPES.contains(&ty) {
            let id = item["call_id"].as_str().unwrap_or("").to_string();
            let Some((_, custom)) = calls.iter().find(|(c, _)| *c == id) else {
                return Err(format!("output for {id} answers no earlier call"));
            };
            if *custom != (ty == "custom_tool_call_output") {
                return Err(format!("output for {id} has the wrong kind {ty}"));
            }
            if answered.contains(&id) {
                return Err(format!("call {id} answered twice"));
            }
            // Call order: the answered calls are a prefix of the calls, in order.
            let expected = calls
                .iter()
                .map(|(c, _)| c)
                .find(|c| !answered.contains(c))
                .expect("an unanswered call exists");
            if *expected != id {
                return Err(format!(
                    "output for {id} came before the output for {expected}"
                ));
            }
            answered.push(id);
        }
    }
    match calls.iter().find(|(c, _)| !answered.contains(c)) {
        Some((c, _)) => Err(format!("call {c} never answered")),
        None => Ok(()),
    }
}

/// Tool lifecycle steps, in the order the machine saw them.
#[derive(Clone, Debug, PartialEq)]
pub enum ToolStep {
    Run { call_id: String, exclusive: bool },
    Done { call_id: String },
    Cancel { call_id: String },
    TurnOver,
}

/// Merges a sim's inputs and effects into one tool timeline.
pub fn tool_timeline(sim: &Sim) -> Vec<ToolStep> {
    let mut out = Vec::new();
    let mut inputs = sim.inputs.iter().peekable();
    for (i, effect) in sim.log.iter().enumerate() {
        while let Some((_, at, input)) = inputs.peek() {
            if *at > i {
                break;
            }
            if let Input::ToolDone(call_id, _) = input {
                out.push(ToolStep::Done {
                    call_id: call_id.clone(),
                });
            }
            inputs.next();
        }
        out.extend(tool_step(effect));
    }
    for (_, _, input) in inputs {
        if let Input::ToolDone(call_id, _) = input {
            out.push(ToolStep::Done {
                call_id: call_id.clone(),
            });
        }
    }
    out
}

pub fn tool_step(effect: &Effect) -> Option<ToolStep> {
    match effect {
        Effect::RunTool { call, exclusive } => Some(ToolStep::Run {
            call_id: call.call_id.clone(),
            exclusive: *exclusive,
        }),
        Effect::CancelTool { call_id } => Some(ToolStep::Cancel {
            call_id: call_id.clone(),
        }),
        Effect::TurnDone(_) => Some(ToolStep::TurnOver),
        _ => None,
    }
}

/// An exclusive call never runs alongside another; a call starts at most once.
pub fn check_exclusive(timeline: &[ToolStep]) -> Result<(), String> {
    let mut running: Vec<(String, bool)> = Vec::new();
    let mut started: Vec<String> = Vec::new();
    for step in timeline {
        match step {
            ToolStep::Run { call_id, exclusive } => {
                if started.contains(call_id) {
                    return Err(format!("{call_id} started twice"));
                }
                if *exclusive && !running.is_empty() {
                    return Err(format!("exclusive {call_id} started beside {running:?}"));
                }
                if let Some((other, _)) = running.iter().find(|(_, ex)| *ex) {
                    return Err(format!("{call_id} started while exclusive {other} ran"));
                }
                started.push(call_id.clone());
                running.push((call_id.clone(), *exclusive));
            }
            ToolStep::Done { call_id } | ToolStep::Cancel { call_id } => {
                running.retain(|(c, _)| c != call_id);
            }
            ToolStep::TurnOver => running.clear(),
        }
    }
    Ok(())
}

/// The parsed body of every `SendRequest` in a log.
pub fn bodies(log: &[Effect]) -> Vec<Value> {
    log.iter()
        .filter_map(|e| match e {
            Effect::SendRequest { body, .. } => {
                Some(serde_json::from_str(body).expect("JSON body"))
            }
            _ => None,
        })
        .collect()
}

/// Texts of all `error` exec events.
pub fn error_events(sim: &Sim) -> Vec<String> {
    sim.events()
        .into_iter()
        .filter_map(|e| match e {
            ThreadEvent::Error { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

/// `(at_ms − now)` of every `SetTimer`, using the sim's stamps.
pub fn timer_delays(sim: &Sim) -> Vec<u64> {
    sim.log
        .iter()
        .zip(&sim.stamps)
        .filter_map(|(e, now)| match e {
            Effect::SetTimer { at_ms, .. } => Some(at_ms - now),
            _ => None,
        })
        .collect()
}
