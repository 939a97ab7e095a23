//! Codex's tool list and hosted web search against the real Codex CLI 0.169.0: both clients get
//! the same script from the loopback server; the tool list of the first request (names, order,
//! the `web_search` spec under each `web_search` setting and `features.goals`) and the
//! `web_search_call` sent back on the next request must be equal, and `--json` must show the
//! search as Codex does.
//!
//! The pinned CLI is installed on first use (see `tests/support/codex_cli.rs`).

use std::path::Path;

mod exec_on_mock;

use exec_on_mock::exec_on_mock;
use rcodex_runner::mock::RecordedRequest;
use serde_json::{json, Value};

/// Runs one client with `args` on `replies`; returns the requests and the `--json` lines.
async fn run(
    codex: Option<&Path>,
    args: &[&str],
    replies: Value,
) -> (Vec<RecordedRequest>, Vec<Value>) {
    exec_on_mock(codex, args, "search", replies).await
}

/// `(name or type, the spec when hosted)` for each advertised tool, in order.
fn tool_list(req: &RecordedRequest) -> Vec<(String, Value)> {
    req.body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let name = t.get("name").or(t.get("type")).unwrap().as_str().unwrap();
            let hosted = if t["type"] == "web_search" {
                t.clone()
            } else {
                Value::Null
            };
            (name.to_string(), hosted)
        })
        .collect()
}

fn answer() -> Value {
    json!([{ "message": "ok" }])
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_lists_match_codex_under_each_switch() {
    let Some(codex) = rcodex_tests::codex_bin("tool lists against the real CLI") else {
        return;
    };
    let cases: [&[&str]; 5] = [
        &[],
        &["-c", "web_search=\"disabled\""],
        &["-c", "web_search=\"cached\""],
        &["-c", "web_search=\"live\""],
        &["-c", "features.goals=false"],
    ];
    for args in cases {
        let (theirs, _) = run(Some(&codex), args, answer()).await;
        let (ours, _) = run(None, args, answer()).await;
        assert_eq!(tool_list(&ours[0]), tool_list(&theirs[0]), "{args:?}");
    }
    // The cases differ where Codex differs: no web_search when disabled, no goals when off.
    let (off, _) = run(None, &["-c", "web_search=\"disabled\""], answer()).await;
    assert!(!tool_list(&off[0]).iter().any(|(n, _)| n == "web_search"));
    let (off, _) = run(None, &["-c", "features.goals=false"], answer()).await;
    assert!(!tool_list(&off[0]).iter().any(|(n, _)| n.ends_with("_goal")));
}

#[tokio::test(flavor = "multi_thread")]
async fn web_search_call_is_shown_and_sent_back_as_codex_does() {
    let Some(codex) = rcodex_tests::codex_bin("web search pass-through against the real CLI")
    else {
        return;
    };
    let search = json!({"type": "web_search_call", "id": "ws_7", "status": "completed",
        "action": {"type": "search", "query": "rcodex release"}});
    let replies = json!([
        { "items": [{ "raw": search }, { "function_call": { "name": "exec_command", "arguments": { "cmd": "true" } } }] },
        { "message": "done" },
    ]);
    let (theirs, their_events) = run(Some(&codex), &[], replies.clone()).await;
    let (ours, our_events) = run(None, &[], replies).await;
    let sent_back = |reqs: &[RecordedRequest]| {
        reqs[1].body["input"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["type"] == "web_search_call")
            .cloned()
    };
    assert_eq!(sent_back(&theirs), Some(search.clone()));
    assert_eq!(sent_back(&ours), sent_back(&theirs));
    let shown = |events: &[Value]| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["item"]["type"] == "web_search")
            .cloned()
            .collect()
    };
    let ours_shown = shown(&our_events);
    assert_eq!(ours_shown.len(), 2, "{our_events:?}");
    assert_eq!(ours_shown, shown(&their_events));
    assert_eq!(ours_shown[0]["type"], "item.started");
    assert_eq!(ours_shown[1]["item"]["action"], search["action"]);
}
