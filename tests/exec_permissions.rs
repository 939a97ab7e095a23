//! What the sandbox settings and the client's name change in a request and a rollout, checked on
//! rcodex and on the pinned Codex CLI alike: the originator override, the permission profile
//! with extra writable roots (`--add-dir`, `sandbox_workspace_write.writable_roots`) and
//! `sandbox_workspace_write.network_access`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{codex_bin, json_lines, rcodex_bin, TestHome};
use serde_json::{json, Value};

/// What one `exec` run sent and recorded.
struct Run {
    home: TestHome,
    headers: Vec<(String, String)>,
    body: Value,
    rollout: Vec<Value>,
}

impl Run {
    fn header(&self, name: &str) -> &str {
        &self.headers.iter().find(|(n, _)| n == name).unwrap().1
    }

    /// The payload of the first rollout line of `kind` (an `event_msg` by its payload type).
    fn line(&self, kind: &str) -> &Value {
        &self
            .rollout
            .iter()
            .find(|l| l["type"] == kind || l["payload"]["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} line"))["payload"]
    }

    /// The text of the input part that starts with `tag`.
    fn part(&self, tag: &str) -> String {
        for item in self.body["input"].as_array().unwrap() {
            for part in item["content"].as_array().into_iter().flatten() {
                if let Some(text) = part["text"].as_str() {
                    if text.starts_with(tag) {
                        return text.to_string();
                    }
                }
            }
        }
        panic!("no part starting with {tag}")
    }

    /// The work folder, canonical, as both clients print it.
    fn work(&self) -> PathBuf {
        self.home.work().canonicalize().unwrap()
    }
}

/// Runs `exec ARGS hi` of rcodex (`codex` = None) or of the pinned CLI with `config` added to
/// config.toml and `env` set, against a fresh scripted server.
async fn run(codex: Option<&Path>, config: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let srv = MockServer::start(
        serde_json::from_value::<Script>(json!({ "replies": [{ "message": "ok" }] })).unwrap(),
    )
    .await
    .unwrap();
    let home = TestHome::with_mock(&srv.base_url());
    let path = home.home().join("config.toml");
    let base = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{config}{base}")).unwrap();
    let mut cmd = match codex {
        Some(bin) => {
            let mut c = Command::new(bin);
            c.args([
                "exec",
                "--disable",
                "plugins",
                "--disable",
                "shell_snapshot",
            ]);
            c
        }
        None => {
            let mut c = Command::new(rcodex_bin());
            c.arg("exec");
            c
        }
    };
    cmd.args(["--skip-git-repo-check", "--json"])
        .args(args)
        .arg("hi")
        .env("CODEX_HOME", home.home())
        .env("MOCK_API_KEY", "test-key")
        .env_remove("OPENAI_API_KEY")
        .envs(env.iter().copied())
        .current_dir(home.work())
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1, "{stderr}");
    let rollouts = home.rollouts();
    assert_eq!(rollouts.len(), 1, "{rollouts:?}");
    let rollout = json_lines(&std::fs::read_to_string(&rollouts[0]).unwrap());
    Run {
        headers: reqs[0].headers.clone(),
        body: reqs[0].body.clone(),
        rollout,
        home,
    }
}

/// Runs the same on both clients; `None` for Codex when the pinned CLI is skipped.
async fn both(test: &str, config: &str, args: &[&str], env: &[(&str, &str)]) -> (Run, Option<Run>) {
    let ours = run(None, config, args, env).await;
    let theirs = match codex_bin(test) {
        Some(codex) => Some(run(Some(&codex), config, args, env).await),
        None => None,
    };
    (ours, theirs)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_originator_override_renames_the_client_as_in_codex() {
    let env = [("CODEX_INTERNAL_ORIGINATOR_OVERRIDE", "my_orig")];
    let (ours, theirs) = both(
        "the_originator_override_renames_the_client_as_in_codex",
        "",
        &[],
        &env,
    )
    .await;
    for r in std::iter::once(&ours).chain(theirs.as_ref()) {
        assert_eq!(r.header("originator"), "my_orig");
        assert!(
            r.header("user-agent").starts_with("my_orig/"),
            "{:?}",
            r.headers
        );
        assert_eq!(r.line("session_meta")["originator"], "my_orig");
    }
}
