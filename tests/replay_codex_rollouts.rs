//! Rollouts written by the real Codex CLI (`tests/fixtures/rollouts/`, prose replaced) driven
//! back through the machine: what replays today, and what is refused with a reason.

use std::path::Path;

use rcodex_core::replay::{replay, Replay, ReplayError};
use rcodex_runner::rollout::read_recorded;

fn replay_fixture(name: &str) -> Result<Replay, ReplayError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rollouts")
        .join(name);
    let read = read_recorded(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    replay(&read.lines)
}

#[test]
fn codex_0_169_tool_turn_resumed_for_a_second_turn_replays() {
    let replayed = replay_fixture("codex-0.169.0-shell-resumed.jsonl").unwrap();
    assert_eq!(replayed.divergence, None);
    let turns: Vec<usize> = replayed.requests.iter().map(|r| r.turn).collect();
    assert_eq!(
        turns,
        [1, 1, 2],
        "a shell call and its answer, then the resumed turn"
    );
    // The resumed turn's request carries the whole first turn before its new prompt.
    let last: serde_json::Value = serde_json::from_str(&replayed.requests[2].body).unwrap();
    let input = last["input"].as_array().unwrap();
    let kinds: Vec<&str> = input.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"function_call") && kinds.contains(&"function_call_output"));
    assert_eq!(input.last().unwrap()["role"], "user");
}

#[test]
fn codex_0_150_and_0_169_failed_turns_replay_to_their_failure() {
    // 0.107 recorded the failed turn as completed with no answer and no error.
    for name in [
        "codex-0.107.0-failed.jsonl",
        "codex-0.150.0-failed.jsonl",
        "codex-0.169.0-failed.jsonl",
    ] {
        let replayed = replay_fixture(name).unwrap();
        assert_eq!(replayed.divergence, None, "{name}");
        assert_eq!(replayed.requests.len(), 1, "{name}");
    }
}

#[test]
fn codex_0_169_mid_turn_compaction_replays_to_the_recorded_history() {
    let replayed = replay_fixture("codex-0.169.0-compacted.jsonl").unwrap();
    assert_eq!(replayed.divergence, None);
    assert_eq!(
        replayed.requests.len(),
        3,
        "the call, the summary, the follow-up"
    );
    let summary: serde_json::Value = serde_json::from_str(&replayed.requests[1].body).unwrap();
    assert_eq!(summary["tools"], serde_json::json!([]));
    // The follow-up sends the recorded replacement: the summary, with Codex's prefix, last.
    let after: serde_json::Value = serde_json::from_str(&replayed.requests[2].body).unwrap();
    let last = after["input"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["content"][0]["text"],
        "<upstream text: summary prefix>\nSummary: listed files, found a.txt."
    );
}

#[test]
fn codex_0_169_compactions_mid_turn_and_before_a_resumed_prompt_replay() {
    // Three processes: a tool call over the limit (mid-turn), a resumed turn whose answer
    // reports 5,000 tokens, then a resumed turn that compacts before its prompt.
    let replayed = replay_fixture("codex-0.169.0-compacted-pre-turn.jsonl").unwrap();
    assert_eq!(replayed.divergence, None);
    let turns: Vec<usize> = replayed.requests.iter().map(|r| r.turn).collect();
    assert_eq!(turns, [1, 1, 1, 2, 3, 3]);
    let body = |i: usize| -> serde_json::Value {
        serde_json::from_str(&replayed.requests[i].body).unwrap()
    };
    let texts = |v: &serde_json::Value| -> Vec<String> {
        v["input"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["content"][0]["text"].as_str().unwrap_or("").to_string())
            .collect()
    };
    // The pre-turn summary request does not carry the new prompt; the request after it ends
    // with the summary and then the prompt.
    assert!(!texts(&body(4)).contains(&"third".to_string()));
    let after = texts(&body(5));
    assert_eq!(after.last().unwrap(), "third");
    assert!(after[after.len() - 2].ends_with("\nSummary two."));
}

#[test]
fn compacted_histories_and_turnless_layouts_are_refused_with_their_line() {
    // Before 0.107 no replacement history; before 0.169 no per-response usage to replay the
    // automatic compaction from.
    for (name, why) in [
        (
            "codex-0.59.0-compacted.jsonl",
            "without replacement_history",
        ),
        ("codex-0.150.0-compacted.jsonl", "token_usage_record"),
    ] {
        match replay_fixture(name) {
            Err(ReplayError::Unsupported { line, message }) => {
                assert!(
                    line > 1 && message.contains(why),
                    "{name}: {line}: {message}"
                );
            }
            other => panic!("{name}: expected unsupported, got {other:?}"),
        }
    }
    for name in [
        "codex-0.29.0-shell.jsonl",
        "codex-0.59.0-shell-resumed.jsonl",
    ] {
        match replay_fixture(name) {
            Err(ReplayError::Unsupported { message, .. }) => {
                assert!(message.contains("no task_started"), "{name}: {message}")
            }
            other => panic!("{name}: expected unsupported, got {other:?}"),
        }
    }
}

#[test]
fn older_layouts_without_ids_or_per_response_usage_replay() {
    // 0.107 wrote history items without ids; 0.107 and 0.150 no token_usage_record per
    // response (a response followed by another one completed).
    for name in [
        "codex-0.107.0-shell-resumed.jsonl",
        "codex-0.150.0-shell-resumed.jsonl",
    ] {
        let replayed = replay_fixture(name).unwrap();
        assert_eq!(replayed.divergence, None, "{name}");
        let turns: Vec<usize> = replayed.requests.iter().map(|r| r.turn).collect();
        assert_eq!(turns, [1, 1, 2], "{name}");
    }
}

#[test]
fn interrupted_turns_replay_with_codexs_marker_message_where_codex_left_it() {
    for name in [
        "codex-0.107.0-aborted.jsonl",
        "codex-0.150.0-aborted.jsonl",
        "codex-0.169.0-aborted.jsonl",
        "codex-0.169.0-aborted-command.jsonl",
    ] {
        let replayed = replay_fixture(name).unwrap();
        assert_eq!(replayed.divergence, None, "{name}");
        assert_eq!(replayed.requests.len(), 1, "{name}");
    }
}

#[test]
fn an_edited_wall_time_of_an_interrupted_command_diverges() {
    // The machine times the interrupted command itself from the recorded line times. (The
    // marker's words come from the recording, so editing them edits the input, not the output.)
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rollouts/codex-0.169.0-aborted-command.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("Wall time: 3.7 seconds"));
    let dir = tempfile::tempdir().unwrap();
    let edited = dir.path().join("edited.jsonl");
    std::fs::write(
        &edited,
        text.replacen("Wall time: 3.7 seconds", "Wall time: 9.9 seconds", 1),
    )
    .unwrap();
    let lines = read_recorded(&edited).unwrap().lines;
    let d = replay(&lines)
        .unwrap()
        .divergence
        .expect("the edit is noticed");
    assert_eq!(d.pointer, "/output", "{}", d.what);
    assert_eq!(
        d.actual["output"],
        "Wall time: 3.7 seconds\naborted by user"
    );
}
