//! `rcodex batch` limits through the real binary: a scenario over its `timeout_s`,
//! `max_requests` or `max_tokens` is interrupted and says which limit stopped it; a run budget
//! (`--max-tokens`, `--max-cost`) stops new scenarios and resumes later; infrastructure failures
//! are `error` rows that `--retry-errors` runs again; tokens, cost and time to first token are
//! accounted in results.jsonl, the summary and JUnit; bad values are refused with their place.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rcodex_tests::{batch_results as results, result_row as row};
use serde_json::Value;

fn batch(args: &[&str], cwd: &Path) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .arg("batch")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex batch")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A temp folder with `sc/` (scenarios) and `out/`.
struct Fixture {
    tmp: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("sc")).unwrap();
        Fixture { tmp }
    }
    fn sc(&self) -> PathBuf {
        self.tmp.path().join("sc")
    }
    fn out(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
    fn scenario(&self, name: &str, text: &str) {
        std::fs::write(self.sc().join(format!("{name}.toml")), text).unwrap();
    }
    fn run(&self, out: &str, extra: &[&str]) -> Output {
        let out = self.out(out);
        let mut args = vec![
            self.sc().to_str().unwrap().to_string(),
            "--out".into(),
            out.to_str().unwrap().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        batch(&args, self.tmp.path())
    }
}

#[test]
fn a_reply_slower_than_timeout_s_is_a_timeout_row() {
    let f = Fixture::new();
    f.scenario(
        "slow",
        "name = \"slow\"\nprompt = \"p\"\ntimeout_s = 0.5\n[[model.reply]]\nmessage = \"late\"\ndelay_ms = 5000\n[expect]\nfinal_message = \"late\"\n",
    );
    f.scenario(
        "quick",
        "name = \"quick\"\nprompt = \"p\"\ntimeout_s = 30\n[[model.reply]]\nmessage = \"ok\"\n[expect]\nfinal_message = \"ok\"\n",
    );
    let o = f.run("out", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let lines = results(&f.out("out"));
    let slow = row(&lines, "slow");
    assert_eq!(slow["status"], "timeout", "{slow}");
    assert_eq!(slow["limit"], "timeout_s");
    assert!(slow["error"].as_str().unwrap().contains("timeout_s = 0.5"));
    // Interrupted at the deadline, not after the reply's 5 s.
    assert!(slow["duration_ms"].as_u64().unwrap() < 4000, "{slow}");
    assert_eq!(row(&lines, "quick")["status"], "pass");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("TIMEOUT"), "{stdout}");
    let junit = std::fs::read_to_string(f.out("out").join("junit.xml")).unwrap();
    assert!(junit.contains("<failure type=\"timeout\""), "{junit}");
}

#[test]
fn a_run_over_max_requests_is_interrupted_and_fails_naming_the_limit() {
    let f = Fixture::new();
    // The model would call a tool forever; two requests are allowed.
    f.scenario(
        "loop",
        "name = \"loop\"\nprompt = \"p\"\nmax_requests = 2\n[[model.reply]]\nfunction_call = { name = \"exec_command\", arguments = { cmd = \"true\", login = false } }\nrepeat = 10\n[[model.reply]]\nmessage = \"done\"\n",
    );
    let o = f.run("out", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let lines = results(&f.out("out"));
    let l = row(&lines, "loop");
    assert_eq!(l["status"], "fail", "{l}");
    assert_eq!(l["limit"], "max_requests");
    assert_eq!(l["checks"][0]["check"], "max_requests");
    assert_eq!(l["checks"][0]["passed"], false);
    // The third request was started (that is what trips the limit) and then cancelled.
    assert_eq!(l["requests"], 3, "{l}");
}

#[test]
fn a_run_over_max_tokens_is_interrupted_after_the_response_that_went_over() {
    let f = Fixture::new();
    // 100 tokens a response; 150 allowed: the second response goes over.
    f.scenario(
        "tokens",
        "name = \"tokens\"\nprompt = \"p\"\nmax_tokens = 150\n[[model.reply]]\nfunction_call = { name = \"exec_command\", arguments = { cmd = \"true\", login = false } }\nusage = { input_tokens = 90, output_tokens = 10 }\nrepeat = 10\n",
    );
    let o = f.run("out", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let lines = results(&f.out("out"));
    let l = row(&lines, "tokens");
    assert_eq!(l["status"], "fail", "{l}");
    assert_eq!(l["limit"], "max_tokens");
    assert_eq!(l["checks"][0]["check"], "max_tokens");
    assert_eq!(l["requests"], 2, "{l}");
    assert_eq!(l["usage"]["input_tokens"], 180, "{l}");
}

#[test]
fn bad_limit_values_are_error_rows_naming_file_line_and_field() {
    let f = Fixture::new();
    f.scenario(
        "t_string",
        "name = \"x\"\nprompt = \"p\"\ntimeout_s = \"x\"\n",
    );
    f.scenario("t_zero", "name = \"x\"\nprompt = \"p\"\n\ntimeout_s = 0\n");
    f.scenario(
        "r_negative",
        "name = \"x\"\nprompt = \"p\"\nmax_requests = -1\n",
    );
    f.scenario("k_zero", "name = \"x\"\nprompt = \"p\"\nmax_tokens = 0\n");
    let o = f.run("out", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let lines = results(&f.out("out"));
    let err = |id: &str| {
        let l = row(&lines, id);
        assert_eq!(l["status"], "error", "{l}");
        l["error"].as_str().unwrap().to_string()
    };
    let e = err("t_string");
    assert!(
        e.contains("t_string.toml:3: timeout_s: invalid type: string"),
        "{e}"
    );
    let e = err("t_zero");
    assert!(
        e.contains("t_zero.toml:4: timeout_s: must be a number of seconds above 0"),
        "{e}"
    );
    let e = err("r_negative");
    assert!(
        e.contains("r_negative.toml:3: max_requests: invalid value"),
        "{e}"
    );
    let e = err("k_zero");
    assert!(e.contains("k_zero.toml:3: max_tokens:"), "{e}");
}

/// A scenario whose one reply reports 60 input (20 cached) and 40 output tokens.
fn metered(i: usize) -> String {
    format!("name = \"m{i}\"\nprompt = \"p\"\n[[model.reply]]\nmessage = \"a{i}\"\nusage = {{ input_tokens = 60, cached_tokens = 20, output_tokens = 40, reasoning_tokens = 5 }}\n[expect]\nfinal_message = \"a{i}\"\n")
}

const PRICES: &str = "[batch.prices.\"gpt-5.5\"]\ninput = 1.0\ncached_input = 0.5\noutput = 2.0\n";

#[test]
fn a_token_budget_stops_new_scenarios_and_the_same_out_resumes_with_a_larger_one() {
    let f = Fixture::new();
    for i in 0..5 {
        f.scenario(&format!("m{i}"), &metered(i));
    }
    // 100 tokens a run: the third run reaches 250, the other two never start.
    let o = f.run("out", &["-j", "1", "--max-tokens", "250"]);
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("budget reached: --max-tokens 250 (used 300); 2 runs not started"),
        "{stdout}"
    );
    let summary = std::fs::read_to_string(f.out("out").join("summary.txt")).unwrap();
    assert!(
        summary.contains("budget reached: --max-tokens 250"),
        "{summary}"
    );
    let lines = results(&f.out("out"));
    assert_eq!(lines.len(), 3, "unstarted runs are not written: {lines:?}");
    assert!(lines.iter().all(|l| l["status"] == "pass"));

    // The same budget counts what --out already holds: nothing more starts.
    let o = f.run("out", &["-j", "1", "--max-tokens", "250"]);
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    assert_eq!(results(&f.out("out")).len(), 3);

    let o = f.run("out", &["-j", "1", "--max-tokens", "1000"]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let lines = results(&f.out("out"));
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|l| l["status"] == "pass"), "{lines:?}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("budget reached"));
}

#[test]
fn a_cost_budget_uses_the_price_table() {
    let f = Fixture::new();
    for i in 0..4 {
        f.scenario(&format!("m{i}"), &metered(i));
    }
    let prices = f.out("prices.toml");
    std::fs::write(&prices, PRICES).unwrap();
    // 130 micro-USD a run: the third reaches 300.
    let o = f.run(
        "out",
        &[
            "-j",
            "1",
            "--max-cost",
            "0.0003",
            "--prices",
            prices.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("budget reached: --max-cost 0.0003 (used $0.000390); 1 runs not started"),
        "{stdout}"
    );
    assert_eq!(results(&f.out("out")).len(), 3);
}

#[test]
fn cost_tokens_and_time_to_first_token_are_accounted_everywhere() {
    let f = Fixture::new();
    f.scenario("m0", &metered(0));
    // The reply waits 300 ms before streaming: time to first token covers it.
    f.scenario(
        "slow_first",
        "name = \"slow first\"\nprompt = \"p\"\n[[model.reply]]\nmessage = \"b\"\ndelay_ms = 300\nusage = { input_tokens = 10, output_tokens = 5 }\n[expect]\nfinal_message = \"b\"\n",
    );
    let prices = f.out("prices.toml");
    std::fs::write(&prices, PRICES).unwrap();
    let o = f.run("out", &["--prices", prices.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let lines = results(&f.out("out"));
    let m0 = row(&lines, "m0");
    assert_eq!(m0["usage"]["input_tokens"], 60);
    assert_eq!(m0["usage"]["cached_input_tokens"], 20);
    assert_eq!(m0["usage"]["output_tokens"], 40);
    assert_eq!(m0["usage"]["reasoning_output_tokens"], 5);
    assert_eq!(m0["model"], "gpt-5.5");
    // 40 × 1.0 + 20 × 0.5 + 40 × 2.0 per million.
    let cost = m0["cost_usd"].as_f64().unwrap();
    assert!((cost - 130e-6).abs() < 1e-12, "{cost}");
    assert!(m0["ttft_ms"].is_u64(), "{m0}");
    let slow = row(&lines, "slow_first");
    let ttft = slow["ttft_ms"].as_u64().unwrap();
    assert!(ttft >= 300, "{slow}");
    assert!(ttft <= slow["duration_ms"].as_u64().unwrap());

    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("$0.000130"), "{stdout}");
    assert!(
        stdout.contains(
            "total: 115 tokens (input 70, cached 20, output 45, reasoning 5), cost $0.000150"
        ),
        "{stdout}"
    );
    let junit = std::fs::read_to_string(f.out("out").join("junit.xml")).unwrap();
    assert!(
        junit.contains("<property name=\"cost_usd\" value=\"0.00013\"/>"),
        "{junit}"
    );
    assert!(junit.contains("<property name=\"ttft_ms\""), "{junit}");
    assert!(
        junit.contains("<property name=\"cached_input_tokens\" value=\"20\"/>"),
        "{junit}"
    );

    // Without a price table there is no cost, not a zero one.
    let o = f.run("unpriced", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let lines = results(&f.out("unpriced"));
    assert!(
        lines.iter().all(|l| l.get("cost_usd").is_none()),
        "{lines:?}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("(2 runs without a price)"));
}

#[test]
fn bad_budgets_and_price_tables_are_usage_errors() {
    let f = Fixture::new();
    f.scenario("m0", &metered(0));
    let usage_error = |args: &[&str], says: &str| {
        let o = f.run("out", args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", show(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    };
    usage_error(&["--max-tokens", "-5"], "-5");
    usage_error(&["--max-tokens=-5"], "must be a number of tokens above 0");
    usage_error(&["--max-tokens", "0"], "must be a number of tokens above 0");
    usage_error(&["--max-cost=-1"], "must be an amount of USD above 0");
    usage_error(&["--max-cost", "x"], "--max-cost");
    usage_error(&["--max-cost", "1"], "--max-cost needs a price table");
    let prices = f.out("prices.toml");
    std::fs::write(&prices, "[batch.prices.m]\ninput = 1\noutput = -2\n").unwrap();
    usage_error(
        &["--prices", prices.to_str().unwrap()],
        "prices.toml:3: batch.prices.m.output: must be USD per million tokens",
    );
    assert!(!f.out("out").join("results.jsonl").exists());
}

#[test]
fn http_500_on_every_try_is_an_error_not_a_fail() {
    let f = Fixture::new();
    f.scenario(
        "down",
        "name = \"down\"\nprompt = \"p\"\nconfig = { \"model_providers.rcodex-scripted.request_max_retries\" = 1 }\n[[model.reply]]\nhttp_error = { status = 500, body = \"down\" }\nrepeat = 5\n[expect]\nfinal_message = \"never\"\n",
    );
    // The model's own mistake (asking beyond the script gets a 400) stays a fail.
    f.scenario(
        "beyond",
        "name = \"beyond\"\nprompt = \"p\"\n[[model.reply]]\nfunction_call = { name = \"exec_command\", arguments = { cmd = \"true\", login = false } }\n[expect]\nfinal_message = \"never\"\n",
    );
    let o = f.run("out", &["--retry-errors", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let lines = results(&f.out("out"));
    let down = row(&lines, "down");
    assert_eq!(down["status"], "error", "{down}");
    assert!(
        down["error"]
            .as_str()
            .unwrap()
            .starts_with("infrastructure: exceeded retry limit, last status: 500"),
        "{down}"
    );
    // Scripted replies start over each run, so the retry failed the same way.
    assert_eq!(down["retries"], 1, "{down}");
    let beyond = row(&lines, "beyond");
    assert_eq!(beyond["status"], "fail", "{beyond}");
    assert!(beyond.get("retries").is_none(), "{beyond}");
    let junit = std::fs::read_to_string(f.out("out").join("junit.xml")).unwrap();
    assert!(
        junit.contains("<error message=\"infrastructure: exceeded retry limit"),
        "{junit}"
    );
}

/// A live batch of `dir` against `home` (whose provider is a mock server of this test).
fn live(dir: &Path, home: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut c = Command::new(rcodex_tests::rcodex_bin());
    c.args(["batch", dir.to_str().unwrap(), "--live", "--out"])
        .arg(out)
        .args(extra)
        .env("CODEX_HOME", home)
        .env("MOCK_API_KEY", "k")
        .stdin(Stdio::null());
    c.output().unwrap()
}

async fn flaky_provider(replies: Value) -> (rcodex_runner::mock::MockServer, Fixture, PathBuf) {
    let script: rcodex_runner::mock::Script =
        serde_json::from_value(serde_json::json!({ "replies": replies })).unwrap();
    let server = rcodex_runner::mock::MockServer::start(script)
        .await
        .unwrap();
    let f = Fixture::new();
    let home = f.out("home");
    rcodex_tests::write_mock_config(&home, &server.base_url());
    // One HTTP retry per request, so two 500s spend them.
    let mut config = std::fs::read_to_string(home.join("config.toml")).unwrap();
    config.push_str("request_max_retries = 1\n");
    std::fs::write(home.join("config.toml"), config).unwrap();
    f.scenario(
        "ask",
        "name = \"ask\"\nprompt = \"hi\"\n[expect]\nfinal_message = \"ok\"\n",
    );
    (server, f, home)
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_errors_runs_an_infrastructure_error_again_but_never_a_fail() {
    let (server, f, home) = flaky_provider(serde_json::json!([
        { "http_error": { "status": 500, "body": "down" }, "repeat": 2 },
        { "message": "wrong" },
        { "message": "ok" }
    ]))
    .await;
    let (sc, out) = (f.sc(), f.out("out"));
    let o = tokio::task::spawn_blocking(move || live(&sc, &home, &out, &["--retry-errors", "3"]))
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let lines = results(&f.out("out"));
    // First try: two 500s, an error; second: a wrong answer, a fail that is not run again.
    assert_eq!(lines[0]["status"], "fail", "{lines:?}");
    assert_eq!(lines[0]["retries"], 1);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_row_passes_when_retried_now_or_on_resume() {
    let (server, f, home) = flaky_provider(serde_json::json!([
        { "http_error": { "status": 500, "body": "down" }, "repeat": 2 },
        { "message": "ok" },
        { "http_error": { "status": 500, "body": "down" }, "repeat": 2 },
        { "message": "ok" }
    ]))
    .await;
    let run = |out: &str, extra: &'static [&'static str]| {
        let (sc, out, home) = (f.sc(), f.out(out), home.clone());
        tokio::task::spawn_blocking(move || live(&sc, &home, &out, extra))
    };
    // Without --retry-errors: an error row.
    let o = run("later", &[]).await.unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert_eq!(results(&f.out("later"))[0]["status"], "error");
    // A resume with --retry-errors runs the error row again; it passes.
    let o = run("later", &["--retry-errors", "1"]).await.unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    // The new line is appended; the last line of a key is the one that counts.
    let lines = results(&f.out("later"));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["status"], "pass");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("1 passed, 0 failed, 0 errors, 0 skipped (1 runs)"),
        "{stdout}"
    );
    // In one run: fails the first time, passes on the retry.
    let o = run("now", &["--retry-errors", "1"]).await.unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let lines = results(&f.out("now"));
    assert_eq!(lines[0]["status"], "pass", "{lines:?}");
    assert_eq!(lines[0]["retries"], 1);
    assert_eq!(server.requests().len(), 6);
}
