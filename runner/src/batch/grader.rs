//! The SWE-bench-style part of a scenario: `setup` commands run in the workspace before the
//! agent (a failing one makes the run an `error`, not a `fail`), and `[[expect.command]]`
//! graders run in it after the agent, each one a check in results.jsonl carrying the
//! command's exit code and capped output.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::at_line::AtLine;
use super::command::{run_command, Interrupted};
use super::expect::CheckOutcome;
use super::scenario::Scenario;

/// Longest a `setup` command may run.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(600);
/// `timeout_s` of a grader when not given.
pub const DEFAULT_TIMEOUT_S: i64 = 300;
/// Largest `timeout_s` accepted (a day).
const MAX_TIMEOUT_S: i64 = 86_400;

/// `[[expect.command]]`: `run` (bash -c, in the workspace) must exit with `exit` (default 0)
/// within `timeout_s` (default 300), and its stdout contain `stdout_contains` when given.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandCheck {
    pub run: AtLine<String>,
    #[serde(default)]
    pub exit: Option<AtLine<i64>>,
    #[serde(default)]
    pub stdout_contains: Option<AtLine<String>>,
    #[serde(default)]
    pub timeout_s: Option<AtLine<i64>>,
}

impl CommandCheck {
    pub fn expected_exit(&self) -> i64 {
        self.exit.as_ref().map_or(0, |e| e.value)
    }

    pub fn timeout(&self) -> Duration {
        let secs = self
            .timeout_s
            .as_ref()
            .map_or(DEFAULT_TIMEOUT_S, |t| t.value);
        Duration::from_secs(secs.clamp(1, MAX_TIMEOUT_S) as u64)
    }

    /// `command[0] pytest -q`: the index and the command's first line, shortened.
    fn name(&self, i: usize) -> String {
        let first = self.run.value.lines().next().unwrap_or("").trim();
        let short: String = first.chars().take(60).collect();
        let more = if short.len() < self.run.value.trim().len() {
            "…"
        } else {
            ""
        };
        format!("command[{i}] {short}{more}")
    }
}

/// Checks `setup` and `expect.command` values as the file is read (and records their lines):
/// `Err((line, "field: what"))`.
pub fn check_fields(
    setup: &mut [AtLine<String>],
    commands: &mut [CommandCheck],
    text: &str,
) -> Result<(), (usize, String)> {
    for (i, step) in setup.iter_mut().enumerate() {
        let line = step.locate(text);
        if step.value.trim().is_empty() {
            return Err((line, format!("setup[{i}]: must not be empty")));
        }
    }
    for (i, c) in commands.iter_mut().enumerate() {
        let field = |name: &str| format!("expect.command[{i}].{name}");
        let line = c.run.locate(text);
        if c.run.value.trim().is_empty() {
            return Err((line, format!("{}: must not be empty", field("run"))));
        }
        if let Some(exit) = c.exit.as_mut() {
            let line = exit.locate(text);
            if !(0..=255).contains(&exit.value) {
                return Err((
                    line,
                    format!(
                        "{}: {} is not an exit code (0 to 255)",
                        field("exit"),
                        exit.value
                    ),
                ));
            }
        }
        if let Some(want) = c.stdout_contains.as_mut() {
            let line = want.locate(text);
            if want.value.is_empty() {
                return Err((
                    line,
                    format!("{}: must not be empty", field("stdout_contains")),
                ));
            }
        }
        if let Some(t) = c.timeout_s.as_mut() {
            let line = t.locate(text);
            if !(1..=MAX_TIMEOUT_S).contains(&t.value) {
                return Err((
                    line,
                    format!(
                        "{}: {} is out of range (1 to {MAX_TIMEOUT_S} seconds)",
                        field("timeout_s"),
                        t.value
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// How the setup commands ended.
pub enum SetupEnd {
    Done,
    /// `file:line: setup[i]: `cmd` exit N` and the command's capped output.
    Failed(String),
    Stopped,
}

/// Runs each `setup` command in order in `work`; stops at the first that does not exit 0.
pub async fn run_setup(
    s: &Scenario,
    work: &Path,
    stop: &mut (dyn Future<Output = ()> + Send + Unpin),
) -> SetupEnd {
    for (i, step) in s.setup.iter().enumerate() {
        let Ok(done) = run_command(&step.value, work, SETUP_TIMEOUT, None, stop).await else {
            return SetupEnd::Stopped;
        };
        let r = &done.report;
        if r.exit_code != Some(0) || r.timed_out {
            return SetupEnd::Failed(format!(
                "{}:{}: setup[{i}]: `{}` failed: {}\n{}",
                s.path.display(),
                step.line,
                step.value,
                r.ending(),
                r.output()
            ));
        }
    }
    SetupEnd::Done
}

/// Runs every grader in order in `work` and returns one check each.
pub async fn run_graders(
    commands: &[CommandCheck],
    work: &Path,
    stop: &mut (dyn Future<Output = ()> + Send + Unpin),
) -> Result<Vec<CheckOutcome>, Interrupted> {
    let mut out = Vec::with_capacity(commands.len());
    for (i, c) in commands.iter().enumerate() {
        let needle = c.stdout_contains.as_ref().map(|n| n.value.as_str());
        let done = run_command(&c.run.value, work, c.timeout(), needle, stop).await?;
        out.push(verdict(i, c, done.report, done.stdout_matched));
    }
    Ok(out)
}

fn verdict(
    i: usize,
    c: &CommandCheck,
    report: super::command::CommandReport,
    stdout_matched: bool,
) -> CheckOutcome {
    let want = c.expected_exit();
    let mut wrong = Vec::new();
    let exit_ok = !report.timed_out && report.exit_code.map(i64::from) == Some(want);
    if !exit_ok {
        wrong.push(format!("expected exit {want}, got {}", report.ending()));
    }
    if let Some(needle) = &c.stdout_contains {
        if !stdout_matched {
            wrong.push(format!("stdout does not contain {:?}", needle.value));
        }
    }
    CheckOutcome {
        check: c.name(i),
        passed: wrong.is_empty(),
        detail: wrong.join("; "),
        command: Some(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(toml_text: &str) -> CommandCheck {
        crate::config::from_toml_str(toml_text).unwrap()
    }

    async fn grade(c: &CommandCheck) -> CheckOutcome {
        let dir = tempfile::tempdir().unwrap();
        let mut never = Box::pin(std::future::pending::<()>());
        let Ok(mut out) = run_graders(std::slice::from_ref(c), dir.path(), &mut never).await else {
            panic!("interrupted")
        };
        out.remove(0)
    }

    #[tokio::test]
    async fn exit_and_stdout_decide_the_verdict() {
        let pass = grade(&command(
            "run = \"echo '2 passed'\"\nstdout_contains = \"passed\"",
        ))
        .await;
        assert!(pass.passed, "{pass:?}");
        assert_eq!(pass.check, "command[0] echo '2 passed'");
        assert_eq!(pass.command.as_ref().unwrap().exit_code, Some(0));

        let fail = grade(&command("run = \"echo 'FAILED test_x'; exit 1\"")).await;
        assert!(!fail.passed);
        assert_eq!(fail.detail, "expected exit 0, got exit 1");
        assert_eq!(fail.command.as_ref().unwrap().stdout, "FAILED test_x\n");

        let expected_nonzero = grade(&command("run = \"exit 3\"\nexit = 3")).await;
        assert!(expected_nonzero.passed);

        let no_text = grade(&command("run = \"echo ok\"\nstdout_contains = \"passed\"")).await;
        assert_eq!(no_text.detail, "stdout does not contain \"passed\"");
    }

    #[tokio::test]
    async fn a_grader_past_its_deadline_fails_as_timed_out() {
        let out = grade(&command("run = \"sleep 20\"\ntimeout_s = 1")).await;
        assert!(!out.passed);
        assert_eq!(out.detail, "expected exit 0, got timed out after 1 s");
        assert!(out.command.unwrap().timed_out);
    }

    #[test]
    fn bad_values_name_their_field_and_line() {
        let check = |text: &str| {
            let mut c = command(text);
            check_fields(&mut [], std::slice::from_mut(&mut c), text).unwrap_err()
        };
        assert_eq!(
            check("run = \"x\"\nexit = 256"),
            (
                2,
                "expect.command[0].exit: 256 is not an exit code (0 to 255)".into()
            )
        );
        assert_eq!(
            check("run = \"x\"\n\ntimeout_s = 0"),
            (
                3,
                "expect.command[0].timeout_s: 0 is out of range (1 to 86400 seconds)".into()
            )
        );
        assert_eq!(
            check("run = \" \""),
            (1, "expect.command[0].run: must not be empty".into())
        );
        assert_eq!(
            check("run = \"x\"\nstdout_contains = \"\""),
            (
                2,
                "expect.command[0].stdout_contains: must not be empty".into()
            )
        );
        let text = "setup = [\"make\",\n \"\"]";
        #[derive(Deserialize)]
        struct S {
            setup: Vec<AtLine<String>>,
        }
        let mut s: S = crate::config::from_toml_str(text).unwrap();
        assert_eq!(
            check_fields(&mut s.setup, &mut [], text).unwrap_err(),
            (2, "setup[1]: must not be empty".into())
        );
    }
}
