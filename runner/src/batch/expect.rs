//! Checks a scenario's expectations against what a run produced. Each expectation becomes one
//! named outcome, so a report says exactly which check failed and why.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::scenario::{Expect, RequestCheck};

/// What one run of a scenario produced.
#[derive(Clone, Debug, Default)]
pub struct RunRecord {
    /// `completed`, `failed` or `interrupted` (of the last turn).
    pub status: String,
    pub error: Option<String>,
    pub final_message: Option<String>,
    /// Request bodies in order.
    pub requests: Vec<Value>,
    /// Tool names the model called, in order.
    pub tool_calls: Vec<String>,
    /// `--json` events as `type` and, for items, `type:item_type`.
    pub events: Vec<String>,
    pub workspace: PathBuf,
}

/// One expectation's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub check: String,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// For an `[[expect.command]]` grader: what the command did (exit code, capped output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<super::command::CommandReport>,
}

fn check(name: impl Into<String>, passed: bool, detail: impl FnOnce() -> String) -> CheckOutcome {
    CheckOutcome {
        check: name.into(),
        passed,
        detail: if passed { String::new() } else { detail() },
        command: None,
    }
}

/// Evaluates every expectation (status always, defaulting to `completed`).
pub fn evaluate(expect: &Expect, run: &RunRecord) -> Vec<CheckOutcome> {
    let mut out = Vec::new();
    let want_status = expect.status.as_str();
    out.push(check("status", run.status == want_status, || {
        format!(
            "expected {want_status}, got {} ({})",
            run.status,
            run.error.as_deref().unwrap_or("")
        )
    }));
    let last = run.final_message.as_deref().unwrap_or("");
    if let Some(want) = &expect.final_message {
        out.push(check("final_message", last == want, || {
            format!("expected {want:?}, got {last:?}")
        }));
    }
    if let Some(want) = &expect.final_message_contains {
        out.push(check(
            "final_message_contains",
            last.contains(want.as_str()),
            || format!("{last:?} does not contain {want:?}"),
        ));
    }
    if let Some(re) = &expect.final_message_regex {
        out.push(check("final_message_regex", re.0.is_match(last), || {
            format!("{last:?} does not match /{}/", re.0)
        }));
    }
    if let Some(want) = &expect.error_contains {
        let got = run.error.as_deref().unwrap_or("");
        out.push(check("error_contains", got.contains(want.as_str()), || {
            format!("error {got:?} does not contain {want:?}")
        }));
    }
    if let Some(n) = expect.requests {
        out.push(check("requests", run.requests.len() == n, || {
            format!("expected {n} requests, got {}", run.requests.len())
        }));
    }
    if let Some(want) = &expect.tool_calls {
        out.push(check("tool_calls", &run.tool_calls == want, || {
            format!("expected {want:?}, got {:?}", run.tool_calls)
        }));
    }
    for (path, want) in &expect.files {
        let got = std::fs::read_to_string(run.workspace.join(path));
        out.push(check(
            format!("files[{path}]"),
            got.as_deref().ok() == Some(want.as_str()),
            || match &got {
                Ok(text) => format!("expected {want:?}, got {text:?}"),
                Err(e) => format!("cannot read: {e}"),
            },
        ));
    }
    for path in &expect.files_exist {
        let ok = run.workspace.join(path).exists();
        out.push(check(format!("files_exist[{path}]"), ok, || {
            "missing".into()
        }));
    }
    for path in &expect.files_absent {
        let ok = !run.workspace.join(path).exists();
        out.push(check(format!("files_absent[{path}]"), ok, || {
            "exists".into()
        }));
    }
    for event in &expect.events {
        let ok = run.events.iter().any(|e| e == event);
        out.push(check(format!("events[{event}]"), ok, || {
            format!("not among {:?}", run.events)
        }));
    }
    for (i, rc) in expect.request.iter().enumerate() {
        out.push(request_check(i, rc, &run.requests));
    }
    out
}

fn request_check(i: usize, rc: &RequestCheck, requests: &[Value]) -> CheckOutcome {
    let name = format!("request[{i}] #{} {}", rc.index, rc.pointer);
    let idx = if rc.index < 0 {
        requests.len() as i64 + rc.index
    } else {
        rc.index - 1
    };
    let Some(body) = usize::try_from(idx).ok().and_then(|i| requests.get(i)) else {
        return check(name, false, || {
            format!("no request #{} (have {})", rc.index, requests.len())
        });
    };
    let Some(found) = body.pointer(&rc.pointer) else {
        return check(name, false, || "pointer not found".into());
    };
    if let Some(want) = &rc.equals {
        let want = serde_json::to_value(want).unwrap_or(Value::Null);
        return check(name, *found == want, || {
            format!("expected {want}, got {found}")
        });
    }
    if let Some(want) = &rc.contains {
        let text = match found {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return check(name, text.contains(want.as_str()), || {
            format!("{text:?} does not contain {want:?}")
        });
    }
    check(name, true, String::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failing_expectations_say_why() {
        let expect = Expect {
            final_message: Some("hi".into()),
            requests: Some(2),
            request: vec![RequestCheck {
                index: -1,
                pointer: "/model".into(),
                equals: Some(toml::Value::String("gpt-5.5".into())),
                contains: None,
            }],
            ..Expect::default()
        };
        let run = RunRecord {
            status: "completed".into(),
            final_message: Some("hello".into()),
            requests: vec![json!({"model": "gpt-5.5"})],
            ..RunRecord::default()
        };
        let out = evaluate(&expect, &run);
        let failed: Vec<_> = out
            .iter()
            .filter(|o| !o.passed)
            .map(|o| o.check.as_str())
            .collect();
        assert_eq!(failed, ["final_message", "requests"]);
        assert!(out.iter().all(|o| o.passed || !o.detail.is_empty()));
    }
}
