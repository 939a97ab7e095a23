//! Goals (`create_goal`, `get_goal`, `update_goal`) against the real Codex CLI 0.169.0 and
//! through resume and replay: both clients get the same scripted goal calls; the outputs the
//! model receives must be equal once the thread id and the clock are set aside; rcodex's
//! rollout must replay, and a resumed thread must find its goal again.
//!
//! The pinned CLI is installed on first use (see `tests/support/codex_cli.rs`).

use std::path::Path;
use std::process::{Command, Stdio};

mod exec_on_mock;

use exec_on_mock::exec_on_mock;
use rcodex_runner::mock::{MockServer, RecordedRequest, Script};
use serde_json::{json, Value};

fn call(name: &str, args: Value) -> Value {
    json!({ "function_call": { "name": name, "arguments": args } })
}

/// Creates, refuses a second goal and two malformed calls, blocks, then completes; with a
/// budget. Goal calls run no process, so the script takes no wall time worth a race.
fn goal_script() -> Value {
    json!([
        call("get_goal", json!({})),
        call("create_goal", json!({"objective": "Ship it", "token_budget": 1000})),
        call("create_goal", json!({"objective": "Second"})),
        call("update_goal", json!({"status": "bogus"})),
        call("create_goal", json!({})),
        call("update_goal", json!({"status": "blocked"})),
        call("update_goal", json!({"status": "complete"})),
        { "message": "done" },
    ])
}

async fn run(codex: Option<&Path>, replies: Value) -> Vec<RecordedRequest> {
    exec_on_mock(codex, &[], "go", replies).await.0
}

/// The goal items of the last request, with the thread id, times and item ids set aside; the
/// token counts are kept only where Codex's accounting does not race (see align-allow.toml).
fn goal_items(reqs: &[RecordedRequest]) -> Vec<Value> {
    let input = reqs.last().unwrap().body["input"]
        .as_array()
        .unwrap()
        .clone();
    input
        .into_iter()
        .filter(|i| i["type"] == "function_call_output")
        .map(|mut item| {
            item.as_object_mut().unwrap().remove("id");
            let text = item["output"].as_str().unwrap_or_default().to_string();
            if let Ok(mut reply) = serde_json::from_str::<Value>(&text) {
                if let Some(goal) = reply["goal"].as_object_mut() {
                    for key in ["threadId", "createdAt", "updatedAt"] {
                        assert!(goal.contains_key(key), "{key} in {text}");
                        goal.insert(key.into(), Value::Null);
                    }
                }
                if reply["completionBudgetReport"].is_string() {
                    reply["completionBudgetReport"] = json!("<report>");
                }
                item["output"] = reply;
            }
            item
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn goal_outputs_match_codex() {
    let Some(codex) = rcodex_tests::codex_bin("goal outputs against the real CLI") else {
        return;
    };
    let theirs = goal_items(&run(Some(&codex), goal_script()).await);
    let ours = goal_items(&run(None, goal_script()).await);
    assert_eq!(theirs.len(), 8, "{theirs:#?}");
    // Codex settles usage asynchronously; compare the counts only where both agree they are
    // settled (create: 0), and the shape and status everywhere.
    let strip = |items: &[Value]| -> Vec<Value> {
        items
            .iter()
            .map(|i| {
                let mut i = i.clone();
                if !i["output"].is_object() {
                    return i;
                }
                if let Some(goal) = i["output"]["goal"].as_object_mut() {
                    if goal["status"] != "active" {
                        goal.insert("tokensUsed".into(), Value::Null);
                        i["output"]["remainingTokens"] = Value::Null;
                    }
                }
                i
            })
            .collect()
    };
    assert_eq!(strip(&ours), strip(&theirs));
    // The goal_objective item: no call_id, Codex's name and namespace.
    let objective = ours.iter().find(|i| i["name"] == "goal_objective").unwrap();
    assert_eq!(
        objective,
        &json!({"type": "function_call_output", "name": "goal_objective", "namespace": "agent", "output": "Ship it"})
    );
    assert_eq!(
        ours[0]["output"],
        json!({"goal": null, "remainingTokens": null, "completionBudgetReport": null})
    );
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

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_thread_finds_its_goal_and_the_rollout_replays() {
    let replies = json!([
        call("create_goal", json!({"objective": "Carry over"})),
        { "message": "set" },
        call("get_goal", json!({})),
        { "message": "still there" },
    ]);
    let script: Script = serde_json::from_value(json!({ "replies": replies })).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let t = rcodex_tests::TestHome::with_mock(&server.base_url());
    let (home, work) = (t.home(), t.work());
    let flags = ["--skip-git-repo-check", "--json"];
    let first = rcodex(&home, &work, &[&["exec"][..], &flags, &["start"]].concat());
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = rcodex(
        &home,
        &work,
        &[&["exec"][..], &flags, &["resume", "--last", "again"]].concat(),
    );
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    let last_output = reqs[3].body["input"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|i| i["type"] == "function_call_output")
        .unwrap()["output"]
        .as_str()
        .unwrap()
        .to_string();
    let reply: Value = serde_json::from_str(&last_output).unwrap();
    assert_eq!(reply["goal"]["objective"], "Carry over", "{last_output}");
    assert_eq!(reply["goal"]["status"], "active");
    // The goal_objective item is recorded and replayed as it was sent.
    let rollouts = t.rollouts();
    assert_eq!(rollouts.len(), 1);
    let text = std::fs::read_to_string(&rollouts[0]).unwrap();
    assert!(text.contains(r#""name":"goal_objective","namespace":"agent""#));
    let replay = rcodex(&home, &work, &["replay", rollouts[0].to_str().unwrap()]);
    assert!(
        replay.status.success(),
        "{}{}",
        String::from_utf8_lossy(&replay.stdout),
        String::from_utf8_lossy(&replay.stderr)
    );
}

#[test]
fn batch_results_carry_the_goal() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let scenario = repo.join("scenarios/tools/goals.toml");
    let out = rcodex_tests::batch_in(
        &[
            scenario.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = rcodex_tests::batch_results(&out_dir);
    assert_eq!(rows.len(), 1);
    let goal = &rows[0]["goal"];
    assert_eq!(goal["objective"], "Ship the release", "{rows:?}");
    assert_eq!(goal["status"], "complete");
    assert_eq!(goal["tokenBudget"], 1000);
    assert_eq!(goal["tokensUsed"], 220);
}

/// Budget 250 and 110 tokens a response (the capture `g_budget2`): both clients limit the goal
/// before the same request, tell the model once with a `<codex_internal_context source="goal">`
/// user message (the words are each client's own), report `budgetLimited` with nothing remaining
/// and keep counting, and complete it with a budget report.
#[tokio::test(flavor = "multi_thread")]
async fn a_spent_budget_limits_the_goal_as_codex_does() {
    let Some(codex) = rcodex_tests::codex_bin("goal budgets against the real CLI") else {
        return;
    };
    let mut replies = vec![call(
        "create_goal",
        json!({"objective": "Ship it", "token_budget": 250}),
    )];
    replies.extend((0..5).map(|_| call("get_goal", json!({}))));
    replies.push(call("update_goal", json!({"status": "complete"})));
    replies.push(json!({ "message": "done" }));
    let script = Value::Array(replies);
    let theirs = run(Some(&codex), script.clone()).await;
    let ours = run(None, script).await;
    assert_eq!(ours.len(), theirs.len());
    const TAG: &str = "<codex_internal_context source=\"goal\">";
    // (request index, input index) of each budget message a request carries.
    let messages = |reqs: &[RecordedRequest]| -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        for (r, req) in reqs.iter().enumerate() {
            for (i, item) in req.body["input"].as_array().unwrap().iter().enumerate() {
                let text = item["content"][0]["text"].as_str().unwrap_or_default();
                if item["role"] == "user" && text.starts_with(TAG) {
                    found.push((r, i));
                }
            }
        }
        found
    };
    // Codex settles usage asynchronously: its limit may land one response earlier than the
    // capture's (and rcodex's) settle before request 5. Each client says it once, and the
    // message then stays in place in every later request.
    for (who, at, n) in [
        ("ours", messages(&ours), ours.len()),
        ("theirs", messages(&theirs), theirs.len()),
    ] {
        assert!(!at.is_empty(), "{who}: no budget message");
        let (first, place) = at[0];
        let expected: Vec<(usize, usize)> = (first..n).map(|r| (r, place)).collect();
        assert_eq!(at, expected, "{who}");
    }
    assert_eq!(
        messages(&ours)[0].0,
        4,
        "rcodex: before request 5, as captured"
    );
    let first = |reqs: &[RecordedRequest]| messages(reqs)[0].0 as i64;
    assert!((first(&ours) - first(&theirs)).abs() <= 1);
    let statuses = |reqs: &[RecordedRequest]| -> Vec<(Value, Value)> {
        goal_items(reqs)
            .iter()
            .filter(|i| i["output"].is_object())
            .map(|i| {
                (
                    i["output"]["goal"]["status"].clone(),
                    i["output"]["remainingTokens"].clone(),
                )
            })
            .collect()
    };
    for st in [statuses(&ours), statuses(&theirs)] {
        assert_eq!(
            st.first().unwrap(),
            &(json!("active"), json!(250)),
            "{st:?}"
        );
        assert!(st.contains(&(json!("budgetLimited"), json!(0))), "{st:?}");
        assert_eq!(st.last().unwrap(), &(json!("complete"), json!(0)), "{st:?}");
    }
}
