//! A task that panics never hangs a turn. Through the real binary (`rcodex exec` and
//! `rcodex batch`): a tool whose task panics answers its call with a failed output naming the tool
//! and the panic, and the turn goes on; a request task that panics is a model failure the core
//! retries. The faults come from the runner's test-only hooks (`RCODEX_TEST_PANIC_TOOL`,
//! `RCODEX_TEST_PANIC_REQUEST`). Every run has a deadline, so a hang fails instead of blocking.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{json_lines, rcodex_bin, TestHome};
use serde_json::{json, Value};

const DEADLINE: Duration = Duration::from_secs(60);
const TOOL_PANIC_OUTPUT: &str =
    "exec_command failed: the tool panicked: RCODEX_TEST_PANIC_TOOL: injected panic in tool exec_command";

/// Runs `cmd` to its end, or kills it and fails the test once `DEADLINE` has passed.
fn run_with_deadline(mut cmd: Command) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rcodex");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(out) => out.expect("wait for rcodex"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("rcodex did not exit within {DEADLINE:?}: the turn hung");
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `rcodex exec --json` against a scripted server, with the fault hooks in `faults` set.
async fn exec_with_faults(replies: Value, faults: &[(&str, &str)]) -> (MockServer, Output) {
    let script: Script = serde_json::from_value(json!({ "replies": replies })).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let home = TestHome::with_mock(&server.base_url());
    let mut cmd = Command::new(rcodex_bin());
    cmd.args([
        "exec",
        "--json",
        "--skip-git-repo-check",
        "-s",
        "danger-full-access",
        "go",
    ])
    .env("CODEX_HOME", home.home())
    .env("MOCK_API_KEY", "test-key")
    .env_remove("OPENAI_API_KEY")
    .env_remove("RCODEX_TEST_PANIC_TOOL")
    .env_remove("RCODEX_TEST_PANIC_REQUEST")
    .envs(faults.iter().copied())
    .current_dir(home.work());
    let out = tokio::task::spawn_blocking(move || {
        let out = run_with_deadline(cmd);
        drop(home);
        out
    })
    .await
    .unwrap();
    (server, out)
}

/// The `function_call_output` items of a request body, as (call_id, output).
fn call_outputs(body: &Value) -> Vec<(String, String)> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "function_call_output")
        .map(|i| {
            (
                i["call_id"].as_str().unwrap().to_string(),
                i["output"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn shell_then_answer() -> Value {
    json!([
        { "function_call": { "name": "exec_command", "call_id": "call_1",
                             "arguments": { "cmd": "echo hi", "login": false } } },
        { "message": "done" }
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_a_panicking_tool_answers_the_model_and_the_turn_completes() {
    let (server, out) = exec_with_faults(
        shell_then_answer(),
        &[("RCODEX_TEST_PANIC_TOOL", "exec_command")],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let events = json_lines(&text(&out.stdout));
    let last = events.last().unwrap();
    assert_eq!(last["type"], "turn.completed", "{events:?}");
    assert!(events
        .iter()
        .any(|e| e["type"] == "item.completed" && e["item"]["text"] == "done"));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "the model was asked again after the panic");
    assert_eq!(
        call_outputs(&reqs[1].body),
        [("call_1".to_string(), TOOL_PANIC_OUTPUT.to_string())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_a_panicking_request_is_retried_and_the_turn_completes() {
    let (server, out) = exec_with_faults(
        json!([{ "message": "hello" }]),
        &[("RCODEX_TEST_PANIC_REQUEST", "1")],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("injected panic in the turn's first request"),
        "the hook fired: {}",
        text(&out.stderr)
    );
    let types: Vec<String> = json_lines(&text(&out.stdout))
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "thread.started",
            "turn.started",
            "item.completed",
            "turn.completed"
        ]
    );
    // The panicked attempt never reached the server; the retry did.
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_without_the_hooks_runs_the_tool() {
    let (server, out) = exec_with_faults(shell_then_answer(), &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outputs = call_outputs(&server.requests()[1].body);
    assert_eq!(outputs.len(), 1);
    assert!(
        outputs[0].1.contains("Process exited with code 0"),
        "{outputs:?}"
    );
    assert!(!text(&out.stderr).contains("panicked"));
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn batch_rows_pass_when_tools_and_requests_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    std::fs::create_dir_all(&dir).unwrap();
    write(
        &dir,
        "tool_panics.toml",
        &format!(
            r#"name = "a panicking tool answers the model"
prompt = "run it"
[[model.reply]]
function_call = {{ name = "exec_command", arguments = {{ cmd = "echo hi", login = false }} }}
[[model.reply]]
message = "done"
[expect]
final_message = "done"
tool_calls = ["exec_command"]
requests = 3
[[expect.request]]
index = -1
pointer = "/input/5/output"
equals = "{TOOL_PANIC_OUTPUT}"
"#
        ),
    );
    write(
        &dir,
        "two_turns.toml",
        r#"name = "every turn's first request panics and is retried"
turns = ["one", "two"]
[[model.reply]]
message = "first"
[[model.reply]]
message = "second"
[expect]
final_message = "second"
requests = 4
"#,
    );
    let out = tmp.path().join("out");
    let mut cmd = Command::new(rcodex_bin());
    cmd.args(["batch", dir.to_str().unwrap(), "-j", "2", "--out"])
        .arg(&out)
        .env("RCODEX_TEST_PANIC_TOOL", "exec_command")
        .env("RCODEX_TEST_PANIC_REQUEST", "1")
        .current_dir(tmp.path());
    let o = run_with_deadline(cmd);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let rows = json_lines(&std::fs::read_to_string(out.join("results.jsonl")).unwrap());
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        assert_eq!(row["status"], "pass", "{row}");
    }
    let tool_row = rows.iter().find(|r| r["id"] == "tool_panics").unwrap();
    assert_eq!(tool_row["requests"], 3);
}
