//! Replay against what the real Codex CLI 0.169.0 sent: the pinned CLI runs a session against the
//! scripted server (reasoning, a shell call, parallel calls, a failing command, apply_patch, then
//! the thread resumed by a second process), and every request rebuilt from its rollout must carry
//! the `input` Codex sent at that request, item for item, ids aside. The CLI is installed on
//! first use (see `tests/support/codex_cli.rs`).

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use rcodex_core::replay::replay;
use rcodex_runner::mock::{MockServer, Script};
use rcodex_runner::rollout::read_recorded;
use serde_json::{json, Value};

async fn codex(codex: &Path, home: &Path, work: &Path, tail: &[&str]) -> Output {
    let mut cmd = rcodex_tests::exec_command(Some(codex));
    cmd.arg("-C")
        .arg(work)
        .args(tail)
        .env("CODEX_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "codex {tail:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn rollout_of(home: &Path, thread: &str) -> PathBuf {
    let mut files = rcodex_tests::files_under(&home.join("sessions"));
    files.retain(|f| f.to_string_lossy().contains(thread));
    assert_eq!(files.len(), 1, "one rollout for thread {thread}: {files:?}");
    files.remove(0)
}

/// `input` with each item's `id` left out.
fn without_ids(input: &Value) -> Vec<Value> {
    input
        .as_array()
        .expect("input is an array")
        .iter()
        .map(|item| {
            let mut item = item.clone();
            if let Some(fields) = item.as_object_mut() {
                fields.remove("id");
            }
            item
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_rebuilt_from_a_codex_rollout_carries_the_input_codex_sent() {
    let Some(bin) = rcodex_tests::codex_bin("rebuilding Codex's requests from its rollout") else {
        return;
    };
    let patch = "*** Begin Patch\n*** Add File: notes.txt\n+rebuilt\n*** End Patch";
    let script: Script = serde_json::from_value(json!({ "replies": [
        { "items": [
            { "reasoning": "look at the files first" },
            { "function_call": { "name": "exec_command", "call_id": "call_ls", "arguments": { "cmd": "ls" } } }
        ] },
        { "function_calls": [
            { "name": "exec_command", "call_id": "call_a", "arguments": { "cmd": "echo a" } },
            { "name": "exec_command", "call_id": "call_b", "arguments": { "cmd": "echo b" } }
        ] },
        { "function_call": { "name": "exec_command", "call_id": "call_fail", "arguments": { "cmd": "echo no >&2; exit 3" } } },
        { "custom_tool_call": { "name": "apply_patch", "call_id": "call_patch", "input": patch } },
        { "message": "four tools later" },
        { "message": "the second turn's answer" }
    ] }))
    .unwrap();
    let server = MockServer::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("a.txt"), "x\n").unwrap();
    rcodex_tests::write_mock_config(&home, &server.base_url());

    let first = codex(&bin, &home, &work, &["list and patch"]).await;
    let started = rcodex_tests::json_lines(&String::from_utf8_lossy(&first.stdout));
    let thread = started[0]["thread_id"].as_str().unwrap().to_string();
    codex(&bin, &home, &work, &["resume", &thread, "and now?"]).await;
    let sent: Vec<Value> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(
        sent.len(),
        6,
        "five requests, then one for the resumed turn"
    );
    server.shutdown().await;

    let rollout = rollout_of(&home, &thread);
    let recorded = read_recorded(&rollout).unwrap();
    assert!(recorded.warnings.is_empty(), "{:?}", recorded.warnings);
    let replayed = replay(&recorded.lines).unwrap();
    assert_eq!(replayed.divergence, None, "{rollout:?}");
    let turns: Vec<usize> = replayed.requests.iter().map(|r| r.turn).collect();
    assert_eq!(turns, [1, 1, 1, 1, 1, 2]);
    for (i, (rebuilt, codex_sent)) in replayed.requests.iter().zip(&sent).enumerate() {
        let rebuilt: Value = serde_json::from_str(&rebuilt.body).unwrap();
        let (ours, theirs) = (
            without_ids(&rebuilt["input"]),
            without_ids(&codex_sent["input"]),
        );
        assert_eq!(ours.len(), theirs.len(), "request {}: item count", i + 1);
        for (k, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            if a != b {
                let (a, b) = (a.to_string(), b.to_string());
                if std::env::var_os("RCODEX_DUMP_DIFF").is_some() {
                    std::fs::write("/tmp/ours.json", &a).unwrap();
                    std::fs::write("/tmp/theirs.json", &b).unwrap();
                }
                let at = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
                panic!(
                    "request {}, input item {k} differs from character {at}: ours {:?}, Codex's {:?}",
                    i + 1,
                    a.chars().skip(at).take(80).collect::<String>(),
                    b.chars().skip(at).take(80).collect::<String>()
                );
            }
        }
    }
    // What the session did is in there: reasoning, both parallel answers, the failure, the patch.
    let last = serde_json::to_string(&sent[5]["input"]).unwrap();
    for needle in [
        "\"type\":\"reasoning\"",
        "call_a",
        "call_b",
        "Process exited with code 3",
        "custom_tool_call_output",
        "and now?",
    ] {
        assert!(last.contains(needle), "{needle} not in the last request");
    }
}
