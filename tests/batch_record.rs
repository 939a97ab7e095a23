//! `rcodex batch --live --record DIR` through the real binary. The "live" provider is the
//! scripted server on loopback, named in a temp CODEX_HOME's config.toml; the recorded DIR
//! then runs scripted, with no CODEX_HOME and no key, and must give the same verdicts, tool
//! calls and final messages (a shell call included: it runs again on replay). Bad input is
//! a clear error: recording over an existing file, `--record` without `--live`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Live-only scenarios (no scripted replies): a pass with a shell call, a plain pass, a fail,
/// and two turns of one conversation.
fn live_scenarios(dir: &Path) {
    write(
        dir,
        "convo/two.toml",
        "name = \"two turns\"\nturns = [\"First?\", \"Second?\"]\n[expect]\nfinal_message = \"second\"\nrequests = 2\n",
    );
    write(
        dir,
        "answer/plain.toml",
        "# a comment the recording keeps\nname = \"plain\"\nprompt = \"Say hello.\"\n[expect]\nfinal_message = \"Hello!\"\nrequests = 1\n",
    );
    write(
        dir,
        "answer/wrong.toml",
        "name = \"wrong\"\nprompt = \"What is 2 + 2?\"\n[expect]\nfinal_message_contains = \"4\"\n",
    );
    write(
        dir,
        "tools/list.toml",
        r#"name = "list"
prompt = "How many files are here?"
[workspace.files]
"a.txt" = "x\n"
[expect]
final_message = "One file."
tool_calls = ["exec_command"]
events = ["item.completed:command_execution"]
[[expect.request]]
index = 2
pointer = "/input/5/output"
contains = "Output:\na.txt\n"
"#,
    );
}

/// What the "live" model answers: plain, wrong (after a server error the client retries), list,
/// then the two turns.
fn live_script() -> rcodex_runner::mock::Script {
    serde_json::from_value(json!({ "replies": [
        { "reasoning": "greet", "message": "Hello!",
          "usage": { "input_tokens": 321, "cached_tokens": 64, "output_tokens": 12, "reasoning_tokens": 5 } },
        { "http_error": { "status": 500, "body": "overloaded" } },
        { "message": "It is 5." },
        { "function_call": { "name": "exec_command", "arguments": { "cmd": "ls", "login": false } } },
        { "message": "One file." },
        { "message": "first" },
        { "message": "second" },
    ]}))
    .unwrap()
}

fn rcodex(args: &[&str], home: Option<&Path>) -> Output {
    let mut c = Command::new(rcodex_tests::rcodex_bin());
    c.args(args).stdin(Stdio::null());
    match home {
        Some(home) => c.env("CODEX_HOME", home).env("MOCK_API_KEY", "k"),
        None => c.env_remove("CODEX_HOME").env_remove("MOCK_API_KEY"),
    };
    c.env_remove("OPENAI_API_KEY");
    c.output().expect("run rcodex")
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// id → (status, tool_calls, final_message, requests) of a results folder.
fn verdicts(out: &Path) -> BTreeMap<String, (Value, Value, Value, Value)> {
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    rcodex_tests::json_lines(&text)
        .into_iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_string(),
                (
                    l["status"].clone(),
                    l["tool_calls"].clone(),
                    l["final_message"].clone(),
                    l["requests"].clone(),
                ),
            )
        })
        .collect()
}

async fn blocking(args: Vec<String>, home: Option<std::path::PathBuf>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        rcodex(&args, home.as_deref())
    })
    .await
    .unwrap()
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_live_run_replays_scripted_with_the_same_verdicts() {
    let server = rcodex_runner::mock::MockServer::start(live_script())
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let live = tmp.path().join("live");
    live_scenarios(&live);
    let (rec, live_out, replay_out) = (
        tmp.path().join("rec"),
        tmp.path().join("live-out"),
        tmp.path().join("replay-out"),
    );
    // One scenario per invocation, so the scripted "live" model answers them in a known
    // order; the same --out and --record folders collect them all.
    let mut codes = Vec::new();
    for id in ["answer/plain", "answer/wrong", "tools/list", "convo/two"] {
        let o = blocking(
            vec![
                "batch".into(),
                s(&live),
                "--live".into(),
                "--record".into(),
                s(&rec),
                "--filter".into(),
                format!("^{id}$"),
                "--out".into(),
                s(&live_out),
            ],
            Some(home.clone()),
        )
        .await;
        codes.push(o.status.code());
        assert!(
            std::fs::read_to_string(live_out.join("results.jsonl"))
                .unwrap()
                .contains(&format!("\"id\":\"{id}\"")),
            "{}",
            text(&o)
        );
    }
    assert_eq!(
        codes,
        [Some(0), Some(1), Some(1), Some(1)],
        "wrong fails, and with it the run"
    );
    assert_eq!(server.requests().len(), 7);
    server.shutdown().await;

    let live_verdicts = verdicts(&live_out);
    assert_eq!(live_verdicts["answer/plain"].0, "pass");
    assert_eq!(live_verdicts["answer/wrong"].0, "fail");
    assert_eq!(
        live_verdicts["tools/list"].0,
        "pass",
        "{}",
        std::fs::read_to_string(live_out.join("results.jsonl")).unwrap()
    );
    assert_eq!(live_verdicts["tools/list"].1, json!(["exec_command"]));
    assert_eq!(
        live_verdicts["answer/wrong"].3, 2,
        "the retry is a second request"
    );

    // The recordings: the file as written plus the answers as received.
    let plain = std::fs::read_to_string(rec.join("answer/plain.toml")).unwrap();
    assert!(plain.contains("# a comment the recording keeps"), "{plain}");
    assert!(
        plain.contains("name = \"gpt-5.5\""),
        "the live model: {plain}"
    );
    assert!(
        plain.contains("usage = { input_tokens = 321, cached_tokens = 64, output_tokens = 12, reasoning_tokens = 5 }"),
        "{plain}"
    );
    assert!(plain.contains("{ raw = { type = \"reasoning\""), "{plain}");
    let wrong = std::fs::read_to_string(rec.join("answer/wrong.toml")).unwrap();
    assert!(
        wrong.contains("[[model.reply]]\nhttp_error = { status = 500, body = \"overloaded\", headers = { x-request-id = \"mockreq-2\" } }\n"),
        "the retried error is part of the recording: {wrong}"
    );
    let list = std::fs::read_to_string(rec.join("tools/list.toml")).unwrap();
    assert_eq!(
        list.lines().filter(|l| *l == "[[model.reply]]").count(),
        2,
        "{list}"
    );
    assert!(
        list.contains(r#"{ raw = { type = "function_call", id = "item_4_0", call_id = "call_4_0", name = "exec_command", arguments = '{"cmd":"ls","login":false}', status = "completed" } }"#),
        "keys in the order received: {list}"
    );

    // Replayed scripted: no CODEX_HOME, no key, nothing listening.
    let o = blocking(
        vec!["batch".into(), s(&rec), "--out".into(), s(&replay_out)],
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(
        verdicts(&replay_out),
        live_verdicts,
        "{}",
        std::fs::read_to_string(replay_out.join("results.jsonl")).unwrap()
    );
    let replay = rcodex_tests::json_lines(
        &std::fs::read_to_string(replay_out.join("results.jsonl")).unwrap(),
    );
    let plain_line = replay.iter().find(|l| l["id"] == "answer/plain").unwrap();
    assert_eq!(plain_line["usage"]["input_tokens"], 321);
    assert_eq!(plain_line["usage"]["cached_input_tokens"], 64);
    // The shell call ran again on replay, and its output check held.
    let list_line = replay.iter().find(|l| l["id"] == "tools/list").unwrap();
    assert!(
        list_line["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true),
        "{list_line}"
    );

    // And `batch compare` of the live run and its replay sees no change.
    let o = blocking(
        vec![
            "batch".into(),
            "compare".into(),
            s(&live_out),
            s(&replay_out),
            "--json".into(),
        ],
        None,
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["unchanged"], 4, "{v}");

    // Recording again over the same folder is refused before anything runs.
    let o = blocking(
        vec![
            "batch".into(),
            s(&live),
            "--live".into(),
            "--record".into(),
            s(&rec),
            "--out".into(),
            s(&tmp.path().join("again")),
        ],
        Some(home.clone()),
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--record: ") && err.contains("answer/plain.toml already exists"),
        "{err}"
    );
}

#[test]
fn record_needs_live_and_an_existing_scenario_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = tmp.path().join("rec");
    let o = rcodex(
        &["batch", "scenarios", "--record", rec.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--live"),
        "{}",
        text(&o)
    );
    assert!(!rec.exists());

    let gone = tmp.path().join("no-such-scenarios");
    let o = rcodex(
        &[
            "batch",
            gone.to_str().unwrap(),
            "--live",
            "--record",
            rec.to_str().unwrap(),
            "--out",
            tmp.path().join("out").to_str().unwrap(),
        ],
        Some(tmp.path()),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no-such-scenarios"),
        "{}",
        text(&o)
    );
    assert!(!rec.exists());
}
