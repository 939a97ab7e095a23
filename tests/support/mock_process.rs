//! A client run against `rcodex mock` as a process (the way alignment captures run it): the
//! mock started with `--script` and `--log-dir`, the real Codex CLI (or rcodex) pointed at it
//! through a temp CODEX_HOME, the mock stopped by its own process handle afterwards. Used by the
//! multi-agent tests, whose children the mock answers from their `[[agent]]` replies.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{json_lines, rcodex_bin, write_mock_config};

/// How long one client run may take before it is killed and the test fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// `rcodex mock` running as a child process; killed (by its handle) when dropped.
pub struct MockProcess {
    child: Child,
    /// `http://127.0.0.1:PORT/v1`, as it printed.
    pub base_url: String,
}

impl MockProcess {
    /// Starts `rcodex mock --script SCRIPT --port 0 --log-dir LOG` and reads its URL.
    pub fn start(script: &Path, log: &Path) -> MockProcess {
        let mut child = Command::new(rcodex_bin())
            .arg("mock")
            .arg("--script")
            .arg(script)
            .args(["--port", "0", "--log-dir"])
            .arg(log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rcodex mock");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("mock stdout"))
            .read_line(&mut line)
            .expect("read the mock's URL");
        let base_url = line.trim().to_string();
        if !base_url.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            let out = child.wait_with_output().expect("mock output");
            panic!(
                "rcodex mock did not start: {base_url:?} {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        MockProcess { child, base_url }
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One client run's folder: `home/` (CODEX_HOME, sessions), `work/`, `log/` (the mock's
/// request logs) and the script.
pub struct MockedRun {
    pub dir: tempfile::TempDir,
    pub output: Output,
}

impl MockedRun {
    /// Writes `script` (TOML), starts the mock on it and runs `client` (`exec` already given
    /// its flags, see `exec_command`) with `prompt` in `work/`, CODEX_HOME = `home/`.
    pub fn run(mut client: Command, script: &str, prompt: &str) -> MockedRun {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for sub in ["home", "work", "log"] {
            std::fs::create_dir_all(root.join(sub)).expect("create run folders");
        }
        let script_path = root.join("script.toml");
        std::fs::write(&script_path, script).expect("write script");
        let mock = MockProcess::start(&script_path, &root.join("log"));
        write_mock_config(&root.join("home"), &mock.base_url);
        client
            .arg("-C")
            .arg(root.join("work"))
            .arg(prompt)
            .env("CODEX_HOME", root.join("home"))
            .env_remove("OPENAI_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let output = run_with_timeout(client);
        drop(mock);
        MockedRun { dir, output }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The `--json` events the client printed.
    pub fn events(&self) -> Vec<Value> {
        json_lines(&String::from_utf8_lossy(&self.output.stdout))
    }

    /// The mock's request logs (`request-NNN.json`), in arrival order.
    pub fn requests(&self) -> Vec<Value> {
        let mut files = crate::files_under(&self.dir.path().join("log"));
        files.sort();
        files
            .iter()
            .map(|f| {
                serde_json::from_str(&std::fs::read_to_string(f).expect("read request log"))
                    .expect("request log JSON")
            })
            .collect()
    }

    /// Every rollout file under `home/sessions`, sorted.
    pub fn rollouts(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = crate::files_under(&self.home().join("sessions"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        out.sort();
        out
    }

    /// stdout and stderr, for failure messages.
    pub fn shown(&self) -> String {
        format!(
            "status {:?}\nstdout:\n{}\nstderr:\n{}",
            self.output.status,
            String::from_utf8_lossy(&self.output.stdout),
            String::from_utf8_lossy(&self.output.stderr)
        )
    }
}

/// Runs `cmd`, its output read on threads so a full pipe cannot stall it; killed (by its
/// handle) and the test failed when it runs over `RUN_TIMEOUT`.
fn run_with_timeout(mut cmd: Command) -> Output {
    use std::io::Read;
    let mut child = cmd.spawn().expect("spawn the client");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("client stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("client stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the client") {
            break status;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.join().unwrap_or_default();
            panic!(
                "the client ran over {RUN_TIMEOUT:?}; stderr:\n{}",
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}
