//! `rcodex replay` through the real binary, on rollouts that `rcodex batch` and `rcodex exec`
//! write against the scripted model: `--summary` (text and `--json`) shows the turns, tools and
//! tokens the scenarios scripted; folders are walked in order; unreadable files exit 2 naming
//! file:line; a torn last line is a counted warning; `--request` and verify check the machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::{json, Value};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(cmd: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .arg(cmd)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run rcodex {cmd}: {e}"))
}

/// Asserts the exit status, showing what the command printed when it differs.
fn exits(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

fn replay(args: &[&str]) -> Output {
    run("replay", args, &[])
}

/// `rcodex batch --out OUT PATHS...`, which must pass; returns `id -> rollout path`.
fn batch(paths: &[&Path], out: &Path) -> Vec<(String, PathBuf)> {
    let mut args: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(["-j", "2", "--out", out.to_str().unwrap()]);
    let o = run("batch", &args, &[]);
    exits(&o, 0);
    let results = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let mut rollouts = Vec::new();
    for l in rcodex_tests::json_lines(&results) {
        let id = l["id"].as_str().unwrap().to_string();
        let rollout = PathBuf::from(l["rollout"].as_str().unwrap());
        // A run's sub-agents write their own rollouts beside the run's.
        for agent in l["agents"].as_array().into_iter().flatten() {
            let suffix = format!("-{}.jsonl", agent["thread_id"].as_str().unwrap());
            let beside = rcodex_tests::files_under(rollout.parent().unwrap())
                .into_iter()
                .find(|p| p.to_string_lossy().ends_with(&suffix))
                .unwrap_or_else(|| panic!("no rollout for agent {agent} of {id}"));
            rollouts.push((format!("{id}/{}", agent["nickname"]), beside));
        }
        rollouts.push((id, rollout));
    }
    rollouts
}

/// The bundled scenarios run once per test process; tests only read what it wrote.
struct Bundled {
    _dir: tempfile::TempDir,
    out: PathBuf,
    rollouts: Vec<(String, PathBuf)>,
}

fn bundled() -> &'static Bundled {
    static RUN: OnceLock<Bundled> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("batch");
        let rollouts = batch(&[&repo().join("scenarios")], &out);
        assert!(rollouts.len() >= 15, "{rollouts:?}");
        Bundled {
            _dir: dir,
            out,
            rollouts,
        }
    })
}

/// Every rollout the bundled batch wrote: one per run (results.jsonl names them) and one per
/// sub-agent a run spawned (beside its parent's, one turn each).
fn every_rollout_file(b: &Bundled) -> Vec<String> {
    let mut files: Vec<String> = rcodex_tests::files_under(&b.out.join("rollouts"))
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    files.sort();
    assert!(files.len() >= b.rollouts.len(), "{files:?}");
    files
}

fn bundled_rollout(id: &str) -> &'static Path {
    &bundled()
        .rollouts
        .iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("no rollout for {id}"))
        .1
}

/// A copy of a bundled rollout in `dir`, as `rollout-<name>.jsonl`.
fn copy_rollout(id: &str, dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(format!("rollout-{name}.jsonl"));
    std::fs::copy(bundled_rollout(id), &to).unwrap();
    to
}

const TOOLS_AND_USAGE: &str = r#"
name = "two turns with tools and scripted usage"
turns = ["List the files.", "Now patch a.txt."]

[workspace.files]
"a.txt" = "one\n"

[[model.reply]]
function_call = { name = "exec_command", arguments = { cmd = "ls", login = false }, call_id = "call_ls" }
usage = { input_tokens = 1200, cached_tokens = 300, output_tokens = 45 }
[[model.reply]]
message = "One file."
usage = { input_tokens = 1500, cached_tokens = 1200, output_tokens = 7 }
[[model.reply]]
custom_tool_call = { name = "apply_patch", input = "*** Begin Patch\n*** Update File: a.txt\n@@\n-one\n+uno\n*** End Patch" }
usage = { input_tokens = 2000, cached_tokens = 1500, output_tokens = 30 }
[[model.reply]]
message = "Patched."
usage = { input_tokens = 2100, cached_tokens = 2000, output_tokens = 4 }

[expect]
final_message = "Patched."
requests = 4
files = { "a.txt" = "uno\n" }
"#;

#[test]
fn summary_shows_the_turns_tools_and_tokens_the_scenario_scripted() {
    let tmp = tempfile::tempdir().unwrap();
    let scenarios = tmp.path().join("scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join("tools_and_usage.toml"), TOOLS_AND_USAGE).unwrap();
    let rollouts = batch(&[&scenarios], &tmp.path().join("out"));
    let rollout = rollouts[0].1.to_str().unwrap();

    let o = replay(&["--summary", rollout]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.starts_with(&format!("{rollout} (rcodex_exec ")),
        "{out}"
    );
    assert!(out.contains(", 2 turns)\n"), "{out}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .filter(|l| l.starts_with(' ') && !l.trim_start().starts_with("tool "))
        .map(|l| l.split_whitespace().collect())
        .collect();
    // turn, id, reqs, retries, in, cached, out, ttft, ms, outcome
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(
        (rows[0][2], rows[0][3], rows[0][4], rows[0][5], rows[0][6]),
        ("2", "0", "2700", "1500", "52")
    );
    assert_eq!(
        (rows[1][2], rows[1][4], rows[1][5], rows[1][6]),
        ("2", "4100", "3500", "34")
    );
    assert_eq!(rows[0][9], "completed");
    let tool_lines: Vec<&str> = out.lines().filter(|l| l.contains(" tool ")).collect();
    assert_eq!(tool_lines.len(), 2, "{out}");
    assert!(
        tool_lines[0].starts_with("      tool exec_command call_ls completed exit 0 "),
        "{out}"
    );
    assert!(
        tool_lines[1].starts_with("      tool apply_patch ")
            && tool_lines[1].contains(" completed "),
        "{out}"
    );
    assert!(
        text(&o.stdout)
            .lines()
            .last()
            .unwrap()
            .starts_with("1 file: 2 turns, 4 requests, 0 unreadable, 0 warnings; "),
        "{out}"
    );

    let o = replay(&["--summary", "--json", rollout]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lines = rcodex_tests::json_lines(&text(&o.stdout));
    assert_eq!(lines.len(), 1, "one object per file");
    let s = &lines[0];
    assert_eq!(s["status"], "summary");
    assert_eq!(s["path"], rollout);
    assert_eq!(s["writer"]["originator"], "rcodex_exec");
    assert_eq!(s["warnings"], json!([]));
    let turns = s["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[0]["turn"], 1);
    assert_eq!(
        turns[0]["tokens"],
        json!({"input": 2700, "cached": 1500, "output": 52})
    );
    assert_eq!(
        turns[1]["tokens"],
        json!({"input": 4100, "cached": 3500, "output": 34})
    );
    let call = &turns[0]["tool_calls"][0];
    assert_eq!(call["name"], "exec_command");
    assert_eq!(call["call_id"], "call_ls");
    assert_eq!(call["status"], "completed");
    assert_eq!(call["exit_code"], 0);
    assert!(call["duration_ms"].is_u64(), "{call}");
    assert_eq!(turns[1]["tool_calls"][0]["name"], "apply_patch");
    assert_eq!(turns[1]["outcome"], json!({"status": "completed"}));
    assert!(turns[1]["duration_ms"].is_u64());
    assert_ne!(turns[0]["turn_id"], turns[1]["turn_id"]);
    assert_eq!(s["thread_id"].as_str().unwrap().len(), 36);
}

#[test]
fn summary_tells_a_failed_turn_and_a_retried_stream() {
    let failed = bundled_rollout("faults/context_length").to_str().unwrap();
    let cut = bundled_rollout("faults/cut_stream").to_str().unwrap();
    let o = replay(&["--summary", "--json", failed, cut]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lines = rcodex_tests::json_lines(&text(&o.stdout));
    assert_eq!(lines.len(), 2);
    let failed_turn = &lines[0]["turns"][0];
    assert_eq!(failed_turn["outcome"]["status"], "failed");
    assert!(failed_turn["outcome"]["message"]
        .as_str()
        .unwrap()
        .contains("ran out of room in the model's context window"));
    assert_eq!(failed_turn["requests"], 1);
    let cut_turn = &lines[1]["turns"][0];
    assert_eq!(
        (cut_turn["requests"].clone(), cut_turn["retries"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(cut_turn["outcome"]["status"], "completed");
}

#[test]
fn a_folder_is_walked_in_path_order_with_the_same_report_on_one_or_two_threads() {
    let b = bundled();
    let dir = b.out.to_str().unwrap();
    let one = run(
        "replay",
        &["--summary", "--json", dir],
        &[("RAYON_NUM_THREADS", "1")],
    );
    let two = run(
        "replay",
        &["--summary", "--json", dir],
        &[("RAYON_NUM_THREADS", "2")],
    );
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    assert_eq!(two.status.code(), Some(0), "{}", text(&two.stderr));
    assert_eq!(text(&one.stdout), text(&two.stdout), "deterministic order");
    let lines = rcodex_tests::json_lines(&text(&one.stdout));
    let paths: Vec<&str> = lines.iter().map(|l| l["path"].as_str().unwrap()).collect();
    let mut want = every_rollout_file(b);
    want.sort();
    assert_eq!(
        paths, want,
        "every rollout once, sorted; results.jsonl is not one"
    );
    assert!(lines.iter().all(|l| l["status"] == "summary"));
    let turns: usize = lines
        .iter()
        .map(|l| l["turns"].as_array().unwrap().len())
        .sum();
    // conversation/two_turns, conversation/auto_compact and tools/web_search_passthrough have
    // two turns; every other one.
    assert_eq!(turns, want.len() + 3);
    let totals = text(&one.stderr);
    assert!(
        totals.starts_with(&format!("{} files: {} turns, ", want.len(), turns)),
        "{totals}"
    );
    assert!(totals.contains(" MB/s"), "{totals}");
}

#[test]
fn unreadable_input_exits_2_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let good = copy_rollout("tools/shell_then_answer", tmp.path(), "good");
    let bad = tmp.path().join("rollout-bad.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&good)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2] = "{\"timestamp\": 3".into();
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let missing = tmp.path().join("rollout-missing.jsonl");
    let results = bundled().out.join("results.jsonl");

    for (path, want) in [
        (&bad, format!("error: {}:3: ", bad.display())),
        (&missing, format!("error: {}: ", missing.display())),
        (
            &results,
            format!(
                "error: {}:1: session meta: missing field `timestamp`",
                results.display()
            ),
        ),
    ] {
        let o = replay(&["--summary", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", path.display());
        let err = text(&o.stderr);
        assert!(err.starts_with(&want), "want {want:?}, got {err:?}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }

    // Good files are still reported; the worst file sets the exit status.
    let o = replay(&[
        "--summary",
        "--json",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let reports = rcodex_tests::json_lines(&text(&o.stdout));
    assert_eq!(reports[0]["status"], "summary");
    assert_eq!(reports[1]["status"], "error");
    assert!(reports[1]["error"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}:3: ", bad.display())));
    assert!(
        text(&o.stderr).contains(" 1 unreadable, "),
        "{}",
        text(&o.stderr)
    );

    // A folder with no rollout in it is unreadable input too.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = replay(&["--summary", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no rollout files"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_torn_last_line_is_skipped_and_counted_as_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let torn = copy_rollout("tools/shell_then_answer", tmp.path(), "torn");
    let whole_lines = std::fs::read_to_string(&torn).unwrap().lines().count();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&torn)
        .unwrap();
    std::io::Write::write_all(
        &mut file,
        b"{\"timestamp\":\"2026-12-02T00:00:00Z\",\"type\":\"ev",
    )
    .unwrap();
    drop(file);

    let o = replay(&["--summary", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!(
            "warning: {}:{}: skipped a torn last line",
            torn.display(),
            whole_lines + 1
        )),
        "{err}"
    );
    assert!(
        text(&o.stdout).contains("1 file: 1 turn, 2 requests, 0 unreadable, 1 warning; "),
        "{}",
        text(&o.stdout)
    );
    let o = replay(&["--summary", "--json", torn.to_str().unwrap()]);
    let report = &rcodex_tests::json_lines(&text(&o.stdout))[0];
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1);
    assert_eq!(report["turns"][0]["outcome"]["status"], "completed");
}

#[test]
fn request_takes_exactly_one_file() {
    let o = replay(&["--request", "1", bundled().out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .starts_with("error: --request takes one rollout file; the paths given hold "),
        "{}",
        text(&o.stderr)
    );
    let o = replay(&[
        "--pretty",
        bundled_rollout("tools/shell_then_answer").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "--pretty needs --request");
}

/// A body as the session sent it, with the one value a rollout does not record (the
/// installation id) replaced by the placeholder a rebuilt request carries.
fn as_rebuilt(sent: &Value) -> String {
    let installation = sent["client_metadata"]["x-codex-installation-id"]
        .as_str()
        .expect("an installation id");
    serde_json::to_string(sent)
        .unwrap()
        .replace(installation, "00000000-0000-0000-0000-000000000000")
}

#[test]
fn request_n_prints_the_body_the_session_sent_and_names_the_count_when_out_of_range() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let script = serde_json::from_value::<rcodex_runner::mock::Script>(json!({"replies": [
        {"function_call": {"name": "exec_command", "arguments": {"cmd": "echo hi", "login": false}}},
        {"message": "It said hi."}
    ]}))
    .unwrap();
    let srv = rt
        .block_on(rcodex_runner::mock::MockServer::start(script))
        .unwrap();
    let home = rcodex_tests::TestHome::with_mock(&srv.base_url());
    let o = home.exec(
        &[
            "--skip-git-repo-check",
            "-s",
            "danger-full-access",
            "say hi",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let sent = srv.requests();
    assert_eq!(sent.len(), 2);
    let rollout = home.rollouts()[0].clone();
    let rollout = rollout.to_str().unwrap();

    for (n, request) in sent.iter().enumerate() {
        let o = replay(&["--request", &(n + 1).to_string(), rollout]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let body: Value = serde_json::from_str(text(&o.stdout).trim_end()).unwrap();
        // Same keys in the same order, same values.
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            as_rebuilt(&request.body)
        );
    }
    let o = replay(&["--request", "2", "--pretty", rollout]);
    assert!(
        text(&o.stdout).starts_with("{\n  \""),
        "{}",
        text(&o.stdout)
    );

    let o = replay(&["--request", "3", rollout]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        format!(
            "error: {rollout}: --request 3 is out of range: the session sent 2 requests (1 to 2)\n"
        )
    );
    let o = replay(&["--request", "2", "--json", rollout]);
    let report = &rcodex_tests::json_lines(&text(&o.stdout))[0];
    assert_eq!(
        (report["status"].clone(), report["request"].clone()),
        (json!("request"), json!(2))
    );
    assert_eq!(
        serde_json::to_string(&report["body"]).unwrap(),
        as_rebuilt(&sent[1].body)
    );
}

#[test]
fn every_bundled_scenario_replays_with_no_divergence() {
    let b = bundled();
    let o = replay(&[b.out.to_str().unwrap()]);
    exits(&o, 0);
    let out = text(&o.stdout);
    let files = every_rollout_file(b).len();
    let ok = out.lines().filter(|l| l.contains(": ok (")).count();
    assert_eq!(ok, files, "{out}");
    assert!(
        out.contains(&format!("{} files: {} turns, ", files, files + 3)),
        "{out}"
    );
    assert!(out.contains(" 0 divergences, 0 unreadable, "), "{out}");
}

/// Runs verify on `path`, which must diverge: returns the report and the first line of text.
fn diverges(path: &Path) -> (Value, String) {
    let o = replay(&[path.to_str().unwrap()]);
    exits(&o, 1);
    let out = text(&o.stdout);
    assert!(out.contains(" 1 divergence, "), "{out}");
    let first = out.lines().next().unwrap().to_string();
    let o = replay(&["--json", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let report = rcodex_tests::json_lines(&text(&o.stdout)).remove(0);
    assert_eq!(report["status"], "divergence");
    let d = &report["divergence"];
    let pointer = d["pointer"].as_str().unwrap();
    assert_eq!(
        first,
        format!(
            "{}:{}: request {}{}{}: {}",
            path.display(),
            d["line"],
            d["request"],
            d["item"]
                .as_u64()
                .map(|i| format!(", item {i}"))
                .unwrap_or_default(),
            if pointer.is_empty() {
                String::new()
            } else {
                format!(", at {pointer}")
            },
            d["what"].as_str().unwrap()
        )
    );
    assert!(d["line"].as_u64().unwrap() >= 1, "{report}");
    if d["expected"] != d["actual"] {
        assert!(
            out.contains("\n    --- recorded\n    +++ replayed\n"),
            "{out}"
        );
    }
    (report, out)
}

#[test]
fn tampered_rollouts_diverge_with_line_pointer_and_diff() {
    let tmp = tempfile::tempdir().unwrap();

    // Parallel outputs swapped: the machine puts them into history in call order.
    let parallel = std::fs::read_to_string(bundled_rollout("tools/parallel_calls")).unwrap();
    let lines: Vec<&str> = parallel.lines().collect();
    let outputs: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("\"type\":\"function_call_output\""))
        .collect();
    assert_eq!(outputs.len(), 2, "{parallel}");
    let mut swapped = lines.clone();
    swapped.swap(outputs[0], outputs[1]);
    let reordered = tmp.path().join("rollout-reordered.jsonl");
    std::fs::write(&reordered, swapped.join("\n") + "\n").unwrap();
    let (report, out) = diverges(&reordered);
    let d = &report["divergence"];
    assert_eq!(d["line"], outputs[0] + 1, "{out}");
    assert_eq!(d["expected"]["call_id"], "call_b", "{out}");
    assert_eq!(d["actual"]["call_id"], "call_a", "{out}");
    assert!(out.contains("    -  \"call_id\": \"call_b\",\n"), "{out}");
    assert!(out.contains("    +  \"call_id\": \"call_a\",\n"), "{out}");

    // The tool output line removed: the call is never answered.
    let shell = std::fs::read_to_string(bundled_rollout("tools/shell_then_answer")).unwrap();
    let kept: Vec<&str> = shell
        .lines()
        .filter(|l| !l.contains("\"type\":\"function_call_output\""))
        .collect();
    assert_eq!(kept.len() + 1, shell.lines().count());
    let removed = tmp.path().join("rollout-removed.jsonl");
    std::fs::write(&removed, kept.join("\n") + "\n").unwrap();
    let (report, out) = diverges(&removed);
    assert!(
        report["divergence"]["what"]
            .as_str()
            .unwrap()
            .contains("call_1_0"),
        "{out}"
    );

    // The command's output edited: it no longer is the command result the rollout recorded.
    let at = shell
        .lines()
        .position(|l| l.contains("\"type\":\"function_call_output\""))
        .unwrap();
    let mut edited: Vec<String> = shell.lines().map(String::from).collect();
    assert!(
        edited[at].contains("Process exited with code 0"),
        "{}",
        edited[at]
    );
    edited[at] = edited[at].replace("Output:\\n", "Output:\\nsomething else\\n");
    let changed = tmp.path().join("rollout-changed.jsonl");
    std::fs::write(&changed, edited.join("\n") + "\n").unwrap();
    let (report, out) = diverges(&changed);
    let d = &report["divergence"];
    assert_eq!(d["line"], at + 1, "{out}");
    assert_eq!(d["pointer"], "/output", "{out}");
    assert!(
        d["what"].as_str().unwrap().contains("command result"),
        "{out}"
    );
}

#[test]
fn a_codex_rollout_is_summarised_and_verified() {
    let codex = repo().join("core/tests/fixtures/upstream/exec-shell-rollout.jsonl");
    let codex = codex.to_str().unwrap();
    let o = replay(&["--summary", "--json", codex]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let s = &rcodex_tests::json_lines(&text(&o.stdout))[0];
    assert_eq!(
        s["writer"],
        json!({"originator": "codex_exec", "cli_version": "0.169.0"})
    );
    let turns = s["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1);
    let t = &turns[0];
    assert_eq!(
        (t["requests"].clone(), t["retries"].clone()),
        (json!(2), json!(0))
    );
    assert_eq!(
        t["tokens"],
        json!({"input": 200, "cached": 0, "output": 20})
    );
    assert_eq!(
        (
            t["time_to_first_token_ms"].clone(),
            t["duration_ms"].clone()
        ),
        (json!(114), json!(366))
    );
    let call = &t["tool_calls"][0];
    assert_eq!(
        (
            &call["name"],
            &call["call_id"],
            &call["status"],
            &call["exit_code"]
        ),
        (
            &json!("exec_command"),
            &json!("call_shell_1"),
            &json!("completed"),
            &json!(0)
        )
    );

    let o = replay(&[codex]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).starts_with(&format!("{codex}: ok (1 turn, 2 requests)\n")),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn diff_finds_two_runs_alike_and_names_where_an_edited_one_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios/tools/shell_then_answer.toml");
    let run_once = |name: &str| batch(&[&scenario], &tmp.path().join(name))[0].1.clone();
    let (a, b) = (run_once("a"), run_once("b"));
    let (a_str, b_str) = (a.to_str().unwrap(), b.to_str().unwrap());

    let o = replay(&["diff", a_str, b_str]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(
        text(&o.stdout).contains("same: 1 turn agrees"),
        "{}",
        text(&o.stdout)
    );

    // B's model asks for another command: the sessions part at that call's arguments.
    let lines: Vec<String> = std::fs::read_to_string(&b)
        .unwrap()
        .lines()
        .map(|l| {
            if l.contains("\"type\":\"function_call\"") {
                l.replace("\\\"ls\\\"", "\\\"ls -la\\\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    let call_line = lines
        .iter()
        .position(|l| l.contains("ls -la"))
        .expect("the edited call")
        + 1;
    let edited = tmp.path().join("edited.jsonl");
    std::fs::write(&edited, lines.join("\n") + "\n").unwrap();
    let o = replay(&["diff", "--json", a_str, edited.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let report: Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    let d = &report["divergence"];
    assert_eq!(d["pointer"], "/arguments", "{report}");
    assert_eq!(d["line_b"], call_line, "{report}");
    assert_eq!(
        (d["turn"].clone(), d["request"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        report["turns"][0]["a"]["tool_calls"],
        json!(["exec_command"])
    );

    let o = replay(&[
        "diff",
        a_str,
        tmp.path().join("missing.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("missing.jsonl"),
        "{}",
        text(&o.stderr)
    );
}
