//! The README's live evaluation, end to end through the real binary: a git repository whose unit
//! test fails, a scenario that clones it at a revision, prepares it, lets the model work and runs
//! the test as its grader; a provider configured in CODEX_HOME (the scripted server stands in for
//! the live model), a price table and a cost budget; then a second run where the model no longer
//! fixes the bug, and `rcodex batch compare` of the two runs that names the regression.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::git_fixture::fixture_repo;
use serde_json::{json, Value};

/// The scenario as a user writes it for a live run: no scripted replies.
fn scenario(repo: &Path, rev: &str) -> String {
    format!(
        r#"name = "fix add"
prompt = "The unit test in test_calc.py fails. Fix calc.py."
setup = ["python3 -m unittest test_calc 2>/dev/null && exit 1 || true"]

[workspace]
git = {{ repo = "{}", rev = "{rev}" }}

[[expect.command]]
run = "python3 -m unittest -v test_calc 2>&1"
stdout_contains = "OK"
timeout_s = 60
"#,
        repo.display()
    )
}

/// What the "live" model answers: the fixing patch then a message, or only the message.
fn replies(fix: bool) -> Value {
    let patch = "*** Begin Patch\n*** Update File: calc.py\n@@\n def add(a, b):\n-    return a - b\n+    return a + b\n*** End Patch";
    let mut replies = Vec::new();
    if fix {
        replies.push(json!({"custom_tool_call": {"name": "apply_patch", "input": patch}}));
    }
    replies.push(json!({"message": "Fixed."}));
    json!({ "replies": replies })
}

/// A CODEX_HOME whose provider is `server` and which prices its model.
fn home_for(root: &Path, name: &str, server: &MockServer) -> PathBuf {
    let home = root.join(name);
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let mut config = std::fs::read_to_string(home.join("config.toml")).unwrap();
    config.push_str(
        "\n[batch.prices.\"gpt-5.5\"]\ninput = 1.25\ncached_input = 0.125\noutput = 10.0\n",
    );
    std::fs::write(home.join("config.toml"), config).unwrap();
    home
}

fn rcodex(args: &[&str], cwd: &Path, home: &Path) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .args(args)
        .current_dir(cwd)
        .env("CODEX_HOME", home)
        .env("MOCK_API_KEY", "dummy")
        .env("TMPDIR", cwd)
        .env("XDG_CACHE_HOME", cwd.join("cache"))
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn only_row(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let rows = rcodex_tests::json_lines(&text);
    assert_eq!(rows.len(), 1, "{text}");
    rows[0].clone()
}

async fn live_run(root: &Path, fix: bool, out: &str) -> (Output, Value) {
    let script: Script = serde_json::from_value(replies(fix)).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let home = home_for(root, &format!("home-{out}"), &server);
    let root_buf = root.to_path_buf();
    let out_dir = root.join(out);
    let args: Vec<String> = [
        "batch",
        "evals",
        "--live",
        "--max-cost",
        "0.50",
        "--out",
        out_dir.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        rcodex(&args, &root_buf, &home)
    })
    .await
    .unwrap();
    let requests = server.requests().len();
    server.shutdown().await;
    assert_eq!(requests, if fix { 2 } else { 1 }, "{}", show(&output));
    (output, only_row(&out_dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_evaluation_of_a_repository_is_graded_budgeted_and_compared() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let (repo, first) = fixture_repo(&root);
    std::fs::create_dir_all(root.join("evals")).unwrap();
    std::fs::write(root.join("evals/fix_add.toml"), scenario(&repo, &first)).unwrap();

    // The baseline: the model fixes the bug and the project's own test says so.
    let (out, base) = live_run(&root, true, "runs-main").await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(base["status"], "pass", "{base}");
    assert_eq!(base["tool_calls"], json!(["apply_patch"]));
    let grader = base["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["command"].is_object())
        .unwrap_or_else(|| panic!("no grader check: {base}"));
    assert_eq!(grader["passed"], true, "{grader}");
    assert_eq!(grader["command"]["exit_code"], 0, "{grader}");
    // Priced from the table in config.toml: 2 requests of the mock's 100 in / 10 out tokens.
    let cost = base["cost_usd"].as_f64().expect("cost_usd");
    let expected = (200.0 * 1.25 + 20.0 * 10.0) / 1e6;
    assert!((cost - expected).abs() < 1e-9, "{cost} vs {expected}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("total"));

    // The change under test: the model stops fixing it; the grader fails the run.
    let (out, pr) = live_run(&root, false, "runs-pr").await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(pr["status"], "fail", "{pr}");
    let kept = PathBuf::from(
        pr["workspace"]
            .as_str()
            .expect("a failed run keeps its workspace"),
    );
    assert!(kept.join("calc.py").is_file(), "{}", kept.display());

    // The comparison a pull request shows: one regression, exit 1.
    let compare = rcodex(
        &["batch", "compare", "runs-main", "runs-pr"],
        &root,
        &root.join("home-runs-main"),
    );
    let markdown = String::from_utf8_lossy(&compare.stdout);
    assert_eq!(compare.status.code(), Some(1), "{}", show(&compare));
    let regression = markdown
        .lines()
        .find(|l| l.contains("fix_add"))
        .unwrap_or_else(|| panic!("{markdown}"));
    assert!(regression.contains("regressed"), "{markdown}");
}
