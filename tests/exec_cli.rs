//! `rcodex exec` surface: resume, config errors, missing key, `-o`, stdin prompts, the git check,
//! `--output-schema`, `--ephemeral`.

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{json_lines, TestHome};
use serde_json::{json, Value};

async fn server(replies: Value) -> MockServer {
    MockServer::start(serde_json::from_value::<Script>(json!({ "replies": replies })).unwrap())
        .await
        .unwrap()
}

async fn exec(
    home: TestHome,
    args: &[&str],
    stdin: Option<&str>,
) -> (TestHome, std::process::Output) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let stdin = stdin.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = home.exec(&argv, stdin.as_deref());
        (home, out)
    })
    .await
    .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_appends_to_the_same_rollout_with_full_history() {
    let srv = server(json!([{ "message": "first answer" }, { "message": "second answer" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let (home, out) = exec(
        home,
        &["--json", "--skip-git-repo-check", "first question"],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let thread = json_lines(&text(&out.stdout))[0]["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = std::fs::read_to_string(&home.rollouts()[0]).unwrap();

    let (home, out) = exec(
        home,
        &[
            "--json",
            "--skip-git-repo-check",
            "resume",
            "--last",
            "second question",
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let events = json_lines(&text(&out.stdout));
    assert_eq!(events[0]["thread_id"], thread.as_str());
    // Thread-cumulative usage: two responses of 100 input tokens.
    assert_eq!(events.last().unwrap()["usage"]["input_tokens"], 200);

    let rollouts = home.rollouts();
    assert_eq!(rollouts.len(), 1, "resume appends to the same file");
    let after = std::fs::read_to_string(&rollouts[0]).unwrap();
    assert!(after.starts_with(&before));
    let reqs = srv.requests();
    let first = reqs[0].body["input"].as_array().unwrap();
    let second = reqs[1].body["input"].as_array().unwrap();
    // Old history (prompt + answer) then the new prompt; no new context messages.
    assert_eq!(second.len(), first.len() + 2);
    assert_eq!(second[..first.len()], first[..]);
    assert_eq!(second[first.len()]["role"], "assistant");
    assert_eq!(
        second.last().unwrap()["content"][0]["text"],
        "second question"
    );
    let (home, out) = exec(
        home,
        &["--skip-git-repo-check", "resume", "no-such-thread", "x"],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no rollout found for thread no-such-thread"));
    drop(home);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_config_and_missing_key_fail_with_one_clear_line() {
    let srv = server(json!([])).await;
    let home = TestHome::with_mock(&srv.base_url());
    std::fs::write(
        home.home().join("config.toml"),
        "model = \"gpt-5.5\"\nmodel_provider = [\n",
    )
    .unwrap();
    let (home, out) = exec(home, &["--skip-git-repo-check", "hi"], None).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("config.toml:3: invalid array; expected `]`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(srv.requests().len(), 0);

    std::fs::write(
        home.home().join("config.toml"),
        "model_provider = \"ghost\"\n",
    )
    .unwrap();
    let (home, out) = exec(home, &["--skip-git-repo-check", "hi"], None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("model_provider: unknown provider \"ghost\""));

    // The built-in openai provider without OPENAI_API_KEY.
    std::fs::write(home.home().join("config.toml"), "model = \"gpt-5.5\"\n").unwrap();
    let (_home, out) = exec(home, &["--skip-git-repo-check", "hi"], None).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("Missing environment variable: `OPENAI_API_KEY`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn output_last_message_stdin_prompt_and_plain_output() {
    let srv = server(json!([{ "message": "the answer" }, { "message": "second" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let last = home.dir.path().join("last.txt");
    let last_s = last.display().to_string();
    let (home, out) = exec(
        home,
        &["--skip-git-repo-check", "-o", &last_s, "-"],
        Some("prompt from stdin\n"),
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "the answer\n",
        "plain mode prints only the final message"
    );
    assert_eq!(std::fs::read_to_string(&last).unwrap(), "the answer");
    assert_eq!(
        srv.requests()[0].body["input"][3]["content"][0]["text"],
        "prompt from stdin\n"
    );

    let (_home, out) = exec(
        home,
        &["--skip-git-repo-check", "summarize"],
        Some("line one\n"),
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        srv.requests()[1].body["input"][3]["content"][0]["text"],
        "summarize\n\n<stdin>\nline one\n</stdin>"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn git_check_output_schema_and_ephemeral() {
    let srv = server(json!([{ "message": "{\"ok\":true}" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let (home, out) = exec(home, &["hi"], None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--skip-git-repo-check"));
    assert_eq!(srv.requests().len(), 0);

    let schema = home.dir.path().join("schema.json");
    std::fs::write(&schema, r#"{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}"#).unwrap();
    let schema_s = schema.display().to_string();
    let (home, out) = exec(
        home,
        &[
            "--skip-git-repo-check",
            "--ephemeral",
            "--output-schema",
            &schema_s,
            "hi",
        ],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let format = &srv.requests()[0].body["text"]["format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["strict"], true);
    assert_eq!(format["schema"]["required"][0], "ok");
    assert!(home.rollouts().is_empty(), "--ephemeral writes no rollout");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_interrupts_the_turn_and_kills_the_command() {
    let marker = format!("sleep 31.{:03}", std::process::id() % 1000);
    let cmd = marker.clone();
    let srv = server(json!([{ "function_call": { "name": "exec_command", "arguments": { "cmd": cmd, "yield_time_ms": 30000, "login": false } } }, { "message": "never" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let child = std::process::Command::new(rcodex_tests::rcodex_bin())
        .args([
            "exec",
            "--json",
            "--skip-git-repo-check",
            "-s",
            "danger-full-access",
            "sleep please",
        ])
        .env("CODEX_HOME", home.home())
        .env("MOCK_API_KEY", "k")
        .current_dir(home.work())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the command runs, then send SIGINT to rcodex only. (No login shell: killing a
    // login shell during its profile can leave tool locks such as pyenv's behind.)
    let pgrep = |m: &str| {
        std::process::Command::new("pgrep")
            .args(["-f", m])
            .output()
            .map(|o| !o.stdout.is_empty())
            .unwrap_or(false)
    };
    let started = std::time::Instant::now();
    while !pgrep(&marker) {
        assert!(started.elapsed().as_secs() < 20, "command never started");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(started.elapsed().as_secs() < 25);
    let events = json_lines(&text(&out.stdout));
    assert_eq!(events.last().unwrap()["type"], "turn.failed");
    assert!(!pgrep(&marker), "the command outlived rcodex");
    let rollout = std::fs::read_to_string(&home.rollouts()[0]).unwrap();
    let lines = json_lines(&rollout);
    assert!(lines.iter().any(|l| l["payload"]["type"] == "turn_aborted"));
    // The recorded call got exactly one (aborted) output.
    let outputs = lines
        .iter()
        .filter(|l| l["payload"]["type"] == "function_call_output")
        .count();
    assert_eq!(outputs, 1);
    assert_eq!(srv.requests().len(), 1);
}
