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
    for name in ["codex-0.150.0-failed.jsonl", "codex-0.169.0-failed.jsonl"] {
        let replayed = replay_fixture(name).unwrap();
        assert_eq!(replayed.divergence, None, "{name}");
        assert_eq!(replayed.requests.len(), 1, "{name}");
    }
}

#[test]
fn compacted_histories_and_turnless_layouts_are_refused_with_their_line() {
    match replay_fixture("codex-0.169.0-compacted.jsonl") {
        Err(ReplayError::Unsupported { line, message }) => {
            assert!(
                line > 1 && message.contains("compacted"),
                "{line}: {message}"
            );
        }
        other => panic!("expected unsupported, got {other:?}"),
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
