//! Every flag of `codex exec` 0.169 (and of `exec resume`) is accepted by `rcodex exec`: the
//! ones with a meaning act (`--image`, `--add-dir`, `--enable/--disable`, `--ignore-user-config`,
//! `--strict-config`, `--experimental-json`), the others are said once on stderr. Images are
//! compared with what the pinned Codex CLI sends for the same files.

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::git_fixture::git;
use rcodex_tests::{codex_bin, exec_command, json_lines, TestHome};
use serde_json::{json, Value};

/// The long flags `codex exec --help` 0.169 lists (captured), with a value where one is taken.
const CODEX_EXEC_FLAGS: &[&[&str]] = &[
    &["--config", "model_verbosity=\"low\""],
    &["--enable", "unified_exec"],
    &["--disable", "shell_snapshot"],
    &["--strict-config"],
    &["--model", "gpt-5.5"],
    &["--profile", "p"],
    &["--sandbox", "read-only"],
    &["--approve-for-me"],
    &["--dangerously-bypass-approvals-and-sandbox"],
    &["--dangerously-bypass-hook-trust"],
    &["--cd", "."],
    &["--worktree"],
    &["--add-dir", "."],
    &["--thread-source", "automation"],
    &["--cyber-access-program", "standard"],
    &["--skip-git-repo-check"],
    &["--trust"],
    &["--ephemeral"],
    &["--ignore-user-config"],
    &["--ignore-rules"],
    &["--color", "never"],
    &["--experimental-json"],
    &["--output-last-message", "last.txt"],
    &["--image", "dot.png"],
];

/// A 1x1 PNG.
const DOT_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

async fn server(replies: Value) -> MockServer {
    MockServer::start(serde_json::from_value::<Script>(json!({ "replies": replies })).unwrap())
        .await
        .unwrap()
}

async fn exec(
    home: TestHome,
    args: Vec<String>,
    stdin: Option<String>,
) -> (TestHome, std::process::Output) {
    tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = home.exec(&argv, stdin.as_deref());
        (home, out)
    })
    .await
    .unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `DOT_PNG`'s bytes.
const DOT_PNG_BYTES: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 248, 207, 80, 15, 0, 3,
    134, 1, 128, 90, 52, 125, 107, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

fn write_dot(dir: &std::path::Path) {
    std::fs::write(dir.join("dot.png"), DOT_PNG_BYTES).unwrap();
}

/// The content of the last user message of a request body.
fn last_user_content(body: &Value) -> Value {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|i| i["role"] == "user")
        .unwrap()["content"]
        .clone()
}

#[test]
fn help_lists_every_codex_exec_flag() {
    let home = TestHome::with_mock("http://127.0.0.1:9/v1");
    let out = home.exec(&["--help"], None);
    let help = text(&out.stdout);
    for flag in CODEX_EXEC_FLAGS {
        assert!(help.contains(flag[0]), "--help lacks {}", flag[0]);
    }
    for short in ["-c,", "-i,", "-m,", "-p,", "-s,", "-C,", "-o,"] {
        assert!(help.contains(short), "--help lacks {short}");
    }
    let out = home.exec(&["resume", "--help"], None);
    let help = text(&out.stdout);
    for flag in [
        "--image",
        "--enable",
        "--strict-config",
        "--json",
        "--last",
        "--all",
    ] {
        assert!(help.contains(flag), "resume --help lacks {flag}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_codex_exec_flag_is_accepted_and_the_ignored_ones_said_once() {
    let srv = server(json!([{ "message": "done" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    write_dot(&home.work());
    // --worktree needs a repository with a commit.
    git(&home.work(), &["init", "--quiet"]);
    git(&home.work(), &["add", "-A"]);
    git(&home.work(), &["commit", "--quiet", "-m", "dot"]);
    // --ignore-user-config drops the file, so the provider comes from -c as well.
    let base = srv.base_url();
    let mut args = strings(&[
        "-c",
        "model_provider=\"mock\"",
        "-c",
        &format!("model_providers.mock={{ name = \"M\", base_url = \"{base}\", env_key = \"MOCK_API_KEY\" }}"),
        "--profile",
        "p",
    ]);
    // The profile file is not read under --ignore-user-config (as in Codex): a broken one
    // shows it.
    std::fs::write(home.home().join("p.config.toml"), "model = 5\n").unwrap();
    for flag in CODEX_EXEC_FLAGS.iter().filter(|f| f[0] != "--profile") {
        args.extend(strings(flag));
    }
    args.push("--".into());
    args.push("look".into());
    let (home, out) = exec(home, args, None).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let events = json_lines(&text(&out.stdout));
    assert_eq!(events.last().unwrap()["type"], "turn.completed");
    let notices: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("accepted but ignored"))
        .collect();
    assert_eq!(notices.len(), 1, "{stderr}");
    for flag in [
        "--approve-for-me",
        "--dangerously-bypass-hook-trust",
        "--cyber-access-program",
        "--trust",
        "--ignore-rules",
    ] {
        assert!(
            notices[0].contains(flag),
            "{flag} not named: {}",
            notices[0]
        );
    }
    assert_eq!(
        std::fs::read_to_string(home.work().join("last.txt")).unwrap(),
        "done"
    );
    assert!(home.rollouts().is_empty(), "--ephemeral writes no rollout");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_feature_is_refused_as_codex_refuses_it() {
    let home = TestHome::with_mock("http://127.0.0.1:9/v1");
    let args = strings(&["--skip-git-repo-check", "--enable", "no_such_feature", "x"]);
    let (_home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Unknown feature flag: no_such_feature"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_config_names_the_unknown_key_and_its_line() {
    let srv = server(json!([{ "message": "ok" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let path = home.home().join("config.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.insert_str(0, "modle = \"typo\"\n");
    std::fs::write(&path, config).unwrap();
    let (home, out) = exec(home, strings(&["--skip-git-repo-check", "x"]), None).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "without the flag the key is ignored"
    );
    let args = strings(&["--skip-git-repo-check", "--strict-config", "x"]);
    let (_home, out) = exec(home, args, None).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("config.toml:1: modle: unknown configuration field `modle`"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ignore_user_config_does_not_read_config_toml() {
    let srv = server(json!([{ "message": "ok" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let path = home.home().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("model = \"from-the-file\"\n{config}")).unwrap();
    // Without the file there is no `mock` provider: the built-in openai one needs its key.
    let args = strings(&["--skip-git-repo-check", "--ignore-user-config", "x"]);
    let (home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("OPENAI_API_KEY"),
        "{}",
        text(&out.stderr)
    );
    let base = srv.base_url();
    let provider = format!(
        "model_providers.mock={{ name = \"M\", base_url = \"{base}\", env_key = \"MOCK_API_KEY\" }}"
    );
    let args = strings(&[
        "--skip-git-repo-check",
        "--ignore-user-config",
        "-c",
        "model_provider=\"mock\"",
        "-c",
        &provider,
        "x",
    ]);
    let (_home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body["model"], "gpt-5.5",
        "the file's model was not read"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn add_dir_is_a_workspace_root_and_writable() {
    let srv = server(json!([
        { "function_call": { "name": "exec_command", "arguments": { "cmd": "echo hi > ../extra/made.txt" } } },
        { "message": "ok" }
    ]))
    .await;
    let home = TestHome::with_mock(&srv.base_url());
    let extra = home.dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    let args = strings(&[
        "--skip-git-repo-check",
        "-s",
        "workspace-write",
        "--add-dir",
        "../extra",
        "x",
    ]);
    let (home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let extra = extra.canonicalize().unwrap();
    let work = home.work().canonicalize().unwrap();
    let body = serde_json::to_string(&srv.requests()[0].body).unwrap();
    let roots = format!(
        "<workspace_roots><root>{}</root><root>{}</root></workspace_roots>",
        work.display(),
        extra.display()
    );
    assert!(body.contains(&roots), "no {roots} in {body}");
    assert_eq!(
        std::fs::read_to_string(extra.join("made.txt")).unwrap(),
        "hi\n",
        "the sandbox let the command write the extra root"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn add_dir_that_does_not_exist_is_named() {
    let home = TestHome::with_mock("http://127.0.0.1:9/v1");
    let args = strings(&["--skip-git-repo-check", "--add-dir", "nope", "x"]);
    let (_home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--add-dir nope"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_takes_the_sdk_flags_after_the_id_and_the_prompt_on_stdin() {
    let srv = server(json!([{ "message": "one" }, { "message": "two" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    write_dot(&home.work());
    let args = strings(&["--experimental-json", "--skip-git-repo-check"]);
    let (home, out) = exec(home, args, Some("first".into())).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let thread = json_lines(&text(&out.stdout))[0]["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    // As the SDK spawns it: flags, `resume ID`, then `--image`; the prompt on stdin.
    let args = strings(&[
        "--experimental-json",
        "--skip-git-repo-check",
        "resume",
        &thread,
        "--image",
        "dot.png",
    ]);
    let (_home, out) = exec(home, args, Some("second".into())).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let events = json_lines(&text(&out.stdout));
    assert_eq!(events[0]["thread_id"], thread.as_str());
    let content = last_user_content(&srv.requests()[1].body);
    assert_eq!(
        content[0]["text"],
        "<image name=[Image #1] path=\"dot.png\">"
    );
    assert_eq!(content[1]["type"], "input_image");
    assert_eq!(content[3]["text"], "second");
}

/// Runs one client with `-i` images against a fresh server; the last user message it sent.
async fn image_message(codex: Option<&std::path::Path>) -> Value {
    let srv = server(json!([{ "message": "seen" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    write_dot(&home.work());
    std::fs::copy(home.work().join("dot.png"), home.work().join("second.jpg")).unwrap();
    let mut cmd = exec_command(codex);
    cmd.args(["describe", "-i", "dot.png", "--image", "second.jpg"])
        .env("CODEX_HOME", home.home())
        .env("MOCK_API_KEY", "test-key")
        .env_remove("OPENAI_API_KEY")
        .current_dir(home.work())
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    last_user_content(&reqs[0].body)
}

#[tokio::test(flavor = "multi_thread")]
async fn images_are_sent_as_the_codex_cli_sends_them() {
    let ours = image_message(None).await;
    let parts = ours.as_array().unwrap();
    assert_eq!(parts.len(), 7, "{ours}");
    assert_eq!(
        parts[1]["image_url"],
        format!("data:image/png;base64,{DOT_PNG}")
    );
    assert_eq!(parts[6]["text"], "describe");
    let Some(codex) = codex_bin("images_are_sent_as_the_codex_cli_sends_them") else {
        return;
    };
    let theirs = image_message(Some(&codex)).await;
    assert_eq!(ours, theirs);
}

#[tokio::test(flavor = "multi_thread")]
async fn thread_source_is_sent_and_recorded_for_a_new_thread() {
    let srv = server(json!([{ "message": "ok" }, { "message": "again" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let args = strings(&[
        "--json",
        "--skip-git-repo-check",
        "--thread-source",
        "automation",
        "x",
    ]);
    let (home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let metadata = |i: usize| -> Value {
        let reqs = srv.requests();
        let raw = reqs[i].body["client_metadata"]["x-codex-turn-metadata"]
            .as_str()
            .unwrap()
            .to_string();
        serde_json::from_str(&raw).unwrap()
    };
    assert_eq!(metadata(0)["thread_source"], "automation");
    let rollout = std::fs::read_to_string(&home.rollouts()[0]).unwrap();
    let meta = &json_lines(&rollout)[0];
    assert_eq!(meta["payload"]["thread_source"], "automation", "{meta}");
    // Resuming keeps the thread's own classification (captured from Codex 0.169); the flag
    // names new threads only.
    let args = strings(&[
        "--skip-git-repo-check",
        "--thread-source",
        "other",
        "resume",
        "--last",
        "y",
    ]);
    let (_home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(metadata(1)["thread_source"], "automation");
}

#[tokio::test(flavor = "multi_thread")]
async fn worktree_runs_the_session_in_a_new_git_worktree() {
    let srv = server(json!([{ "message": "ok" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let work = home.work();
    std::fs::write(work.join("a.txt"), "x\n").unwrap();
    git(&work, &["init", "--quiet"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "--quiet", "-m", "a"]);
    let (home, out) = exec(home, strings(&["--worktree", "x"]), None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let slots: Vec<_> = std::fs::read_dir(home.home().join("worktrees"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(slots.len(), 1);
    let slot = slots[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(
        slot.len() == 4 && slot.chars().all(|c| c.is_ascii_digit()),
        "{slot}"
    );
    let tree = slots[0].join("work");
    assert_eq!(std::fs::read_to_string(tree.join("a.txt")).unwrap(), "x\n");
    let body = serde_json::to_string(&srv.requests()[0].body).unwrap();
    let cwd = format!("<cwd>{}</cwd>", tree.canonicalize().unwrap().display());
    assert!(
        body.contains(&cwd),
        "no {cwd} in {}",
        &body[body.find("<cwd>").unwrap_or(0)..][..120]
    );
    assert!(git(&work, &["worktree", "list"]).contains(&slot));
}

#[tokio::test(flavor = "multi_thread")]
async fn worktree_outside_a_repository_fails_as_codex_does() {
    let home = TestHome::with_mock("http://127.0.0.1:9/v1");
    let args = strings(&["--skip-git-repo-check", "--worktree", "x"]);
    let (_home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("git command failed: fatal: not a git repository"),
        "{}",
        text(&out.stderr)
    );
}

/// The `turn_context` payload of the home's only rollout.
fn turn_context(home: &TestHome) -> Value {
    let rollouts = home.rollouts();
    assert_eq!(rollouts.len(), 1, "{rollouts:?}");
    let text = std::fs::read_to_string(&rollouts[0]).unwrap();
    json_lines(&text)
        .into_iter()
        .find(|l| l["type"] == "turn_context")
        .expect("a turn_context line")["payload"]
        .clone()
}

/// Appends `lines` to the home's config.toml before its tables (top-level keys).
fn prepend_config(home: &TestHome, lines: &str) {
    let path = home.home().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{lines}{config}")).unwrap();
}

/// Codex 0.169 exec runs every approval policy it accepts as `never` (captured: the request and
/// the rollout are those of `never`) and refuses `untrusted`.
#[tokio::test(flavor = "multi_thread")]
async fn approval_policy_runs_as_never_and_untrusted_is_refused() {
    let srv = server(json!([{ "message": "a" }, { "message": "b" }])).await;
    let mut permissions = Vec::new();
    for policy in ["never", "on-request"] {
        let home = TestHome::with_mock(&srv.base_url());
        prepend_config(&home, &format!("approval_policy = \"{policy}\"\n"));
        let (home, out) = exec(home, strings(&["--skip-git-repo-check", "x"]), None).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(turn_context(&home)["approval_policy"], "never", "{policy}");
        let body = srv.requests().last().unwrap().body.clone();
        permissions.push(body["input"][1]["content"].clone());
    }
    assert_eq!(permissions[0], permissions[1]);

    let home = TestHome::with_mock(&srv.base_url());
    prepend_config(
        &home,
        "model_verbosity = \"low\"\napproval_policy = \"untrusted\"\n",
    );
    let (home, out) = exec(home, strings(&["--skip-git-repo-check", "x"]), None).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("config.toml:2: approval_policy: \"untrusted\" is no longer supported; remove this setting"),
        "{stderr}"
    );
    let args = strings(&[
        "--skip-git-repo-check",
        "-c",
        "approval_policy=\"bogus\"",
        "x",
    ]);
    let (_home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unknown variant `bogus`, expected one of `untrusted`, `on-failure`, `on-request`, `granular`, `never`"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(srv.requests().len(), 2, "refused runs send nothing");
}

/// `-p NAME` reads `$CODEX_HOME/NAME.config.toml` over config.toml and under `-c`, as Codex 0.169
/// does (captured); `[profiles.NAME]` beside `-p NAME` is refused with Codex's words.
#[tokio::test(flavor = "multi_thread")]
async fn profile_is_the_name_config_toml_file() {
    let srv = server(json!([{ "message": "a" }, { "message": "b" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    prepend_config(&home, "model_reasoning_effort = \"high\"\n");
    std::fs::write(
        home.home().join("fast.config.toml"),
        "model_reasoning_effort = \"low\"\nmodel_verbosity = \"high\"\n",
    )
    .unwrap();
    let args = strings(&[
        "--skip-git-repo-check",
        "-p",
        "fast",
        "-c",
        "model_verbosity=\"medium\"",
        "x",
    ]);
    let (home, out) = exec(home, args, None).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body = srv.requests()[0].body.clone();
    assert_eq!(
        body["reasoning"]["effort"], "low",
        "the profile beats config.toml"
    );
    assert_eq!(body["text"]["verbosity"], "medium", "-c beats the profile");

    let path = home.home().join("config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{config}\n[profiles.fast]\nmodel = \"x\"\n")).unwrap();
    let args = strings(&["--skip-git-repo-check", "-p", "fast", "x"]);
    let (_home, out) = exec(home, args, None).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("profiles.fast: --profile `fast` cannot be used while"),
        "{stderr}"
    );
    assert_eq!(srv.requests().len(), 1);
}

/// `--strict-config` knows the keys the pinned CLI knows: a few of each kind are given to both
/// clients as `-c KEY=1`, and each refuses exactly the unknown ones, in Codex's words.
#[tokio::test(flavor = "multi_thread")]
async fn strict_config_refuses_what_codex_refuses() {
    let cases = [
        ("model_context_window", true),
        ("notify", true),
        ("tools.web_search", true),
        ("sandbox_workspace_write.exclude_slash_tmp", true),
        ("debug", false),
        ("model_supports_reasoning_summaries", false),
        ("tools.view_image", false),
        ("sandbox_workspace_write.bogus", false),
    ];
    let codex = codex_bin("strict_config_refuses_what_codex_refuses");
    for (key, known) in cases {
        for client in [None, codex.as_deref()] {
            let home = TestHome::with_mock("http://127.0.0.1:9/v1");
            let mut cmd = exec_command(client);
            // A known key lets the run go on to a closed port: fail at once there. (In the
            // file: with a second -c, Codex 0.169 warns of an unknown -c key instead of failing.)
            let config = home.home().join("config.toml");
            let mut toml = std::fs::read_to_string(&config).unwrap();
            toml.push_str("request_max_retries = 0\nstream_max_retries = 0\n");
            std::fs::write(&config, toml).unwrap();
            cmd.args(["--strict-config", "-c", &format!("{key}=1"), "x"])
                .env("CODEX_HOME", home.home())
                .current_dir(home.work())
                .stdin(std::process::Stdio::null());
            let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
                .await
                .unwrap();
            let stderr = text(&out.stderr);
            let refused = stderr.contains(&format!(
                "unknown configuration field `{key}` in -c/--config override"
            ));
            assert_eq!(refused, !known, "{key} on {client:?}: {stderr}");
        }
    }
}
