//! `rcodex replay --summary`: explains a recorded session turn by turn from its lines alone (no
//! machine, no workspace): requests and retries, tool calls with status and duration, tokens,
//! time to first token, duration and outcome.
//!
//! What a rollout lets us tell apart: each completed response leaves one `token_usage_record`
//! (older rollouts: one `token_count` event with usage); each item the model sent carries, in its
//! line's `metadata.sampled_through_sequence`, the history length of the request that produced
//! it, so an attempt that streamed output but never completed (a cut stream that was retried, a
//! turn interrupted mid-stream) shows as output from a request with no usage. A failed turn adds
//! the attempt that failed. Retries that left nothing behind (an HTTP 500 answered by a retry) are
//! not recorded by Codex, so they cannot be counted.

use std::collections::BTreeSet;

use rcodex_core::protocol::event_msg::{ItemCompleted, TaskComplete};
use rcodex_core::protocol::rollout::ItemMetadata;
use rcodex_core::protocol::{EventMsg, ResponseItem, RolloutItem, TokenUsage};
use rcodex_core::replay::RecordedLine;
use serde::Serialize;
use serde_json::Value;

/// One session explained turn by turn (`--summary`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SessionSummary {
    /// The thread id from `session_meta`.
    pub thread_id: String,
    /// Every turn in the file, in order (a resumed thread appends turns to the same file).
    pub turns: Vec<TurnSummary>,
}

/// One turn of a recorded session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TurnSummary {
    /// 1-based turn number in the file.
    pub turn: usize,
    /// The turn's id (`task_started.turn_id`, or `turn_context.turn_id` in older rollouts).
    pub turn_id: String,
    /// Line where the turn starts.
    pub line: usize,
    /// Requests to the model that can be told apart: completed responses, attempts that streamed
    /// output and were cut, and the attempt that failed a failed turn.
    pub requests: usize,
    /// Attempts that were cut and tried again (only those that left output behind).
    pub retries: usize,
    /// Tool calls in the order the model made them.
    pub tool_calls: Vec<ToolCallSummary>,
    /// Token use summed over the turn's responses.
    pub tokens: TokenTotals,
    /// From `task_complete`.
    pub time_to_first_token_ms: Option<u64>,
    /// From `task_complete`.
    pub duration_ms: Option<u64>,
    pub outcome: Outcome,
}

/// One tool call the model made.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolCallSummary {
    /// Tool name (`exec_command`, `apply_patch`, ...; `local_shell` for a `local_shell_call`).
    pub name: String,
    pub call_id: String,
    /// Line of the call item.
    pub line: usize,
    /// The status of its `item_completed` event (`completed`, `failed`, `declined`, ...);
    /// `answered` when an output went back with no status recorded (update_plan, a malformed
    /// call); `unanswered` when no output was recorded (the turn stopped first).
    pub status: String,
    /// Exit code of a command, when recorded.
    pub exit_code: Option<i64>,
    /// The command's recorded duration, else the span of its `item_completed` event.
    pub duration_ms: Option<u64>,
}

/// Tokens summed over a turn's responses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TokenTotals {
    pub input: u64,
    pub cached: u64,
    pub output: u64,
}

impl TokenTotals {
    fn add(&mut self, usage: &TokenUsage) {
        self.input += usage.input_tokens;
        self.cached += usage.cached_input_tokens;
        self.output += usage.output_tokens;
    }
}

/// How a turn ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// `task_complete` without an error.
    Completed,
    /// `task_complete` with an error.
    Failed { message: String },
    /// `turn_aborted` (interrupted, replaced).
    Aborted { reason: String },
    /// The file ends before the turn does.
    Incomplete,
}

/// Builds the summary of one rollout's lines.
pub fn summarize(lines: &[RecordedLine]) -> SessionSummary {
    let mut summary = SessionSummary::default();
    let mut open: Option<TurnTally> = None;
    for recorded in lines {
        let number = recorded.number;
        match &recorded.line.item {
            RolloutItem::SessionMeta(meta) if summary.thread_id.is_empty() => {
                summary.thread_id = meta.id.clone();
            }
            RolloutItem::EventMsg(EventMsg::TaskStarted(started)) => {
                close(&mut summary, open.take());
                open = Some(TurnTally::new(started.turn_id.clone(), number));
            }
            RolloutItem::TurnContext(context) => {
                let id = context.turn_id.clone().unwrap_or_default();
                let same = open
                    .as_ref()
                    .is_some_and(|t| t.turn_id == id || t.outcome.is_none());
                if !same {
                    close(&mut summary, open.take());
                    open = Some(TurnTally::new(id, number));
                }
            }
            other => {
                if let Some(turn) = open.as_mut() {
                    turn.take(number, other, recorded.line.metadata.as_ref());
                }
            }
        }
    }
    close(&mut summary, open);
    summary
}

fn close(summary: &mut SessionSummary, turn: Option<TurnTally>) {
    if let Some(turn) = turn {
        let number = summary.turns.len() + 1;
        summary.turns.push(turn.finish(number));
    }
}

/// What is known about the turn being read.
struct TurnTally {
    turn_id: String,
    line: usize,
    /// `token_usage_record` lines: one per completed response.
    usage_records: usize,
    usage_tokens: TokenTotals,
    /// `token_count` events with usage: the fallback for rollouts without usage records.
    token_counts: usize,
    token_count_tokens: TokenTotals,
    /// `sampled_through_sequence` of every request that produced model output.
    sampled: BTreeSet<u64>,
    /// The last attempt produced output and no usage has closed it yet.
    attempt_open: bool,
    calls: Vec<ToolCallSummary>,
    outcome: Option<Outcome>,
    time_to_first_token_ms: Option<u64>,
    duration_ms: Option<u64>,
}

impl TurnTally {
    fn new(turn_id: String, line: usize) -> Self {
        TurnTally {
            turn_id,
            line,
            usage_records: 0,
            usage_tokens: TokenTotals::default(),
            token_counts: 0,
            token_count_tokens: TokenTotals::default(),
            sampled: BTreeSet::new(),
            attempt_open: false,
            calls: Vec::new(),
            outcome: None,
            time_to_first_token_ms: None,
            duration_ms: None,
        }
    }

    fn take(&mut self, line: usize, item: &RolloutItem, metadata: Option<&ItemMetadata>) {
        match item {
            RolloutItem::ResponseItem(item) => self.response_item(line, item, metadata),
            RolloutItem::TokenUsageRecord(record) => {
                self.usage_records += 1;
                self.usage_tokens.add(&record.usage);
                self.attempt_open = false;
            }
            RolloutItem::EventMsg(EventMsg::TokenCount(count)) => {
                if let Some(info) = &count.info {
                    self.token_counts += 1;
                    self.token_count_tokens.add(&info.last_token_usage);
                }
            }
            RolloutItem::EventMsg(EventMsg::ItemCompleted(done)) => self.item_completed(done),
            RolloutItem::EventMsg(EventMsg::TaskComplete(done)) => self.task_complete(done),
            RolloutItem::EventMsg(EventMsg::TurnAborted(aborted)) => {
                self.outcome = Some(Outcome::Aborted {
                    reason: aborted.reason.clone(),
                });
            }
            _ => {}
        }
    }

    fn response_item(&mut self, line: usize, item: &ResponseItem, metadata: Option<&ItemMetadata>) {
        if let Some(output_of) = item.output_call_id() {
            if let Some(call) = self.calls.iter_mut().find(|c| c.call_id == output_of) {
                if call.status == UNANSWERED {
                    call.status = ANSWERED.into();
                }
            }
            return;
        }
        if !item.is_model_output() {
            return;
        }
        if let Some(meta) = metadata {
            if self.sampled.insert(meta.sampled_through_sequence) {
                self.attempt_open = true;
            }
        }
        if let Some(name) = tool_name(item) {
            self.calls.push(ToolCallSummary {
                name,
                call_id: call_id(item),
                line,
                status: UNANSWERED.into(),
                exit_code: None,
                duration_ms: None,
            });
        }
    }

    fn item_completed(&mut self, done: &ItemCompleted) {
        let Some(id) = done.item.get("id").and_then(Value::as_str) else {
            return;
        };
        let Some(call) = self.calls.iter_mut().find(|c| c.call_id == id) else {
            return;
        };
        if let Some(status) = done.item.get("status").and_then(Value::as_str) {
            call.status = status.to_string();
        }
        call.exit_code = done.item.get("exit_code").and_then(Value::as_i64);
        call.duration_ms = done
            .item
            .get("duration")
            .and_then(duration_ms)
            .or_else(|| done.completed_at_ms.checked_sub(done.started_at_ms));
    }

    fn task_complete(&mut self, done: &TaskComplete) {
        self.time_to_first_token_ms = done.time_to_first_token_ms;
        self.duration_ms = done.duration_ms;
        self.outcome = Some(match &done.error {
            Some(error) => Outcome::Failed {
                message: error.message.clone(),
            },
            None => Outcome::Completed,
        });
    }

    fn finish(self, turn: usize) -> TurnSummary {
        let (completed, tokens) = if self.usage_records > 0 {
            (self.usage_records, self.usage_tokens)
        } else {
            (self.token_counts, self.token_count_tokens)
        };
        let outcome = self.outcome.unwrap_or(Outcome::Incomplete);
        let failed = usize::from(matches!(outcome, Outcome::Failed { .. }));
        let requests = (completed + failed).max(self.sampled.len());
        // The last attempt of a failed turn, or of one stopped mid-stream, was not retried.
        let last_not_retried = match outcome {
            Outcome::Failed { .. } => true,
            Outcome::Aborted { .. } | Outcome::Incomplete => self.attempt_open,
            Outcome::Completed => false,
        };
        let retries = (requests - completed).saturating_sub(usize::from(last_not_retried));
        TurnSummary {
            turn,
            turn_id: self.turn_id,
            line: self.line,
            requests,
            retries,
            tool_calls: self.calls,
            tokens,
            time_to_first_token_ms: self.time_to_first_token_ms,
            duration_ms: self.duration_ms,
            outcome,
        }
    }
}

const UNANSWERED: &str = "unanswered";
const ANSWERED: &str = "answered";

fn tool_name(item: &ResponseItem) -> Option<String> {
    match item {
        ResponseItem::FunctionCall(c) => Some(c.name.clone()),
        ResponseItem::CustomToolCall(c) => Some(c.name.clone()),
        ResponseItem::LocalShellCall(_) => Some("local_shell".into()),
        _ => None,
    }
}

/// The id an output and an `item_completed` event refer to the call by.
fn call_id(item: &ResponseItem) -> String {
    match item {
        ResponseItem::LocalShellCall(c) => c
            .call_id
            .clone()
            .or_else(|| c.id.clone())
            .unwrap_or_default(),
        other => other.call_id().unwrap_or_default().to_string(),
    }
}

/// Codex records a command's duration as `{secs, nanos}`.
fn duration_ms(value: &Value) -> Option<u64> {
    let secs = value.get("secs")?.as_u64()?;
    let nanos = value.get("nanos").and_then(Value::as_u64).unwrap_or(0);
    Some(secs * 1000 + nanos / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcodex_core::protocol::RolloutLine;
    use serde_json::json;

    /// Rollout lines from `(type, payload)` pairs; response items get `metadata` when given.
    fn lines(specs: &[Value]) -> Vec<RecordedLine> {
        specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let mut line = spec.clone();
                line["timestamp"] = json!("2026-12-02T00:00:00.000Z");
                RecordedLine {
                    number: i + 1,
                    line: serde_json::from_value::<RolloutLine>(line).unwrap(),
                }
            })
            .collect()
    }

    fn meta() -> Value {
        json!({"type": "session_meta", "payload": {"id": "thread-1", "timestamp": "t", "cwd": "/w",
            "originator": "codex_exec", "cli_version": "0.169.0"}})
    }

    fn started(turn: &str) -> Value {
        json!({"type": "event_msg", "payload": {"type": "task_started", "turn_id": turn}})
    }

    fn model_item(payload: Value, sampled: u64) -> Value {
        json!({"type": "response_item", "payload": payload,
            "metadata": {"history_sequence": 0, "sampled_through_sequence": sampled, "client_authored": false}})
    }

    fn assistant(text: &str, sampled: u64) -> Value {
        model_item(
            json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}),
            sampled,
        )
    }

    fn usage(input: u64, cached: u64, output: u64) -> Value {
        let u = json!({"input_tokens": input, "cached_input_tokens": cached, "output_tokens": output,
            "reasoning_output_tokens": 0, "total_tokens": input + output});
        json!({"type": "token_usage_record", "payload": {"thread_id": "thread-1", "turn_id": "t",
            "session_id": "thread-1", "root_turn_id": "t", "response_id": "r", "usage": u,
            "turn_token_usage": u, "thread_token_usage": u}})
    }

    fn complete(turn: &str, error: Option<&str>) -> Value {
        let mut payload = json!({"type": "task_complete", "turn_id": turn, "last_agent_message": null,
            "duration_ms": 40, "time_to_first_token_ms": 7});
        if let Some(message) = error {
            payload["error"] = json!({"message": message, "codex_error_info": "other"});
        }
        json!({"type": "event_msg", "payload": payload})
    }

    #[test]
    fn a_shell_turn_counts_requests_tools_and_tokens() {
        let summary = summarize(&lines(&[
            meta(),
            started("turn-a"),
            model_item(
                json!({"type": "function_call", "name": "exec_command", "arguments": "{}", "call_id": "c1"}),
                3,
            ),
            usage(100, 20, 10),
            json!({"type": "event_msg", "payload": {"type": "item_completed", "thread_id": "thread-1",
                "turn_id": "turn-a", "item": {"type": "CommandExecution", "id": "c1", "status": "failed",
                "exit_code": 2, "duration": {"secs": 1, "nanos": 250_000_000}},
                "started_at_ms": 0, "completed_at_ms": 9}}),
            json!({"type": "response_item", "payload": {"type": "function_call_output", "call_id": "c1", "output": "x"}}),
            assistant("done", 5),
            usage(150, 100, 5),
            complete("turn-a", None),
        ]));
        assert_eq!(summary.thread_id, "thread-1");
        let turn = &summary.turns[0];
        assert_eq!(
            (turn.turn, turn.turn_id.as_str(), turn.line),
            (1, "turn-a", 2)
        );
        assert_eq!((turn.requests, turn.retries), (2, 0));
        assert_eq!(
            turn.tokens,
            TokenTotals {
                input: 250,
                cached: 120,
                output: 15
            }
        );
        assert_eq!(
            turn.tool_calls,
            [ToolCallSummary {
                name: "exec_command".into(),
                call_id: "c1".into(),
                line: 3,
                status: "failed".into(),
                exit_code: Some(2),
                duration_ms: Some(1250),
            }]
        );
        assert_eq!(turn.time_to_first_token_ms, Some(7));
        assert_eq!(turn.duration_ms, Some(40));
        assert_eq!(turn.outcome, Outcome::Completed);
    }

    #[test]
    fn a_cut_stream_that_was_retried_counts_as_a_retry() {
        let summary = summarize(&lines(&[
            meta(),
            started("t"),
            assistant("partial", 3),
            assistant("full", 4),
            usage(1, 0, 1),
            complete("t", None),
        ]));
        let turn = &summary.turns[0];
        assert_eq!((turn.requests, turn.retries), (2, 1));
    }

    #[test]
    fn a_failed_turn_counts_the_failing_attempt_and_an_aborted_one_its_reason() {
        let summary = summarize(&lines(&[
            meta(),
            started("t1"),
            complete("t1", Some("quota")),
            started("t2"),
            model_item(
                json!({"type": "custom_tool_call", "name": "apply_patch", "input": "", "call_id": "p"}),
                9,
            ),
            json!({"type": "event_msg", "payload": {"type": "turn_aborted", "turn_id": "t2", "reason": "interrupted"}}),
            started("t3"),
        ]));
        let [failed, aborted, unfinished] = &summary.turns[..] else {
            panic!("{summary:?}");
        };
        assert_eq!((failed.requests, failed.retries), (1, 0));
        assert_eq!(
            failed.outcome,
            Outcome::Failed {
                message: "quota".into()
            }
        );
        assert_eq!((aborted.requests, aborted.retries), (1, 0));
        assert_eq!(aborted.tool_calls[0].status, "unanswered");
        assert_eq!(
            aborted.outcome,
            Outcome::Aborted {
                reason: "interrupted".into()
            }
        );
        assert_eq!((unfinished.turn, unfinished.requests), (3, 0));
        assert_eq!(unfinished.outcome, Outcome::Incomplete);
    }

    #[test]
    fn older_rollouts_fall_back_to_token_count_and_turn_context() {
        let count = |input: u64| {
            let u = json!({"input_tokens": input, "cached_input_tokens": 0, "output_tokens": 3,
                "reasoning_output_tokens": 0, "total_tokens": input + 3});
            json!({"type": "event_msg", "payload": {"type": "token_count",
                "info": {"total_token_usage": u, "last_token_usage": u, "model_context_window": null}}})
        };
        let context = |turn: &str| {
            json!({"type": "turn_context", "payload": {"turn_id": turn, "cwd": "/w",
                "approval_policy": "never", "model": "gpt-5"}})
        };
        let summary = summarize(&lines(&[
            meta(),
            context("old-1"),
            json!({"type": "response_item", "payload": {"type": "message", "role": "assistant", "content": []}}),
            count(10),
            complete("old-1", None),
            context("old-2"),
            count(20),
            count(30),
        ]));
        let ids: Vec<&str> = summary.turns.iter().map(|t| t.turn_id.as_str()).collect();
        assert_eq!(ids, ["old-1", "old-2"]);
        assert_eq!(summary.turns[0].requests, 1);
        assert_eq!(summary.turns[1].requests, 2);
        assert_eq!(summary.turns[1].tokens.input, 50);
        assert_eq!(summary.turns[1].outcome, Outcome::Incomplete);
    }
}
