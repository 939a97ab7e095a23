//! Runs one harness command of a scenario (a `setup` step or an `[[expect.command]]` grader)
//! with `bash -c` in the run's workspace. The command gets its own process group, which is
//! killed at the deadline and again when the command ends (so a background child cannot keep
//! the run waiting); its output is capped per stream, while `stdout_contains` is matched
//! against the whole stream as it goes by.

use std::future::Future;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::tools::unified_exec::OutputBuffer;

/// Bytes of each stream (stdout, stderr) kept for reports: the first half and the last half of
/// this cap, with a `... N bytes omitted ...` line between them.
pub const OUTPUT_CAP_BYTES: usize = 8 * 1024;

/// After the group is killed, how long the pipes may take to close (a process that left the
/// group with `setsid` can hold them open).
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// What a finished (or killed) command did, as results.jsonl shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandReport {
    /// The command line as written.
    pub run: String,
    /// The exit code; absent when the command was killed by a signal or did not start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Its deadline.
    pub timeout_s: u64,
    /// The command reached its deadline and its process group was killed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
    pub duration_ms: u64,
    /// Capped to [`OUTPUT_CAP_BYTES`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    /// Capped to [`OUTPUT_CAP_BYTES`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Why the command could not start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spawn_error: Option<String>,
}

impl CommandReport {
    /// `exit 1`, `killed by signal 9`, `timed out after 5 s`, `did not start: ...`.
    pub fn ending(&self) -> String {
        if let Some(e) = &self.spawn_error {
            return format!("did not start: {e}");
        }
        if self.timed_out {
            return format!("timed out after {} s", self.timeout_s);
        }
        match self.exit_code {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".into(),
        }
    }

    /// stdout and stderr under headings, empty streams left out.
    pub fn output(&self) -> String {
        let mut out = String::new();
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            if !text.is_empty() {
                out.push_str(&format!("--- {name} ---\n{text}"));
                if !text.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// A finished command and whether its stdout held the needle it was given.
pub struct Finished {
    pub report: CommandReport,
    pub stdout_matched: bool,
}

/// The batch is being stopped; the command was killed.
pub struct Interrupted;

/// Kills the process group when dropped (an interrupted run must not leave the command behind).
struct GroupGuard(libc::pid_t);

impl GroupGuard {
    fn kill(&self) {
        if self.0 > 1 {
            // SAFETY: plain syscall; a negative pid addresses the process group.
            unsafe {
                libc::kill(-self.0, libc::SIGKILL);
            }
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `script` with `bash -c` in `cwd`, for at most `timeout`; `needle` is looked for in the
/// whole of stdout. Resolving `stop` kills the command and returns [`Interrupted`].
pub async fn run_command(
    script: &str,
    cwd: &Path,
    timeout: Duration,
    needle: Option<&str>,
    stop: &mut (dyn Future<Output = ()> + Send + Unpin),
) -> Result<Finished, Interrupted> {
    let started = Instant::now();
    let mut report = CommandReport {
        run: script.to_string(),
        timeout_s: timeout.as_secs(),
        ..CommandReport::default()
    };
    let spawned = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            report.spawn_error = Some(format!("bash: {e}"));
            return Ok(Finished {
                report,
                stdout_matched: false,
            });
        }
    };
    let group = GroupGuard(child.id().map_or(0, |id| id as libc::pid_t));
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let needle = needle.map(str::as_bytes);
    let exited = async {
        let status = child.wait().await;
        // Whatever the command left running in its group goes with it.
        group.kill();
        status
    };
    let everything = async {
        tokio::join!(
            exited,
            read_capped(stdout, needle),
            read_capped(stderr, None)
        )
    };
    let mut everything = std::pin::pin!(everything);
    let ended = tokio::select! {
        ended = &mut everything => Some(ended),
        _ = tokio::time::sleep(timeout) => None,
        _ = stop => return Err(Interrupted),
    };
    let (status, (out, matched), (err, _)) = match ended {
        Some(ended) => ended,
        None => {
            report.timed_out = true;
            group.kill();
            match tokio::time::timeout(DRAIN_GRACE, &mut everything).await {
                Ok(ended) => ended,
                Err(_) => {
                    report.duration_ms = started.elapsed().as_millis() as u64;
                    return Ok(Finished {
                        report,
                        stdout_matched: false,
                    });
                }
            }
        }
    };
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.exit_code = status.ok().and_then(|s| s.code());
    report.stdout = out.to_text().joined_with_marker();
    report.stderr = err.to_text().joined_with_marker();
    Ok(Finished {
        report,
        stdout_matched: matched,
    })
}

/// Reads a pipe to its end into a capped buffer; also says whether `needle` occurred anywhere
/// in it (matched across chunk boundaries, without keeping the stream).
async fn read_capped(
    pipe: Option<impl AsyncRead + Unpin>,
    needle: Option<&[u8]>,
) -> (OutputBuffer, bool) {
    let mut buffer = OutputBuffer::new(OUTPUT_CAP_BYTES);
    let mut matcher = needle.map(StreamMatcher::new);
    let Some(mut pipe) = pipe else {
        return (buffer, false);
    };
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                buffer.push(&chunk[..n]);
                if let Some(m) = matcher.as_mut() {
                    m.push(&chunk[..n]);
                }
            }
        }
    }
    (buffer, matcher.is_some_and(|m| m.found))
}

/// Finds a needle in a stream fed in chunks, keeping only the last `needle.len() - 1` bytes.
struct StreamMatcher<'a> {
    needle: &'a [u8],
    carry: Vec<u8>,
    found: bool,
}

impl<'a> StreamMatcher<'a> {
    fn new(needle: &'a [u8]) -> Self {
        StreamMatcher {
            needle,
            carry: Vec::new(),
            found: needle.is_empty(),
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.found {
            return;
        }
        self.carry.extend_from_slice(bytes);
        if memchr::memmem::find(&self.carry, self.needle).is_some() {
            self.found = true;
            return;
        }
        let keep = self.needle.len().saturating_sub(1).min(self.carry.len());
        self.carry.drain(..self.carry.len() - keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(std::future::pending())
    }

    async fn run(script: &str, timeout_ms: u64, needle: Option<&str>) -> Finished {
        let dir = tempfile::tempdir().unwrap();
        let mut stop = never();
        let Ok(done) = run_command(
            script,
            dir.path(),
            Duration::from_millis(timeout_ms),
            needle,
            &mut stop,
        )
        .await
        else {
            panic!("interrupted")
        };
        done
    }

    #[test]
    fn a_needle_split_across_chunks_is_found() {
        let mut m = StreamMatcher::new(b"passed");
        for part in [&b"3 pa"[..], b"ss", b"ed in 0.1s"] {
            m.push(part);
        }
        assert!(m.found);
        let mut m = StreamMatcher::new(b"passed");
        m.push(b"3 pas");
        m.push(b"sing");
        assert!(!m.found);
    }

    #[tokio::test]
    async fn exit_code_streams_and_match_are_reported() {
        let done = run("echo out; echo err >&2; exit 3", 10_000, Some("out")).await;
        assert_eq!(done.report.exit_code, Some(3));
        assert_eq!(done.report.stdout, "out\n");
        assert_eq!(done.report.stderr, "err\n");
        assert!(done.stdout_matched);
        assert!(!done.report.timed_out);
        assert_eq!(
            done.report.output(),
            "--- stdout ---\nout\n--- stderr ---\nerr\n"
        );
    }

    #[tokio::test]
    async fn runs_in_the_given_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut stop = never();
        let Ok(done) = run_command(
            "pwd -P",
            dir.path(),
            Duration::from_secs(10),
            None,
            &mut stop,
        )
        .await
        else {
            panic!("interrupted")
        };
        let want = dir.path().canonicalize().unwrap();
        assert_eq!(done.report.stdout, format!("{}\n", want.display()));
        assert_eq!(done.report.exit_code, Some(0));
    }

    #[tokio::test]
    async fn big_output_is_capped_but_matched_whole() {
        let done = run(
            "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo NEEDLE-IN-THE-MIDDLE; head -c 1000000 /dev/zero | tr '\\0' y",
            20_000,
            Some("NEEDLE-IN-THE-MIDDLE"),
        )
        .await;
        assert!(done.stdout_matched);
        assert!(done.report.stdout.len() < OUTPUT_CAP_BYTES + 100);
        assert!(done.report.stdout.contains("bytes omitted"));
        assert!(!done.report.stdout.contains("NEEDLE"));
    }

    #[tokio::test]
    async fn the_deadline_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("late");
        let script = format!(
            "(sleep 2; touch {}) & echo started; sleep 30",
            marker.display()
        );
        let started = Instant::now();
        let done = run(&script, 1000, None).await;
        assert!(done.report.timed_out);
        assert_eq!(done.report.exit_code, None);
        assert_eq!(done.report.stdout, "started\n");
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "a background child outlived the deadline");
        assert_eq!(done.report.ending(), "timed out after 1 s");
    }

    #[tokio::test]
    async fn a_background_child_does_not_hold_the_run() {
        let started = Instant::now();
        let done = run("sleep 30 & echo done", 20_000, None).await;
        assert_eq!(done.report.exit_code, Some(0));
        assert!(!done.report.timed_out);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn stop_interrupts_a_running_command() {
        let dir = tempfile::tempdir().unwrap();
        let mut stop: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> =
            Box::pin(tokio::time::sleep(Duration::from_millis(100)));
        let r = run_command(
            "sleep 30",
            dir.path(),
            Duration::from_secs(60),
            None,
            &mut stop,
        )
        .await;
        assert!(r.is_err());
    }
}
