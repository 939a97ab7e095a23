//! Rollout compatibility both ways with the real Codex CLI 0.169.0: `codex exec resume` continues
//! a thread rcodex recorded, and `rcodex exec resume` continues a thread Codex recorded.
//! The pinned CLI is installed on first use (see `tests/support/codex_cli.rs`).

use std::path::Path;
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
    let files: Vec<_> = rcodex_tests::files_under(&home.join("sessions"));
    assert_eq!(
        files
            .iter()
            .filter(|f| f.to_string_lossy().contains(&thread))
            .count(),
        1,
        "{files:?}"
    );
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

/// The `input` texts of the last request the server received.
fn last_input_texts(server: &MockServer) -> Vec<String> {
    let reqs = server.requests();
    texts(&reqs.last().expect("a request").body["input"])
}

fn in_order(texts: &[String], wanted: &[&str]) {
    let mut from = 0;
    for w in wanted {
        let at = texts[from..]
            .iter()
            .position(|t| t.contains(w))
            .unwrap_or_else(|| panic!("{w:?} not in order in {texts:?}"));
        from += at + 1;
    }
}

/// One thread, turn by turn: `clients[0]` starts it, each later client resumes it by id.
async fn thread_across(clients: &[Option<&Path>]) -> (MockServer, Vec<String>) {
    let replies: Vec<Value> = (1..=clients.len())
        .map(|i| json!({ "message": format!("answer {i}") }))
        .collect();
    let script: Script = serde_json::from_value(json!({ "replies": replies })).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let mut thread = String::new();
    for (i, client) in clients.iter().enumerate() {
        let prompt = format!("question {}", i + 1);
        let tail: Vec<&str> = if i == 0 {
            vec![&prompt]
        } else {
            vec!["resume", &thread, &prompt]
        };
        let out = run(rcodex_tests::exec_command(*client), &home, &work, &tail).await;
        assert!(
            out.status.success(),
            "run {}: {}",
            i + 1,
            String::from_utf8_lossy(&out.stderr)
        );
        if i == 0 {
            let first: Value =
                serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap())
                    .unwrap();
            thread = first["thread_id"].as_str().unwrap().to_string();
        }
    }
    let files: Vec<_> = rcodex_tests::files_under(&home.join("sessions"));
    assert_eq!(
        files.len(),
        1,
        "one rollout for the whole thread: {files:?}"
    );
    let last = last_input_texts(&server);
    (server, last)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thread_of_two_turns_is_resumed_by_the_other_client_both_ways() {
    let Some(codex) = rcodex_tests::codex_bin("a two-turn thread resumed across clients") else {
        return;
    };
    for clients in [
        [None, None, Some(codex.as_path())],
        [Some(codex.as_path()), Some(codex.as_path()), None],
    ] {
        let (server, last) = thread_across(&clients).await;
        in_order(
            &last,
            &[
                "question 1",
                "answer 1",
                "question 2",
                "answer 2",
                "question 3",
            ],
        );
        server.shutdown().await;
    }
}

/// Starts a turn with `client` whose reply never comes in time, interrupts it (SIGINT, by the
/// process's id) once the request is in, then resumes the thread with `other`.
async fn interrupted_then_resumed(client: Option<&Path>, other: Option<&Path>) -> Vec<String> {
    let script: Script = serde_json::from_value(json!({ "replies": [
        { "message": "too late", "delay_ms": 20000 },
        { "message": "after the interrupt" }
    ] }))
    .unwrap();
    let server = MockServer::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let mut cmd = rcodex_tests::exec_command(client);
    cmd.arg("-C")
        .arg(&work)
        .arg("slow question")
        .env("CODEX_HOME", &home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn the first client");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while server.requests().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no request came");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Let the client settle into streaming before the interrupt.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let pid = child.id().to_string();
    let kill = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(kill.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let events = String::from_utf8_lossy(&out.stdout).to_string();
    let thread = serde_json::from_str::<Value>(events.lines().next().expect("thread.started"))
        .unwrap()["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    let rollout = rcodex_tests::files_under(&home.join("sessions"));
    assert_eq!(rollout.len(), 1);
    let text = std::fs::read_to_string(&rollout[0]).unwrap();
    assert!(
        text.contains("\"type\":\"turn_aborted\""),
        "the interrupted turn is recorded as aborted"
    );
    let out = run(
        rcodex_tests::exec_command(other),
        &home,
        &work,
        &["resume", &thread, "next question"],
    )
    .await;
    assert!(
        out.status.success(),
        "resume: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = last_input_texts(&server);
    server.shutdown().await;
    last
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thread_with_an_interrupted_turn_is_resumed_by_the_other_client_both_ways() {
    let Some(codex) = rcodex_tests::codex_bin("an interrupted thread resumed across clients")
    else {
        return;
    };
    // Codex leaves its `<turn_aborted>` message in history; rcodex (no Codex text) leaves none.
    let last = interrupted_then_resumed(Some(&codex), None).await;
    in_order(&last, &["slow question", "<turn_aborted>", "next question"]);
    let last = interrupted_then_resumed(None, Some(&codex)).await;
    in_order(&last, &["slow question", "next question"]);
    assert!(!last.iter().any(|t| t.contains("too late")));
}
