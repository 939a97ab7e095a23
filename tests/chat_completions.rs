//! `wire_api = "chat"` end to end: the real binary against the scripted server's chat mode
//! (`POST …/chat/completions`), and the bundled scenarios through the chat adapter.

use std::path::{Path, PathBuf};

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{batch_in, batch_results, json_lines, TestHome};
use serde_json::{json, Value};

fn script(replies: Value) -> Script {
    serde_json::from_value(json!({ "replies": replies })).expect("valid script")
}

/// `rcodex exec --json PROMPT` with the mock provider switched to `wire_api = "chat"`.
async fn exec_chat(replies: Value, prompt: &str) -> (MockServer, std::process::Output) {
    let server = MockServer::start(script(replies)).await.unwrap();
    let home = TestHome::with_mock(&server.base_url());
    let prompt = prompt.to_string();
    let out = tokio::task::spawn_blocking(move || {
        home.exec(
            &[
                "-c",
                "model_providers.mock.wire_api=\"chat\"",
                "--json",
                "--skip-git-repo-check",
                "-s",
                "danger-full-access",
                &prompt,
            ],
            None,
        )
    })
    .await
    .unwrap();
    (server, out)
}

fn show(out: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn events(out: &std::process::Output) -> Vec<Value> {
    json_lines(&String::from_utf8_lossy(&out.stdout))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_text_reply_over_chat_completions() {
    let (server, out) = exec_chat(
        json!([{ "message": "Hello from a chat server.", "usage": {"input_tokens": 42, "cached_tokens": 8, "output_tokens": 5} }]),
        "say hi",
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    let body = &reqs[0].body;
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    for responses_only in ["input", "instructions", "store", "include"] {
        assert!(
            body.get(responses_only).is_none(),
            "{responses_only}: {body}"
        );
    }
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system", "instructions first: {body}");
    assert!(!messages[0]["content"].as_str().unwrap().is_empty());
    let last = messages.last().unwrap();
    assert_eq!(
        (last["role"].as_str(), last["content"].as_str()),
        (Some("user"), Some("say hi"))
    );
    let tools = body["tools"].as_array().unwrap();
    assert!(
        tools
            .iter()
            .all(|t| t["type"] == "function" && t["function"]["name"].is_string()),
        "{body}"
    );

    let events = events(&out);
    let message = events
        .iter()
        .find(|e| e["type"] == "item.completed" && e["item"]["type"] == "agent_message")
        .unwrap_or_else(|| panic!("{}", show(&out)));
    assert_eq!(message["item"]["text"], "Hello from a chat server.");
    let done = events
        .iter()
        .find(|e| e["type"] == "turn.completed")
        .unwrap();
    assert_eq!(done["usage"]["input_tokens"], 42);
    assert_eq!(done["usage"]["cached_input_tokens"], 8);
    assert_eq!(done["usage"]["output_tokens"], 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shell_call_its_output_and_the_reasoning_go_back_on_the_next_request() {
    let (server, out) = exec_chat(
        json!([
            {
                "reasoning": "The user wants the greeting printed.",
                "function_call": {"name": "exec_command", "arguments": {"cmd": "echo chat-tool-ok", "login": false}, "call_id": "call_echo"},
            },
            { "message": "It printed chat-tool-ok." },
        ]),
        "print the greeting",
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{}", show(&out));
    assert!(reqs.iter().all(|r| r.path == "/v1/chat/completions"));
    let messages = reqs[1].body["messages"].as_array().unwrap();
    let n = messages.len();
    let assistant = &messages[n - 2];
    assert_eq!(assistant["role"], "assistant", "{messages:?}");
    assert_eq!(
        assistant["reasoning"],
        "The user wants the greeting printed."
    );
    assert_eq!(assistant["content"], Value::Null);
    assert_eq!(assistant["tool_calls"][0]["id"], "call_echo");
    assert_eq!(
        assistant["tool_calls"][0]["function"]["name"],
        "exec_command"
    );
    let args: Value = serde_json::from_str(
        assistant["tool_calls"][0]["function"]["arguments"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        args["cmd"], "echo chat-tool-ok",
        "arguments reassembled from their pieces"
    );
    let tool = &messages[n - 1];
    assert_eq!(tool["role"], "tool");
    assert_eq!(tool["tool_call_id"], "call_echo");
    assert!(
        tool["content"].as_str().unwrap().contains("chat-tool-ok"),
        "{tool}"
    );

    let events = events(&out);
    assert!(
        events.iter().any(|e| e["type"] == "item.completed"
            && e["item"]["type"] == "command_execution"
            && e["item"]["aggregated_output"]
                .as_str()
                .unwrap_or("")
                .contains("chat-tool-ok")),
        "{}",
        show(&out)
    );
    let last = events
        .iter()
        .rev()
        .find(|e| e["item"]["type"] == "agent_message")
        .unwrap();
    assert_eq!(last["item"]["text"], "It printed chat-tool-ok.");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_from_a_chat_server_is_retried_like_any_other() {
    let (server, out) = exec_chat(
        json!([
            { "http_error": {"status": 429, "body": "{\"error\":{\"message\":\"slow down\"}}", "headers": {"retry-after": "0"}} },
            { "message": "Recovered." },
        ]),
        "hi",
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| r.path == "/v1/chat/completions"));
    assert_eq!(reqs[0].body, reqs[1].body, "the same request again");
    let events = events(&out);
    assert!(events
        .iter()
        .any(|e| e["type"] == "item.completed" && e["item"]["text"] == "Recovered."));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_context_length_error_chunk_fails_the_turn_as_context_exceeded() {
    let (server, out) = exec_chat(
        json!([{ "failed": {"code": "context_length_exceeded", "message": "too long"} }]),
        "hi",
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(server.requests().len(), 1, "not retried");
    assert!(show(&out).contains("context window"), "{}", show(&out));
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scenario_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .map(|p| match p.is_dir() {
            true => scenario_count(&p),
            false => usize::from(p.extension().is_some_and(|x| x == "toml")),
        })
        .sum()
}

#[test]
fn the_bundled_scenarios_pass_through_the_chat_adapter() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("chat");
    let o = batch_in(
        &[
            "scenarios",
            "--scripted-wire",
            "chat",
            "-j",
            "4",
            "--out",
            out.to_str().unwrap(),
        ],
        &repo(),
    );
    // Exit 1: the hosted web_search and the tool_search scenarios fail through chat (below).
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let rows = batch_results(&out);
    assert_eq!(rows.len(), scenario_count(&repo().join("scenarios")));
    // A chat completion cannot carry a hosted web_search_call, a tool_search_call, nor a call's
    // deferred-tool namespace (the sub-agent tools): chat has no form for them (the chat mock
    // drops raw items), so those scenarios fail here.
    let no_chat_form = [
        "tools/web_search_passthrough",
        "tools/tool_search",
        "agents/spawn_two",
    ];
    assert!(
        rows.iter()
            .all(|r| r["status"] == "pass" || no_chat_form.contains(&r["id"].as_str().unwrap())),
        "{rows:?}"
    );
    // The chat mock names its responses chatcmpl-mock-N; the Responses mock resp_mock_N. Every
    // run that got an answer recorded chat ids only.
    for row in rows.iter().filter(|r| r["id"] != "faults/context_length") {
        let rollout = std::fs::read_to_string(row["rollout"].as_str().unwrap()).unwrap();
        assert!(
            rollout.contains("chatcmpl-mock-"),
            "{}: no chat ids",
            row["id"]
        );
        assert!(
            !rollout.contains("resp_mock_"),
            "{}: a Responses answer",
            row["id"]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_sends_its_live_request_through_the_chat_adapter() {
    let server = MockServer::start(script(json!([{ "message": "ok" }])))
        .await
        .unwrap();
    let home = TestHome::with_mock(&server.base_url());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(rcodex_tests::rcodex_bin())
            .args(["doctor", "-c", "model_providers.mock.wire_api=\"chat\""])
            .env("CODEX_HOME", home.home())
            .env("MOCK_API_KEY", "dummy")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = show(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let check = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no {name} line: {text}"))
    };
    let provider = check("provider");
    assert!(
        provider.contains("/v1/chat/completions (wire_api chat)"),
        "{text}"
    );
    let live = check("live");
    assert!(live.starts_with("ok"), "{text}");
    assert!(live.contains("POST http://127.0.0.1:"), "{text}");
    let posts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].path, "/v1/chat/completions");
    assert!(posts[0].body["messages"].is_array());
}

/// `batch --live --record` against a chat provider writes Responses-shaped replies that replay
/// scripted (over the Responses API) with the same verdict.
#[tokio::test(flavor = "multi_thread")]
async fn a_live_chat_run_records_replies_that_replay_scripted() {
    let server = MockServer::start(script(json!([
        { "reasoning": "list first",
          "function_call": {"name": "exec_command", "arguments": {"cmd": "ls", "login": false}, "call_id": "call_ls"} },
        { "message": "One file.", "usage": {"input_tokens": 50, "cached_tokens": 10, "output_tokens": 4, "reasoning_tokens": 2} },
    ])))
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let config = std::fs::read_to_string(home.join("config.toml")).unwrap();
    std::fs::write(
        home.join("config.toml"),
        config.replace("wire_api = \"responses\"", "wire_api = \"chat\""),
    )
    .unwrap();
    let live = tmp.path().join("live");
    std::fs::create_dir_all(&live).unwrap();
    std::fs::write(
        live.join("list.toml"),
        "name = \"list\"\nprompt = \"List the files.\"\n[workspace.files]\n\"a.txt\" = \"a\\n\"\n[expect]\nfinal_message = \"One file.\"\nrequests = 2\ntool_calls = [\"exec_command\"]\n",
    )
    .unwrap();
    let (rec, live_out, replay_out) = (
        tmp.path().join("rec"),
        tmp.path().join("live-out"),
        tmp.path().join("replay-out"),
    );
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let run = |args: Vec<String>, home: Option<PathBuf>| {
        tokio::task::spawn_blocking(move || {
            let mut c = std::process::Command::new(rcodex_tests::rcodex_bin());
            c.arg("batch").args(&args).env_remove("OPENAI_API_KEY");
            match home {
                Some(h) => c.env("CODEX_HOME", h).env("MOCK_API_KEY", "k"),
                None => c.env_remove("CODEX_HOME"),
            };
            c.output().unwrap()
        })
    };
    let o = run(
        vec![
            path(&live),
            "--live".into(),
            "--record".into(),
            path(&rec),
            "--out".into(),
            path(&live_out),
        ],
        Some(home.clone()),
    )
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(server
        .requests()
        .iter()
        .all(|r| r.path == "/v1/chat/completions"));
    let recorded = std::fs::read_to_string(rec.join("list.toml")).unwrap();
    assert!(recorded.contains("function_call"), "{recorded}");
    assert!(recorded.contains("call_ls"), "{recorded}");
    assert!(
        recorded.contains("list first"),
        "the reasoning is recorded: {recorded}"
    );
    let o = run(vec![path(&rec), "--out".into(), path(&replay_out)], None)
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}\n{recorded}", show(&o));
    let rows = batch_results(&replay_out);
    assert_eq!(rows[0]["status"], "pass", "{rows:?}");
    // Both requests' usage, the first the script's default (100 in, 10 out): recorded, replayed.
    assert_eq!(
        rows[0]["usage"],
        json!({"input_tokens": 150, "cached_input_tokens": 10, "output_tokens": 14, "reasoning_output_tokens": 2}),
        "{rows:?}"
    );
}
