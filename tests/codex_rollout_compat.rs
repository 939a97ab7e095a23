//! Rollout compatibility both ways with the real Codex CLI 0.169.0: `codex exec resume` continues
//! a thread rcodex recorded, and `rcodex exec resume` continues a thread Codex recorded.
//! The pinned CLI is installed on first use (see `tests/support/codex_cli.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rcodex_runner::mock::{MockServer, Script};
use serde_json::{json, Value};

async fn run(mut cmd: Command, home: &Path, work: &Path, tail: &[&str]) -> Output {
    cmd.arg("-C")
        .arg(work)
        .args(tail)
        .env("CODEX_HOME", home)
        .env("MOCK_API_KEY", "dummy");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap()
}

fn texts(input: &Value) -> Vec<String> {
    input
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["content"][0]["text"].as_str().map(str::to_string))
        .collect()
}

async fn round_trip(first: Option<&Path>, second: Option<&Path>) {
    let script: Script = serde_json::from_value(
        json!({ "replies": [{ "message": "first answer" }, { "message": "second answer" }] }),
    )
    .unwrap();
    let server = MockServer::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let out = run(
        rcodex_tests::exec_command(first),
        &home,
        &work,
        &["first question"],
    )
    .await;
    assert!(
        out.status.success(),
        "first run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    let thread = started["thread_id"].as_str().unwrap().to_string();
    let out = run(
        rcodex_tests::exec_command(second),
        &home,
        &work,
        &["resume", &thread, "second question"],
    )
    .await;
    assert!(
        out.status.success(),
        "resume: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(events[0]["thread_id"], thread.as_str(), "same thread");
    assert_eq!(
        events.last().unwrap()["usage"]["input_tokens"],
        200,
        "thread-cumulative usage"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let resumed = texts(&reqs[1].body["input"]);
    let pos = |t: &str| {
        resumed
            .iter()
            .position(|x| x == t)
            .unwrap_or_else(|| panic!("{t:?} not in {resumed:?}"))
    };
    assert!(pos("first question") < pos("first answer"));
    assert!(pos("first answer") < pos("second question"));
    // Still one rollout file for the thread.
    let files: Vec<_> = walk(&home.join("sessions"));
    assert_eq!(
        files
            .iter()
            .filter(|f| f.to_string_lossy().contains(&thread))
            .count(),
        1,
        "{files:?}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn codex_resumes_an_rcodex_rollout_and_rcodex_resumes_a_codex_rollout() {
    let Some(codex) = rcodex_tests::codex_bin("the rollout round trip with the real Codex CLI")
    else {
        return;
    };
    round_trip(None, Some(&codex)).await;
    round_trip(Some(&codex), None).await;
}
