//! rcodex's own rollouts through the replay reader: every bundled scenario's rollout (a batch
//! run of the real binary) and a thread resumed by `rcodex exec resume` read with no warning,
//! every line typed, and each turn's start and end paired.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rcodex_core::protocol::{EventMsg, RolloutItem};
use rcodex_runner::mock::{MockServer, Script};
use rcodex_runner::rollout::{read_recorded, Layout, RecordedRollout};
use serde_json::{json, Value};

/// Reads `path` and checks what holds for every rcodex rollout; returns the turn ends in order
/// (`Some(error)` for a failed turn, `None` for a completed one).
fn read_ours(path: &Path) -> (RecordedRollout, Vec<Option<String>>) {
    let r = read_recorded(path).unwrap_or_else(|e| panic!("{e}"));
    let shown = path.display();
    assert!(r.warnings.is_empty(), "{shown}: {:?}", r.warnings);
    assert_eq!(r.writer.originator, "rcodex_exec", "{shown}");
    assert!(!r.writer.cli_version.is_empty(), "{shown}");
    assert_eq!(r.writer.layout, Layout::OrdinalEnvelope, "{shown}");
    assert!(
        matches!(r.lines[0].line.item, RolloutItem::SessionMeta(_)),
        "{shown}"
    );
    let (mut starts, mut ends) = (0, Vec::new());
    for l in &r.lines {
        match &l.line.item {
            RolloutItem::Other(v) => panic!("{shown}:{}: untyped line {v}", l.number),
            RolloutItem::EventMsg(EventMsg::Other(v)) => {
                panic!("{shown}:{}: untyped event {v}", l.number)
            }
            RolloutItem::EventMsg(EventMsg::TaskStarted(_)) => starts += 1,
            RolloutItem::EventMsg(EventMsg::TaskComplete(c)) => {
                ends.push(c.error.as_ref().map(|e| e.message.clone()))
            }
            RolloutItem::EventMsg(EventMsg::TurnAborted(a)) => ends.push(Some(a.reason.clone())),
            _ => {}
        }
    }
    assert_eq!(starts, ends.len(), "{shown}: every turn that starts ends");
    (r, ends)
}

#[test]
fn every_bundled_scenario_rollout_reads_with_no_warning() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(rcodex_tests::rcodex_bin())
        .args(["batch", "scenarios", "-j", "2", "--out"])
        .arg(out.path())
        .current_dir(&repo)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows = rcodex_tests::json_lines(
        &std::fs::read_to_string(out.path().join("results.jsonl")).unwrap(),
    );
    assert!(rows.len() >= 15, "{} scenarios", rows.len());
    let mut failed_turns = 0;
    for row in &rows {
        let path = Path::new(row["rollout"].as_str().unwrap());
        let (r, ends) = read_ours(path);
        assert!(!ends.is_empty(), "{}: no turn", path.display());
        failed_turns += ends.iter().filter(|e| e.is_some()).count();
        if row["id"] == "conversation/two_turns" {
            assert_eq!(ends, [None, None]);
        }
        assert_eq!(r.bytes, std::fs::metadata(path).unwrap().len());
    }
    assert!(
        failed_turns >= 1,
        "a fault scenario ends its turn with an error"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thread_resumed_by_rcodex_reads_both_turns_from_one_file() {
    let script: Script = serde_json::from_value(
        json!({ "replies": [{ "message": "first answer" }, { "message": "second answer" }] }),
    )
    .unwrap();
    let server = MockServer::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let run = |tail: Vec<String>| {
        let mut cmd = rcodex_tests::exec_command(None);
        cmd.arg("-C")
            .arg(&work)
            .args(tail)
            .env("CODEX_HOME", &home)
            .stdin(Stdio::null());
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let first = run(vec!["first question".into()]).await.unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let started: Value = serde_json::from_str(
        String::from_utf8_lossy(&first.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let thread = started["thread_id"].as_str().unwrap().to_string();
    let second = run(vec![
        "resume".into(),
        thread.clone(),
        "second question".into(),
    ])
    .await
    .unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    let files: Vec<PathBuf> = rcodex_tests::files_under(&home.join("sessions"));
    assert_eq!(files.len(), 1, "{files:?}");
    let (r, ends) = read_ours(&files[0]);
    assert_eq!(ends, [None, None]);
    let RolloutItem::SessionMeta(meta) = &r.lines[0].line.item else {
        unreachable!("checked by read_ours")
    };
    assert_eq!(meta.id, thread);
    let answers: Vec<String> = r
        .lines
        .iter()
        .filter_map(|l| match &l.line.item {
            RolloutItem::ResponseItem(i) => i.assistant_text(),
            _ => None,
        })
        .collect();
    assert_eq!(answers, ["first answer", "second answer"]);
}
