//! `rcodex report` and `batch --report` through the real binary: what each page embeds (every
//! run of the bundled batch with its session, a failed check and why, patches, every Codex
//! rollout generation, a replay divergence, a comparison with regressions first), that the page
//! fetches nothing, and that unreadable paths are named with exit 2. The page drawn in a real
//! browser is `report_browser.rs`.

mod report_fixtures;

use report_fixtures::*;
use serde_json::Value;

#[test]
fn batch_report_embeds_every_run_with_its_session_and_the_summary_line_names_it() {
    let b = bundled();
    let page_path = b.out.join("report.html");
    assert!(
        b.stdout
            .contains(&format!("report: {}\n", page_path.display())),
        "{}",
        b.stdout
    );
    let html = std::fs::read_to_string(&page_path).unwrap();
    for fetch in ["http://", "https://", "src=", "<link"] {
        assert!(!html.contains(fetch), "the page has {fetch}");
    }
    let data = page_data(&html);
    assert_eq!(data["kind"], "batch");
    let runs = data["batch"]["scenarios"].as_array().unwrap();
    let mut ids: Vec<String> = runs
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, result_ids(&b.out));
    let totals = &data["batch"]["totals"];
    assert_eq!(totals["runs"], runs.len());
    assert_eq!(totals["pass"], runs.len(), "{totals}");
    assert!(totals["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(totals["wall_ms"].as_i64().unwrap() > 0, "{totals}");
    for r in runs {
        let entries = r["session"]["entries"].as_array();
        assert!(
            entries.is_some_and(|e| !e.is_empty()),
            "{} has no session",
            r["id"]
        );
    }
    let patch_run = runs
        .iter()
        .find(|r| r["id"] == "tools/apply_patch_add_update")
        .unwrap();
    let patch = patch_run["session"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "patch")
        .expect("the apply_patch call is a patch entry");
    assert!(
        patch["text"].as_str().unwrap().contains("*** Begin Patch"),
        "{patch}"
    );
    // The same page `rcodex report OUT` writes, byte for byte.
    let tmp = tempfile::tempdir().unwrap();
    let again = report(&[&b.out], &tmp.path().join("again.html"));
    assert_eq!(again, html);
}

#[test]
fn a_failed_run_carries_its_failed_check_and_why() {
    let runs = two_runs();
    let tmp = tempfile::tempdir().unwrap();
    let data = page_data(&report(&[&runs.b], &tmp.path().join("b.html")));
    let rows = data["batch"]["scenarios"].as_array().unwrap();
    let broken = rows.iter().find(|r| r["id"] == "tools/breaks").unwrap();
    assert_eq!(broken["status"], "fail");
    assert_eq!(broken["final_message"], "oops");
    let failed: Vec<&Value> = broken["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{broken}");
    assert_eq!(failed[0]["check"], "final_message");
    assert!(
        failed[0]["detail"].as_str().unwrap().contains("\"oops\""),
        "{broken}"
    );
    assert_eq!(data["batch"]["totals"]["fail"], 1);
    assert_eq!(data["batch"]["totals"]["pass"], 2);
}

#[test]
fn every_codex_rollout_generation_becomes_a_session_page() {
    let dir = repo().join("tests/fixtures/rollouts");
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "jsonl") {
            continue;
        }
        let data = page_data(&report(&[&path], &tmp.path().join("s.html")));
        assert_eq!(data["kind"], "session", "{}", path.display());
        let s = &data["session"];
        // Turns come from task events, which the oldest generations did not write.
        let kinds: Vec<&str> = s["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.first(), Some(&"session"), "{}", path.display());
        assert!(kinds.contains(&"message"), "{}: {kinds:?}", path.display());
        seen += 1;
    }
    assert!(seen >= 20, "{seen} rollouts");

    let resumed = dir.join("codex-0.169.0-shell-resumed.jsonl");
    let s = page_data(&report(&[&resumed], &tmp.path().join("r.html")))["session"].clone();
    assert_eq!(s["summary"]["turns"].as_array().unwrap().len(), 2, "{s}");
    let call = s["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "tool_call")
        .expect("a tool call");
    assert!(
        call["title"]
            .as_str()
            .unwrap()
            .starts_with("exec_command: "),
        "{call}"
    );
    let answered = s["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "tool_output" && e["call_id"] == call["call_id"]);
    assert!(answered, "{s}");
    assert!(
        s["summary"]["turns"][0]["tool_calls"][0]["duration_ms"].is_u64(),
        "{s}"
    );

    let aborted = dir.join("codex-0.169.0-aborted-command.jsonl");
    let s = page_data(&report(&[&aborted], &tmp.path().join("a.html")))["session"].clone();
    assert!(
        s["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "interrupt"),
        "{s}"
    );
}

#[test]
fn a_replay_divergence_is_in_the_session_page_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, line) = diverging_rollout(tmp.path());
    let s = page_data(&report(&[&path], &tmp.path().join("d.html")))["session"].clone();
    assert_eq!(s["divergence"]["line"], line, "{s}");
    assert_eq!(s["divergence"]["expected"]["call_id"], "call_b", "{s}");

    let rows = rcodex_tests::batch_results(&bundled().out);
    let row = rcodex_tests::result_row(&rows, "tools/parallel_calls");
    let clean = std::path::PathBuf::from(row["rollout"].as_str().unwrap());
    let s = page_data(&report(&[&clean], &tmp.path().join("c.html")))["session"].clone();
    assert!(s.get("divergence").is_none(), "{s}");
    assert!(s.get("replay_error").is_none(), "{s}");
}

#[test]
fn a_comparison_lists_regressions_first_with_deltas() {
    let runs = two_runs();
    let tmp = tempfile::tempdir().unwrap();
    let data = page_data(&report(&[&runs.a, &runs.b], &tmp.path().join("c.html")));
    assert_eq!(data["kind"], "compare");
    let c = &data["compare"];
    assert_eq!(
        (c["regressed"].clone(), c["fixed"].clone()),
        (1.into(), 1.into())
    );
    let order: Vec<(&str, &str)> = c["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("tools/breaks", "regressed"),
            ("healed", "fixed"),
            ("steady", "unchanged")
        ]
    );
    assert_eq!(c["scenarios"][0]["delta"]["tokens"], 200);
}

#[test]
fn unreadable_paths_are_named_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r.html");
    let missing = tmp.path().join("missing");
    let not_rollout = tmp.path().join("notes.jsonl");
    std::fs::write(&not_rollout, "{\"a\":1}\nnot json\n{\"b\":2}\n").unwrap();
    let empty_dir = tmp.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    for (path, want) in [
        (
            &missing,
            format!("{}: no such file or folder", missing.display()),
        ),
        (&not_rollout, format!("{}:", not_rollout.display())),
        (
            &empty_dir,
            format!("{}: no results.jsonl here", empty_dir.display()),
        ),
    ] {
        let o = rcodex(&[
            "report",
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with(&format!("error: {want}")), "{err}");
        assert!(!out.exists());
    }
    let o = rcodex(&["report", "a", "b", "c", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn a_session_page_holds_its_sub_agents_from_their_own_rollouts() {
    let tmp = tempfile::tempdir().unwrap();
    let (parent, child) = session_with_sub_agent(tmp.path());
    let out = tempfile::tempdir().unwrap();
    let s = page_data(&report(&[&parent], &out.path().join("p.html")))["session"].clone();
    let subs = s["sub_agents"].as_array().expect("sub_agents");
    assert_eq!(
        subs.len(),
        1,
        "only the child, not the unrelated session: {s}"
    );
    assert_eq!(subs[0]["summary"]["thread_id"], child.as_str());
    assert!(subs[0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "interrupt"));
    // Reported on its own, the child has no sub-agents.
    let c = page_data(&report(
        &[&tmp.path().join("rollout-child.jsonl")],
        &out.path().join("c.html"),
    ))["session"]
        .clone();
    assert!(c.get("sub_agents").is_none(), "{c}");
}
