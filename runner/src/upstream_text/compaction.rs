//! Codex's compaction texts, captured at import time: the summary prompt (the last message of
//! its summary request) and the line it puts before a summary in the new history. One import
//! run makes Codex compact cheaply: its first answer is a tool call reporting more tokens than
//! a small `model_auto_compact_token_limit`, so Codex summarizes before its follow-up (captured
//! with 0.169.0); the scripted summary is a marker, so the prefix is what precedes it.

use serde_json::{json, Value};

use crate::mock::{FunctionCallSpec, RecordedRequest, Reply, Script, UsageSpec};

/// The summary prompt, as Codex sent it.
pub const COMPACT_PROMPT: &str = "compact_prompt.md";
/// The line before a summary in Codex's compacted history.
pub const COMPACT_SUMMARY_PREFIX: &str = "compact_summary_prefix.md";
/// The scripted summary; what precedes it (and a newline) in the history is the prefix.
const SUMMARY_MARKER: &str = "rcodex-import-summary-marker";

/// The `-c` override that makes the import run compact after its first answer.
pub const LIMIT_OVERRIDE: &str = "model_auto_compact_token_limit=2000";

/// The replies of the import run that compacts: a harmless tool call over the limit, the
/// summary, the answer.
pub fn script() -> Script {
    Script {
        replies: vec![
            Reply {
                function_call: Some(FunctionCallSpec {
                    name: "exec_command".into(),
                    arguments: Some(json!({ "cmd": "true" })),
                    call_id: Some("call_import".into()),
                    id: None,
                }),
                usage: Some(UsageSpec {
                    input_tokens: 5000,
                    ..UsageSpec::default()
                }),
                ..Reply::default()
            },
            Reply {
                message: Some(SUMMARY_MARKER.into()),
                ..Reply::default()
            },
            Reply {
                message: Some("ok".into()),
                ..Reply::default()
            },
        ],
        ..Script::default()
    }
}

/// The prompt and the prefix, from the requests of that run; `None` when Codex did not compact
/// (another version may decide otherwise: then nothing is imported for compaction).
pub fn texts_of(requests: &[RecordedRequest]) -> Option<(String, String)> {
    let summary_at = requests
        .iter()
        .position(|r| r.body.get("tools") == Some(&Value::Array(Vec::new())))?;
    let prompt = last_text(&requests[summary_at].body)?;
    let after = requests.get(summary_at + 1)?;
    let suffix = format!("\n{SUMMARY_MARKER}");
    let prefix = after.body["input"]
        .as_array()?
        .iter()
        .filter_map(text_of)
        .find_map(|t| t.strip_suffix(&suffix).map(str::to_string))?;
    Some((prompt, prefix))
}

fn last_text(body: &Value) -> Option<String> {
    body["input"].as_array()?.last().and_then(text_of)
}

fn text_of(item: &Value) -> Option<String> {
    let parts = item.get("content")?.as_array()?;
    Some(
        parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/v1/responses".into(),
            headers: Vec::new(),
            body,
            received_at: std::time::Instant::now(),
        }
    }

    fn message(text: &str) -> Value {
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
    }

    #[test]
    fn the_prompt_is_the_summary_requests_last_message_and_the_prefix_precedes_the_marker() {
        let requests = [
            request(json!({"tools": [{"name": "exec_command"}], "input": [message("go")]})),
            request(json!({"tools": [], "input": [message("go"), message("SUMMARIZE")]})),
            request(json!({"tools": [{"name": "exec_command"}], "input": [
                message("go"),
                message(&format!("PREFIX LINE\n{SUMMARY_MARKER}"))
            ]})),
        ];
        assert_eq!(
            texts_of(&requests),
            Some(("SUMMARIZE".to_string(), "PREFIX LINE".to_string()))
        );
        // No summary request: nothing to import.
        assert_eq!(texts_of(&requests[..1]), None);
        // A summary request with no request after it: no prefix to find.
        assert_eq!(texts_of(&requests[..2]), None);
    }
}
