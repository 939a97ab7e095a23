//! `rcodex exec` end to end: the real binary against the loopback scripted server. Checks the
//! request shape, the `--json` events, exit codes, rollout lines and `-o`.

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{json_lines, TestHome};
use serde_json::{json, Value};

fn script(replies: Value) -> Script {
    serde_json::from_value(json!({ "replies": replies })).expect("valid script")
}

async fn run(replies: Value, args: &[&str]) -> (MockServer, TestHome, std::process::Output) {
    let server = MockServer::start(script(replies)).await.unwrap();
    let home = TestHome::with_mock(&server.base_url());
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (home, out) = tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = home.exec(&argv, None);
        (home, out)
    })
    .await
    .unwrap();
    (server, home, out)
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn event_types(out: &std::process::Output) -> Vec<String> {
    json_lines(&stdout(out))
        .iter()
        .map(|e| match e["item"]["type"].as_str() {
            Some(t) => format!("{}:{t}", e["type"].as_str().unwrap()),
            None => e["type"].as_str().unwrap().to_string(),
        })
        .collect()
}

// danger-full-access: under Landlock a login shell's profile may print noise (e.g. pyenv rehash).
const BASE: &[&str] = &[
    "--json",
    "--skip-git-repo-check",
    "-s",
    "danger-full-access",
];

fn args(extra: &[&'static str]) -> Vec<&'static str> {
    BASE.iter().chain(extra).copied().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_tool_turn_matches_codex_shape() {
    let (server, home, out) = run(json!([{ "message": "Hello there." }]), &args(&["say hi"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        event_types(&out),
        [
            "thread.started",
            "turn.started",
            "item.completed:agent_message",
            "turn.completed"
        ]
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/v1/responses");
    let keys: Vec<&str> = r
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "model",
            "stream",
            "input",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "reasoning",
            "store",
            "include",
            "prompt_cache_key",
            "text",
            "client_metadata"
        ]
    );
    let input = r.body["input"].as_array().unwrap();
    assert_eq!(input.len(), 4);
    assert_eq!(input[0]["role"], "developer");
    assert_eq!(input[1]["role"], "developer");
    assert!(input[2]["content"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("<environment_context>"));
    assert_eq!(input[3]["content"][0]["text"], "say hi");
    let header = |name: &str| {
        r.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("authorization").as_deref(), Some("Bearer test-key"));
    assert_eq!(header("originator").as_deref(), Some("rcodex_exec"));
    assert!(header("user-agent").unwrap().starts_with("rcodex_exec/"));
    let thread = json_lines(&stdout(&out))[0]["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(header("session-id").as_deref(), Some(thread.as_str()));
    assert_eq!(header("x-codex-window-id"), Some(format!("{thread}:0")));
    let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
    let pos = |n: &str| names.iter().position(|k| *k == n).unwrap();
    assert!(pos("x-codex-window-id") < pos("x-codex-turn-metadata"));
    assert!(pos("x-codex-turn-metadata") < pos("session-id"));
    // The rollout: session_meta first, task_complete last, the key never recorded.
    let rollouts = home.rollouts();
    assert_eq!(rollouts.len(), 1);
    let text = std::fs::read_to_string(&rollouts[0]).unwrap();
    assert!(!text.contains("test-key"));
    let lines = json_lines(&text);
    assert_eq!(lines[0]["type"], "session_meta");
    assert_eq!(lines.last().unwrap()["payload"]["type"], "task_complete");
    assert_eq!(
        lines.last().unwrap()["payload"]["last_agent_message"],
        "Hello there."
    );
    assert!(rollouts[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .ends_with(&format!("-{thread}.jsonl")));
}

#[tokio::test(flavor = "multi_thread")]
async fn shell_call_then_answer() {
    let replies = json!([
        { "function_call": { "name": "exec_command", "arguments": { "cmd": "echo hi" }, "call_id": "call_shell_1" } },
        { "message": "It printed hi." }
    ]);
    let (server, _home, out) = run(replies, &args(&["run echo"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        event_types(&out),
        [
            "thread.started",
            "turn.started",
            "item.started:command_execution",
            "item.completed:command_execution",
            "item.completed:agent_message",
            "turn.completed"
        ]
    );
    let events = json_lines(&stdout(&out));
    assert_eq!(events[2]["item"]["command"], "/bin/bash -lc 'echo hi'");
    assert_eq!(events[3]["item"]["exit_code"], 0);
    assert_eq!(events[5]["usage"]["input_tokens"], 200);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let input = reqs[1].body["input"].as_array().unwrap();
    let n = input.len();
    assert_eq!(input[n - 2]["type"], "function_call");
    assert_eq!(input[n - 1]["type"], "function_call_output");
    assert_eq!(input[n - 1]["call_id"], "call_shell_1");
    assert!(input[n - 1]["id"].as_str().unwrap().starts_with("fco_"));
    let output = input[n - 1]["output"].as_str().unwrap();
    assert!(output.starts_with("Chunk ID: "), "{output}");
    assert!(
        output.contains("Process exited with code 0\nOriginal token count: "),
        "{output}"
    );
    assert!(output.ends_with("Output:\nhi\n"), "{output}");
    // Only `input` differs between the two requests of a turn.
    let mut a = reqs[0].body.clone();
    let mut b = reqs[1].body.clone();
    a["input"] = Value::Null;
    b["input"] = Value::Null;
    assert_eq!(a, b);
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_calls_keep_call_order() {
    let replies = json!([
        { "function_calls": [
            { "name": "exec_command", "arguments": { "cmd": "sleep 0.3; echo slow" }, "call_id": "c_slow" },
            { "name": "exec_command", "arguments": { "cmd": "echo fast" }, "call_id": "c_fast" }
        ] },
        { "message": "done" }
    ]);
    let (server, _home, out) = run(replies, &args(&["two"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let events = json_lines(&stdout(&out));
    let completed: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "item.completed" && e["item"]["type"] == "command_execution")
        .map(|e| e["item"]["aggregated_output"].as_str().unwrap())
        .collect();
    assert_eq!(completed, ["fast\n", "slow\n"], "finish order in events");
    let input = server.requests()[1].body["input"]
        .as_array()
        .unwrap()
        .clone();
    let outputs: Vec<&str> = input
        .iter()
        .filter(|i| i["type"] == "function_call_output")
        .map(|i| i["call_id"].as_str().unwrap())
        .collect();
    assert_eq!(outputs, ["c_slow", "c_fast"], "call order in history");
}

struct Fault {
    replies: Value,
    requests: usize,
    code: i32,
    message: Option<&'static str>,
}

async fn fault(f: Fault) {
    let (server, _home, out) = run(f.replies.clone(), &args(&["go"])).await;
    assert_eq!(
        server.requests().len(),
        f.requests,
        "replies {}: {}",
        f.replies,
        stderr(&out)
    );
    assert_eq!(
        out.status.code(),
        Some(f.code),
        "replies {}: {}",
        f.replies,
        stderr(&out)
    );
    if let Some(m) = f.message {
        let events = json_lines(&stdout(&out));
        let failed = events
            .iter()
            .find(|e| e["type"] == "turn.failed")
            .expect("turn.failed");
        let got = failed["error"]["message"].as_str().unwrap();
        assert!(got.contains(m), "{got:?} does not contain {m:?}");
    }
}

fn ok() -> Value {
    json!({ "message": "ok" })
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_500_once_is_retried_silently() {
    fault(Fault {
        replies: json!([{ "http_error": { "status": 500 } }, ok()]),
        requests: 2,
        code: 0,
        message: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_500_always_gives_up_after_four_retries() {
    fault(Fault {
        replies: json!([{ "http_error": { "status": 500 }, "repeat": 10 }]),
        requests: 5,
        code: 1,
        message: Some(
            "exceeded retry limit, last status: 500 Internal Server Error, request id: mockreq-5",
        ),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_failed_once_reconnects() {
    let (server, _home, out) = run(
        json!([{ "failed": { "code": "server_error", "message": "boom" } }, ok()]),
        &args(&["go"]),
    )
    .await;
    assert_eq!(server.requests().len(), 2);
    assert_eq!(out.status.code(), Some(0));
    let events = json_lines(&stdout(&out));
    assert!(events.iter().any(|e| e["type"] == "error"
        && e["message"]
            .as_str()
            .unwrap()
            .starts_with("Reconnecting... 1/5")));
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_failed_always_uses_five_stream_retries() {
    fault(Fault {
        replies: json!([{ "failed": { "code": "server_error", "message": "boom" }, "repeat": 10 }]),
        requests: 6,
        code: 1,
        message: Some("boom"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_cut_stream_keeps_partial_message() {
    let replies =
        json!([{ "message": "partial answer", "cut": true }, { "message": "full answer" }]);
    let (server, _home, out) = run(replies, &args(&["go"])).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let retry_input = reqs[1].body["input"].to_string();
    assert!(retry_input.contains("partial answer"), "{retry_input}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_429_honours_retry_after() {
    let replies =
        json!([{ "http_error": { "status": 429, "headers": { "retry-after": "1" } } }, ok()]);
    let (server, _home, out) = run(replies, &args(&["go"])).await;
    assert_eq!(out.status.code(), Some(0));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].received_at - reqs[0].received_at;
    assert!(gap.as_millis() >= 950, "gap {gap:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_429_without_hint_is_not_retried() {
    fault(Fault {
        replies: json!([{ "http_error": { "status": 429, "body": "slow down" } }, ok()]),
        requests: 1,
        code: 1,
        message: Some(
            "exceeded retry limit, last status: 429 Too Many Requests, request id: mockreq-1",
        ),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_429_try_again_in_body_is_honoured() {
    // Deliberate difference from Codex 0.169, which does not retry here.
    fault(Fault {
        replies: json!([{ "http_error": { "status": 429, "body": "Rate limit reached. Please try again in 0.2s." } }, ok()]),
        requests: 2,
        code: 0,
        message: None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_quota_is_final() {
    fault(Fault {
        replies: json!([{ "http_error": { "status": 429, "body": "{\"error\":{\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}" } }, ok()]),
        requests: 1,
        code: 1,
        message: Some("Quota exceeded. Check your plan and billing details."),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_400_reports_raw_body() {
    fault(Fault {
        replies: json!([{ "http_error": { "status": 400, "body": "{\"error\":\"bad request body\"}" } }, ok()]),
        requests: 1,
        code: 1,
        message: Some("{\"error\":\"bad request body\"}"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_context_length_is_final() {
    fault(Fault {
        replies: json!([{ "failed": { "code": "context_length_exceeded", "message": "too long" } }, ok()]),
        requests: 1,
        code: 1,
        message: Some("Codex ran out of room in the model's context window."),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fault_incomplete_is_final() {
    fault(Fault {
        replies: json!([{ "message": "half", "incomplete": { "reason": "max_output_tokens" } }, ok()]),
        requests: 1,
        code: 1,
        message: Some("Incomplete response returned, reason: max_output_tokens"),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_timeout_is_a_stream_retry() {
    // The server takes 1.5 s to answer; the provider allows 200 ms of silence and 1 stream retry.
    let replies = json!([{ "message": "late", "delay_ms": 1500, "repeat": 3 }]);
    let server = MockServer::start(script(replies)).await.unwrap();
    let home = TestHome::with_mock(&server.base_url());
    let (_home, out) = tokio::task::spawn_blocking(move || {
        let mut argv = args(&["go"]);
        argv.splice(
            0..0,
            [
                "-c",
                "model_providers.mock.stream_idle_timeout_ms=200",
                "-c",
                "model_providers.mock.stream_max_retries=1",
            ],
        );
        let out = home.exec(&argv, None);
        (home, out)
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let events = json_lines(&stdout(&out));
    let failed = events
        .iter()
        .find(|e| e["type"] == "turn.failed")
        .expect("turn.failed");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("idle timeout"),
        "{failed}"
    );
    assert!(events.iter().any(|e| e["type"] == "error"
        && e["message"]
            .as_str()
            .unwrap()
            .starts_with("Reconnecting... 1/1")));
    assert_eq!(server.requests().len(), 2);
}
