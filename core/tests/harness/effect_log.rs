//! Readers over a session's effect log: rollout line and exec event kinds, recorded items,
//! request bodies, error events, timer delays and the tool timeline.

use rcodex_core::protocol::{RolloutLine, ThreadEvent};
use rcodex_core::session::{Effect, Input};
use rcodex_core::sim::Sim;
use serde_json::Value;

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

/// The tool step an effect stands for, if any.
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
