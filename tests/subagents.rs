//! Sub-agents through the `rcodex` binary against the scripted server: each tool's output as
//! Codex 0.169 gives it (captured), the children's requests and rollouts linked to the parent,
//! the `--json` items, the depth limit, a wait that times out, close then wait, a second turn
//! through send_input, and the pinned Codex CLI on the same script for the shapes.
//!
//! Agent ids are fresh UUIDv7s; the scripts name them `{{agent_id:N}}` (the N-th agent the
//! requesting thread spawned), which the scripted server fills in from the request.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use rcodex_runner::mock::{MockServer, RecordedRequest, Script};
use serde_json::{json, Value};

/// A namespaced call of one of the sub-agent tools, as the model sends it.
fn agent_call(name: &str, call_id: &str, args: Value) -> Value {
    json!({"raw": {
        "type": "function_call", "id": format!("fc_{call_id}"), "call_id": call_id,
        "name": name, "namespace": "multi_agent_v1", "arguments": args.to_string(),
        "status": "completed"
    }})
}

fn calls(items: Vec<Value>) -> Value {
    json!({ "items": items })
}

fn message(text: &str) -> Value {
    json!({ "message": text })
}

/// One child's scripted replies, matched on its first message.
fn agent(prompt_contains: &str, replies: Vec<Value>) -> Value {
    json!({"prompt_contains": prompt_contains, "replies": replies})
}

struct Run {
    requests: Vec<RecordedRequest>,
    events: Vec<Value>,
    /// Every rollout file, parent first.
    rollouts: Vec<Vec<Value>>,
    stderr: String,
    code: i32,
    _dir: tempfile::TempDir,
}

impl Run {
    /// The requests of the root thread (no `x-openai-subagent`).
    fn parent_requests(&self) -> Vec<&RecordedRequest> {
        self.requests
            .iter()
            .filter(|r| header(r, "x-openai-subagent").is_none())
            .collect()
    }

    fn child_requests(&self) -> Vec<&RecordedRequest> {
        self.requests
            .iter()
            .filter(|r| header(r, "x-openai-subagent").is_some())
            .collect()
    }

    /// The output of call `call_id` in the last parent request.
    fn output(&self, call_id: &str) -> String {
        let last = self.parent_requests().last().copied().unwrap();
        last.body["input"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["type"] == "function_call_output" && i["call_id"] == call_id)
            .unwrap_or_else(|| panic!("no output for {call_id}"))["output"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn parent_rollout(&self) -> &[Value] {
        &self.rollouts[0]
    }
}

fn header<'a>(r: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Runs `exec --json` (rcodex, or the real CLI when `codex` is given) on the script.
async fn exec(codex: Option<&Path>, replies: Vec<Value>, agents: Vec<Value>) -> Run {
    let script: Script =
        serde_json::from_value(json!({"replies": replies, "agents": agents})).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let mut cmd = rcodex_tests::exec_command(codex);
    cmd.arg("-C")
        .arg(&work)
        .arg("PARENT: go")
        .env("CODEX_HOME", &home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let requests = server.requests();
    server.shutdown().await;
    let events = rcodex_tests::json_lines(&String::from_utf8_lossy(&out.stdout));
    let thread = events
        .iter()
        .find(|e| e["type"] == "thread.started")
        .and_then(|e| e["thread_id"].as_str())
        .unwrap_or_default()
        .to_string();
    let mut files: Vec<PathBuf> = rcodex_tests::files_under(&home.join("sessions"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort_by_key(|p| !p.to_string_lossy().contains(&thread));
    let rollouts = files
        .iter()
        .map(|p| rcodex_tests::json_lines(&std::fs::read_to_string(p).unwrap()))
        .collect();
    Run {
        requests,
        events,
        rollouts,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
        _dir: dir,
    }
}

fn spawn_two_then_wait() -> (Vec<Value>, Vec<Value>) {
    let replies = vec![
        calls(vec![
            agent_call(
                "spawn_agent",
                "c_spawn_a",
                json!({"message": "CHILD-A say alpha"}),
            ),
            agent_call(
                "spawn_agent",
                "c_spawn_b",
                json!({"message": "CHILD-B say beta"}),
            ),
        ]),
        calls(vec![agent_call(
            "wait_agent",
            "c_wait_1",
            json!({"targets": ["{{agent_id:1}}", "{{agent_id:2}}"], "timeout_ms": 10000}),
        )]),
        // Sent once beta is done too, so both targets are final when it runs.
        json!({"delay_ms": 1500, "items": [agent_call(
            "wait_agent",
            "c_wait_2",
            json!({"targets": ["{{agent_id:1}}", "{{agent_id:2}}"], "timeout_ms": 10000}),
        )]}),
        message("all done"),
    ];
    let agents = vec![
        agent("CHILD-A", vec![message("alpha done")]),
        agent(
            "CHILD-B",
            vec![json!({"message": "beta done", "delay_ms": 300})],
        ),
    ];
    (replies, agents)
}

/// The `item_completed` items of type `kind` in a rollout.
fn completed_items<'a>(rollout: &'a [Value], kind: &str) -> Vec<&'a Value> {
    rollout
        .iter()
        .filter(|l| l["payload"]["type"] == "item_completed")
        .map(|l| &l["payload"]["item"])
        .filter(|i| i["type"] == kind)
        .collect()
}

#[tokio::test]
async fn a_parent_spawns_two_children_and_waits_for_both() {
    let (replies, agents) = spawn_two_then_wait();
    let run = exec(None, replies, agents).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let parent = run.parent_requests();
    let children = run.child_requests();
    assert_eq!(children.len(), 2, "one request per child");

    // spawn_agent answers the child's thread id and nickname.
    let spawned: Vec<Value> = ["c_spawn_a", "c_spawn_b"]
        .iter()
        .map(|c| serde_json::from_str(&run.output(c)).unwrap())
        .collect();
    for s in &spawned {
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["agent_id", "nickname"]);
    }
    let (a, b) = (
        spawned[0]["agent_id"].as_str().unwrap(),
        spawned[1]["agent_id"].as_str().unwrap(),
    );
    assert_ne!(a, b);

    // The first wait returns as soon as one target is final (alpha: beta is slower); the
    // second, both.
    assert_eq!(
        run.output("c_wait_1"),
        format!("{{\"status\":{{\"{a}\":{{\"completed\":\"alpha done\"}}}},\"timed_out\":false}}")
    );
    let second: Value = serde_json::from_str(&run.output("c_wait_2")).unwrap();
    assert_eq!(second["status"][a], json!({"completed": "alpha done"}));
    assert_eq!(second["status"][b], json!({"completed": "beta done"}));
    assert_eq!(second["timed_out"], false);

    // Each child's end reaches the parent once, as a user message after the pending outputs.
    let last = parent.last().unwrap().body["input"].as_array().unwrap();
    let notes: Vec<&str> = last
        .iter()
        .filter(|i| i["type"] == "message" && i["role"] == "user")
        .filter_map(|i| i["content"][0]["text"].as_str())
        .filter(|t| t.starts_with("<subagent_notification>"))
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes.contains(&format!("<subagent_notification>\n{{\"agent_path\":\"{a}\",\"status\":{{\"completed\":\"alpha done\"}}}}\n</subagent_notification>").as_str()));

    // The children's requests carry Codex's headers and metadata.
    let root = header(parent[0], "thread-id").unwrap();
    for child in &children {
        let id = header(child, "thread-id").unwrap();
        assert!(id == a || id == b);
        assert_eq!(header(child, "x-openai-subagent"), Some("collab_spawn"));
        assert_eq!(header(child, "x-codex-parent-thread-id"), Some(root));
        assert_eq!(header(child, "session-id"), Some(root));
        assert_eq!(header(child, "x-client-request-id"), Some(id));
        let meta: Value =
            serde_json::from_str(header(child, "x-codex-turn-metadata").unwrap()).unwrap();
        assert_eq!(meta["session_id"], root);
        assert_eq!(meta["thread_id"], id);
        assert_eq!(meta["parent_thread_id"], root);
        assert_eq!(meta["subagent_kind"], "thread_spawn");
        assert_eq!(meta["thread_source"], "subagent");
        let parent_meta: Value =
            serde_json::from_str(header(parent[0], "x-codex-turn-metadata").unwrap()).unwrap();
        assert_eq!(meta["parent_turn_id"], parent_meta["turn_id"]);
        assert_eq!(meta["root_turn_id"], parent_meta["turn_id"]);
        assert_eq!(child.body["prompt_cache_key"], root);
        let tools: Vec<&str> = child.body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert!(!tools.contains(&"tool_search"));
        let input = child.body["input"].as_array().unwrap();
        let prompt = input.last().unwrap()["content"][0]["text"]
            .as_str()
            .unwrap();
        assert!(prompt == "CHILD-A say alpha" || prompt == "CHILD-B say beta");
    }

    // Each child has its own rollout beside the parent's, linked to it.
    assert_eq!(run.rollouts.len(), 3);
    for child in &run.rollouts[1..] {
        let meta = &child[0]["payload"];
        assert_eq!(child[0]["type"], "session_meta");
        assert_eq!(meta["session_id"], root);
        assert_eq!(meta["parent_thread_id"], root);
        assert_eq!(meta["thread_source"], "subagent");
        assert_eq!(meta["multi_agent_version"], "v1");
        let spawn = &meta["source"]["subagent"]["thread_spawn"];
        assert_eq!(spawn["parent_thread_id"], root);
        assert_eq!(spawn["depth"], 1);
        assert_eq!(spawn["agent_nickname"], meta["agent_nickname"]);
        let started = &child[1]["payload"];
        assert_eq!(started["type"], "task_started");
        let parent_turn = run.parent_rollout()[1]["payload"]["turn_id"].clone();
        assert_eq!(started["turn_attribution"]["parent_turn_id"], parent_turn);
        assert_eq!(started["turn_attribution"]["root_turn_id"], parent_turn);
    }

    // The parent records each call as a CollabAgentToolCall between the call and its output.
    let items = completed_items(run.parent_rollout(), "CollabAgentToolCall");
    let tools: Vec<&str> = items.iter().filter_map(|i| i["tool"].as_str()).collect();
    assert_eq!(tools, ["spawn_agent", "spawn_agent", "wait", "wait"]);
    assert_eq!(items[0]["agents_states"][a], "pending_init");
    assert_eq!(items[0]["prompt"], "CHILD-A say alpha");
    assert_eq!(items[0]["model"], "gpt-5.5");
}
