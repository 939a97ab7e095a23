//! Exit codes CI relies on: `exec` (0 completed, 1 failed or setup error, 2 usage, 130 Ctrl-C
//! after recording the abort, death by SIGTERM as Codex), usage errors of every subcommand, and
//! `mock`'s own codes. `batch`, `replay`, `align` and `doctor` test their other codes in their
//! own suites.

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{json_lines, rcodex_bin, TestHome};
use serde_json::{json, Value};

async fn server(replies: Value) -> MockServer {
    MockServer::start(serde_json::from_value::<Script>(json!({ "replies": replies })).unwrap())
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `rcodex exec --json --skip-git-repo-check ARGS` started in the home's workspace.
fn spawn_exec(home: &TestHome, args: &[&str]) -> Child {
    Command::new(rcodex_bin())
        .args(["exec", "--json", "--skip-git-repo-check"])
        .args(args)
        .env("CODEX_HOME", home.home())
        .env("MOCK_API_KEY", "test-key")
        .env_remove("OPENAI_API_KEY")
        .current_dir(home.work())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rcodex exec")
}

/// Sends `signal` (a `kill` name such as `INT`) to the process `pid`.
fn send_signal(pid: u32, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// Waits until the scripted server has received `n` requests (the stream is then held open by
/// the reply's delay), failing after 30 s.
async fn wait_for_requests(srv: &MockServer, n: usize) {
    let start = Instant::now();
    while srv.requests().len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no request reached the server"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for the child with a deadline, so a hang fails the test instead of stalling it.
async fn wait_output(child: Child, limit: Duration) -> std::process::Output {
    let waited = tokio::time::timeout(
        limit,
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await;
    waited
        .expect("rcodex did not exit in time")
        .unwrap()
        .expect("wait rcodex")
}

/// The rollout lines of the single rollout under the home.
fn only_rollout(home: &TestHome) -> Vec<Value> {
    let files = home.rollouts();
    assert_eq!(files.len(), 1, "{files:?}");
    json_lines(&std::fs::read_to_string(&files[0]).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_exec_records_the_abort_and_exits_130() {
    let srv = server(json!([{ "message": "too late", "delay_ms": 60000 }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let child = spawn_exec(&home, &["question"]);
    wait_for_requests(&srv, 1).await;
    send_signal(child.id(), "INT");
    let out = wait_output(child, Duration::from_secs(20)).await;
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));

    // The --json stream ends as before: the turn reported as failed by the interrupt.
    let events = json_lines(&text(&out.stdout));
    let last = events.last().unwrap();
    assert_eq!(last["type"], "turn.failed", "{events:?}");
    assert_eq!(last["error"]["message"], "turn interrupted");

    // The abort is in the rollout, last, as Codex records it.
    let lines = only_rollout(&home);
    let last = &lines.last().unwrap()["payload"];
    assert_eq!(last["type"], "turn_aborted", "{last}");
    assert_eq!(last["reason"], "interrupted");
}

/// The shutdown after the first Ctrl-C is held for a minute (a test-only pause); the second
/// Ctrl-C must end the run at once, still with 130.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_ctrl_c_during_the_shutdown_exits_130_at_once() {
    let srv = server(json!([{ "message": "too late", "delay_ms": 60000 }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let mut child = Command::new(rcodex_bin())
        .args(["exec", "--json", "--skip-git-repo-check", "question"])
        .env("CODEX_HOME", home.home())
        .env("MOCK_API_KEY", "test-key")
        .env("RCODEX_TEST_SHUTDOWN_PAUSE_MS", "60000")
        .current_dir(home.work())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_requests(&srv, 1).await;
    send_signal(child.id(), "INT");
    // The first Ctrl-C has been handled once the turn's end is on stdout.
    let stdout = child.stdout.take().unwrap();
    let seen = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("\"turn.failed\""))
    });
    let seen = tokio::time::timeout(Duration::from_secs(20), seen).await;
    assert!(seen.expect("no turn.failed").unwrap().is_some());
    let second = Instant::now();
    send_signal(child.id(), "INT");
    let out = wait_output(child, Duration::from_secs(20)).await;
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(second.elapsed() < Duration::from_secs(20));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("shutting down (test pause"), "{stderr}");
    assert!(
        stderr.contains("interrupted again; exiting without waiting"),
        "{stderr}"
    );
}

/// Codex 0.169 does not catch SIGTERM: it dies by the signal (a shell shows 143) and records
/// nothing more. rcodex does the same.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_ends_exec_by_the_signal_as_codex_does() {
    let srv = server(json!([{ "message": "too late", "delay_ms": 60000 }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let child = spawn_exec(&home, &["question"]);
    wait_for_requests(&srv, 1).await;
    send_signal(child.id(), "TERM");
    let out = wait_output(child, Duration::from_secs(20)).await;
    assert_eq!(out.status.signal(), Some(15), "{:?}", out.status);
    let lines = only_rollout(&home);
    assert!(
        lines.iter().all(|l| l["payload"]["type"] != "turn_aborted"),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_exits_0_on_a_completed_turn_and_1_on_a_failed_one() {
    let srv = server(json!([
        { "message": "done" },
        { "http_error": { "status": 400, "body": "bad request" } }
    ]))
    .await;
    let home = TestHome::with_mock(&srv.base_url());
    let out = wait_output(spawn_exec(&home, &["ok"]), Duration::from_secs(60)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = wait_output(spawn_exec(&home, &["fails"]), Duration::from_secs(60)).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let events = json_lines(&text(&out.stdout));
    assert_eq!(events.last().unwrap()["type"], "turn.failed");
}

#[test]
fn exec_setup_errors_exit_1() {
    // A workspace outside any git repository, without --skip-git-repo-check.
    let home = TestHome::with_mock("http://127.0.0.1:9/v1");
    let out = home.exec(&["hello"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--skip-git-repo-check"));
}

#[test]
fn every_subcommand_exits_2_on_a_usage_error() {
    let subcommands: [&[&str]; 7] = [
        &["exec"],
        &["exec", "resume"],
        &["batch"],
        &["replay"],
        &["align"],
        &["doctor"],
        &["mock"],
    ];
    for sub in subcommands {
        let out = Command::new(rcodex_bin())
            .args(sub)
            .arg("--no-such-flag")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{sub:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("--no-such-flag"), "{sub:?}");
    }
}

#[test]
fn mock_exits_2_on_a_bad_script() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.toml");
    std::fs::write(&script, "[[reply]]\nno_such_key = 1\n").unwrap();
    let out = Command::new(rcodex_bin())
        .args(["mock", "--script"])
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn mock_exits_0_when_stopped_with_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.toml");
    std::fs::write(&script, "[[reply]]\nmessage = \"hi\"\n").unwrap();
    let mut child = Command::new(rcodex_bin())
        .args(["mock", "--port", "0", "--script"])
        .arg(&script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The base URL is printed once the server listens (and the Ctrl-C handler is installed
    // right after; give it a moment).
    let stdout = child.stdout.take().unwrap();
    let url = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    send_signal(child.id(), "INT");
    let out = wait_output(child, Duration::from_secs(20)).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("served 0 requests"));
}

#[test]
fn every_subcommand_help_states_its_exit_codes() {
    let expected: [(&[&str], &[&str]); 10] = [
        (
            &["exec"],
            &["Exit status", "0 the turn completed", "2 usage", "130"],
        ),
        (
            &["exec", "resume"],
            &["Exit status", "0 the turn completed", "2 usage", "130"],
        ),
        (&["batch"], &["Exit status", "2 usage", "130"]),
        (
            &["batch", "merge"],
            &["Exit status", "1 one failed", "2 usage"],
        ),
        (
            &["batch", "compare"],
            &["Exit 1 on any regression", "2 when"],
        ),
        (
            &["replay"],
            &["Exit status", "1 a divergence", "--fork-at: 0"],
        ),
        (&["replay", "diff"], &["Exit status", "1 they part"]),
        (&["align"], &["Exit status", "2 usage"]),
        (&["doctor"], &["Exit status", "2 usage"]),
        (
            &["mock"],
            &["Exit status", "0 stopped with Ctrl-C", "2 usage"],
        ),
    ];
    for (sub, needles) in expected {
        let out = Command::new(rcodex_bin())
            .args(sub)
            .arg("--help")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{sub:?}");
        // clap wraps long help; compare with the line breaks folded.
        let help = text(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for needle in needles {
            assert!(
                help.contains(needle),
                "{sub:?} --help lacks {needle:?}:\n{help}"
            );
        }
    }
}

#[test]
fn batch_merge_exits_2_on_a_missing_shard() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-shard");
    let out = Command::new(rcodex_bin())
        .args(["batch", "merge", "--out"])
        .arg(dir.path().join("merged"))
        .arg(&missing)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no-such-shard"),
        "{}",
        text(&out.stderr)
    );
}
