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
    /// How long the client ran.
    took: std::time::Duration,
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
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let took = started.elapsed();
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
        took,
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
        // Nor the developer part naming the deferred namespaces, which the parent's has.
        let developer = |r: &RecordedRequest| r.body["input"][1].to_string();
        assert!(!developer(child).contains("<tools>"));
        assert!(developer(parent[0]).contains("<tools>"));
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

    // `--json` shows each call as a collab_tool_call, started then completed; the children
    // print nothing, and the usage is the parent's alone.
    let collab: Vec<(&str, &str, &str)> = run
        .events
        .iter()
        .filter(|e| e["item"]["type"] == "collab_tool_call")
        .map(|e| {
            let item = &e["item"];
            (
                e["type"].as_str().unwrap(),
                item["tool"].as_str().unwrap(),
                item["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        collab,
        [
            ("item.started", "spawn_agent", "in_progress"),
            ("item.completed", "spawn_agent", "completed"),
            ("item.started", "spawn_agent", "in_progress"),
            ("item.completed", "spawn_agent", "completed"),
            ("item.started", "wait", "in_progress"),
            ("item.completed", "wait", "completed"),
            ("item.started", "wait", "in_progress"),
            ("item.completed", "wait", "completed"),
        ]
    );
    let spawn_done = run
        .events
        .iter()
        .find(|e| e["type"] == "item.completed" && e["item"]["tool"] == "spawn_agent")
        .unwrap();
    assert_eq!(
        spawn_done["item"]["agents_states"][a],
        json!({"status": "pending_init", "message": null})
    );
    assert_eq!(spawn_done["item"]["receiver_thread_ids"], json!([a]));
    assert_eq!(spawn_done["item"]["sender_thread_id"], root);
    let done = run.events.last().unwrap();
    assert_eq!(done["type"], "turn.completed");
    assert_eq!(done["usage"]["input_tokens"], 100 * parent.len() as u64);
}

/// Every tool once, with the refusals Codex gives (the capture's script, as far as it runs
/// without a clock): spawn three children (one fails, one tries to spawn a grandchild), wait on
/// each, a second turn through send_input, close then wait, send to a closed agent, resume it,
/// and the malformed calls.
fn tool_tour() -> (Vec<Value>, Vec<Value>) {
    let one = |name: &str, id: &str, args: Value| calls(vec![agent_call(name, id, args)]);
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
                json!({"message": "CHILD-B fail"}),
            ),
            agent_call(
                "spawn_agent",
                "c_spawn_c",
                json!({"items": [{"type": "text", "text": "CHILD-C deep"}], "reasoning_effort": "low"}),
            ),
        ]),
        one(
            "wait_agent",
            "c_wait_a",
            json!({"targets": ["{{agent_id:1}}"]}),
        ),
        one(
            "wait_agent",
            "c_wait_b",
            json!({"targets": ["{{agent_id:2}}"]}),
        ),
        one(
            "wait_agent",
            "c_wait_c",
            json!({"targets": ["{{agent_id:3}}"]}),
        ),
        one(
            "send_input",
            "c_send",
            json!({"target": "{{agent_id:1}}", "message": "CHILD-A again"}),
        ),
        one(
            "wait_agent",
            "c_wait_a2",
            json!({"targets": ["{{agent_id:1}}"]}),
        ),
        one(
            "close_agent",
            "c_close",
            json!({"target": "{{agent_id:1}}"}),
        ),
        one(
            "wait_agent",
            "c_wait_closed",
            json!({"targets": ["{{agent_id:1}}"]}),
        ),
        one(
            "send_input",
            "c_send_closed",
            json!({"target": "{{agent_id:1}}", "message": "CHILD-A closed"}),
        ),
        one(
            "wait_agent",
            "c_wait_bad",
            json!({"targets": ["not-an-id"]}),
        ),
        one("wait_agent", "c_wait_none", json!({"targets": []})),
        one(
            "wait_agent",
            "c_wait_zero",
            json!({"targets": ["{{agent_id:3}}"], "timeout_ms": 0}),
        ),
        one("send_input", "c_send_null", json!({"target": null})),
        one("spawn_agent", "c_spawn_empty", json!({})),
        message("all done"),
    ];
    let grandchild = agent_call("spawn_agent", "c_grand", json!({"message": "GRANDCHILD"}));
    let agents = vec![
        agent(
            "CHILD-A",
            vec![message("alpha done 1"), message("alpha done 2")],
        ),
        agent(
            "CHILD-B",
            vec![json!({"http_error": {"status": 400, "body": "child B refused"}})],
        ),
        agent(
            "CHILD-C",
            vec![calls(vec![grandchild]), message("gamma done")],
        ),
    ];
    (replies, agents)
}

/// The outputs of every call, agent ids and submission ids replaced by their role.
fn tour_outputs(run: &Run) -> Vec<(String, String)> {
    let last = run.parent_requests().last().copied().unwrap();
    let input = last.body["input"].as_array().unwrap();
    let mut ids: Vec<(String, String)> = Vec::new();
    for (call, name) in [
        ("c_spawn_a", "<A>"),
        ("c_spawn_b", "<B>"),
        ("c_spawn_c", "<C>"),
    ] {
        let out: Value = serde_json::from_str(&run.output(call)).unwrap();
        ids.push((out["agent_id"].as_str().unwrap().to_string(), name.into()));
    }
    let submission: Value = serde_json::from_str(&run.output("c_send")).unwrap();
    ids.push((
        submission["submission_id"].as_str().unwrap().to_string(),
        "<TURN>".into(),
    ));
    input
        .iter()
        .filter(|i| i["type"] == "function_call_output")
        .map(|i| {
            let mut text = i["output"].as_str().unwrap().to_string();
            for (id, name) in &ids {
                text = text.replace(id, name);
            }
            if i["call_id"].as_str().unwrap().starts_with("c_spawn_") && text.starts_with('{') {
                let mut v: Value = serde_json::from_str(&text).unwrap();
                v["nickname"] = json!("<NICK>");
                text = v.to_string();
            }
            (i["call_id"].as_str().unwrap().to_string(), text)
        })
        .collect()
}

#[tokio::test]
async fn each_tool_answers_as_codex_does() {
    let (replies, agents) = tool_tour();
    let run = exec(None, replies, agents).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let outputs = tour_outputs(&run);
    let expected: Vec<(&str, &str)> = vec![
        ("c_spawn_a", r#"{"agent_id":"<A>","nickname":"<NICK>"}"#),
        ("c_spawn_b", r#"{"agent_id":"<B>","nickname":"<NICK>"}"#),
        ("c_spawn_c", r#"{"agent_id":"<C>","nickname":"<NICK>"}"#),
        ("c_wait_a", r#"{"status":{"<A>":{"completed":"alpha done 1"}},"timed_out":false}"#),
        ("c_wait_b", r#"{"status":{"<B>":{"errored":"child B refused"}},"timed_out":false}"#),
        ("c_wait_c", r#"{"status":{"<C>":{"completed":"gamma done"}},"timed_out":false}"#),
        ("c_send", r#"{"submission_id":"<TURN>"}"#),
        ("c_wait_a2", r#"{"status":{"<A>":{"completed":"alpha done 2"}},"timed_out":false}"#),
        ("c_close", r#"{"previous_status":{"completed":"alpha done 2"}}"#),
        ("c_wait_closed", r#"{"status":{"<A>":"not_found"},"timed_out":false}"#),
        ("c_send_closed", "agent with id <A> not found"),
        (
            "c_wait_bad",
            "invalid agent id not-an-id: Error(ParseChar { character: 'n', index: 1 })",
        ),
        ("c_wait_none", "agent ids must be non-empty"),
        ("c_wait_zero", "timeout_ms must be greater than zero"),
        (
            "c_send_null",
            "failed to parse function arguments: invalid type: null, expected a string at line 1 column 14",
        ),
        ("c_spawn_empty", "Provide one of: message or items"),
    ];
    let got: Vec<(&str, &str)> = outputs
        .iter()
        .map(|(c, o)| (c.as_str(), o.as_str()))
        .collect();
    assert_eq!(got, expected);

    // The child below the depth limit was told the tool does not exist.
    let grand = run
        .child_requests()
        .into_iter()
        .flat_map(|r| r.body["input"].as_array().unwrap().clone())
        .find(|i| i["type"] == "function_call_output" && i["call_id"] == "c_grand")
        .expect("the grandchild spawn was answered");
    assert_eq!(
        grand["output"],
        "unsupported call: multi_agent_v1spawn_agent"
    );

    // The second turn of A continues its history and its id is the submission id.
    let a_turns: Vec<&RecordedRequest> = run
        .child_requests()
        .into_iter()
        .filter(|r| r.body["input"].to_string().contains("CHILD-A say alpha"))
        .collect();
    assert_eq!(a_turns.len(), 2);
    let texts: Vec<String> = a_turns[1].body["input"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .map(|i| {
            i["content"][0]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(texts, ["CHILD-A again", "alpha done 1"]);
    let meta: Value =
        serde_json::from_str(header(a_turns[1], "x-codex-turn-metadata").unwrap()).unwrap();
    let submission: Value = serde_json::from_str(&run.output("c_send")).unwrap();
    assert_eq!(meta["turn_id"], submission["submission_id"]);

    // C's effort override reached its requests.
    let c_first = run
        .child_requests()
        .into_iter()
        .find(|r| r.body["input"].to_string().contains("CHILD-C deep"))
        .unwrap();
    assert_eq!(c_first.body["reasoning"]["effort"], "low");

    // Failed calls fail their items; malformed ones record none.
    let items = completed_items(run.parent_rollout(), "CollabAgentToolCall");
    let shown: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap(),
                i["tool"].as_str().unwrap(),
                i["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("c_spawn_a", "spawn_agent", "completed"),
            ("c_spawn_b", "spawn_agent", "completed"),
            ("c_spawn_c", "spawn_agent", "completed"),
            ("c_wait_a", "wait", "completed"),
            ("c_wait_b", "wait", "failed"),
            ("c_wait_c", "wait", "completed"),
            ("c_send", "send_input", "completed"),
            ("c_wait_a2", "wait", "completed"),
            ("c_close", "close_agent", "completed"),
            ("c_wait_closed", "wait", "failed"),
            ("c_send_closed", "send_input", "failed"),
        ]
    );
    assert_eq!(items[2]["reasoning_effort"], "low");
    assert_eq!(items[2]["prompt"], "CHILD-C deep");
}

/// The pinned Codex CLI on the same script: every output the same once ids and nicknames are
/// set aside (the failing child's error is the mock's body in both).
#[tokio::test]
async fn the_pinned_cli_answers_the_tour_the_same() {
    let Some(codex) = rcodex_tests::codex_bin("sub-agent tool outputs against the real CLI") else {
        return;
    };
    let (replies, agents) = tool_tour();
    let theirs = exec(Some(&codex), replies.clone(), agents.clone()).await;
    assert_eq!(theirs.code, 0, "{}", theirs.stderr);
    let ours = exec(None, replies, agents).await;
    assert_eq!(tour_outputs(&ours), tour_outputs(&theirs));
    let tools = |run: &Run| -> Vec<(String, String)> {
        completed_items(run.parent_rollout(), "CollabAgentToolCall")
            .iter()
            .map(|i| (i["tool"].to_string(), i["status"].to_string()))
            .collect()
    };
    assert_eq!(tools(&ours), tools(&theirs));
    let kinds = |run: &Run| -> Vec<String> {
        run.events
            .iter()
            .filter(|e| e["item"]["type"] == "collab_tool_call")
            .map(|e| {
                format!(
                    "{} {} {}",
                    e["type"], e["item"]["tool"], e["item"]["status"]
                )
            })
            .collect()
    };
    assert_eq!(kinds(&ours), kinds(&theirs));
}

/// A wait whose targets stay busy times out after Codex's minimum (10 s, asked for 1 ms) with
/// an empty status.
#[tokio::test]
async fn a_wait_on_busy_agents_times_out_empty() {
    let replies = vec![
        calls(vec![agent_call(
            "spawn_agent",
            "c_spawn",
            json!({"message": "CHILD-SLOW"}),
        )]),
        calls(vec![agent_call(
            "wait_agent",
            "c_wait",
            json!({"targets": ["{{agent_id:1}}"], "timeout_ms": 1}),
        )]),
        message("gave up"),
    ];
    let agents = vec![agent(
        "CHILD-SLOW",
        vec![json!({"message": "late", "delay_ms": 13000})],
    )];
    let run = exec(None, replies, agents).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.output("c_wait"), r#"{"status":{},"timed_out":true}"#);
    let waited = run.parent_requests()[2].received_at - run.parent_requests()[1].received_at;
    assert!(
        waited >= std::time::Duration::from_millis(9_900),
        "{waited:?}"
    );
    // exec does not wait for a child still running when the parent's turn ends.
    assert!(
        run.took < std::time::Duration::from_secs(25),
        "{:?}",
        run.took
    );
    let items = completed_items(run.parent_rollout(), "CollabAgentToolCall");
    assert_eq!(items[1]["receiver_thread_ids"], json!([]));
    assert_eq!(items[1]["agents_states"], json!({}));
}

/// Ctrl-C while the parent waits on a busy child: the parent's wait is cut short as Codex cuts
/// it, the child's turn is interrupted too and records its end, and exec exits 130.
#[tokio::test]
async fn ctrl_c_stops_the_children_too() {
    let replies = vec![
        calls(vec![agent_call(
            "spawn_agent",
            "c_spawn",
            json!({"message": "CHILD-SLOW"}),
        )]),
        calls(vec![agent_call(
            "wait_agent",
            "c_wait",
            json!({"targets": ["{{agent_id:1}}"], "timeout_ms": 60000}),
        )]),
        message("never"),
    ];
    let agents = vec![agent(
        "CHILD-SLOW",
        vec![json!({"message": "late", "delay_ms": 8000})],
    )];
    let script: Script =
        serde_json::from_value(json!({"replies": replies, "agents": agents})).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let home = rcodex_tests::TestHome::with_mock(&server.base_url());
    let child = rcodex_tests::exec_command(None)
        .arg("-C")
        .arg(home.work())
        .arg("PARENT: go")
        .env("CODEX_HOME", home.home())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    // Once the child's request is in and the parent waits, interrupt rcodex.
    while server.requests().len() < 3 {
        assert!(started.elapsed().as_secs() < 20, "the child never asked");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed().as_secs() < 8, "exec waited for the child");
    let rollouts: Vec<Vec<Value>> = home
        .rollouts()
        .iter()
        .map(|p| rcodex_tests::json_lines(&std::fs::read_to_string(p).unwrap()))
        .collect();
    assert_eq!(rollouts.len(), 2);
    for rollout in &rollouts {
        assert!(
            rollout
                .iter()
                .any(|l| l["payload"]["type"] == "turn_aborted"),
            "every thread's turn records its interruption"
        );
    }
    let parent = rollouts
        .iter()
        .find(|r| r[0]["payload"]["parent_thread_id"].is_null())
        .unwrap();
    let wait_output = parent
        .iter()
        .find(|l| {
            l["payload"]["type"] == "function_call_output" && l["payload"]["call_id"] == "c_wait"
        })
        .unwrap();
    let text = wait_output["payload"]["output"].as_str().unwrap();
    assert!(
        text.starts_with("aborted by user after ") && text.ends_with('s'),
        "{text}"
    );
    server.shutdown().await;
}

/// Six agents may be open at once: a seventh spawn is refused with Codex's words (captured),
/// and closing one makes room again.
#[tokio::test]
async fn a_seventh_open_agent_is_refused_until_one_is_closed() {
    let spawn = |i: usize| {
        agent_call(
            "spawn_agent",
            &format!("c_spawn_{i}"),
            json!({"message": format!("CHILD-{i} go")}),
        )
    };
    let replies = vec![
        calls((0..7).map(spawn).collect()),
        calls(vec![agent_call(
            "close_agent",
            "c_close",
            json!({"target": "{{agent_id:1}}"}),
        )]),
        calls(vec![spawn(7)]),
        // A child that ends while the parent answers makes one more follow-up (a notification).
        json!({"message": "done", "repeat": 3}),
    ];
    let agents = (0..8)
        .map(|i| agent(&format!("CHILD-{i} "), vec![message("ok")]))
        .collect();
    let run = exec(None, replies, agents).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    for i in 0..6 {
        assert!(run
            .output(&format!("c_spawn_{i}"))
            .starts_with("{\"agent_id\":"));
    }
    assert_eq!(
        run.output("c_spawn_6"),
        "collab spawn failed: agent thread limit reached"
    );
    assert!(run.output("c_spawn_7").starts_with("{\"agent_id\":"));
    let spawned = completed_items(run.parent_rollout(), "CollabAgentToolCall")
        .iter()
        .filter(|i| i["tool"] == "spawn_agent")
        .count();
    assert_eq!(spawned, 7, "the refused spawn records no item");
}

/// A parent that ran a command, then spawns a `fork_context` child and an `items` child (text,
/// a local image, an image URL, text), then three spawns Codex answers differently: an unknown
/// item type, a local image that is not there (spawned, told so), message and items together.
fn fork_and_items(dir: &Path) -> (Vec<Value>, Vec<Value>) {
    let (pic, gone) = (dir.join("pic.png"), dir.join("gone.png"));
    let png = image::RgbImage::from_pixel(2, 2, image::Rgb([200, 10, 10]));
    png.save(&pic).unwrap();
    let url = format!(
        "data:image/png;base64,{}",
        base64(&std::fs::read(&pic).unwrap())
    );
    let replies = vec![
        json!({"reasoning": "thinking", "items": [
            {"raw": {"type": "function_call", "id": "fc_exec", "call_id": "c_exec",
                     "name": "exec_command", "arguments": "{\"cmd\":\"echo hi\"}", "status": "completed"}}
        ]}),
        calls(vec![
            agent_call(
                "spawn_agent",
                "c_fork",
                json!({"message": "CHILD-F forked", "fork_context": true}),
            ),
            agent_call(
                "spawn_agent",
                "c_items",
                json!({"items": [
                    {"type": "text", "text": "CHILD-I look"},
                    {"type": "local_image", "path": pic.display().to_string()},
                    {"type": "image", "image_url": url},
                    {"type": "text", "text": "CHILD-I second"}]}),
            ),
        ]),
        calls(vec![
            agent_call(
                "spawn_agent",
                "c_bogus",
                json!({"items": [{"type": "bogus", "text": "CHILD-X"}]}),
            ),
            agent_call(
                "spawn_agent",
                "c_gone",
                json!({"items": [{"type": "local_image", "path": gone.display().to_string()}]}),
            ),
            agent_call(
                "spawn_agent",
                "c_both",
                json!({"message": "CHILD-M", "items": [{"type": "text", "text": "CHILD-N"}]}),
            ),
        ]),
        json!({"message": "all done", "delay_ms": 1500, "repeat": 3}),
    ];
    let agents = vec![
        agent("CHILD-F", vec![message("forked done")]),
        agent("CHILD-I", vec![message("items done")]),
        json!({"replies": [message("gone done")]}),
    ];
    (replies, agents)
}

/// Standard base64 with padding (the test's image URL).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The first request of the child whose last user text contains `marker`.
fn child_input<'a>(run: &'a Run, marker: &str) -> &'a [Value] {
    let last_text = |r: &RecordedRequest| {
        let input = r.body["input"].as_array().unwrap();
        input.last().unwrap().to_string()
    };
    run.child_requests()
        .into_iter()
        .find(|r| last_text(r).contains(marker))
        .unwrap_or_else(|| panic!("no child asked {marker:?}"))
        .body["input"]
        .as_array()
        .unwrap()
}

/// A forked child's input after the base instructions, item by item: `parent N` for the N-th
/// item of the parent's first request (same id), else `new ROLE` (with a user message's text).
/// The base instructions are left out: Codex gives each thread's its own id, rcodex one per
/// text (every child's differs from ours, forked or not).
fn fork_shape(run: &Run) -> Vec<String> {
    let parent = run.parent_requests()[0].body["input"].as_array().unwrap();
    child_input(run, "CHILD-F")
        .iter()
        .skip(1)
        .map(
            |item| match parent.iter().position(|p| p["id"] == item["id"]) {
                Some(n) => format!("parent {n}"),
                None if item["role"] == "user" => format!("new user {}", item["content"]),
                None => format!("new {}", item["role"].as_str().unwrap_or("?")),
            },
        )
        .collect()
}

/// The items child's user message, part by part (image data left out: the two encoders differ).
fn items_shape(run: &Run) -> Vec<String> {
    let input = child_input(run, "CHILD-I");
    input.last().unwrap()["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| match part["type"].as_str() {
            Some("input_image") => format!("image {}", part["detail"]),
            kind => format!("{} {}", kind.unwrap_or("?"), part["text"]),
        })
        .collect()
}

#[tokio::test]
async fn fork_context_and_items_reach_the_child_as_codex_sends_them() {
    let dir = tempfile::tempdir().unwrap();
    let (replies, agents) = fork_and_items(dir.path());
    let run = exec(None, replies, agents).await;
    assert_eq!(run.code, 0, "{}\n{:?}", run.stderr, run.events);

    // The fork: the parent's context and prompt with their ids, not what the turn did since,
    // then the removed-namespaces message and the message.
    let shape = fork_shape(&run);
    let n = shape.len();
    assert_eq!(
        shape[n - 1],
        r#"new user [{"type":"input_text","text":"CHILD-F forked"}]"#
    );
    assert_eq!(shape[n - 2], "new developer");
    let parent = run.parent_requests()[0].body["input"].as_array().unwrap();
    let copied: Vec<String> = (1..parent.len()).map(|i| format!("parent {i}")).collect();
    assert_eq!(shape[..n - 2], copied[..], "{shape:?}");
    let fork = child_input(&run, "CHILD-F");
    assert!(
        fork[n - 1]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("- multi_agent_v1: "),
        "{}",
        fork[n - 1]
    );
    assert!(!fork.iter().any(|i| i["type"] == "function_call"));

    // Items: in order, the local image labelled, the URL as an image.
    let pic = dir.path().join("pic.png").display().to_string();
    assert_eq!(
        items_shape(&run),
        vec![
            r#"input_text "CHILD-I look""#.to_string(),
            format!(r#"input_text "<image name=[Image #1] path=\"{pic}\">""#),
            r#"image "original""#.into(),
            r#"input_text "</image>""#.into(),
            r#"image "original""#.into(),
            r#"input_text "CHILD-I second""#.into(),
        ]
    );
    let gone = child_input(&run, "could not read")
        .last()
        .unwrap()
        .to_string();
    assert!(
        gone.contains("gone.png`: No such file or directory"),
        "{gone}"
    );
    assert!(run
        .output("c_bogus")
        .starts_with("failed to parse function arguments: unknown variant `bogus`"));
    assert_eq!(
        run.output("c_both"),
        "Provide either message or items, but not both"
    );
    assert!(run.output("c_gone").contains("agent_id"));
}

#[tokio::test]
async fn the_pinned_cli_forks_and_sends_items_the_same() {
    let Some(codex) = rcodex_tests::codex_bin("fork_context and items against the real CLI") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (replies, agents) = fork_and_items(dir.path());
    let theirs = exec(Some(&codex), replies.clone(), agents.clone()).await;
    assert_eq!(theirs.code, 0, "{}", theirs.stderr);
    let ours = exec(None, replies, agents).await;
    assert_eq!(fork_shape(&ours), fork_shape(&theirs));
    assert_eq!(items_shape(&ours), items_shape(&theirs));
    for call in ["c_bogus", "c_both"] {
        assert_eq!(ours.output(call), theirs.output(call), "{call}");
    }
    let gone = |run: &Run| child_input(run, "could not read").last().unwrap()["content"].clone();
    assert_eq!(gone(&ours), gone(&theirs));
}
