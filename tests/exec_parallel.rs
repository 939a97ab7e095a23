//! Parallel runs on one CODEX_HOME: 50 concurrent `rcodex exec` processes each get their own
//! rollout of complete lines that belong to their own thread, and `resume --last` picks the
//! newest thread of the directory it runs in, as Codex 0.169 does (captured: see
//! `runner/src/rollout/latest.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{json_lines, rcodex_bin, TestHome};
use serde_json::{json, Value};

const RUNS: usize = 50;

async fn server(replies: usize) -> MockServer {
    let script = json!({ "replies": [{ "message": "ok", "repeat": replies }] });
    MockServer::start(serde_json::from_value::<Script>(script).unwrap())
        .await
        .unwrap()
}

/// `rcodex exec --json --skip-git-repo-check ARGS` in `cwd` on the home, stdin closed.
fn exec_command(home: &TestHome, cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(rcodex_bin());
    cmd.args(["exec", "--json", "--skip-git-repo-check"])
        .args(args)
        .env("CODEX_HOME", home.home())
        .env("MOCK_API_KEY", "test-key")
        .env_remove("OPENAI_API_KEY")
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The thread id from a successful run's `thread.started` event.
fn thread_of(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let events = json_lines(&text(&out.stdout));
    assert_eq!(events[0]["type"], "thread.started", "{events:?}");
    events[0]["thread_id"].as_str().unwrap().to_string()
}

/// Runs one exec to the end on a blocking thread.
async fn exec(home: &TestHome, cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = exec_command(home, cwd, args);
    tokio::task::spawn_blocking(move || cmd.output().expect("run rcodex exec"))
        .await
        .unwrap()
}

/// The user prompts recorded in a rollout (`response_item` user messages, environment context
/// left out).
fn prompts(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l["type"] == "response_item" && l["payload"]["role"] == "user")
        .filter_map(|l| l["payload"]["content"][0]["text"].as_str())
        .filter(|t| !t.starts_with("<environment_context>"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_runs_on_one_home_keep_their_rollouts_apart() {
    let srv = server(RUNS).await;
    let home = TestHome::with_mock(&srv.base_url());
    rcodex_bin(); // build before the clock starts
    let start = Instant::now();
    let children: Vec<_> = (0..RUNS)
        .map(|i| {
            exec_command(&home, &home.work(), &[&format!("run {i}")])
                .spawn()
                .expect("spawn rcodex exec")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().expect("wait rcodex"))
            .collect::<Vec<_>>()
    });
    let outputs = tokio::time::timeout(Duration::from_secs(120), outputs)
        .await
        .expect("50 runs did not finish in 120 s")
        .unwrap();
    eprintln!("{RUNS} concurrent exec runs took {:?}", start.elapsed());

    // Process i's thread, from its own --json stream.
    let threads: Vec<String> = outputs.iter().map(thread_of).collect();
    let distinct: BTreeSet<&String> = threads.iter().collect();
    assert_eq!(distinct.len(), RUNS, "thread ids repeat: {threads:?}");
    assert_eq!(srv.requests().len(), RUNS);

    let files = home.rollouts();
    assert_eq!(files.len(), RUNS, "{files:?}");
    let mut prompt_of_thread = BTreeMap::new();
    let mut session_ids = BTreeSet::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        assert!(bytes.ends_with(b"\n"), "{name}: last line torn");
        let lines = json_lines(&text(&bytes));
        // Every line is one whole JSON object (json_lines panics on a torn or merged line).
        let meta = &lines[0];
        assert_eq!(meta["type"], "session_meta", "{name}");
        let id = meta["payload"]["id"].as_str().unwrap().to_string();
        assert!(name.ends_with(&format!("-{id}.jsonl")), "{name} holds {id}");
        assert!(session_ids.insert(meta["payload"]["session_id"].to_string()));
        // Lines that name a thread name this one; the ordinals count up from 0 without a gap.
        for (n, line) in lines.iter().enumerate() {
            assert_eq!(line["ordinal"], n, "{name}:{}", n + 1);
            if let Some(other) = line["payload"]["thread_id"].as_str() {
                assert_eq!(other, id, "{name}:{}: another thread's line", n + 1);
            }
        }
        let p = prompts(&lines);
        assert_eq!(p.len(), 1, "{name}: {p:?}");
        prompt_of_thread.insert(id, p[0].clone());
    }
    for (i, thread) in threads.iter().enumerate() {
        assert_eq!(
            prompt_of_thread.get(thread),
            Some(&format!("run {i}")),
            "run {i}'s prompt is in another thread's rollout"
        );
    }
}

/// A subfolder of the test's temp folder, created.
fn folder(home: &TestHome, name: &str) -> PathBuf {
    let dir = home.dir.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_last_picks_the_newest_thread_of_its_directory() {
    let srv = server(8).await;
    let home = TestHome::with_mock(&srv.base_url());
    let (a, b, c) = (folder(&home, "a"), folder(&home, "b"), folder(&home, "c"));

    // Interleaved: A, B, A again (a second thread of A), B again; B's threads are the newest.
    let a1 = thread_of(&exec(&home, &a, &["a one"]).await);
    let b1 = thread_of(&exec(&home, &b, &["b one"]).await);
    let a2 = thread_of(&exec(&home, &a, &["a two"]).await);
    let b2 = thread_of(&exec(&home, &b, &["b two"]).await);
    assert_eq!(BTreeSet::from([&a1, &b1, &a2, &b2]).len(), 4);

    // From A: A's newest thread, though B's is newer overall.
    let out = exec(&home, &a, &["resume", "--last", "a resumed"]).await;
    assert_eq!(thread_of(&out), a2);
    // -C names the directory as well as the current one does.
    let out = exec(
        &home,
        &c,
        &["-C", b.to_str().unwrap(), "resume", "--last", "b resumed"],
    )
    .await;
    assert_eq!(thread_of(&out), b2);
    // --all: the most recently updated thread anywhere (B's, just resumed).
    let out = exec(&home, &a, &["resume", "--last", "--all", "any resumed"]).await;
    assert_eq!(thread_of(&out), b2);
    // A directory without threads starts a new one, as Codex does.
    let out = exec(&home, &c, &["resume", "--last", "c first"]).await;
    let c1 = thread_of(&out);
    assert!(![&a1, &b1, &a2, &b2].contains(&&c1), "{c1}");
    assert!(text(&out.stderr).contains("no earlier thread of"));

    // The resumed prompts went to the right files.
    let rollout_of = |id: &str| {
        let path = home
            .rollouts()
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(&format!("-{id}.jsonl")))
            .unwrap();
        prompts(&json_lines(&std::fs::read_to_string(path).unwrap()))
    };
    assert_eq!(rollout_of(&a2), ["a two", "a resumed"]);
    assert_eq!(rollout_of(&b2), ["b two", "b resumed", "any resumed"]);
    assert_eq!(rollout_of(&a1), ["a one"]);
    assert_eq!(rollout_of(&c1), ["c first"]);
}
