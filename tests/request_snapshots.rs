//! Every bundled scenario, run scripted as `rcodex batch` runs it, pinned by insta snapshots in
//! `snapshots/<scenario id>/`: each request body (`request-N.snap`, key order as sent) and the
//! `exec --json` event stream (`events.snap`). Ids, times, the workspace path and rcodex's long
//! texts are redacted through insta's redactions and filters, built from the rule table that
//! `rcodex batch --snapshots` applies too (`rcodex_runner::snapshot`). A new scenario gets its
//! snapshots by itself; a drift fails, and CI (`cargo insta test --check
//! --unreferenced=reject`) also fails on a missing or orphaned one. Review with `cargo insta review`.

use std::path::{Path, PathBuf};

use rcodex_runner::batch::discover::discover;
use rcodex_runner::batch::run_one::{run_scenario, ModelMode, RunContext};
use rcodex_runner::batch::scenario::load_scenario;
use rcodex_runner::snapshot::redaction::{filters, Rule};
use rcodex_runner::snapshot::{entries, run_folder};

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

#[tokio::test(flavor = "multi_thread")]
async fn every_bundled_scenario_matches_its_snapshots() {
    let found = discover(&[repo().join("scenarios")]).unwrap();
    assert!(found.len() >= 18, "scenarios/ holds {}", found.len());
    let rollouts = tempfile::tempdir().unwrap();
    let mut snapshotted = 0;
    for f in &found {
        let scenario = load_scenario(&f.path).unwrap_or_else(|e| panic!("{e}"));
        let mut never = Box::pin(std::future::pending::<()>());
        let ctx = RunContext {
            mode: &ModelMode::Scripted,
            rollout_dir: rollouts.path(),
            stop: &mut never,
        };
        let Ok(run) = run_scenario(&scenario, &f.id, 0, ctx).await else {
            panic!("{}: stopped", f.id)
        };
        let Some(capture) = run.capture else {
            // Only a scenario without scripted replies has nothing to snapshot.
            assert!(scenario.model.reply.is_empty(), "{}: {:?}", f.id, run.line);
            continue;
        };
        assert!(!capture.requests.is_empty(), "{}: no request sent", f.id);
        let folder = repo().join("snapshots").join(run_folder(&f.id, 0));
        for entry in entries(&capture.requests, &capture.events) {
            settings(&f.path, &folder, entry.rules, &capture.workspace).bind(|| {
                insta::assert_json_snapshot!(entry.name.as_str(), entry.value);
            });
        }
        snapshotted += 1;
    }
    assert_eq!(
        snapshotted,
        found.len(),
        "every bundled scenario is scripted"
    );
}
