//! `tool_search` and namespaced calls against the real Codex CLI 0.169.0: both clients get the
//! same script from the loopback server and must send the same thing back — the search call in
//! Codex's key order, a `tool_search_output` with the same keys, namespace and tools (each with
//! Codex's schema; descriptions are each client's own words), the same answers to malformed
//! searches and to namespaced calls Codex refuses, the same `--json` stream (nothing for a
//! search), and the `<tools>` developer part beside the advertised `tool_search`.
//!
//! The pinned CLI is installed on first use (see `tests/support/codex_cli.rs`).

use std::path::Path;
use std::process::{Command, Stdio};

mod exec_on_mock;

use exec_on_mock::exec_on_mock;
use rcodex_runner::mock::{MockServer, RecordedRequest, Script};
use serde_json::{json, Value};

async fn run(codex: Option<&Path>, replies: Value) -> (Vec<RecordedRequest>, Vec<Value>) {
    exec_on_mock(codex, &[], "find agent tools", replies).await
}

fn search(arguments: Value) -> Value {
    json!({ "raw": {
        "type": "tool_search_call", "id": "ts_1", "call_id": "call_ts_1",
        "execution": "client", "status": "completed", "arguments": arguments
    }})
}

fn namespaced(call_id: &str, namespace: &str, name: &str, arguments: &str) -> Value {
    json!({ "raw": {
        "type": "function_call", "id": format!("fc_{call_id}"), "call_id": call_id,
        "name": name, "namespace": namespace, "arguments": arguments, "status": "completed"
    }})
}

/// The last input item of request `n` whose type is `kind`.
fn last_of<'a>(requests: &'a [RecordedRequest], n: usize, kind: &str) -> &'a Value {
    requests[n].body["input"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|i| i["type"] == kind)
        .unwrap_or_else(|| panic!("request {n} has no {kind}"))
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// A loaded namespace without its words: names, keys, schemas with descriptions blanked.
fn structure(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("description", Value::String(_)) => (k.clone(), json!("…")),
                    _ => (k.clone(), structure(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(structure).collect()),
        other => other.clone(),
    }
}

/// The loaded tools of an output, sorted by name (Codex breaks ranking ties differently from
/// run to run; rcodex ranks over its own descriptions).
fn loaded_sorted(output: &Value) -> Vec<(String, Value)> {
    let mut all = Vec::new();
    for ns in output["tools"].as_array().unwrap() {
        for tool in ns["tools"].as_array().unwrap() {
            let name = format!("{}/{}", ns["name"].as_str().unwrap(), tool["name"]);
            all.push((name, structure(tool)));
        }
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_then_namespaced_calls_match_codex() {
    let Some(codex) = rcodex_tests::codex_bin("tool_search against the real CLI") else {
        return;
    };
    let replies = json!([
        { "items": [search(json!({"query": "agent", "limit": 20}))] },
        { "items": [
            namespaced("c_unknown_name", "multi_agent_v1", "fork_agent", "{}"),
            namespaced("c_unknown_ns", "other_ns", "spawn_agent", "{}"),
            namespaced("c_bad_args", "multi_agent_v1", "spawn_agent", "{bad"),
        ] },
        { "message": "done" },
    ]);
    let (theirs, their_events) = run(Some(&codex), replies.clone()).await;
    let (ours, our_events) = run(None, replies).await;
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours.len(), 3);

    // The tool list, and the developer part naming the deferred namespaces beside it.
    let tool_names = |r: &RecordedRequest| -> Vec<Value> {
        let tools = r.body["tools"].as_array().unwrap();
        tools
            .iter()
            .map(|t| t.get("name").unwrap_or(&t["type"]).clone())
            .collect()
    };
    assert_eq!(tool_names(&ours[0]), tool_names(&theirs[0]));
    let tool_search = |r: &RecordedRequest| {
        let tools = r.body["tools"].as_array().unwrap();
        structure(tools.iter().find(|t| t["type"] == "tool_search").unwrap())
    };
    assert_eq!(tool_search(&ours[0]), tool_search(&theirs[0]));
    let last_part = |r: &RecordedRequest| {
        let parts = r.body["input"][1]["content"].as_array().unwrap();
        let text = parts.last().unwrap()["text"].as_str().unwrap().to_string();
        (text.starts_with("<tools>\n"), text.ends_with("</tools>"))
    };
    assert_eq!(last_part(&ours[0]), (true, true));
    assert_eq!(last_part(&ours[0]), last_part(&theirs[0]));

    // The search as written back, and its answer.
    let call = |r: &[RecordedRequest]| last_of(r, 1, "tool_search_call").to_string();
    assert_eq!(call(&ours), call(&theirs));
    let (our_out, their_out) = (
        last_of(&ours, 1, "tool_search_output"),
        last_of(&theirs, 1, "tool_search_output"),
    );
    assert_eq!(keys(our_out), keys(their_out));
    for key in ["call_id", "status", "execution"] {
        assert_eq!(our_out[key], their_out[key], "{key}");
    }
    assert!(our_out["id"].as_str().unwrap().starts_with("tso_"));
    let namespaces = |o: &Value| -> Vec<Value> {
        let all = o["tools"].as_array().unwrap();
        all.iter()
            .map(|n| json!([n["type"], n["name"], keys(n)]))
            .collect()
    };
    assert_eq!(namespaces(our_out), namespaces(their_out));
    let theirs_loaded = loaded_sorted(their_out);
    assert_eq!(theirs_loaded.len(), 5);
    assert_eq!(loaded_sorted(our_out), theirs_loaded);
    // Later requests keep the same tools: loaded tools live in the output item only.
    assert_eq!(ours[2].body["tools"], ours[0].body["tools"]);

    // Namespaced calls Codex refuses, answered with Codex's words.
    for call_id in ["c_unknown_name", "c_unknown_ns", "c_bad_args"] {
        let output = |r: &[RecordedRequest]| -> Value {
            let input = r[2].body["input"].as_array().unwrap();
            let item = input
                .iter()
                .find(|i| i["type"] == "function_call_output" && i["call_id"] == call_id);
            item.unwrap()["output"].clone()
        };
        assert_eq!(output(&ours), output(&theirs), "{call_id}");
    }
    let call_back = |r: &[RecordedRequest]| last_of(r, 2, "function_call").to_string();
    assert_eq!(call_back(&ours), call_back(&theirs));

    // --json shows nothing for a search or for the refused calls.
    let types = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(types(&our_events), types(&their_events));
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_searches_load_nothing_in_both_clients() {
    let Some(codex) = rcodex_tests::codex_bin("malformed tool_search against the real CLI") else {
        return;
    };
    let cases = [
        json!({"limit": 5}),
        json!("{\"query\":\"agent\"}"),
        json!({"query": "agent", "limit": 0}),
        json!({"query": "agent", "limit": -1}),
        json!({"query": "", "limit": 5}),
        json!({"query": "zzqqxx", "limit": 5}),
        json!(["agent"]),
    ];
    for arguments in cases {
        let replies = json!([{ "items": [search(arguments.clone())] }, { "message": "done" }]);
        let (theirs, _) = run(Some(&codex), replies.clone()).await;
        let (ours, _) = run(None, replies).await;
        let names = |r: &[RecordedRequest]| -> Vec<String> {
            loaded_sorted(last_of(r, 1, "tool_search_output"))
                .into_iter()
                .map(|(name, _)| name)
                .collect()
        };
        assert_eq!(names(&ours), names(&theirs), "{arguments}");
        let call = |r: &[RecordedRequest]| last_of(r, 1, "tool_search_call").to_string();
        assert_eq!(call(&ours), call(&theirs), "{arguments}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_multi_agent_neither_client_offers_or_loads_anything() {
    let Some(codex) = rcodex_tests::codex_bin("tool_search with multi_agent off") else {
        return;
    };
    let replies = json!([
        { "items": [search(json!({"query": "agent"}))] },
        { "items": [namespaced("c_spawn", "multi_agent_v1", "spawn_agent", "{\"message\":\"x\"}")] },
        { "message": "done" },
    ]);
    let args = ["--disable", "multi_agent"];
    let (theirs, _) = exec_on_mock(Some(&codex), &args, "go", replies.clone()).await;
    let (ours, _) = exec_on_mock(None, &args, "go", replies).await;
    let offered = |r: &[RecordedRequest]| {
        let tools = r[0].body["tools"].as_array().unwrap();
        tools.iter().any(|t| t["type"] == "tool_search")
    };
    assert!(!offered(&theirs));
    assert!(!offered(&ours));
    let parts = |r: &[RecordedRequest]| r[0].body["input"][1]["content"].as_array().unwrap().len();
    assert_eq!(
        parts(&ours) + 1,
        parts(&theirs),
        "only Codex's skills part more"
    );
    let loaded = |r: &[RecordedRequest]| last_of(r, 1, "tool_search_output")["tools"].clone();
    assert_eq!(loaded(&ours), json!([]));
    assert_eq!(loaded(&ours), loaded(&theirs));
    let refused = |r: &[RecordedRequest]| last_of(r, 2, "function_call_output")["output"].clone();
    assert_eq!(refused(&ours), refused(&theirs));
}

fn rcodex(home: &Path, work: &Path, args: &[&str]) -> std::process::Output {
    Command::new(rcodex_tests::rcodex_bin())
        .args(args)
        .env("CODEX_HOME", home)
        .env("MOCK_API_KEY", "dummy")
        .current_dir(work)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Both search items are recorded (call, then output) as `response_item` lines, come back
/// byte for byte in the resumed thread's request, and the rollout replays.
#[tokio::test(flavor = "multi_thread")]
async fn a_search_is_recorded_resumed_and_replayed() {
    let replies = json!([
        { "items": [search(json!({"query": "agent", "limit": 2}))] },
        { "message": "found" },
        { "message": "still here" },
    ]);
    let script: Script = serde_json::from_value(json!({ "replies": replies })).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let t = rcodex_tests::TestHome::with_mock(&server.base_url());
    let (home, work) = (t.home(), t.work());
    let flags = ["--skip-git-repo-check", "--json"];
    ok(&rcodex(
        &home,
        &work,
        &[&["exec"][..], &flags, &["find"]].concat(),
    ));
    ok(&rcodex(
        &home,
        &work,
        &[&["exec"][..], &flags, &["resume", "--last", "again"]].concat(),
    ));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let sent = |n: usize, kind: &str| last_of(&reqs, n, kind).to_string();
    assert_eq!(sent(2, "tool_search_call"), sent(1, "tool_search_call"));
    assert_eq!(sent(2, "tool_search_output"), sent(1, "tool_search_output"));
    let rollouts = t.rollouts();
    assert_eq!(rollouts.len(), 1);
    let text = std::fs::read_to_string(&rollouts[0]).unwrap();
    let kinds: Vec<String> = rcodex_tests::json_lines(&text)
        .iter()
        .filter(|l| l["type"] == "response_item")
        .filter_map(|l| l["payload"]["type"].as_str().map(String::from))
        .filter(|t| t.starts_with("tool_search"))
        .collect();
    assert_eq!(kinds, ["tool_search_call", "tool_search_output"]);
    ok(&rcodex(
        &home,
        &work,
        &["replay", rollouts[0].to_str().unwrap()],
    ));
    server.shutdown().await;
}
