//! `rcodex replay FILE --fork-at TURN[.REQUEST]` through the real binary: a recorded shell
//! session (written by `rcodex batch` in a workspace that is then gone) is forked in its middle
//! and finishes against scripted replies with its tool calls answered from the recording, in an
//! empty directory; the new rollout names its parent, replays, and the real Codex CLI 0.169.0
//! resumes it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rcodex_runner::mock::{MockServer, Script};
use serde_json::{json, Value};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn rcodex(args: &[&str], home: &Path) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .args(args)
        .env("CODEX_HOME", home)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run rcodex {args:?}: {e}"))
}

fn exits(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

const SCENARIO: &str = r#"
name = "two reads"
prompt = "What do the two files say?"

[workspace.files]
"a.txt" = "alpha from the recorded workspace\n"
"b.txt" = "beta from the recorded workspace\n"

[[model.reply]]
function_call = { name = "exec_command", arguments = { cmd = "cat a.txt" } }
[[model.reply]]
function_call = { name = "exec_command", arguments = { cmd = "cat b.txt" } }
[[model.reply]]
message = "alpha and beta."

[expect]
final_message = "alpha and beta."
requests = 3
"#;

/// A recorded two-call shell session; its workspace is deleted with `dir`'s batch folder.
fn recorded_session(dir: &Path) -> PathBuf {
    let scenario = dir.join("two_reads.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let out = dir.join("batch");
    let o = rcodex(
        &[
            "batch",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &dir.join("unused-home"),
    );
    exits(&o, 0);
    out.join("rollouts").join("two_reads-r0.jsonl")
}

/// Every file under `home/sessions`.
fn rollouts(home: &Path) -> Vec<PathBuf> {
    rcodex_tests::files_under(&home.join("sessions"))
}

fn lines(path: &Path) -> Vec<Value> {
    rcodex_tests::json_lines(&std::fs::read_to_string(path).unwrap())
}

/// Forks `parent` at `at` with `replies`; returns the run and the fork's rollout.
fn fork(parent: &Path, at: &str, tools: &str, replies: &str, dir: &Path) -> (Output, PathBuf) {
    let script = dir.join("replies.toml");
    std::fs::write(&script, replies).unwrap();
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let home = dir.join("home");
    let o = rcodex(
        &[
            "replay",
            parent.to_str().unwrap(),
            "--fork-at",
            at,
            "--tools",
            tools,
            "--script",
            script.to_str().unwrap(),
            "-C",
            empty.to_str().unwrap(),
            "--json",
        ],
        &home,
    );
    let written = rollouts(&home);
    assert_eq!(written.len(), 1, "one new rollout: {written:?}");
    (o, written[0].clone())
}

/// The text of every `function_call_output` in a rollout, in order.
fn outputs(rollout: &[Value]) -> Vec<String> {
    rollout
        .iter()
        .filter(|l| l["type"] == "response_item" && l["payload"]["type"] == "function_call_output")
        .map(|l| {
            l["payload"]["output"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_from_the_middle_of_a_shell_session_finishes_from_the_recording_and_resumes_under_codex(
) {
    let dir = tempfile::tempdir().unwrap();
    let parent = recorded_session(dir.path());
    let parent_lines = lines(&parent);
    let parent_id = parent_lines[0]["payload"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Cut before the second request: the new model reads b.txt again, then answers.
    let (o, rollout) = fork(
        &parent,
        "1.2",
        "recorded",
        // Call ids are unique in a thread (the scripted server numbers its own from 1 each run).
        "[[reply]]\nfunction_call = { name = \"exec_command\", call_id = \"call_fork_1\", arguments = { cmd = \"cat b.txt\" } }\n[[reply]]\nmessage = \"forked: alpha and beta.\"\n",
        dir.path(),
    );
    exits(&o, 0);
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains("tool calls 1 answered from the recording, 0 run, 0 refused"),
        "{stderr}"
    );
    let events = rcodex_tests::json_lines(&text(&o.stdout));
    let last_message = events
        .iter()
        .rev()
        .find(|e| e["type"] == "item.completed" && e["item"]["type"] == "agent_message")
        .expect("an agent message");
    assert_eq!(last_message["item"]["text"], "forked: alpha and beta.");

    // The new rollout names its parent and cut, holds the parent's first answer and the
    // recorded answer to the repeated call (the workspace is gone), and replays.
    let forked = lines(&rollout);
    let meta = &forked[0]["payload"];
    let fork_id = meta["id"].as_str().unwrap().to_string();
    assert_ne!(fork_id, parent_id);
    assert_eq!(meta["forked_from_id"], parent_id.as_str());
    assert_eq!(meta["fork_point"], json!({"turn": 1, "request": 2}));
    assert!(rollout
        .to_string_lossy()
        .ends_with(&format!("{fork_id}.jsonl")));
    let answers = outputs(&forked);
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert!(
        answers[0].contains("alpha from the recorded workspace"),
        "{answers:?}"
    );
    assert!(
        answers[1].contains("beta from the recorded workspace"),
        "{answers:?}"
    );
    let verify = rcodex(&["replay", rollout.to_str().unwrap()], dir.path());
    exits(&verify, 0);
    assert!(
        text(&verify.stdout).contains("ok (1 turn, 3 requests)"),
        "{}",
        text(&verify.stdout)
    );

    // The real Codex CLI goes on with the forked thread.
    let Some(codex) = rcodex_tests::codex_bin("resuming a fork with the real Codex CLI") else {
        return;
    };
    let script: Script =
        serde_json::from_value(json!({ "replies": [{ "message": "resumed the fork" }] })).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let home = dir.path().join("home");
    // The fork keeps its parent's provider (the batch's scripted one): Codex needs it
    // configured to resume the thread.
    assert_eq!(meta["model_provider"], "rcodex-scripted");
    std::fs::write(
        home.join("config.toml"),
        format!(
            "model = \"gpt-5.5\"\nmodel_provider = \"rcodex-scripted\"\n\n[model_providers.rcodex-scripted]\nname = \"scripted\"\nbase_url = \"{}\"\nwire_api = \"responses\"\nenv_key = \"MOCK_API_KEY\"\n",
            server.base_url()
        ),
    )
    .unwrap();
    let work = dir.path().join("empty");
    let mut cmd = rcodex_tests::exec_command(Some(&codex));
    cmd.arg("-C")
        .arg(&work)
        .args(["resume", &fork_id, "anything else?"])
        .env("CODEX_HOME", &home)
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "codex exec resume: {}",
        text(&out.stderr)
    );
    let codex_events = rcodex_tests::json_lines(&text(&out.stdout));
    assert_eq!(
        codex_events[0]["thread_id"],
        fork_id.as_str(),
        "the fork's thread"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let input = requests[0].body["input"].to_string();
    let at = |needle: &str| {
        input
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in what Codex sent: {input}"))
    };
    assert!(at("What do the two files say?") < at("alpha from the recorded workspace"));
    assert!(at("beta from the recorded workspace") < at("forked: alpha and beta."));
    assert!(at("forked: alpha and beta.") < at("anything else?"));
    server.shutdown().await;
}

#[test]
fn tools_recorded_refuses_a_call_the_recording_lacks_and_run_runs_it() {
    let dir = tempfile::tempdir().unwrap();
    let parent = recorded_session(dir.path());
    let replies = "[[reply]]\nfunction_call = { name = \"exec_command\", call_id = \"call_fork_1\", arguments = { cmd = \"echo fresh\", login = false } }\n[[reply]]\nmessage = \"done\"\n";
    let refused = dir.path().join("refused");
    std::fs::create_dir_all(&refused).unwrap();
    let (o, rollout) = fork(&parent, "1", "recorded", replies, &refused);
    exits(&o, 0);
    assert!(text(&o.stderr).contains("0 answered from the recording, 0 run, 1 refused"));
    let answers = outputs(&lines(&rollout));
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert!(
        answers[0].contains("the recording has no call of exec_command"),
        "{answers:?}"
    );

    let ran = dir.path().join("ran");
    std::fs::create_dir_all(&ran).unwrap();
    let (o, rollout) = fork(&parent, "1", "auto", replies, &ran);
    exits(&o, 0);
    assert!(text(&o.stderr).contains("0 answered from the recording, 1 run, 0 refused"));
    let answers = outputs(&lines(&rollout));
    assert!(answers[0].contains("Output:\nfresh\n"), "{answers:?}");
}

#[test]
fn a_fork_point_the_recording_does_not_reach_or_a_missing_model_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let parent = recorded_session(dir.path());
    let p = parent.to_str().unwrap();
    let home = dir.path().join("home");
    let script = dir.path().join("s.toml");
    std::fs::write(&script, "[[reply]]\nmessage = \"x\"\n").unwrap();
    let s = script.to_str().unwrap();
    for (args, says) in [
        (
            vec!["replay", p, "--fork-at", "2", "--script", s],
            "--fork-at 2.1: the session has 1 turn(s)".to_string(),
        ),
        (
            vec!["replay", p, "--fork-at", "1.4", "--script", s],
            "--fork-at 1.4: turn 1 sent 3 request(s)".to_string(),
        ),
        (
            vec!["replay", p, "--fork-at", "1"],
            "--fork-at needs a model to go on with".to_string(),
        ),
    ] {
        let o = rcodex(&args, &home);
        exits(&o, 2);
        assert!(
            text(&o.stderr).contains(&says),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }
    assert!(
        rollouts(&home).is_empty(),
        "nothing written on a refused fork"
    );
    let o = rcodex(&["replay", p, "--fork-at", "1.0", "--script", s], &home);
    exits(&o, 2);
    assert!(
        text(&o.stderr).contains("REQUEST must be a number from 1"),
        "{}",
        text(&o.stderr)
    );
}
