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

    /// `value` as text with this run's folders as `[work]` and `[extra]`.
    fn neutral(&self, value: impl ToString) -> String {
        let extra = self.home.dir.path().join("extra").canonicalize().unwrap();
        value
            .to_string()
            .replace(&self.work().display().to_string(), "[work]")
            .replace(&extra.display().to_string(), "[extra]")
    }

    /// What the sandbox settings change: the environment's permission profile, and the
    /// rollout's profile, policy and roots.
    fn permissions(&self) -> Vec<String> {
        let env = self.part("<environment_context>");
        let profile = env
            .split("<filesystem>")
            .nth(1)
            .expect("a <filesystem> element")
            .to_string();
        let context = self.line("turn_context");
        let settings = &self.line("thread_settings_applied")["thread_settings"];
        vec![
            self.neutral(profile),
            self.neutral(&context["permission_profile"]),
            self.neutral(&context["sandbox_policy"]),
            self.neutral(&context["approval_policy"]),
            self.neutral(&settings["permission_profile"]),
            self.neutral(&settings["runtime_workspace_roots"]),
            self.neutral(&self.line("session_meta")["runtime_workspace_roots"]),
        ]
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
    let extra = home.dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    let extra = extra.canonicalize().unwrap().display().to_string();
    let args: Vec<String> = args.iter().map(|a| a.replace("{extra}", &extra)).collect();
    let config = config.replace("{extra}", &extra);
    let path = home.home().join("config.toml");
    let base = std::fs::read_to_string(&path).unwrap();
    // Top-level keys go first, tables after the file's own.
    let (top, tables) = config.split_at(config.find("\n[").map_or(config.len(), |i| i + 1));
    std::fs::write(&path, format!("{top}{base}\n{tables}")).unwrap();
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

/// Each sandbox setting, as both clients show it in the request and the rollout.
const SETTINGS: &[(&str, &str, &[&str])] = &[
    ("read-only", "", &[]),
    ("read-only with an extra root", "", &["--add-dir", "{extra}"]),
    ("workspace-write", "", &["-s", "workspace-write"]),
    (
        "workspace-write with --add-dir",
        "",
        &["-s", "workspace-write", "--add-dir", "{extra}"],
    ),
    (
        "workspace-write with writable_roots and network_access",
        "sandbox_mode = \"workspace-write\"\n[sandbox_workspace_write]\nwritable_roots = [\"{extra}\"]\nnetwork_access = true\n\n",
        &[],
    ),
    (
        "full access",
        "",
        &["-s", "danger-full-access", "--add-dir", "{extra}"],
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn permission_profiles_and_policies_are_codex_s() {
    let test = "permission_profiles_and_policies_are_codex_s";
    for (name, config, args) in SETTINGS {
        let (ours, theirs) = both(test, config, args, &[]).await;
        let mine = ours.permissions();
        if name.contains("workspace-write with --add-dir") {
            assert!(
                mine[0].contains("<entry access=\"write\"><path>[extra]</path></entry>"),
                "{name}: {mine:?}"
            );
            assert!(
                mine[2].contains("\"writable_roots\":[\"[extra]\"]"),
                "{name}: {mine:?}"
            );
        }
        if name.contains("network_access") {
            assert!(
                mine[1].contains("\"network\":\"enabled\""),
                "{name}: {mine:?}"
            );
            assert!(
                mine[2].contains("\"network_access\":true"),
                "{name}: {mine:?}"
            );
        }
        if let Some(theirs) = theirs {
            assert_eq!(mine, theirs.permissions(), "{name}");
        }
    }
}

/// The exit code of a command that opens a TCP connection to a loopback listener, run by the
/// model under `workspace-write` with `config` added.
async fn tcp_exit_code(config: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cmd = format!("bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'; echo code=$?");
    let srv = MockServer::start(
        serde_json::from_value::<Script>(json!({ "replies": [
            { "function_call": { "name": "exec_command", "arguments": { "cmd": cmd } } },
            { "message": "ok" }
        ] }))
        .unwrap(),
    )
    .await
    .unwrap();
    let home = TestHome::with_mock(&srv.base_url());
    let path = home.home().join("config.toml");
    let base = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{base}\n{config}")).unwrap();
    let args = ["--skip-git-repo-check", "-s", "workspace-write", "x"];
    let out = tokio::task::spawn_blocking(move || home.exec(&args, None))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = srv.requests();
    let output = reqs[1].body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["type"] == "function_call_output")
        .expect("the command's output")["output"]
        .as_str()
        .unwrap()
        .to_string();
    output
        .split("code=")
        .nth(1)
        .map(|c| c.trim().to_string())
        .unwrap_or(output)
}

/// Commands reach the network under `workspace-write` only with `network_access = true`, as in
/// Codex (on kernels whose Landlock can restrict TCP; elsewhere both connect).
#[tokio::test(flavor = "multi_thread")]
async fn workspace_write_commands_reach_the_network_only_with_network_access() {
    let open = tcp_exit_code("[sandbox_workspace_write]\nnetwork_access = true\n").await;
    assert_eq!(open, "0", "network_access = true");
    let closed = tcp_exit_code("").await;
    assert!(closed.parse::<i32>().is_ok(), "the command ran: {closed}");
    if rcodex_runner::tools::landlock::abi_version().is_some_and(|abi| abi >= 4) {
        assert_ne!(closed, "0", "no network_access");
    }
}
