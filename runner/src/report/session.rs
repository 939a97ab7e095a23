//! The session view's data: one rollout (ours or Codex's, any generation the replay reader
//! accepts) as a timeline of entries a page can draw, with the replay summary (requests, tokens,
//! time to first token, tool durations per turn) and the first replay divergence, if any.
//!
//! Lines are read by [`crate::rollout::read_recorded`], which turns every generation into
//! today's shape, so the timeline only needs to know that one shape.

use std::path::Path;

use rcodex_core::replay::{replay, Divergence, RecordedLine};
use serde::Serialize;
use serde_json::Value;

use crate::replay::summary::{summarize, SessionSummary};
use crate::rollout::read_recorded;

/// One thing that happened in the session, in file order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Entry {
    /// 1-based line in the rollout file.
    pub line: usize,
    /// The line's timestamp (empty when the generation did not record one).
    pub t: String,
    /// `session`, `turn`, `turn_end`, `message`, `reasoning`, `tool_call`, `patch`,
    /// `tool_output`, `request`, `retry`, `error`, `interrupt`, `compaction`.
    pub kind: &'static str,
    /// One line for the timeline (role, tool name and command, ...).
    pub title: String,
    /// The body: message text, arguments, output, patch (long text folded to head and tail).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Pairs a tool call with its output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// Token counts of a request (`input`, `cached`, `output`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Value>,
}

/// Everything the session view draws.
#[derive(Clone, Debug, Serialize)]
pub struct SessionView {
    pub path: String,
    pub originator: String,
    pub cli_version: String,
    /// Lines skipped by the reader (a torn last line), as `path:line: reason`.
    pub warnings: Vec<String>,
    pub summary: SessionSummary,
    pub entries: Vec<Entry>,
    /// The first place replay did not do what the recording shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub divergence: Option<Divergence>,
    /// Why the session could not be replayed (the timeline is still drawn).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay_error: Option<String>,
    /// Threads this one spawned (Codex's sub-agents), each from its own rollout file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_agents: Vec<SessionView>,
}

/// Reads `path` into a session view; `fold` caps each entry's text (head and tail kept).
pub fn read_session(path: &Path, fold: usize) -> Result<SessionView, String> {
    let rollout = read_recorded(path).map_err(|e| e.to_string())?;
    let (divergence, replay_error) = match replay(&rollout.lines) {
        Ok(r) => (r.divergence, None),
        Err(e) => (None, Some(format!("{}: {e}", path.display()))),
    };
    Ok(SessionView {
        path: path.display().to_string(),
        originator: rollout.writer.originator.clone(),
        cli_version: rollout.writer.cli_version.clone(),
        warnings: rollout.warnings.clone(),
        summary: summarize(&rollout.lines),
        entries: timeline(&rollout.lines, fold),
        divergence,
        replay_error,
        sub_agents: Vec::new(),
    })
}

/// The timeline of `lines`. Events that repeat an item already shown (`item_completed`,
/// `agent_message`, ...) are left out.
pub fn timeline(lines: &[RecordedLine], fold: usize) -> Vec<Entry> {
    let mut out = Vec::new();
    let has_usage_records = lines.iter().any(|l| {
        matches!(
            l.line.item,
            rcodex_core::protocol::RolloutItem::TokenUsageRecord(_)
        )
    });
    for l in lines {
        let Ok(v) = serde_json::to_value(&l.line) else {
            continue;
        };
        let entry = |kind, title: String, text: String| Entry {
            line: l.number,
            t: str_at(&v, "/timestamp").to_string(),
            kind,
            title,
            text: folded(&text, fold),
            call_id: None,
            tokens: None,
        };
        let p = &v["payload"];
        let e = match (str_at(&v, "/type"), str_at(p, "/type")) {
            ("session_meta", _) => Some(entry(
                "session",
                format!("session {}", str_at(p, "/id")),
                str_at(p, "/cwd").to_string(),
            )),
            ("response_item", kind) => response_item(kind, p).map(|(k, title, text, call)| Entry {
                call_id: call,
                ..entry(k, title, text)
            }),
            ("event_msg", "task_started" | "turn_started") => {
                Some(entry("turn", "turn started".into(), String::new()))
            }
            ("event_msg", "task_complete" | "turn_complete") => Some(entry(
                "turn_end",
                "turn complete".into(),
                str_at(p, "/last_agent_message").to_string(),
            )),
            ("event_msg", "turn_aborted") => Some(entry(
                "interrupt",
                format!("turn aborted: {}", str_at(p, "/reason")),
                String::new(),
            )),
            ("event_msg", "error") => Some(entry(
                "error",
                "error".into(),
                str_at(p, "/message").to_string(),
            )),
            ("event_msg", "stream_error") => Some(entry(
                "retry",
                "stream error, retrying".into(),
                str_at(p, "/message").to_string(),
            )),
            ("event_msg", "context_compacted") => Some(entry(
                "compaction",
                "context compacted".into(),
                String::new(),
            )),
            ("event_msg", "token_count") if !has_usage_records => {
                let usage = &p["info"]["last_token_usage"];
                (!usage.is_null()).then(|| Entry {
                    tokens: Some(tokens(usage)),
                    ..entry("request", "response".into(), String::new())
                })
            }
            ("token_usage_record", _) => Some(Entry {
                tokens: Some(tokens(&p["usage"])),
                ..entry(
                    "request",
                    format!("response {}", str_at(p, "/response_id")),
                    String::new(),
                )
            }),
            ("compacted", _) => Some(entry(
                "compaction",
                "history compacted".into(),
                str_at(p, "/message").to_string(),
            )),
            _ => None,
        };
        out.extend(e);
    }
    out
}

type ItemParts = (&'static str, String, String, Option<String>);

/// The `text` of each part of a `content` or `summary` array, one per line.
fn part_texts(parts: &Value) -> String {
    parts
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter_map(|c| c["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// A model-visible item as (kind, title, text, call id); `None` for items not worth a row.
fn response_item(kind: &str, p: &Value) -> Option<ItemParts> {
    let call = || Some(str_at(p, "/call_id").to_string());
    match kind {
        "message" => {
            let text = part_texts(&p["content"]);
            Some(("message", str_at(p, "/role").to_string(), text, None))
        }
        "reasoning" => {
            let text = part_texts(&p["summary"]);
            Some(("reasoning", "reasoning".into(), text, None))
        }
        "function_call" => {
            let name = str_at(p, "/name");
            let args = str_at(p, "/arguments");
            let parsed: Value = serde_json::from_str(args).unwrap_or(Value::Null);
            if name == "apply_patch" {
                let patch = parsed["input"].as_str().unwrap_or(args).to_string();
                return Some(("patch", name.to_string(), patch, call()));
            }
            let command = command_of(&parsed);
            let title = if command.is_empty() {
                name.to_string()
            } else {
                format!("{name}: {command}")
            };
            Some(("tool_call", title, args.to_string(), call()))
        }
        "custom_tool_call" => {
            let name = str_at(p, "/name");
            let kind = if name == "apply_patch" {
                "patch"
            } else {
                "tool_call"
            };
            Some((
                kind,
                name.to_string(),
                str_at(p, "/input").to_string(),
                call(),
            ))
        }
        "local_shell_call" => Some((
            "tool_call",
            format!("local_shell: {}", command_of(&p["action"])),
            p["action"].to_string(),
            call(),
        )),
        "function_call_output" | "custom_tool_call_output" => {
            let output = &p["output"];
            let text = match output {
                Value::String(s) => s.clone(),
                Value::Object(_) if output["content"].is_string() => {
                    str_at(output, "/content").to_string()
                }
                other => other.to_string(),
            };
            Some(("tool_output", "output".into(), text, call()))
        }
        _ => None,
    }
}

/// The command of a shell-like call's arguments, joined for one line.
fn command_of(args: &Value) -> String {
    for key in ["cmd", "command"] {
        match &args[key] {
            Value::String(s) => return s.clone(),
            Value::Array(parts) => {
                return parts
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            _ => {}
        }
    }
    String::new()
}

fn tokens(usage: &Value) -> Value {
    serde_json::json!({
        "input": usage["input_tokens"].as_u64().unwrap_or(0),
        "cached": usage["cached_input_tokens"].as_u64().unwrap_or(0),
        "output": usage["output_tokens"].as_u64().unwrap_or(0),
    })
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `text` cut to about `limit` characters: its head and tail with a note of what was left out.
pub fn folded(text: &str, limit: usize) -> String {
    let count = text.chars().count();
    if count <= limit {
        return text.to_string();
    }
    let half = limit / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(count - half).collect();
    format!("{head}\n… {} characters folded …\n{tail}", count - 2 * half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_head_and_tail_and_counts_the_rest() {
        assert_eq!(folded("short", 10), "short");
        let long = "a".repeat(10) + &"b".repeat(10);
        let f = folded(&long, 8);
        assert!(f.starts_with("aaaa\n"), "{f}");
        assert!(f.ends_with("\nbbbb"), "{f}");
        assert!(f.contains("12 characters folded"), "{f}");
    }

    #[test]
    fn a_codex_rollout_becomes_a_timeline_with_calls_outputs_and_an_interrupt() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/rollouts/codex-0.169.0-aborted-command.jsonl");
        let view = read_session(&path, 1000).unwrap();
        let kinds: Vec<&str> = view.entries.iter().map(|e| e.kind).collect();
        for want in [
            "session",
            "turn",
            "message",
            "tool_call",
            "tool_output",
            "interrupt",
        ] {
            assert!(kinds.contains(&want), "{want} missing from {kinds:?}");
        }
        let call = view.entries.iter().find(|e| e.kind == "tool_call").unwrap();
        assert_eq!(call.title, "exec_command: sleep 20");
        let output = view
            .entries
            .iter()
            .find(|e| e.kind == "tool_output")
            .unwrap();
        assert_eq!(output.call_id, call.call_id);
        assert!(output.text.contains("aborted by user"), "{}", output.text);
        assert!(view.entries.windows(2).all(|w| w[0].line < w[1].line));
    }

    #[test]
    fn every_generation_reads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/rollouts");
        let mut read = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                let view =
                    read_session(&path, 1000).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(
                    view.entries.iter().any(|e| e.kind == "message"),
                    "{}",
                    path.display()
                );
                read += 1;
            }
        }
        assert!(read >= 20, "only {read} rollouts");
    }
}
