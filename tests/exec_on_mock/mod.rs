//! One `exec` run (rcodex, or the real Codex CLI when given its path) against the scripted
//! server, in a temp CODEX_HOME and workspace: the tests that compare both clients share it.
//! It lives beside the tests rather than in `tests/support`, which cannot see the runner crate.

use std::path::Path;
use std::process::Stdio;

use rcodex_runner::mock::{MockServer, RecordedRequest, Script};
use serde_json::{json, Value};

/// Runs `exec ARGS -C WORK PROMPT` on `replies`; the run must succeed. Returns the requests the
/// server received and the `--json` lines printed (none without `--json`).
pub async fn exec_on_mock(
    codex: Option<&Path>,
    args: &[&str],
    prompt: &str,
    replies: Value,
) -> (Vec<RecordedRequest>, Vec<Value>) {
    let script: Script = serde_json::from_value(json!({ "replies": replies })).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let mut cmd = rcodex_tests::exec_command(codex);
    cmd.args(args)
        .arg("-C")
        .arg(&work)
        .arg(prompt)
        .env("CODEX_HOME", &home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = rcodex_tests::json_lines(&String::from_utf8_lossy(&out.stdout));
    let requests = server.requests();
    server.shutdown().await;
    (requests, events)
}
