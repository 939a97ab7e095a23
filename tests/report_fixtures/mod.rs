//! What the report tests (`report.rs`, `report_browser.rs`) render: a batch run of the bundled
//! scenarios, two small runs with a planted regression, and a rollout tampered to diverge, all
//! made once per test process with the real binary against the scripted model.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

pub fn rcodex(args: &[&str]) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex")
}

pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `rcodex report PATHS -o OUT` and returns the page.
pub fn report(paths: &[&Path], out: &Path) -> String {
    let mut args = vec!["report".to_string()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    args.extend(["-o".to_string(), out.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = rcodex(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    std::fs::read_to_string(out).expect("read the report")
}

/// The JSON a page embeds in `#report-data`.
pub fn page_data(html: &str) -> Value {
    let open = "<script type=\"application/json\" id=\"report-data\">";
    let start = html.find(open).expect("no report-data script") + open.len();
    let end = start
        + html[start..]
            .find("</script>")
            .expect("unclosed data script");
    serde_json::from_str(&html[start..end]).expect("the embedded data is JSON")
}

/// The bundled scenarios run once with `--report`.
pub struct Bundled {
    _dir: tempfile::TempDir,
    pub out: PathBuf,
    /// The batch's stdout.
    pub stdout: String,
}

pub fn bundled() -> &'static Bundled {
    static RUN: OnceLock<Bundled> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let scenarios = repo().join("scenarios");
        let o = rcodex(&[
            "batch",
            scenarios.to_str().unwrap(),
            "-j",
            "2",
            "--out",
            out.to_str().unwrap(),
            "--report",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        Bundled {
            _dir: dir,
            out,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        }
    })
}

/// The ids in `out/results.jsonl`, sorted.
pub fn result_ids(out: &Path) -> Vec<String> {
    let mut ids: Vec<String> = rcodex_tests::batch_results(out)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// A scenario whose scripted model says `says` and which expects `expects`.
pub fn scenario(dir: &Path, id: &str, says: &str, expects: &str, tokens: u64) {
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

/// Two runs: `steady` passes in both, `tools/breaks` regresses, `healed` is fixed.
pub struct TwoRuns {
    _dir: tempfile::TempDir,
    pub a: PathBuf,
    pub b: PathBuf,
}

pub fn two_runs() -> &'static TwoRuns {
    static RUNS: OnceLock<TwoRuns> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (before, after) = (dir.path().join("before"), dir.path().join("after"));
        for d in [&before, &after] {
            scenario(d, "steady", "hi", "hi", 100);
        }
        scenario(&before, "tools/breaks", "ok", "ok", 100);
        scenario(&after, "tools/breaks", "oops", "ok", 300);
        scenario(&before, "healed", "bad", "good", 100);
        scenario(&after, "healed", "good", "good", 100);
        let (a, b) = (dir.path().join("run-a"), dir.path().join("run-b"));
        for (src, out) in [(&before, &a), (&after, &b)] {
            // Failed runs keep their workspace in $TMPDIR: the test's folder takes them.
            let o = Command::new(rcodex_tests::rcodex_bin())
                .args([
                    "batch",
                    src.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                ])
                .env("TMPDIR", dir.path())
                .stdin(Stdio::null())
                .output()
                .expect("run rcodex batch");
            assert_eq!(o.status.code(), Some(1), "one scenario fails: {}", text(&o));
        }
        TwoRuns { _dir: dir, a, b }
    })
}

/// The bundled `tools/parallel_calls` rollout with its two outputs swapped (the machine puts
/// outputs into history in call order, so replay diverges at the first swapped line), and
/// that line's number.
pub fn diverging_rollout(dir: &Path) -> (PathBuf, usize) {
    let rows = rcodex_tests::batch_results(&bundled().out);
    let row = rcodex_tests::result_row(&rows, "tools/parallel_calls");
    let text = std::fs::read_to_string(row["rollout"].as_str().unwrap()).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let outputs: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("\"type\":\"function_call_output\""))
        .collect();
    assert_eq!(outputs.len(), 2, "{text}");
    lines.swap(outputs[0], outputs[1]);
    let path = dir.join("rollout-swapped.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    (path, outputs[0] + 1)
}

/// A Codex session with a sub-agent, as Codex leaves them: in `dir`, the parent's rollout, the
/// child's (its `session_meta` naming the parent as a spawned thread's does) and an unrelated
/// session. Returns the parent's path and the child's thread id.
pub fn session_with_sub_agent(dir: &Path) -> (PathBuf, String) {
    let fixtures = repo().join("tests/fixtures/rollouts");
    let parent = dir.join("rollout-parent.jsonl");
    std::fs::copy(fixtures.join("codex-0.169.0-shell-resumed.jsonl"), &parent).unwrap();
    std::fs::copy(
        fixtures.join("codex-0.150.0-failed.jsonl"),
        dir.join("rollout-unrelated.jsonl"),
    )
    .unwrap();
    let first_line = |path: &Path| -> Value {
        let text = std::fs::read_to_string(path).unwrap();
        serde_json::from_str(text.lines().next().unwrap()).unwrap()
    };
    let parent_id = first_line(&parent)["payload"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let child_src = fixtures.join("codex-0.169.0-aborted-command.jsonl");
    let text = std::fs::read_to_string(&child_src).unwrap();
    let mut meta = first_line(&child_src);
    let child_id = meta["payload"]["id"].as_str().unwrap().to_string();
    assert_ne!(child_id, parent_id);
    let payload = meta["payload"].as_object_mut().unwrap();
    payload.insert("parent_thread_id".into(), parent_id.clone().into());
    payload.insert(
        "source".into(),
        serde_json::json!({"subagent": {"thread_spawn": {
            "parent_thread_id": parent_id, "depth": 1, "agent_path": null,
            "agent_nickname": "Ada", "agent_role": null}}}),
    );
    payload.insert("thread_source".into(), "subagent".into());
    let rest: Vec<&str> = text.lines().skip(1).collect();
    std::fs::write(
        dir.join("rollout-child.jsonl"),
        format!("{}\n{}\n", meta, rest.join("\n")),
    )
    .unwrap();
    (parent, child_id)
}
