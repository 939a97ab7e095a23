//! Snapshots, ours and users'.
//!
//! Ours: every bundled scenario, run scripted as `rcodex batch` runs it, pinned by insta snapshots in
//! `snapshots/<scenario id>/`: each request body (`request-N.snap`, key order as sent) and the
//! `exec --json` event stream (`events.snap`). Ids, times, the workspace path and rcodex's long
//! texts are redacted through insta's redactions and filters, built from the rule table that
//! `rcodex batch --snapshots` applies too (`rcodex_runner::snapshot`). A new scenario gets its
//! snapshots by itself; a drift fails, and so does a missing snapshot or an orphaned file (this
//! test rejects files no scenario produces). Review with `cargo insta review`.
//!
//! Users': `rcodex batch --snapshots` through the binary — it writes the same files as insta
//! does for ours, a first run writes, a second passes, a changed reply drifts with a diff in
//! results.jsonl and JUnit, and `--snapshots-update` accepts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use rcodex_runner::batch::discover::discover;
use rcodex_runner::batch::run_one::{run_scenario, Capture, ModelMode, RunContext};
use rcodex_runner::batch::scenario::load_scenario;
use rcodex_runner::snapshot::redaction::{filters, Rule};
use rcodex_runner::snapshot::{entries, run_folder};
use rcodex_tests::batch_in as batch;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// insta settings applying `rules` and the filters of a run in `workspace`.
fn settings(
    scenario: &Path,
    folder: &Path,
    rules: &'static [Rule],
    workspace: &Path,
) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    // Named `request-N`/`events` in the scenario's folder, not by glob!'s file suffix.
    s.remove_snapshot_suffix();
    s.set_input_file(scenario);
    s.set_snapshot_path(folder);
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    for r in rules {
        let placeholder = r.placeholder;
        s.add_redaction(
            r.selector,
            insta::dynamic_redaction(move |content, _path| {
                match placeholder.replace(content.as_str()) {
                    Some(text) => insta::internals::Content::from(text),
                    None => content,
                }
            }),
        );
    }
    for f in filters(workspace) {
        s.add_filter(&f.pattern, f.replacement);
    }
    s
}

/// Runs every bundled scenario once, scripted, all at once; by canonical file path: its id and
/// what it sent and emitted.
async fn run_bundled() -> BTreeMap<PathBuf, (String, Capture)> {
    let found = discover(&[repo().join("scenarios")]).unwrap();
    let rollouts = Arc::new(tempfile::tempdir().unwrap());
    let mut runs = JoinSet::new();
    for f in found {
        let rollouts = rollouts.clone();
        runs.spawn(async move {
            let scenario = load_scenario(&f.path).unwrap_or_else(|e| panic!("{e}"));
            let mut never = Box::pin(std::future::pending::<()>());
            let ctx = RunContext {
                mode: &ModelMode::Scripted,
                rollout_dir: rollouts.path(),
                upstream_text: None,
                stop: &mut never,
                record: None,
            };
            let Ok(run) = run_scenario(&scenario, &f.id, 0, ctx).await else {
                panic!("{}: stopped", f.id)
            };
            // Every bundled scenario is scripted, so every one has something to snapshot.
            let capture = run
                .capture
                .unwrap_or_else(|| panic!("{}: not run: {:?}", f.id, run.line));
            assert!(!capture.requests.is_empty(), "{}: no request sent", f.id);
            (f.path.canonicalize().unwrap(), (f.id, capture))
        });
    }
    runs.join_all().await.into_iter().collect()
}

#[test]
fn every_bundled_scenario_matches_its_snapshots() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let runs = runtime.block_on(run_bundled());
    assert!(runs.len() >= 18, "scenarios/ holds {}", runs.len());
    let mut checked = 0;
    let mut expected = Vec::new();
    // glob! goes on past a failing scenario and fails at the end, so one run shows every drift.
    insta::glob!("../scenarios", "**/*.toml", |path| {
        let (id, capture) = &runs[&path.canonicalize().unwrap()];
        let folder = repo().join("snapshots").join(run_folder(id, 0));
        for entry in entries(&capture.requests, &capture.events) {
            expected.push(folder.join(format!("{}.snap", entry.name)));
            settings(path, &folder, entry.rules, &capture.workspace).bind(|| {
                insta::assert_json_snapshot!(entry.name.as_str(), entry.value);
            });
        }
        checked += 1;
    });
    assert_eq!(checked, runs.len());
    // No snapshot file that no scenario produces (what `cargo insta test --unreferenced=reject`
    // checks), and no pending `.snap.new`: plain `cargo test` rejects both.
    let stored = walk(&repo().join("snapshots"));
    let unreferenced: Vec<&PathBuf> = stored.iter().filter(|p| !expected.contains(p)).collect();
    assert!(
        unreferenced.is_empty(),
        "snapshot files no scenario produces (delete them, or review with `cargo insta review`): {unreferenced:?}"
    );
}

fn say(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The snapshot checks of the one line of `out/results.jsonl`, and the line's status.
fn snapshot_checks(out: &Path) -> (String, Vec<Value>) {
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let lines = rcodex_tests::json_lines(&text);
    assert_eq!(lines.len(), 1, "{text}");
    let checks = lines[0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"].as_str().unwrap().starts_with("snapshot["))
        .cloned()
        .collect();
    (lines[0]["status"].as_str().unwrap().to_string(), checks)
}

/// `rcodex batch --snapshots` over the bundled scenarios, against a copy of `snapshots/`: every
/// file insta wrote through the test above is what the binary's own redaction writes.
#[test]
fn batch_snapshots_of_the_bundled_scenarios_equal_ours() {
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("snapshots");
    let ours = repo().join("snapshots");
    let mut stored = 0;
    for entry in walk(&ours) {
        let rel = entry.strip_prefix(&ours).unwrap();
        std::fs::create_dir_all(copy.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&entry, copy.join(rel)).unwrap();
        stored += 1;
    }
    assert!(stored >= 40, "snapshots/ holds {stored} files");
    let out = tmp.path().join("out");
    let o = batch(
        &[
            "scenarios",
            "-j",
            "2",
            "--out",
            out.to_str().unwrap(),
            &format!("--snapshots={}", copy.display()),
        ],
        &repo(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let tally = format!("{stored} unchanged, 0 new, 0 drifted, 0 no longer produced, 0 updated");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(&tally),
        "{}",
        say(&o)
    );
    assert_eq!(walk(&copy).len(), stored, "nothing written beside ours");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

const CASE: &str = r#"name = "count files"
prompt = "How many files are here?"

[workspace.files]
"a.txt" = "x\n"

[[model.reply]]
function_call = { name = "exec_command", arguments = { cmd = "ls", login = false } }
[[model.reply]]
message = "One file."
"#;

#[test]
fn users_snapshots_are_written_then_checked_then_drift_then_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let evals = tmp.path().join("evals");
    std::fs::create_dir_all(&evals).unwrap();
    std::fs::write(evals.join("case.toml"), CASE).unwrap();
    let snaps = tmp.path().join("snapshots");
    let run = |n: u32, extra: &[&str]| {
        let out = tmp.path().join(format!("out{n}"));
        let mut args = vec!["evals", "--snapshots", "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        (batch(&args, tmp.path()), out)
    };
    let names = [
        "snapshot[request-1]",
        "snapshot[request-2]",
        "snapshot[events]",
    ];

    // First run: the default folder is snapshots/ beside evals/; every snapshot is new.
    let (o, out) = run(1, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let (status, checks) = snapshot_checks(&out);
    assert_eq!(status, "pass");
    let got: Vec<&str> = checks
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(got, names);
    for c in &checks {
        assert_eq!(c["passed"], true);
        assert!(
            c["detail"]
                .as_str()
                .unwrap()
                .contains("new snapshot written"),
            "{c}"
        );
    }
    let events = snaps.join("case/events.snap");
    let stored = std::fs::read_to_string(&events).unwrap();
    assert!(
        stored.starts_with("---\nsource: rcodex batch --snapshots\n"),
        "{stored}"
    );
    assert!(stored.contains("\"text\": \"One file.\""), "{stored}");
    let request = std::fs::read_to_string(snaps.join("case/request-2.snap")).unwrap();
    assert!(
        request.contains("[workspace]") && request.contains("\"prompt_cache_key\": \"[thread]\""),
        "{request}"
    );

    // Second run: the same, so every check passes without a word.
    let (o, out) = run(2, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let (status, checks) = snapshot_checks(&out);
    assert_eq!(status, "pass");
    assert_eq!(checks.len(), 3);
    assert!(
        checks
            .iter()
            .all(|c| c["passed"] == true && c.get("detail").is_none()),
        "{checks:?}"
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("3 unchanged, 0 new, 0 drifted"),
        "{}",
        say(&o)
    );

    // A changed reply: the events drift (and request 2 does not: it is sent before the reply).
    std::fs::write(
        evals.join("case.toml"),
        CASE.replace("One file.", "Two files."),
    )
    .unwrap();
    let (o, out) = run(3, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", say(&o));
    let (status, checks) = snapshot_checks(&out);
    assert_eq!(status, "fail");
    let failed: Vec<&Value> = checks.iter().filter(|c| c["passed"] == false).collect();
    assert_eq!(failed.len(), 1, "{checks:?}");
    assert_eq!(failed[0]["check"], "snapshot[events]");
    let detail = failed[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("-      \"text\": \"One file.\"\n+      \"text\": \"Two files.\""),
        "{detail}"
    );
    assert!(detail.contains("events.snap.new"), "{detail}");
    assert_eq!(
        std::fs::read_to_string(&events).unwrap(),
        stored,
        "the stored one is kept"
    );
    let pending = snaps.join("case/events.snap.new");
    assert!(std::fs::read_to_string(&pending)
        .unwrap()
        .contains("Two files."));
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<failure message=\"snapshot[events]: "),
        "{junit}"
    );
    assert!(
        junit.contains("+      &quot;text&quot;: &quot;Two files.&quot;"),
        "{junit}"
    );

    // --snapshots-update accepts; the next run passes against the new one.
    let (o, out) = run(4, &["--snapshots-update"]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    let (_, checks) = snapshot_checks(&out);
    let events_check = checks
        .iter()
        .find(|c| c["check"] == "snapshot[events]")
        .unwrap();
    assert!(
        events_check["detail"]
            .as_str()
            .unwrap()
            .ends_with("updated"),
        "{events_check}"
    );
    assert!(!pending.exists());
    assert!(std::fs::read_to_string(&events)
        .unwrap()
        .contains("Two files."));
    let (o, out) = run(5, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", say(&o));
    assert_eq!(snapshot_checks(&out).0, "pass");
}
