//! The scripted server's per-agent replies (`[[agent]]`): the real pinned Codex CLI, run against
//! `rcodex mock`, spawns two children (`spawn_agent`, namespace `multi_agent_v1`) and waits for
//! each; every child is answered from its own reply list whatever order the children were
//! spawned in, and the request log says which list answered each request. The error answers
//! (a child no agent matches, an agent out of replies) are checked over plain HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;

use rcodex_runner::mock::{last_user_text, load_script, AnsweredAs, MockServer};
use rcodex_tests::agent_scripts::two_children_script;
use rcodex_tests::codex_bin;
use rcodex_tests::mock_process::MockedRun;
use serde_json::Value;

fn header<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    request["headers"]
        .as_array()?
        .iter()
        .find(|h| h[0] == name)
        .and_then(|h| h[1].as_str())
}

/// The output of call `call_id` in a request body, parsed.
fn call_output(body: &Value, call_id: &str) -> Value {
    let item = body["input"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["type"] == "function_call_output" && i["call_id"] == call_id)
        .unwrap_or_else(|| panic!("no output of {call_id}"));
    serde_json::from_str(item["output"].as_str().expect("text output")).expect("JSON output")
}

#[test]
fn codex_children_get_their_own_replies_whatever_the_spawn_order() {
    let Some(codex) = codex_bin("codex_children_get_their_own_replies_whatever_the_spawn_order")
    else {
        return;
    };
    for (first, second) in [("alpha", "beta"), ("beta", "alpha")] {
        let run = MockedRun::run(
            rcodex_tests::exec_command(Some(&codex)),
            &two_children_script(first, second),
            "PARENT spawn two",
        );
        assert!(run.output.status.success(), "{}", run.shown());
        let last = run.events().last().cloned().unwrap_or_default();
        assert_eq!(last["type"], "turn.completed", "{}", run.shown());
        let requests = run.requests();
        let (children, roots): (Vec<&Value>, Vec<&Value>) = requests
            .iter()
            .partition(|r| header(r, "x-openai-subagent") == Some("collab_spawn"));
        assert_eq!((children.len(), roots.len()), (2, 4), "{}", run.shown());
        assert!(roots.iter().all(|r| r["answered_as"] == "root"));
        // The parent's last request holds every spawn and wait output.
        let final_body = &roots[3]["body"];
        for child in &children {
            let prompt = last_user_text(&child["body"]).expect("a child prompt");
            let name = if prompt.contains("alpha") {
                "alpha"
            } else {
                "beta"
            };
            let expected_agent = if name == "beta" { "agent 1" } else { "agent 2" };
            assert_eq!(child["answered_as"], expected_agent, "{prompt}");
            assert_eq!(child["reply_number"], 1);
            // The thread the mock kept the child by is the id spawn_agent returned for it...
            let id = call_output(final_body, &format!("c_spawn_{name}"))["agent_id"].clone();
            assert_eq!(child["agent_thread_id"], id, "{name}");
            assert_eq!(header(child, "thread-id"), id.as_str());
            // ...and the wait on it reports that child's own reply.
            let waited = call_output(final_body, &format!("c_wait_{name}"));
            let id = id.as_str().unwrap();
            assert_eq!(
                waited["status"][id]["completed"],
                format!("{name} done"),
                "{waited}"
            );
        }
        let message = run
            .events()
            .iter()
            .rev()
            .find(|e| e["item"]["type"] == "agent_message")
            .map(|e| e["item"]["text"].clone());
        assert_eq!(message, Some("both done".into()));
    }
}

/// POSTs `body` to the mock with `headers`; the status line's code and the body.
fn post(server: &MockServer, headers: &[(&str, &str)], body: &Value) -> (u16, String) {
    let body = body.to_string();
    let mut stream = TcpStream::connect(server.addr()).expect("connect");
    let mut request = format!(
        "POST /v1/responses HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        server.addr(),
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let code = answer[9..12].parse().expect("status code");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap();
    (code, body)
}

fn asking(text: &str) -> Value {
    serde_json::json!({"input": [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    ]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_and_exhausted_children_are_answered_400_naming_script_and_agent() {
    let dir = tempfile::tempdir().unwrap();
    let script_path = dir.path().join("script.toml");
    std::fs::write(
        &script_path,
        "[[reply]]\nmessage = \"root\"\n[[agent]]\nprompt_contains = \"alpha\"\n[[agent.reply]]\nmessage = \"alpha done\"\n",
    )
    .unwrap();
    let script = load_script(&script_path).unwrap();
    let log = dir.path().join("log");
    std::fs::create_dir_all(&log).unwrap();
    let server = MockServer::start_on("127.0.0.1:0".parse().unwrap(), script, Some(log.clone()))
        .await
        .unwrap();
    let child =
        |thread: &'static str| [("x-openai-subagent", "collab_spawn"), ("thread-id", thread)];
    let shown = script_path.display().to_string();
    // Plain blocking HTTP; block_in_place keeps the server's tasks running meanwhile.
    let requests: Vec<(Vec<(&'static str, &'static str)>, Value)> = vec![
        (child("t-alpha").to_vec(), asking("say alpha")),
        (child("t-alpha").to_vec(), asking("again")),
        (child("t-gamma").to_vec(), asking("say gamma")),
        (vec![("thread-id", "root")], asking("hello")),
    ];
    let mut got = Vec::new();
    for (headers, body) in requests {
        got.push(tokio::task::block_in_place(|| {
            post(&server, &headers, &body)
        }));
    }
    assert_eq!(got[0].0, 200, "{:?}", got[0]);
    assert!(got[0].1.contains("alpha done"));
    assert_eq!(got[1].0, 400);
    assert_eq!(
        got[1].1,
        format!("rcodex mock: {shown}: agent 1 (\"alpha\"): no reply left for request 2")
    );
    assert_eq!(got[2].0, 400);
    assert!(
        got[2].1.starts_with(&format!(
            "rcodex mock: {shown}: request 3: no [[agent]] left for child thread t-gamma"
        )),
        "{}",
        got[2].1
    );
    assert_eq!(got[3].0, 200);
    assert!(got[3].1.contains("\"root\""), "{}", got[3].1);
    assert_eq!(
        server.answered_as(),
        vec![
            AnsweredAs::Agent(1),
            AnsweredAs::Agent(1),
            AnsweredAs::Unmatched,
            AnsweredAs::Root
        ]
    );
    let logged: Vec<String> = (1..=4)
        .map(|n| {
            let text = std::fs::read_to_string(log.join(format!("request-{n:03}.json"))).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap();
            format!(
                "{} {} {}",
                v["answered_as"], v["agent_thread_id"], v["reply_number"]
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            "\"agent 1\" \"t-alpha\" 1",
            "\"agent 1\" \"t-alpha\" null",
            "\"unmatched\" \"t-gamma\" null",
            "\"root\" null 1"
        ]
    );
}
