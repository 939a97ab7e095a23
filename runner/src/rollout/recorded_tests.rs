//! The reader on real rollouts of each Codex generation (tests/fixtures/rollouts, upstream
//! prose replaced by placeholders) and on broken files.

use super::*;
use rcodex_core::protocol::rollout::{Compacted, SessionMeta};
use rcodex_core::protocol::{ContentItem, EventMsg, ResponseItem};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/rollouts")
        .join(name)
}

fn read(name: &str) -> RecordedRollout {
    read_recorded(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What a line is after normalisation; `other:` marks what stayed untyped.
fn kind(item: &RolloutItem) -> String {
    let tag = |v: &Value| {
        v.get("type")
            .or_else(|| v.get("record_type"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    match item {
        RolloutItem::SessionMeta(_) => "session_meta".into(),
        RolloutItem::ResponseItem(i) => match i {
            ResponseItem::Message(m) => format!("message:{}", m.role),
            ResponseItem::Reasoning(_) => "reasoning".into(),
            ResponseItem::FunctionCall(c) => format!("function_call:{}", c.name),
            ResponseItem::FunctionCallOutput(_) => "function_call_output".into(),
            ResponseItem::CustomToolCall(c) => format!("custom_tool_call:{}", c.name),
            ResponseItem::CustomToolCallOutput(_) => "custom_tool_call_output".into(),
            ResponseItem::LocalShellCall(_) => "local_shell_call".into(),
            ResponseItem::WebSearchCall(_) => "web_search_call".into(),
            ResponseItem::ToolSearchCall(_) => "tool_search_call".into(),
            ResponseItem::ToolSearchOutput(_) => "tool_search_output".into(),
            ResponseItem::Other(v) => format!("other_item:{}", tag(v)),
        },
        RolloutItem::EventMsg(e) => match e {
            EventMsg::TaskStarted(_) => "task_started".into(),
            EventMsg::TaskComplete(_) => "task_complete".into(),
            EventMsg::ItemCompleted(i) => format!("item_completed:{}", tag(&i.item)),
            EventMsg::TokenCount(_) => "token_count".into(),
            EventMsg::ThreadSettingsApplied(_) => "thread_settings_applied".into(),
            EventMsg::TurnAborted(_) => "turn_aborted".into(),
            EventMsg::Other(v) => format!("other_event:{}", tag(v)),
        },
        RolloutItem::TurnContext(_) => "turn_context".into(),
        RolloutItem::Compacted(_) => "compacted".into(),
        RolloutItem::WorldState(_) => "world_state".into(),
        RolloutItem::TokenUsageRecord(_) => "token_usage_record".into(),
        RolloutItem::Other(v) => format!("other:{}", tag(v)),
    }
}

fn kinds(r: &RecordedRollout) -> Vec<String> {
    r.lines.iter().map(|l| kind(&l.line.item)).collect()
}

fn count(r: &RecordedRollout, k: &str) -> usize {
    kinds(r).iter().filter(|x| *x == k).count()
}

/// The prompts a user typed (user messages that are not injected context).
fn prompts(r: &RecordedRollout) -> Vec<String> {
    r.lines
        .iter()
        .filter_map(|l| match &l.line.item {
            RolloutItem::ResponseItem(ResponseItem::Message(m)) if m.role == "user" => {
                match m.content.first() {
                    Some(ContentItem::InputText { text }) if !text.starts_with('<') => {
                        Some(text.clone())
                    }
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

fn meta(r: &RecordedRollout) -> &SessionMeta {
    match &r.lines[0].line.item {
        RolloutItem::SessionMeta(m) => m,
        other => panic!("line 1 is not the session meta: {other:?}"),
    }
}

const FIXTURES: [&str; 23] = [
    "codex-0.29.0-shell.jsonl",
    "codex-0.29.0-resumed.jsonl",
    "codex-0.29.0-failed.jsonl",
    "codex-0.34.0-shell.jsonl",
    "codex-0.59.0-shell-resumed.jsonl",
    "codex-0.59.0-compacted.jsonl",
    "codex-0.59.0-failed.jsonl",
    "codex-0.59.0-aborted.jsonl",
    "codex-0.107.0-shell-resumed.jsonl",
    "codex-0.107.0-compacted.jsonl",
    "codex-0.107.0-failed.jsonl",
    "codex-0.107.0-aborted.jsonl",
    "codex-0.150.0-shell-resumed.jsonl",
    "codex-0.150.0-compacted.jsonl",
    "codex-0.150.0-failed.jsonl",
    "codex-0.150.0-aborted.jsonl",
    "codex-0.169.0-shell-resumed.jsonl",
    "codex-0.169.0-compacted.jsonl",
    "codex-0.169.0-compacted-pre-turn.jsonl",
    "codex-0.169.0-failed.jsonl",
    "codex-0.169.0-aborted.jsonl",
    "codex-0.169.0-aborted-command.jsonl",
    "handmade-task-event-names.jsonl",
];

#[test]
fn every_fixture_reads_whole_with_no_warning_and_known_types_typed() {
    let on_disk = std::fs::read_dir(fixture(""))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        })
        .count();
    assert_eq!(on_disk, FIXTURES.len(), "a fixture is not in FIXTURES");
    for name in FIXTURES {
        let r = read(name);
        assert!(r.warnings.is_empty(), "{name}: {:?}", r.warnings);
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        let non_blank: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, _)| i + 1)
            .collect();
        let numbers: Vec<usize> = r.lines.iter().map(|l| l.number).collect();
        assert_eq!(
            numbers, non_blank,
            "{name}: every line kept, with its number"
        );
        assert_eq!(r.bytes, text.len() as u64);
        for (l, k) in r.lines.iter().zip(kinds(&r)) {
            let untyped_known = [
                "other:session_meta",
                "other:turn_context",
                "other:compacted",
                "other:response_item",
                "other:event_msg",
                "other_event:task_started",
                "other_event:task_complete",
                "other_event:turn_started",
                "other_event:turn_complete",
                "other_event:turn_aborted",
                "other_event:token_count",
                "other_event:item_completed",
            ];
            assert!(
                !untyped_known.contains(&k.as_str()),
                "{name}:{}: {k}",
                l.number
            );
        }
    }
}

#[test]
fn codex_0_29_flat_records_become_todays_lines() {
    let r = read("codex-0.29.0-shell.jsonl");
    assert_eq!(
        r.writer,
        Writer {
            originator: String::new(),
            cli_version: String::new(),
            layout: Layout::FlatRecords,
        }
    );
    let want = [
        "session_meta",
        "other:state",
        "message:user",
        "other:state",
        "message:user",
        "other:state",
        "other:state",
        "reasoning",
        "function_call:shell",
        "function_call_output",
        "other:state",
        "other:state",
        "message:assistant",
    ];
    assert_eq!(kinds(&r), want);
    let m = meta(&r);
    assert_eq!(m.id, "a1c3aa1a-2707-49c2-9e7c-1622e1260f29");
    assert_eq!(r.lines[0].line.timestamp, m.timestamp);
    assert!(m.base_instructions.is_none());
    assert_eq!(m.extra["git"]["branch"], "master");
    assert_eq!(m.extra["instructions"], Value::Null);
    assert!(r.lines[1..].iter().all(|l| l.line.timestamp.is_empty()
        && l.line.ordinal.is_none()
        && l.line.metadata.is_none()));
    // The resumed copy (0.29 resumed into a new file) holds both turns.
    let resumed = read("codex-0.29.0-resumed.jsonl");
    assert_eq!(prompts(&resumed), ["list files", "and now?"]);
    assert_eq!(count(&resumed, "message:assistant"), 2);
}

#[test]
fn codex_0_34_envelope_without_ordinal_or_turn_context() {
    let r = read("codex-0.34.0-shell.jsonl");
    assert_eq!(
        (
            r.writer.originator.as_str(),
            r.writer.cli_version.as_str(),
            r.writer.layout
        ),
        ("codex_cli_rs", "0.34.0", Layout::Envelope)
    );
    let want = [
        "session_meta",
        "message:user",
        "message:user",
        "other_event:user_message",
        "other_event:agent_reasoning",
        "token_count",
        "reasoning",
        "function_call:shell",
        "function_call_output",
        "other_event:agent_message",
        "token_count",
        "message:assistant",
    ];
    assert_eq!(kinds(&r), want);
    let m = meta(&r);
    assert!(m.base_instructions.is_none() && m.source.is_none() && m.model_provider.is_none());
    assert_eq!(m.extra["git"]["branch"], "master");
    assert!(r.lines.iter().all(|l| l.line.ordinal.is_none()));
}

#[test]
fn codex_0_59_resumed_thread_keeps_ghost_snapshots_and_has_no_task_events() {
    let r = read("codex-0.59.0-shell-resumed.jsonl");
    assert_eq!(
        (r.writer.cli_version.as_str(), r.writer.layout),
        ("0.59.0", Layout::Envelope)
    );
    assert_eq!(prompts(&r), ["list files", "and now?"]);
    assert_eq!(count(&r, "other_item:ghost_snapshot"), 1);
    assert_eq!(count(&r, "turn_context"), 3);
    assert_eq!(count(&r, "task_started") + count(&r, "task_complete"), 0);
    // `instructions` (user instructions) is kept as it was; there is no base prompt on disk.
    let m = meta(&r);
    assert!(m.extra.contains_key("instructions") && m.base_instructions.is_none());
}

#[test]
fn codex_0_107_and_later_mark_each_turn_with_task_events() {
    for (name, layout) in [
        ("codex-0.107.0-shell-resumed.jsonl", Layout::Envelope),
        ("codex-0.150.0-shell-resumed.jsonl", Layout::OrdinalEnvelope),
        ("codex-0.169.0-shell-resumed.jsonl", Layout::OrdinalEnvelope),
    ] {
        let r = read(name);
        assert_eq!(r.writer.layout, layout, "{name}");
        assert_eq!(r.writer.originator, "codex_exec", "{name}");
        assert_eq!(prompts(&r), ["list files", "and now?"], "{name}");
        let turns: Vec<String> = r
            .lines
            .iter()
            .filter_map(|l| match &l.line.item {
                RolloutItem::EventMsg(EventMsg::TaskStarted(s)) => Some(s.turn_id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(turns.len(), 2, "{name}");
        assert!(
            turns.iter().all(|t| !t.is_empty()) && turns[0] != turns[1],
            "{name}"
        );
        assert_eq!(count(&r, "task_complete"), 2, "{name}");
        assert_eq!(count(&r, "function_call:exec_command"), 1, "{name}");
        let base = meta(&r).base_instructions.as_ref().map(|b| b.text.as_str());
        assert_eq!(base, Some("<upstream text: base instructions>"), "{name}");
        if layout == Layout::OrdinalEnvelope {
            let ordinals: Vec<Option<u64>> = r.lines.iter().map(|l| l.line.ordinal).collect();
            let want: Vec<Option<u64>> = (0..r.lines.len() as u64).map(Some).collect();
            assert_eq!(ordinals, want, "{name}");
        }
    }
}

#[test]
fn compacted_turns_read_with_and_without_replacement_history() {
    for (name, replaced) in [
        ("codex-0.59.0-compacted.jsonl", false),
        ("codex-0.107.0-compacted.jsonl", true),
        ("codex-0.150.0-compacted.jsonl", true),
        ("codex-0.169.0-compacted.jsonl", true),
    ] {
        let r = read(name);
        let compactions: Vec<&Compacted> = r
            .lines
            .iter()
            .filter_map(|l| match &l.line.item {
                RolloutItem::Compacted(c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(compactions.len(), 1, "{name}");
        let c = compactions[0];
        assert!(
            c.message.ends_with("Summary: listed files, found a.txt."),
            "{name}"
        );
        assert_eq!(c.replacement_history.is_some(), replaced, "{name}");
        // The turn goes on after the compaction.
        let after = r
            .lines
            .iter()
            .skip_while(|l| !matches!(l.line.item, RolloutItem::Compacted(_)))
            .filter(|l| kind(&l.line.item) == "message:assistant")
            .count();
        assert_eq!(after, 1, "{name}");
    }
}

#[test]
fn failed_turns_read_and_end_without_an_answer_where_recorded() {
    for name in [
        "codex-0.29.0-failed.jsonl",
        "codex-0.59.0-failed.jsonl",
        "codex-0.107.0-failed.jsonl",
        "codex-0.150.0-failed.jsonl",
        "codex-0.169.0-failed.jsonl",
    ] {
        let r = read(name);
        assert_eq!(prompts(&r), ["fail please"], "{name}");
        assert_eq!(count(&r, "message:assistant"), 0, "{name}");
    }
    // From 0.107 the turn's end is recorded; from 0.150 with the error.
    for (name, error) in [
        ("codex-0.107.0-failed.jsonl", false),
        ("codex-0.150.0-failed.jsonl", true),
        ("codex-0.169.0-failed.jsonl", true),
    ] {
        let r = read(name);
        let Some(RolloutItem::EventMsg(EventMsg::TaskComplete(done))) =
            r.lines.last().map(|l| &l.line.item)
        else {
            panic!("{name}: last line is not task_complete")
        };
        assert_eq!(done.last_agent_message, None, "{name}");
        assert_eq!(done.error.is_some(), error, "{name}");
    }
}

#[test]
fn aborted_turns_read_with_the_abort_where_recorded() {
    let r = read("codex-0.59.0-aborted.jsonl");
    assert_eq!(prompts(&r), ["slow please"]);
    assert_eq!(
        count(&r, "turn_aborted"),
        0,
        "0.59 exits without recording it"
    );
    for name in [
        "codex-0.107.0-aborted.jsonl",
        "codex-0.150.0-aborted.jsonl",
        "codex-0.169.0-aborted.jsonl",
    ] {
        let r = read(name);
        assert_eq!(prompts(&r), ["slow please"], "{name}");
        let Some(RolloutItem::EventMsg(EventMsg::TurnAborted(a))) =
            r.lines.last().map(|l| &l.line.item)
        else {
            panic!("{name}: last line is not turn_aborted")
        };
        assert_eq!(a.reason, "interrupted", "{name}");
        assert!(
            a.turn_id.as_deref().is_some_and(|t| !t.is_empty()),
            "{name}"
        );
    }
}

#[test]
fn older_task_event_shapes_and_unknown_lines_read() {
    let r = read("handmade-task-event-names.jsonl");
    let want = [
        "session_meta",
        "task_started",
        "turn_context",
        "message:user",
        "message:assistant",
        "task_complete",
        "task_started",
        "message:user",
        "other:future_line_type",
        "other_event:future_event",
        "message:assistant",
        "task_complete",
    ];
    assert_eq!(kinds(&r), want);
    let turn_ids: Vec<&str> = r
        .lines
        .iter()
        .filter_map(|l| match &l.line.item {
            RolloutItem::EventMsg(EventMsg::TaskStarted(s)) => Some(s.turn_id.as_str()),
            RolloutItem::EventMsg(EventMsg::TaskComplete(c)) => Some(c.turn_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(turn_ids, ["", "", "turn-2", "turn-2"]);
    // The unknown line keeps its type and payload.
    assert_eq!(
        r.lines[8].line.item,
        RolloutItem::Other(
            serde_json::json!({"type":"future_line_type","payload":{"anything":[1,2,3]}})
        )
    );
}

/// Writes `lines` joined by `\n` (plus `tail` as is) to a temp file.
fn temp_file(lines: &[&str], tail: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rollout.jsonl");
    let mut text = lines.join("\n");
    text.push('\n');
    text.push_str(tail);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn fixture_lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(name))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn error(path: &Path) -> String {
    read_recorded(path).unwrap_err().to_string()
}

#[test]
fn a_bad_line_before_the_last_is_an_error_naming_file_line_and_what_is_wrong() {
    for name in ["codex-0.169.0-failed.jsonl", "codex-0.59.0-failed.jsonl"] {
        let original = fixture_lines(name);
        let mut lines: Vec<&str> = original.iter().map(String::as_str).collect();
        lines[3] = r#"{"timestamp":5,"type":"response_item","payload":{}}"#;
        let (_dir, path) = temp_file(&lines, "");
        let e = error(&path);
        let at = format!(
            "{}:4: invalid type: integer `5`, expected a string",
            path.display()
        );
        assert!(e.starts_with(&at), "{name}: {e}");
        lines[3] = r#"{"timestamp":"t","type":"#;
        let (_dir, path) = temp_file(&lines, "");
        let e = error(&path);
        assert!(
            e.starts_with(&format!("{}:4: EOF while parsing", path.display())),
            "{e}"
        );
    }
    // Flat records: a line that is not an object.
    let original = fixture_lines("codex-0.29.0-shell.jsonl");
    let mut lines: Vec<&str> = original.iter().map(String::as_str).collect();
    lines[2] = "[1,2]";
    let (_dir, path) = temp_file(&lines, "");
    let e = error(&path);
    assert_eq!(
        e,
        format!("{}:3: expected a JSON object, found [1,2]", path.display())
    );
}

#[test]
fn a_session_meta_that_does_not_read_is_an_error_naming_its_field() {
    let meta = r#"{"timestamp":"t","type":"session_meta","payload":{"id":"a","timestamp":"t","cwd":"/w","originator":"codex_exec"}}"#;
    let prompt = r#"{"timestamp":"t","type":"response_item","payload":{"type":"message","role":"user","content":[]}}"#;
    let (_dir, path) = temp_file(&[prompt, meta, prompt], "");
    assert_eq!(
        error(&path),
        format!(
            "{}:2: session_meta: missing field `cli_version`",
            path.display()
        )
    );
    // Flat records whose first line has no id.
    let (_dir, path) = temp_file(&[r#"{"timestamp":"t"}"#, r#"{"record_type":"state"}"#], "");
    assert_eq!(
        error(&path),
        format!("{}:1: session meta: missing field `id`", path.display())
    );
}

#[test]
fn a_torn_last_line_is_a_warning_and_the_rest_reads() {
    for name in [
        "codex-0.169.0-shell-resumed.jsonl",
        "codex-0.107.0-shell-resumed.jsonl",
        "codex-0.29.0-shell.jsonl",
    ] {
        let original = fixture_lines(name);
        let lines: Vec<&str> = original.iter().map(String::as_str).collect();
        let cut = &original[original.len() - 1][..40];
        let (_dir, path) = temp_file(&lines, cut);
        let r = read_recorded(&path).unwrap();
        assert_eq!(r.lines.len(), original.len(), "{name}");
        assert_eq!(r.warnings.len(), 1, "{name}");
        let at = format!(
            "{}:{}: skipped a torn last line (",
            path.display(),
            original.len() + 1
        );
        assert!(r.warnings[0].starts_with(&at), "{name}: {:?}", r.warnings);
        assert_eq!(kinds(&r), kinds(&read(name)), "{name}");
    }
}

#[test]
fn a_file_without_a_session_meta_is_no_meta() {
    let item = r#"{"timestamp":"t","type":"response_item","payload":{"type":"message","role":"user","content":[]}}"#;
    let flat_item = r#"{"type":"message","role":"user","content":[]}"#;
    for lines in [vec![item, item], vec![flat_item, flat_item], vec![]] {
        let (_dir, path) = temp_file(&lines, "");
        match read_recorded(&path) {
            Err(RolloutReadError::NoMeta(p)) => assert_eq!(p, path.display().to_string()),
            other => panic!("{lines:?}: {other:?}"),
        }
    }
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.jsonl");
    match read_recorded(&path) {
        Err(RolloutReadError::Lines(e)) => {
            assert!(e.is_not_found());
            assert!(e.to_string().starts_with(&path.display().to_string()));
        }
        other => panic!("{other:?}"),
    }
}
