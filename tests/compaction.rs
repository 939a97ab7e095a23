//! Compaction through the `rcodex` binary against the scripted server: `exec resume --compact`
//! (alone and before a prompt), automatic compaction over `model_auto_compact_token_limit`,
//! once after a context-window failure (`compact_on_context_failure`), resume and replay of a
//! compacted rollout; and, against the pinned real Codex CLI, the `compacted` line both write
//! and Codex resuming a thread rcodex compacted.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rcodex_runner::mock::{MockServer, RecordedRequest, Script};
use rcodex_tests::{json_lines, TestHome};
use serde_json::{json, Value};

async fn server(replies: Value) -> MockServer {
    MockServer::start(serde_json::from_value::<Script>(json!({ "replies": replies })).unwrap())
        .await
        .unwrap()
}

async fn exec(home: TestHome, args: &[&str]) -> (TestHome, Output) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = home.exec(&argv, None);
        (home, out)
    })
    .await
    .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn exits(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn is_summary_request(r: &RecordedRequest) -> bool {
    r.body["tools"] == json!([])
}

fn metadata(r: &RecordedRequest) -> Value {
    let raw = r
        .headers
        .iter()
        .find(|(k, _)| k == "x-codex-turn-metadata")
        .map(|(_, v)| v.as_str())
        .unwrap();
    serde_json::from_str(raw).unwrap()
}

fn header<'a>(r: &'a RecordedRequest, name: &str) -> &'a str {
    r.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap()
}

/// The `compacted` lines of a rollout.
fn compacted_lines(path: &Path) -> Vec<Value> {
    json_lines(&std::fs::read_to_string(path).unwrap())
        .into_iter()
        .filter(|l| l["type"] == "compacted")
        .map(|l| l["payload"].clone())
        .collect()
}

/// Each item without Codex's on-disk passthrough key.
fn as_sent(items: &Value) -> Vec<Value> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i.as_object_mut()
                .unwrap()
                .remove("internal_chat_message_metadata_passthrough");
            i
        })
        .collect()
}

fn replay(path: &Path) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .arg("replay")
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const BASE: &[&str] = &["--json", "--skip-git-repo-check"];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    BASE.iter().copied().chain(extra.iter().copied()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_compact_summarizes_the_thread_and_the_next_turn_sends_the_summary() {
    let srv = server(json!([
        { "message": "First answer." },
        { "message": "Summary: the user said hello." },
        { "message": "After compaction." },
    ]))
    .await;
    let home = TestHome::with_mock(&srv.base_url());
    let (home, out) = exec(home, &args(&["hello"])).await;
    exits(&out, 0);
    let (home, out) = exec(home, &args(&["resume", "--last", "--compact"])).await;
    exits(&out, 0);
    let events = json_lines(&text(&out.stdout));
    assert_eq!(
        events.last().unwrap()["type"],
        "turn.completed",
        "{events:?}"
    );
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2, "one summary request, no prompt read");
    assert!(is_summary_request(&reqs[1]));
    assert_eq!(reqs[1].body["parallel_tool_calls"], false);
    let meta = metadata(&reqs[1]);
    assert_eq!(meta["request_kind"], "compaction");
    assert_eq!(meta["compaction"]["trigger"], "manual");
    // The summary request carries the whole thread, then the prompt without an id.
    let input = reqs[1].body["input"].as_array().unwrap();
    assert!(input
        .iter()
        .any(|i| i["content"][0]["text"] == "First answer."));
    assert!(input.last().unwrap().get("id").is_none());

    let rollout = &home.rollouts()[0];
    let compacted = compacted_lines(rollout);
    assert_eq!(compacted.len(), 1);
    assert!(compacted[0]["message"]
        .as_str()
        .unwrap()
        .ends_with("\nSummary: the user said hello."));
    assert_eq!(compacted[0]["window_number"], 1);

    let (home, out) = exec(home, &args(&["resume", "--last", "next"])).await;
    exits(&out, 0);
    let reqs = srv.requests();
    let next = &reqs[2];
    let input = next.body["input"].as_array().unwrap();
    // After the base message: the replacement history, then the new prompt.
    let replacement = as_sent(&compacted[0]["replacement_history"]);
    assert_eq!(input[1..input.len() - 1], replacement[..]);
    assert_eq!(input.last().unwrap()["content"][0]["text"], "next");
    assert!(header(next, "x-codex-window-id").ends_with(":1"));
    assert_eq!(metadata(next)["history_initialization"], "cold_resume");
    // The three-turn rollout (prompt, manual compaction, prompt) replays.
    exits(&replay(&home.rollouts()[0]), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_compact_with_a_prompt_compacts_then_runs_the_turn() {
    let srv = server(json!([
        { "message": "First answer." },
        { "message": "Summary." },
        { "message": "Second answer." },
    ]))
    .await;
    let home = TestHome::with_mock(&srv.base_url());
    let (home, out) = exec(home, &args(&["hello"])).await;
    exits(&out, 0);
    let (home, out) = exec(home, &args(&["resume", "--last", "--compact", "again"])).await;
    exits(&out, 0);
    let events = json_lines(&text(&out.stdout));
    let completed = events
        .iter()
        .filter(|e| e["type"] == "turn.completed")
        .count();
    assert_eq!(completed, 2, "the compaction, then the turn: {events:?}");
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 3);
    assert!(is_summary_request(&reqs[1]) && !is_summary_request(&reqs[2]));
    let last = reqs[2].body["input"].as_array().unwrap();
    assert_eq!(last.last().unwrap()["content"][0]["text"], "again");
    assert!(!last
        .iter()
        .any(|i| i["content"][0]["text"] == "First answer."));
    exits(&replay(&home.rollouts()[0]), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_configured_limit_the_turn_compacts_before_its_follow_up() {
    let srv = server(json!([
        { "function_call": { "name": "exec_command", "arguments": { "cmd": "ls" } },
          "usage": { "input_tokens": 5000 } },
        { "message": "Summary: listed files." },
        { "message": "Done." },
    ]))
    .await;
    let home = TestHome::with_mock(&srv.base_url());
    let limit = ["-c", "model_auto_compact_token_limit=2000"];
    let (home, out) = exec(home, &args(&[&limit[..], &["list"]].concat())).await;
    exits(&out, 0);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 3);
    assert!(is_summary_request(&reqs[1]));
    assert_eq!(metadata(&reqs[1])["compaction"]["phase"], "mid_turn");
    let follow_up = reqs[2].body["input"].as_array().unwrap();
    assert!(
        !follow_up.iter().any(|i| i["type"] == "function_call"),
        "the call is summarized away"
    );
    assert!(header(&reqs[2], "x-codex-window-id").ends_with(":1"));
    exits(&replay(&home.rollouts()[0]), 0);

    // Under the default limit (90 % of the window) the same thread does not compact.
    let srv = server(json!([
        { "function_call": { "name": "exec_command", "arguments": { "cmd": "ls" } },
          "usage": { "input_tokens": 5000 } },
        { "message": "Done." },
    ]))
    .await;
    let home = TestHome::with_mock(&srv.base_url());
    let (_home, out) = exec(home, &args(&["list"])).await;
    exits(&out, 0);
    assert_eq!(srv.requests().len(), 2);
}

fn context_failure() -> Value {
    json!({ "failed": { "code": "context_length_exceeded",
                        "message": "Your input exceeds the context window of this model." } })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_context_failure_compacts_once_and_the_retry_succeeds() {
    let srv = server(json!([
        context_failure(),
        { "message": "Summary." },
        { "message": "Answered after compacting." },
    ]))
    .await;
    let home = TestHome::with_mock(&srv.base_url());
    let on = ["-c", "compact_on_context_failure=true"];
    let (home, out) = exec(home, &args(&[&on[..], &["big"]].concat())).await;
    exits(&out, 0);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 3);
    assert!(is_summary_request(&reqs[1]));
    assert_eq!(
        metadata(&reqs[1])["compaction"]["reason"],
        "context_window_exceeded"
    );
    let last = json_lines(&text(&out.stdout));
    assert!(last
        .iter()
        .any(|e| e["item"]["text"] == "Answered after compacting."));
    exits(&replay(&home.rollouts()[0]), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_context_failure_ends_the_turn_with_exit_1() {
    let srv =
        server(json!([context_failure(), { "message": "Summary." }, context_failure()])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let on = ["-c", "compact_on_context_failure=true"];
    let (_home, out) = exec(home, &args(&[&on[..], &["big"]].concat())).await;
    exits(&out, 1);
    assert_eq!(srv.requests().len(), 3);
    let events = json_lines(&text(&out.stdout));
    assert_eq!(events.last().unwrap()["type"], "turn.failed");
    assert!(events.last().unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("context window"));

    // Without the switch, as Codex 0.169: no compaction, exit 1 after one request.
    let srv = server(json!([context_failure()])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let (_home, out) = exec(home, &args(&["big"])).await;
    exits(&out, 1);
    assert_eq!(srv.requests().len(), 1);
}

#[test]
fn the_real_codex_compacted_rollouts_replay_through_the_binary() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rollouts");
    for name in [
        "codex-0.169.0-compacted.jsonl",
        "codex-0.169.0-compacted-pre-turn.jsonl",
    ] {
        let out = replay(&dir.join(name));
        exits(&out, 0);
        assert!(text(&out.stdout).contains("0 divergences"), "{name}");
    }
}

/// Runs the real Codex CLI (`codex exec`, resumed with `resume ID` when given) in `home`.
fn codex_exec(codex: &Path, home: &TestHome, resume: Option<&str>, prompt: &str) -> Output {
    let mut cmd = rcodex_tests::exec_command(Some(codex));
    if let Some(id) = resume {
        cmd.args(["resume", id]);
    }
    cmd.arg(prompt)
        .env("CODEX_HOME", home.home())
        .env_remove("OPENAI_API_KEY")
        .current_dir(home.work())
        .stdin(Stdio::null())
        .output()
        .expect("run codex")
}

fn roles(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn codex_writes_the_same_compacted_line_and_resumes_a_thread_rcodex_compacted() {
    let Some(codex) = rcodex_tests::codex_bin("compaction against the real Codex CLI") else {
        return;
    };
    let script = json!([
        { "function_call": { "name": "exec_command", "arguments": { "cmd": "ls" } },
          "usage": { "input_tokens": 5000 } },
        { "message": "Summary: listed files." },
        { "message": "Done." },
        { "message": "Answer after resume." },
    ]);
    let limit = "model_auto_compact_token_limit=2000";
    // Codex's compacted line.
    let srv = server(script.clone()).await;
    let codex_home = TestHome::with_mock(&srv.base_url());
    let out = tokio::task::spawn_blocking({
        let (codex, home) = (codex.clone(), codex_home.home());
        let work = codex_home.work();
        move || {
            let mut cmd = rcodex_tests::exec_command(Some(&codex));
            cmd.args(["-c", limit, "list"])
                .env("CODEX_HOME", home)
                .env_remove("OPENAI_API_KEY")
                .current_dir(work)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    exits(&out, 0);
    let theirs = compacted_lines(&codex_home.rollouts()[0]);
    let codex_requests = srv.requests();
    // Ours, on the same script.
    let srv = server(script).await;
    let home = TestHome::with_mock(&srv.base_url());
    let (home, out) = exec(home, &args(&["-c", limit, "list"])).await;
    exits(&out, 0);
    let ours = compacted_lines(&home.rollouts()[0]);
    assert_eq!((theirs.len(), ours.len()), (1, 1));
    for key in ["message", "replacement_history", "window_number"] {
        assert!(
            theirs[0].get(key).is_some() && ours[0].get(key).is_some(),
            "{key}"
        );
    }
    assert_eq!(theirs[0]["window_number"], ours[0]["window_number"]);
    // developer context, environment, the kept prompt, the summary.
    assert_eq!(
        roles(&theirs[0]["replacement_history"]),
        roles(&ours[0]["replacement_history"])
    );
    let last_text = |c: &Value| {
        c["replacement_history"].as_array().unwrap().last().unwrap()["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(last_text(&theirs[0]).ends_with("\nSummary: listed files."));
    assert!(last_text(&ours[0]).ends_with("\nSummary: listed files."));
    // The summary requests have the same shape: keys in order, no tools, no parallel calls.
    let ours_req = srv.requests();
    let keys = |b: &Value| -> Vec<String> { b.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&codex_requests[1].body), keys(&ours_req[1].body));
    for r in [&codex_requests[1], &ours_req[1]] {
        assert!(is_summary_request(r));
        assert_eq!(r.body["parallel_tool_calls"], false);
        assert_eq!(
            metadata(r)["compaction"],
            metadata(&codex_requests[1])["compaction"]
        );
    }

    // Codex resumes the thread rcodex compacted: its request carries our replacement history.
    let thread = json_lines(&text(&out.stdout))[0]["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = tokio::task::spawn_blocking(move || {
        let out = codex_exec(&codex, &home, Some(&thread), "next");
        (home, out)
    })
    .await
    .unwrap()
    .1;
    exits(&out, 0);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 4);
    let input = reqs[3].body["input"].as_array().unwrap();
    let replacement = as_sent(&ours[0]["replacement_history"]);
    let at = input
        .iter()
        .position(|i| *i == replacement[0])
        .expect("Codex sends our compacted history");
    assert_eq!(input[at..at + replacement.len()], replacement[..]);
    assert!(header(&reqs[3], "x-codex-window-id").ends_with(":1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_marked_summary_refuses_a_request_that_is_not_one() {
    // No limit configured: the client does not compact, so the marked reply refuses request 2.
    let srv = server(json!([
        { "function_call": { "name": "exec_command", "arguments": { "cmd": "ls" } },
          "usage": { "input_tokens": 5000 } },
        { "message": "Summary.", "summary": true },
    ]))
    .await;
    let home = TestHome::with_mock(&srv.base_url());
    let (_home, out) = exec(home, &args(&["list"])).await;
    exits(&out, 1);
    let events = json_lines(&text(&out.stdout));
    let message = events.last().unwrap()["error"]["message"].as_str().unwrap();
    assert!(message.contains("expects a summary request"), "{message}");
    assert_eq!(srv.requests().len(), 2);
    // With the limit, the same script passes: request 2 is the summary request.
    let srv = server(json!([
        { "function_call": { "name": "exec_command", "arguments": { "cmd": "ls" } },
          "usage": { "input_tokens": 5000 } },
        { "message": "Summary.", "summary": true },
        { "message": "Done." },
    ]))
    .await;
    let home = TestHome::with_mock(&srv.base_url());
    let limit = ["-c", "model_auto_compact_token_limit=2000"];
    let (_home, out) = exec(home, &args(&[&limit[..], &["list"]].concat())).await;
    exits(&out, 0);
}
