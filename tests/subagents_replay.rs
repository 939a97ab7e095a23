//! `rcodex replay` of a parent with its children, on rollouts the real pinned Codex CLI writes
//! at test time: its parent spawns two children against `rcodex mock` (each answered from its
//! own `[[agent]]` replies) and waits for each. The parent replays (its sub-agent notifications
//! included) together with both children; a child whose messages were edited, or whose file was
//! removed, fails the replay with a message naming the file, line and thread.

use std::path::{Path, PathBuf};
use std::process::Output;

use rcodex_tests::agent_scripts::two_children_script;
use rcodex_tests::mock_process::MockedRun;
use rcodex_tests::{codex_bin, json_lines, rcodex_bin};
use serde_json::Value;

/// The real CLI's multi-agent run, or `None` when the CLI is skipped.
fn codex_run(test: &str) -> Option<MockedRun> {
    let codex = codex_bin(test)?;
    let run = MockedRun::run(
        rcodex_tests::exec_command(Some(&codex)),
        &two_children_script("alpha", "beta"),
        "PARENT spawn two",
    );
    assert!(run.output.status.success(), "{}", run.shown());
    assert_eq!(run.rollouts().len(), 3, "{}", run.shown());
    Some(run)
}

fn replay(args: &[&str], paths: &[&Path]) -> Output {
    std::process::Command::new(rcodex_bin())
        .arg("replay")
        .args(args)
        .args(paths)
        .output()
        .expect("run rcodex replay")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The rollout whose session spawned agents, and the children's rollouts.
fn parent_and_children(rollouts: &[PathBuf]) -> (PathBuf, Vec<PathBuf>) {
    let (parents, children): (Vec<PathBuf>, Vec<PathBuf>) =
        rollouts.iter().cloned().partition(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("CollabAgentToolCall")
        });
    assert_eq!(parents.len(), 1, "{rollouts:?}");
    (parents[0].clone(), children)
}

/// The child rollout whose task ended with `message`.
fn child_saying(children: &[PathBuf], message: &str) -> PathBuf {
    children
        .iter()
        .find(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains(&format!("\"last_agent_message\":\"{message}\""))
        })
        .cloned()
        .unwrap_or_else(|| panic!("no child said {message:?} in {children:?}"))
}

/// Checks `line` against `runner/schemas/replay.schema.json` with every listed object closed
/// (`additionalProperties: false`), so an undocumented field fails too.
fn assert_fits_replay_schema(line: &Value) {
    fn close(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(close);
            }
            Value::Array(items) => items.iter_mut().for_each(close),
            _ => {}
        }
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("runner/schemas/replay.schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    close(&mut schema);
    let validator = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(line).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{line}\n{}", errors.join("\n"));
}

fn spawned_ids(parent: &Path) -> Vec<(String, String)> {
    let lines = json_lines(&std::fs::read_to_string(parent).unwrap());
    lines
        .iter()
        .filter(|l| l["payload"]["type"] == "function_call_output")
        .filter_map(|l| serde_json::from_str::<Value>(l["payload"]["output"].as_str()?).ok())
        .filter_map(|o| {
            Some((
                o["agent_id"].as_str()?.into(),
                o["nickname"].as_str()?.into(),
            ))
        })
        .collect()
}

#[test]
fn a_codex_parent_replays_with_both_children() {
    let Some(run) = codex_run("a_codex_parent_replays_with_both_children") else {
        return;
    };
    let (parent, children) = parent_and_children(&run.rollouts());
    let out = replay(&["--json"], &[&parent]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = &json_lines(&String::from_utf8_lossy(&out.stdout))[0];
    assert_eq!(report["status"], "ok", "{report}");
    assert_fits_replay_schema(report);
    // Four parent requests, the last two after the children's notifications.
    assert_eq!(report["requests"], 4, "{report}");
    let agents = report["agents"].as_array().expect("agents");
    let reported: Vec<(String, String)> = agents
        .iter()
        .map(|a| {
            assert_eq!(a["status"], "ok", "{a}");
            assert_eq!(
                (a["turns"].clone(), a["requests"].clone()),
                (1.into(), 1.into())
            );
            assert!(
                children
                    .iter()
                    .any(|c| c.display().to_string() == a["path"]),
                "{a}"
            );
            (
                a["thread_id"].as_str().unwrap().into(),
                a["nickname"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(reported, spawned_ids(&parent));
    // The text form lists each agent under its parent; --summary adds each child's table.
    let out = replay(&[], &[&parent]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(shown.matches("  agent ").count(), 2, "{shown}");
    let out = replay(&["--summary", "--json"], &[&parent]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = &json_lines(&String::from_utf8_lossy(&out.stdout))[0];
    assert_fits_replay_schema(report);
    for agent in report["agents"].as_array().unwrap() {
        let turns = agent["summary"]["turns"].as_array().expect("child summary");
        assert_eq!(turns[0]["outcome"]["status"], "completed", "{agent}");
        assert_eq!(agent["summary"]["thread_id"], agent["thread_id"]);
    }
    // The whole sessions folder: three files, all ok.
    let out = replay(&[], &[&run.home().join("sessions")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn an_rcodex_parent_replays_with_both_children() {
    // rcodex runs the same script as the parent; its children answer from their [[agent]] lists.
    let run = MockedRun::run(
        rcodex_tests::exec_command(None),
        &two_children_script("alpha", "beta"),
        "PARENT spawn two",
    );
    assert!(run.output.status.success(), "{}", run.shown());
    let (parent, children) = parent_and_children(&run.rollouts());
    assert_eq!(children.len(), 2, "{}", run.shown());
    let out = replay(&["--json"], &[&parent]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = &json_lines(&String::from_utf8_lossy(&out.stdout))[0];
    assert_eq!(report["status"], "ok", "{report}");
    assert_eq!(report["writer"]["originator"], "rcodex_exec", "{report}");
    assert_fits_replay_schema(report);
    let agents = report["agents"].as_array().expect("agents");
    assert!(agents.iter().all(|a| a["status"] == "ok"), "{report}");
    let reported: Vec<(String, String)> = agents
        .iter()
        .map(|a| {
            (
                a["thread_id"].as_str().unwrap().into(),
                a["nickname"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(reported, spawned_ids(&parent));
    // Its children's replies were their own: alpha's child said "alpha done", beta's "beta done".
    child_saying(&children, "alpha done");
    child_saying(&children, "beta done");
}

#[test]
fn an_edited_child_message_fails_the_parent_naming_line_and_thread() {
    let Some(run) = codex_run("an_edited_child_message_fails_the_parent_naming_line_and_thread")
    else {
        return;
    };
    let (parent, children) = parent_and_children(&run.rollouts());
    let alpha = child_saying(&children, "alpha done");
    // Edited everywhere in the child's file, so the child still replays on its own.
    let original = std::fs::read_to_string(&alpha).unwrap();
    let edited = original.replace("alpha done", "alpha DONE");
    std::fs::write(&alpha, edited).unwrap();
    assert_eq!(replay(&[], &[&alpha]).status.code(), Some(0));
    let out = replay(&["--json"], &[&parent]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = &json_lines(&String::from_utf8_lossy(&out.stdout))[0];
    let agent = report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == alpha.display().to_string())
        .expect("the edited child's report");
    assert_eq!(agent["status"], "inconsistent", "{agent}");
    assert_fits_replay_schema(report);
    let problem = agent["problems"][0].as_str().unwrap();
    let expected_start = format!("{}:", parent.display());
    assert!(problem.starts_with(&expected_start), "{problem}");
    assert!(
        problem.contains(&format!(
            "wait_agent reported agent {} completed with \"alpha done\"",
            agent["thread_id"].as_str().unwrap()
        )),
        "{problem}"
    );
    assert!(
        problem.contains(&format!("ended by then ({}:", alpha.display()))
            && problem.ends_with("ended with \"alpha DONE\""),
        "{problem}"
    );
    // Edited only in its task_complete: the child's own replay diverges at its final message.
    let lines: Vec<String> = original
        .lines()
        .map(|l| {
            if l.contains("\"type\":\"task_complete\"") {
                l.replace("alpha done", "alpha EDITED")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&alpha, lines.join("\n") + "\n").unwrap();
    let out = replay(&[], &[&alpha]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = replay(&[], &[&parent]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains(") divergence (1 turn"), "{shown}");
    assert!(
        shown.contains("the turn ends with another final message"),
        "{shown}"
    );
}

#[test]
fn a_removed_child_is_reported_by_thread_and_folder() {
    let Some(run) = codex_run("a_removed_child_is_reported_by_thread_and_folder") else {
        return;
    };
    let (parent, children) = parent_and_children(&run.rollouts());
    let beta = child_saying(&children, "beta done");
    std::fs::remove_file(&beta).unwrap();
    let beta_id = spawned_ids(&parent)
        .into_iter()
        .find(|(id, _)| beta.display().to_string().ends_with(&format!("{id}.jsonl")))
        .expect("beta's id")
        .0;
    let out = replay(&[], &[&parent]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    let sessions = run.home().join("sessions");
    let expected = format!(
        "child thread {beta_id} ({}): no rollout of it under {}",
        spawned_ids(&parent)
            .into_iter()
            .find(|(id, _)| *id == beta_id)
            .unwrap()
            .1,
        sessions.display()
    );
    assert!(shown.contains(&expected), "{shown}");
    assert!(shown.contains(&format!("agent {beta_id}")), "{shown}");
    assert!(
        shown.contains(") missing (0 turns, 0 requests)\n"),
        "{shown}"
    );
}
