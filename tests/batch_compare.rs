//! `rcodex batch compare` through the real binary: two scripted runs with a planted regression
//! (exit 1, the markdown names it, `--json` parses and agrees), new and missing scenarios,
//! pass@k of `--repeat 3` runs, and unreadable input (a missing folder, a torn results file)
//! named with exit 2.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn rcodex(args: &[&str]) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex")
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A scenario whose scripted model says `says` and which expects `expects`.
fn scenario(dir: &Path, id: &str, says: &str, expects: &str, tokens: u64) {
    let path = dir.join(format!("{id}.toml"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        format!(
            "name = \"{id}\"\nprompt = \"Say something.\"\n[[model.reply]]\nmessage = \"{says}\"\nusage = {{ input_tokens = {tokens}, output_tokens = 5 }}\n[expect]\nfinal_message = \"{expects}\"\n"
        ),
    )
    .unwrap();
}

/// Runs the scenarios under `dir` into `out` and returns the batch's exit code.
fn batch(dir: &Path, out: &Path, extra: &[&str]) -> i32 {
    let mut args = vec![
        "batch",
        dir.to_str().unwrap(),
        "-j",
        "2",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = rcodex(&args);
    o.status.code().unwrap_or(-1)
}

fn compare(a: &Path, b: &Path, json: bool) -> Output {
    let mut args = vec!["batch", "compare", a.to_str().unwrap(), b.to_str().unwrap()];
    if json {
        args.push("--json");
    }
    rcodex(&args)
}

#[test]
fn a_planted_regression_fails_the_compare_and_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    for dir in [&before, &after] {
        scenario(dir, "steady/same", "hi", "hi", 100);
    }
    scenario(&before, "tools/breaks", "ok", "ok", 100);
    scenario(&after, "tools/breaks", "oops", "ok", 300);
    scenario(&before, "old_only", "x", "x", 100);
    scenario(&after, "new_only", "y", "y", 100);
    scenario(&before, "healed", "bad", "good", 100);
    scenario(&after, "healed", "good", "good", 100);
    let (run_a, run_b) = (tmp.path().join("run-a"), tmp.path().join("run-b"));
    assert_eq!(batch(&before, &run_a, &[]), 1, "healed fails in A");
    assert_eq!(batch(&after, &run_b, &[]), 1, "breaks fails in B");

    let o = compare(&run_a, &run_b, false);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let md = String::from_utf8(o.stdout.clone()).unwrap();
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(
        lines[0], "### rcodex batch compare: **regressions**",
        "{md}"
    );
    assert!(
        lines[2].starts_with("1 regressed, 1 fixed, 1 new, 1 missing, 1 unchanged"),
        "{md}"
    );
    // The changed scenarios, regressions first; the unchanged one is not listed.
    let rows: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("| ") && l.contains('`'))
        .collect();
    assert_eq!(rows.len(), 4, "{md}");
    assert!(
        rows[0].starts_with("| **regressed** | `tools/breaks` | pass | fail | +200 |"),
        "{md}"
    );
    assert!(
        rows[1].starts_with("| fixed | `healed` | fail | pass | 0 |"),
        "{md}"
    );
    assert!(
        rows[2].starts_with("| new | `new_only` | — | pass |"),
        "{md}"
    );
    assert!(
        rows[3].starts_with("| missing | `old_only` | pass | — |"),
        "{md}"
    );
    assert!(!md.contains("`steady/same`"), "{md}");
    assert!(md.contains("| scenarios passed | 3/4 | 3/4 | 0 |"), "{md}");
    assert!(md.contains("| input tokens | 400 | 600 | +200 |"), "{md}");

    let o = compare(&run_a, &run_b, true);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("--json is JSON");
    assert_eq!(v["regressed"], 1);
    assert_eq!(v["new"], 1);
    assert_eq!(v["missing"], 1);
    assert_eq!(v["fixed"], 1);
    assert_eq!(v["scenarios"][0]["id"], "tools/breaks");
    assert_eq!(v["scenarios"][0]["change"], "regressed");
    assert_eq!(v["scenarios"][0]["delta"]["tokens"], 200);
    assert_eq!(v["scenarios"][0]["b"]["status"], "fail");
    assert_eq!(v["totals_b"]["input_tokens"], 600);

    // The other way round, the fix is the regression and the regression a fix.
    let o = compare(&run_b, &run_a, true);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["scenarios"][0]["id"], "healed");
    assert_eq!(v["scenarios"][0]["change"], "regressed");
    assert_eq!(v["scenarios"][1]["id"], "tools/breaks");
    assert_eq!(v["scenarios"][1]["change"], "fixed");
    // A run against itself: nothing changed.
    let o = compare(&run_a, &run_a, true);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["unchanged"], 4);
}

#[test]
fn repeated_runs_report_pass_at_k() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    scenario(&dir, "a", "hi", "hi", 10);
    scenario(&dir, "b", "no", "hi", 10);
    let (run_a, run_b) = (tmp.path().join("run-a"), tmp.path().join("run-b"));
    assert_eq!(batch(&dir, &run_a, &["--repeat", "3"]), 1);
    assert_eq!(batch(&dir, &run_b, &["--repeat", "3"]), 1);
    // Plant a flaky failure: one of a's three runs in B fails.
    let results = run_b.join("results.jsonl");
    let mut lines: Vec<Value> =
        rcodex_tests::json_lines(&std::fs::read_to_string(&results).unwrap());
    let one = lines
        .iter_mut()
        .find(|l| l["id"] == "a" && l["repeat"] == 1)
        .unwrap();
    one["status"] = "fail".into();
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&results, body).unwrap();

    let o = compare(&run_a, &run_b, false);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let md = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        md.contains("| **regressed** | `a` | pass (3/3) | fail (2/3) |"),
        "{md}"
    );
    assert!(md.contains("| runs passed | 3/6 | 2/6 | -1 |"), "{md}");
    // pass@1 = mean(3/3, 0/3) = 50% before, mean(2/3, 0/3) = 33.3% after; pass@3 = any pass.
    assert!(md.contains("| pass@1 | 50.0% | 33.3% | -16.7 pp |"), "{md}");
    assert!(md.contains("| pass@3 | 50.0% | 50.0% | +0.0 pp |"), "{md}");
    let v: Value = serde_json::from_slice(&compare(&run_a, &run_b, true).stdout).unwrap();
    assert_eq!(v["k"], 3);
    assert_eq!(v["scenarios"][0]["b"]["passes"], 2);
    assert_eq!(v["scenarios"][0]["b"]["pass_at_k"], 1.0);
}

#[test]
fn unreadable_runs_are_named_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    scenario(&dir, "a", "hi", "hi", 10);
    let run = tmp.path().join("run");
    assert_eq!(batch(&dir, &run, &[]), 0);

    let gone = tmp.path().join("no-such-run");
    let o = compare(&run, &gone, false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no-such-run: no such run folder"), "{err}");
    assert!(o.stdout.is_empty());

    let torn = tmp.path().join("torn");
    std::fs::create_dir_all(&torn).unwrap();
    let whole = std::fs::read_to_string(run.join("results.jsonl")).unwrap();
    std::fs::write(
        torn.join("results.jsonl"),
        format!("{whole}{{\"id\":\"b\",\"st"),
    )
    .unwrap();
    let o = compare(&run, &torn, false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("torn/results.jsonl:2: torn line"), "{err}");

    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = compare(&empty, &run, false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty/results.jsonl: "));
}
