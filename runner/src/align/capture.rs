//! Runs one client — the real Codex CLI or rcodex — on one scenario the same way, and keeps the
//! requests the scripted server received: a fresh server with the scenario's replies, a temp
//! workspace with its files, a temp CODEX_HOME whose config names that loopback server, one
//! `exec` per turn (`exec resume --last` after the first), both clients with full access.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::normalize::RunPaths;
use crate::batch::scenario::{script_of, Scenario};
use crate::mock::{MockServer, RecordedRequest};

/// A client turn that has not ended by then is killed and the scenario reported as an error.
const TURN_TIMEOUT: Duration = Duration::from_secs(120);

/// Which client to run.
#[derive(Clone, Debug)]
pub enum Client {
    /// The real Codex CLI at this path.
    Codex(PathBuf),
    /// The rcodex binary at this path, with extra `-c key=value` overrides for rcodex only
    /// and, maybe, a folder of upstream text.
    Rcodex {
        bin: PathBuf,
        config: Vec<String>,
        upstream_text: Option<PathBuf>,
    },
}

impl Client {
    pub fn name(&self) -> &'static str {
        match self {
            Client::Codex(_) => "codex",
            Client::Rcodex { .. } => "rcodex",
        }
    }

    /// `exec` with the flags a headless run needs. Codex's `--disable plugins --disable
    /// shell_snapshot` drop an offline plugin sync and a login-shell snapshot from its start-up
    /// without changing its requests.
    fn exec(&self) -> Command {
        let mut c = match self {
            Client::Codex(bin) => {
                let mut c = Command::new(bin);
                c.arg("exec");
                c.args(["--disable", "plugins", "--disable", "shell_snapshot"]);
                c
            }
            Client::Rcodex {
                bin,
                config,
                upstream_text,
            } => {
                let mut c = Command::new(bin);
                c.arg("exec");
                for kv in config {
                    c.arg("-c").arg(kv);
                }
                if let Some(dir) = upstream_text {
                    c.arg("--upstream-text").arg(dir);
                }
                c
            }
        };
        c.args([
            "--skip-git-repo-check",
            "--json",
            "--dangerously-bypass-approvals-and-sandbox",
        ]);
        c
    }
}

/// What one client sent for one scenario.
#[derive(Debug)]
pub struct ClientRun {
    pub requests: Vec<RecordedRequest>,
    pub paths: RunPaths,
    /// Exit status of each turn's process (`None`: killed by a signal).
    pub exit_codes: Vec<Option<i32>>,
    /// The last non-empty line the last turn's process wrote to stderr.
    pub last_stderr_line: String,
}

impl ClientRun {
    /// Why a run that sent nothing failed, for the scenario's error row: a client that cannot
    /// reach the server or does not start a turn is a setup problem, not a difference.
    pub fn nothing_sent(&self, client: &str) -> Option<String> {
        if !self.requests.is_empty() {
            return None;
        }
        let exit = match self.exit_codes.last() {
            Some(Some(code)) => format!("exit {code}"),
            Some(None) => "killed".to_string(),
            None => "not run".to_string(),
        };
        Some(format!(
            "{client} sent no request ({exit}): {}",
            self.last_stderr_line
        ))
    }
}

/// Runs `client` on every turn of `scenario`. `Err` is a setup failure (a file that cannot be
/// written, a process that cannot start or does not end), not a failed turn.
pub async fn run_client(client: &Client, scenario: &Scenario) -> Result<ClientRun, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let root = dir.path().canonicalize().map_err(|e| e.to_string())?;
    let (work, home) = (root.join("work"), root.join("home"));
    scenario.write_workspace(&work)?;
    let server = MockServer::start(script_of(scenario))
        .await
        .map_err(|e| format!("scripted server: {e}"))?;
    write_config(&home, &server.base_url())?;
    let schema = match &scenario.output_schema {
        Some(v) => {
            let path = root.join("output-schema.json");
            let json = serde_json::to_string(v).map_err(|e| format!("output_schema: {e}"))?;
            std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    let mut exit_codes = Vec::new();
    let mut last_stderr_line = String::new();
    for (turn, prompt) in scenario.prompts().iter().enumerate() {
        let mut cmd = client.exec();
        cmd.arg("-C").arg(&work);
        if let Some(model) = &scenario.model.name {
            cmd.args(["-m", model]);
        }
        for (key, value) in &scenario.config {
            cmd.arg("-c").arg(format!("{key}={value}"));
        }
        if let Some(path) = &schema {
            cmd.arg("--output-schema").arg(path);
        }
        if turn > 0 {
            cmd.args(["resume", "--last"]);
        }
        cmd.arg(prompt)
            .current_dir(&work)
            .env("CODEX_HOME", &home)
            .env("MOCK_API_KEY", "dummy")
            .env_remove("OPENAI_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .map_err(|e| format!("{}: cannot start: {e}", client.name()))?;
        let out = tokio::time::timeout(TURN_TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| {
                format!(
                    "{} turn {} did not end in {} s",
                    client.name(),
                    turn + 1,
                    TURN_TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| format!("{}: {e}", client.name()))?;
        exit_codes.push(out.status.code());
        let stderr = String::from_utf8_lossy(&out.stderr);
        last_stderr_line = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output on stderr")
            .trim()
            .to_string();
    }
    let requests = server.requests();
    server.shutdown().await;
    Ok(ClientRun {
        requests,
        paths: RunPaths {
            work: work.display().to_string(),
            home: home.display().to_string(),
        },
        exit_codes,
        last_stderr_line,
    })
}

/// `home/config.toml` naming the loopback server as provider `mock` (the config the upstream
/// notes give), read the same way by both clients.
pub(crate) fn write_config(home: &Path, base_url: &str) -> Result<(), String> {
    std::fs::create_dir_all(home).map_err(|e| format!("{}: {e}", home.display()))?;
    let config = format!(
        "model = \"gpt-5.5\"\nmodel_provider = \"mock\"\n\n[model_providers.mock]\nname = \"Mock Responses\"\nbase_url = \"{base_url}\"\nwire_api = \"responses\"\nenv_key = \"MOCK_API_KEY\"\n"
    );
    let path = home.join("config.toml");
    std::fs::write(&path, config).map_err(|e| format!("{}: {e}", path.display()))
}
