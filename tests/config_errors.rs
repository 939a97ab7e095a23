//! Bad config and scenario files through the real binary. `rcodex exec` refuses a config.toml
//! with a bad value anywhere in it (even in a provider it does not use), on one stderr line naming
//! file:line: field, before any request; `rcodex batch` turns a scenario with a bad value into an
//! error row naming file:line: field while the other scenarios run; and the pinned Codex CLI
//! refuses and accepts the same config files rcodex does.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{write_mock_config, TestHome};
use serde_json::{json, Value};

async fn server(replies: Value) -> MockServer {
    MockServer::start(serde_json::from_value::<Script>(json!({ "replies": replies })).unwrap())
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `cmd` off the async runtime (the mock server answers on it meanwhile).
async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.stdin(Stdio::null()).output().expect("spawn"))
        .await
        .unwrap()
}

/// `home/config.toml` = the working `mock` provider at `base_url` plus `extra`: top-level keys go
/// first (after a table header they would belong to that table), tables last. Returns the
/// 1-based line where `extra` starts.
fn config_with(home: &Path, base_url: &str, extra: &str) -> usize {
    write_mock_config(home, base_url);
    let path = home.join("config.toml");
    let base = std::fs::read_to_string(&path).unwrap();
    if extra.starts_with('[') || extra.starts_with('\n') {
        std::fs::write(&path, format!("{base}{extra}")).unwrap();
        base.lines().count() + 1
    } else {
        std::fs::write(&path, format!("{extra}{base}")).unwrap();
        1
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_refuses_a_bad_value_in_a_provider_it_does_not_use() {
    let srv = server(json!([{ "message": "never sent" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let first = config_with(
        &home.home(),
        &srv.base_url(),
        "\n[model_providers.a]\nbase_url = \"http://127.0.0.1:1\"\n\n[model_providers.b]\nbase_url = 5\n",
    );
    let out =
        tokio::task::spawn_blocking(move || home.exec(&["--skip-git-repo-check", "hi"], None))
            .await
            .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let dir = err.split("config.toml").next().unwrap();
    // `extra` opens with a blank line: b's base_url is its 6th line.
    assert_eq!(
        err,
        format!(
            "{dir}config.toml:{}: model_providers.b.base_url: invalid type: integer `5`, expected a string\n",
            first + 5
        )
    );
    assert!(dir.starts_with("Error: /"), "{err}");
    assert_eq!(srv.requests().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_names_the_override_that_breaks_the_config() {
    let srv = server(json!([{ "message": "never sent" }])).await;
    let home = TestHome::with_mock(&srv.base_url());
    let out = tokio::task::spawn_blocking(move || {
        home.exec(
            &["--skip-git-repo-check", "-c", "sandbox_mode=sideways", "hi"],
            None,
        )
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Error: -c sandbox_mode=sideways: sandbox_mode: unknown variant `sideways`, expected one of `read-only`, `workspace-write`, `danger-full-access`\n"
    );
    assert_eq!(srv.requests().len(), 0);
}

#[test]
fn batch_turns_each_bad_scenario_value_into_an_error_row() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    std::fs::create_dir_all(&dir).unwrap();
    let head = "name = \"n\"\nprompt = \"p\"\n";
    let reply = "[[model.reply]]\nmessage = \"ok\"\n";
    let files = [
        (
            "good",
            format!("{head}{reply}[expect]\nfinal_message = \"ok\"\n"),
        ),
        (
            "sandbox",
            format!("{head}sandbox = \"workspace_write\"\n{reply}"),
        ),
        (
            "status",
            format!("{head}{reply}[expect]\nrequests = 1\nstatus = \"done\"\n"),
        ),
        (
            "reply",
            format!("{head}{reply}[[model.reply]]\nfunction_call = {{ arguments = \"{{}}\" }}\n"),
        ),
    ];
    for (name, body) in &files {
        std::fs::write(dir.join(format!("{name}.toml")), body).unwrap();
    }
    let out = tmp.path().join("out");
    let o = Command::new(rcodex_tests::rcodex_bin())
        .args([
            "batch",
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(tmp.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let rows =
        rcodex_tests::json_lines(&std::fs::read_to_string(out.join("results.jsonl")).unwrap());
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(row("good")["status"], "pass");
    let want = [
        ("sandbox", 3, "sandbox: unknown variant `workspace_write`, expected one of `read-only`, `workspace-write`, `danger-full-access`"),
        ("status", 7, "expect.status: unknown variant `done`, expected one of `completed`, `failed`, `interrupted`"),
        ("reply", 6, "model.reply[1].function_call: missing field `name`"),
    ];
    for (id, line, message) in want {
        let r = row(id);
        assert_eq!(r["status"], "error", "{r}");
        let path = dir.join(format!("{id}.toml"));
        assert_eq!(
            r["error"].as_str().unwrap(),
            format!("{}:{line}: {message}", path.display()),
            "{r}"
        );
    }
}

/// Config files Codex 0.169 refuses (added to a working config), with the field Codex names
/// ("in `field`") and the field rcodex names ("config.toml:LINE: field: what is wrong").
const REFUSED: &[(&str, &str, &str)] = &[
    (
        "[model_providers.b]\nname = \"b\"\nbase_url = 5\n",
        "model_providers.b.base_url",
        "model_providers.b.base_url",
    ),
    ("sandbox_mode = \"bogus\"\n", "sandbox_mode", "sandbox_mode"),
    (
        "[profiles.p]\nsandbox_mode = \"nope\"\n",
        "profiles.p.sandbox_mode",
        "profiles.p.sandbox_mode",
    ),
    ("model_verbosity = \"loud\"\n", "model_verbosity", "model_verbosity"),
    (
        "[model_providers.c]\nname = \"c\"\nbase_url = \"http://127.0.0.1:1\"\nrequest_max_retries = -1\n",
        "model_providers.c.request_max_retries",
        "model_providers.c.request_max_retries",
    ),
    (
        "[model_providers.c]\nname = \"c\"\nbase_url = \"http://127.0.0.1:1\"\n[model_providers.c.http_headers]\nx = 1\n",
        "model_providers.c.http_headers.x",
        "model_providers.c.http_headers.x",
    ),
    ("[tools]\nupdate_plan = 1\n", "tools.update_plan", "tools.update_plan"),
    (
        "[model_providers.c]\nname = \" \"\nbase_url = \"http://127.0.0.1:1\"\n",
        "model_providers",
        "model_providers.c.name",
    ),
    (
        "[model_providers.openai]\nname = \"o\"\nbase_url = \"http://127.0.0.1:1\"\n",
        "model_providers",
        "model_providers.openai",
    ),
];

/// A config both accept: keys rcodex does not model are ignored, as Codex ignores unknown keys.
const ACCEPTED: &str = "[model_providers.c]\nname = \"c\"\nbase_url = \"http://127.0.0.1:1\"\nsome_future_key = true\n";

#[tokio::test(flavor = "multi_thread")]
async fn codex_0_169_refuses_and_accepts_the_same_config_files() {
    let Some(codex) = rcodex_tests::codex_bin("the config comparison with the real Codex CLI")
    else {
        return;
    };
    let srv = server(json!([{ "message": "ok", "repeat": 2 }])).await;
    for client in [Some(codex.as_path()), None] {
        let who = if client.is_some() { "codex" } else { "rcodex" };
        for (extra, codex_field, rcodex_field) in REFUSED {
            let tmp = tempfile::tempdir().unwrap();
            config_with(tmp.path(), &srv.base_url(), extra);
            let mut cmd = rcodex_tests::exec_command(client);
            cmd.env("CODEX_HOME", tmp.path())
                .current_dir(tmp.path())
                .arg("hi");
            let out = run(cmd).await;
            let err = text(&out.stderr);
            assert_ne!(out.status.code(), Some(0), "{who} accepted {extra:?}");
            let named = match client {
                Some(_) => err.contains(&format!("in `{codex_field}`")),
                None => {
                    err.contains("config.toml:") && err.contains(&format!(": {rcodex_field}: "))
                }
            };
            assert!(named, "{who} on {extra:?}: {err}");
        }
        let tmp = tempfile::tempdir().unwrap();
        config_with(tmp.path(), &srv.base_url(), ACCEPTED);
        let mut cmd = rcodex_tests::exec_command(client);
        cmd.env("CODEX_HOME", tmp.path())
            .current_dir(tmp.path())
            .arg("hi");
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(0), "{who}: {}", text(&out.stderr));
    }
    assert_eq!(srv.requests().len(), 2, "one request per accepted run");
}
