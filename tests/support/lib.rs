//! Shared helpers for the integration tests in tests/: the real `rcodex` binary (built once),
//! the pinned real Codex CLI (installed once, `codex_cli.rs`) and throwaway CODEX_HOME/workspace
//! folders wired to a loopback scripted server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub mod agent_scripts;
mod codex_cli;
pub mod git_fixture;
pub mod mock_process;
pub use codex_cli::codex_bin;

/// Path of the `rcodex` binary, built once per test process with the same cargo and profile.
pub fn rcodex_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "rcodex-runner", "--bin", "rcodex"])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building rcodex failed");
        // Test binaries live in target/<profile>/deps; the binary in target/<profile>.
        let exe = std::env::current_exe().expect("test exe path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let bin = profile_dir.join("rcodex");
        assert!(bin.exists(), "{} missing", bin.display());
        bin
    })
    .clone()
}

/// A CODEX_HOME and a workspace in temp folders.
pub struct TestHome {
    pub dir: tempfile::TempDir,
}

impl TestHome {
    /// A home whose config points the `mock` provider at `base_url`.
    pub fn with_mock(base_url: &str) -> TestHome {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        write_mock_config(&dir.path().join("home"), base_url);
        TestHome { dir }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Runs `rcodex exec` with `args` (after `exec`), stdin from `stdin`.
    pub fn exec(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(rcodex_bin());
        cmd.arg("exec")
            .args(args)
            .env("CODEX_HOME", self.home())
            .env("MOCK_API_KEY", "test-key")
            .env_remove("OPENAI_API_KEY")
            .current_dir(self.work())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().expect("spawn rcodex");
        if let Some(text) = stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(text.as_bytes()).unwrap();
        }
        child.wait_with_output().expect("wait rcodex")
    }

    /// Every rollout file under the home, sorted.
    pub fn rollouts(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![self.home().join("sessions")];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "jsonl") {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }
}

/// Every file below `dir`, recursively (none when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Parses JSON lines.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// `exec` of either client with the flags both need headless: the real Codex CLI when `codex` is
/// given (no sandbox, no plugin sync, no shell snapshot), else rcodex (full access).
pub fn exec_command(codex: Option<&Path>) -> Command {
    let mut c = match codex {
        Some(bin) => {
            let mut c = Command::new(bin);
            c.args([
                "exec",
                "--skip-git-repo-check",
                "--json",
                "--dangerously-bypass-approvals-and-sandbox",
            ]);
            c.args(["--disable", "plugins", "--disable", "shell_snapshot"]);
            c
        }
        None => {
            let mut c = Command::new(rcodex_bin());
            c.args([
                "exec",
                "--skip-git-repo-check",
                "--json",
                "-s",
                "danger-full-access",
            ]);
            c
        }
    };
    c.env("MOCK_API_KEY", "dummy");
    c
}

/// Writes `home/config.toml` with a `mock` provider at `base_url` (the upstream notes' snippet).
pub fn write_mock_config(home: &Path, base_url: &str) {
    std::fs::create_dir_all(home).expect("create home");
    let config = format!(
        "model = \"gpt-5.5\"\nmodel_provider = \"mock\"\n\n[model_providers.mock]\nname = \"Mock Responses\"\nbase_url = \"{base_url}\"\nwire_api = \"responses\"\nenv_key = \"MOCK_API_KEY\"\n"
    );
    std::fs::write(home.join("config.toml"), config).expect("write config.toml");
}

/// The rows of a batch's `out/results.jsonl`.
pub fn batch_results(out: &Path) -> Vec<serde_json::Value> {
    json_lines(&std::fs::read_to_string(out.join("results.jsonl")).expect("read results.jsonl"))
}

/// The row of scenario `id` among `rows`.
pub fn result_row<'a>(rows: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no row {id} in {rows:?}"))
}

/// `rcodex batch ARGS` run in `cwd`. Runs that fail keep their workspace in $TMPDIR, so the
/// test's own folder takes them; run in the repository, the system's temp folder does.
pub fn batch_in(args: &[&str], cwd: &Path) -> Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(rcodex_bin())
        .arg("batch")
        .args(args)
        .current_dir(cwd)
        .env(
            "TMPDIR",
            if cwd == repo {
                std::env::temp_dir()
            } else {
                cwd.to_path_buf()
            },
        )
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex batch")
}
