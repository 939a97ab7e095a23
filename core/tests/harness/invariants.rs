//! The turn loop's invariants as checks over recorded items and tool timelines, shared by the
//! scenario tests and the property tests. Each returns a description of the first violation.

use std::ops::RangeInclusive;

use serde_json::Value;

use super::effect_log::ToolStep;

const CALL_TYPES: &[&str] = &["function_call", "custom_tool_call", "local_shell_call"];
const OUTPUT_TYPES: &[&str] = &["function_call_output", "custom_tool_call_output"];

/// Every output answers an earlier call of the matching kind, every call gets exactly one output,
/// and outputs come in call order.
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

/// Items the model produced (`item_<reply>_<n>` ids from `ReplyBuilder`) sit in history in the
/// order the model produced them.
pub fn check_model_order(history: &[Value]) -> Result<(), String> {
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

/// The delays the n-th retry (from 1) may wait without a server hint: `base × 2^(n−1)` with
/// ±10 % jitter.
pub fn backoff_range(base_ms: u64, retry: u32) -> RangeInclusive<u64> {
    let nominal = base_ms as f64 * 2f64.powi(retry as i32 - 1);
    (nominal * 0.9).floor() as u64..=(nominal * 1.1).ceil() as u64
}

/// Each delay of consecutive retries 1, 2, … lies in its backoff range (base 200 ms).
pub fn check_backoff(delays: &[u64]) -> Result<(), String> {
    for (i, d) in delays.iter().enumerate() {
        let range = backoff_range(200, i as u32 + 1);
        if !range.contains(d) {
            return Err(format!("retry {} waited {d} ms, outside {range:?}", i + 1));
        }
    }
    Ok(())
}
