//! The library API (`rcodex_runner::agent`) against the scripted server: the echo example as
//! shipped, custom tools beside and instead of the built-in ones, exclusive tools, events, a
//! thread of several turns, and a recorded thread that `rcodex replay` accepts.

#[path = "../runner/examples/echo_tool.rs"]
#[allow(dead_code)]
mod echo_tool;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcodex_runner::agent::{Agent, Tool, ToolFuture, ToolResult, TurnStatus};
use rcodex_runner::mock::{MockServer, Script};
use serde_json::{json, Value};

fn script(replies: Value) -> Script {
    serde_json::from_value(json!({ "reply": replies })).unwrap()
}

fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn outputs(body: &Value) -> Vec<(String, String)> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "function_call_output")
        .map(|i| {
            (
                i["call_id"].as_str().unwrap().to_string(),
                i["output"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_echo_example_runs_its_tool_and_answers_with_its_output() {
    let server = MockServer::start(echo_tool::scripted_model())
        .await
        .unwrap();
    let events = Arc::new(Mutex::new(Vec::<Value>::new()));
    let seen = events.clone();
    let turn = echo_tool::run_example(&server.base_url(), "k", "Echo hello.", move |e| {
        seen.lock().unwrap().push(serde_json::to_value(e).unwrap())
    })
    .await
    .unwrap();
    assert_eq!(turn.status, TurnStatus::Completed);
    assert_eq!(
        turn.final_message.as_deref(),
        Some("The echo tool said: hello from a custom tool")
    );
    assert_eq!(turn.requests, 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first: Value = requests[0].body.clone();
    // Instead of the built-in tools: echo alone, as a function tool with the schema given.
    assert_eq!(tool_names(&first), ["echo"]);
    assert_eq!(first["tools"][0]["type"], "function");
    assert_eq!(first["tools"][0]["parameters"]["required"], json!(["text"]));
    let second: Value = requests[1].body.clone();
    let outs = outputs(&second);
    assert_eq!(outs.len(), 1);
    assert_eq!(outs[0].1, "hello from a custom tool");
    let events = events.lock().unwrap().clone();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "thread.started",
            "turn.started",
            "item.completed",
            "turn.completed"
        ]
    );
    server.shutdown().await;
}

/// Records each call's start and end, taking `ms` per call.
struct Slow {
    name: &'static str,
    exclusive: bool,
    log: Arc<Mutex<Vec<String>>>,
}

impl Tool for Slow {
    fn name(&self) -> &str {
        self.name
    }
    fn description(&self) -> &str {
        "test tool"
    }
    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {"id": {"type": "string"}}})
    }
    fn exclusive(&self) -> bool {
        self.exclusive
    }
    fn run(&self, args: Value) -> ToolFuture<'_> {
        let id = args["id"].as_str().unwrap_or_default().to_string();
        Box::pin(async move {
            self.log.lock().unwrap().push(format!("start {id}"));
            tokio::time::sleep(Duration::from_millis(150)).await;
            self.log.lock().unwrap().push(format!("end {id}"));
            if id == "bad" {
                ToolResult::error("bad id")
            } else {
                ToolResult::ok(format!("did {id}"))
            }
        })
    }
}

fn call(name: &str, id: &str) -> Value {
    json!({"name": name, "call_id": format!("call_{id}"), "arguments": {"id": id}})
}

#[tokio::test]
async fn custom_tools_sit_beside_the_built_in_ones_and_exclusive_ones_run_alone() {
    let server = MockServer::start(script(json!([
        {"function_calls": [call("par", "a"), call("par", "b"), call("solo", "c"), call("par", "bad")]},
        {"message": "done"}
    ])))
    .await
    .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let dir = tempfile::tempdir().unwrap();
    let mut agent = Agent::builder()
        .base_url(server.base_url())
        .api_key("k")
        .cwd(dir.path())
        .tool(Slow {
            name: "par",
            exclusive: false,
            log: log.clone(),
        })
        .tool(Slow {
            name: "solo",
            exclusive: true,
            log: log.clone(),
        })
        .build()
        .unwrap();
    let turn = agent.run("go").await;
    assert_eq!(turn.status, TurnStatus::Completed);
    let requests = server.requests();
    let first: Value = requests[0].body.clone();
    let names = tool_names(&first);
    // Beside the built-in tools, after them.
    assert!(names.contains(&"exec_command".to_string()), "{names:?}");
    assert_eq!(names[names.len() - 2..], ["par", "solo"]);
    let log = log.lock().unwrap().clone();
    // a and b overlap; c runs alone; bad runs after c.
    assert_eq!(
        log,
        [
            "start a",
            "start b",
            "end a",
            "end b",
            "start c",
            "end c",
            "start bad",
            "end bad"
        ]
    );
    let second: Value = requests[1].body.clone();
    let outs = outputs(&second);
    let ids: Vec<&str> = outs.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(ids, ["call_a", "call_b", "call_c", "call_bad"]);
    assert_eq!(outs[3].1, "bad id");
    agent.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_custom_tool_replaces_the_built_in_tool_of_its_name() {
    let server = MockServer::start(script(json!([
        {"function_call": {"name": "exec_command", "call_id": "c1", "arguments": {"id": "x"}}},
        {"message": "ok"}
    ])))
    .await
    .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut agent = Agent::builder()
        .base_url(server.base_url())
        .api_key("k")
        .tool(Slow {
            name: "exec_command",
            exclusive: false,
            log: log.clone(),
        })
        .build()
        .unwrap();
    assert_eq!(agent.run("go").await.status, TurnStatus::Completed);
    let first: Value = server.requests()[0].body.clone();
    let names = tool_names(&first);
    assert_eq!(names.iter().filter(|n| *n == "exec_command").count(), 1);
    let spec = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "exec_command")
        .unwrap();
    assert_eq!(spec["description"], "test tool");
    assert_eq!(*log.lock().unwrap(), ["start x", "end x"]);
    agent.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_thread_keeps_its_history_across_turns_and_records_a_replayable_rollout() {
    let server = MockServer::start(script(json!([
        {"function_call": {"name": "echo", "call_id": "c1", "arguments": {"text": "one"}}},
        {"message": "first done"},
        {"message": "second done"}
    ])))
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut agent = Agent::builder()
        .codex_home(home.path())
        .base_url(server.base_url())
        .api_key("k")
        .cwd(work.path())
        .tool(echo_tool::Echo)
        .build()
        .unwrap();
    let first = agent.run("turn one").await;
    assert_eq!(first.final_message.as_deref(), Some("first done"));
    let second = agent.run("turn two").await;
    assert_eq!(second.final_message.as_deref(), Some("second done"));
    assert!(second.thread_usage.total_tokens > second.usage.total_tokens);
    let last: Value = server.requests()[2].body.clone();
    let texts: Vec<String> = last["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["role"] == "user")
        .flat_map(|i| i["content"].as_array().unwrap().clone())
        .filter_map(|c| c["text"].as_str().map(str::to_string))
        .collect();
    assert!(texts.contains(&"turn one".to_string()), "{texts:?}");
    assert!(texts.contains(&"turn two".to_string()), "{texts:?}");
    let rollout = agent.rollout_path().unwrap().to_path_buf();
    assert!(rollout.starts_with(home.path().join("sessions")));
    let id = agent.thread_id().to_string();
    // The custom tool is recorded as Codex records a thread's dynamic tools.
    let text = std::fs::read_to_string(&rollout).unwrap();
    let meta: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(meta["type"], "session_meta");
    let tools = &meta["payload"]["dynamic_tools"];
    assert_eq!(tools[0]["name"], "echo", "{meta}");
    assert_eq!(tools[0]["inputSchema"], echo_tool::Echo.parameters());
    assert_eq!(tools[0]["deferLoading"], false);
    assert!(rollout
        .display()
        .to_string()
        .ends_with(&format!("{id}.jsonl")));
    agent.shutdown().await;
    server.shutdown().await;
    let replay = std::process::Command::new(rcodex_tests::rcodex_bin())
        .args(["replay", rollout.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}{}",
        String::from_utf8_lossy(&replay.stdout),
        String::from_utf8_lossy(&replay.stderr)
    );
}

#[tokio::test]
async fn a_bad_configuration_is_an_error_naming_the_field() {
    let err = Agent::builder()
        .config("model_reasoning_effort=[1]")
        .build()
        .err()
        .expect("refused");
    assert!(err.to_string().contains("model_reasoning_effort"), "{err}");
    let err = Agent::builder()
        .cwd("/nonexistent/rcodex-agent-test")
        .build()
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("/nonexistent/rcodex-agent-test"),
        "{err}"
    );
}

#[tokio::test]
async fn an_interrupt_ends_the_turn_as_interrupted() {
    let server = MockServer::start(script(json!([{"message": "late", "delay_ms": 5000}])))
        .await
        .unwrap();
    let mut agent = Agent::builder()
        .base_url(server.base_url())
        .api_key("k")
        .builtin_tools(false)
        .build()
        .unwrap();
    let turn = agent
        .run_until("go", tokio::time::sleep(Duration::from_millis(200)))
        .await;
    assert_eq!(turn.status, TurnStatus::Interrupted);
    server.shutdown().await;
}
