//! The `exec_command` / `write_stdin` pair: starts commands, waits up to the yield time, keeps
//! still-running ones as numbered sessions, and renders exactly the text Codex returns.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rcodex_core::truncation::{
    approx_tokens_from_bytes, format_exec_output, formatted_truncate_spliced, ExecOutputView,
    ExecStatus, DEFAULT_MAX_OUTPUT_TOKENS,
};

use super::args::{ExecCommandArgs, WriteStdinArgs};
use super::command_line::{command_argv, display_command};
use super::config::{ExecConfig, SessionIds, CODEX_EXEC_ENV};
use super::errors::UnifiedExecError;
use super::process::{exec_env, Process, SpawnRequest};
use crate::tools::shell_snapshot::ShellSnapshot;

/// Shortest wait for output.
pub const MIN_YIELD_TIME_MS: u64 = 250;
/// Longest wait for output from `exec_command` or a `write_stdin` that sends input.
pub const MAX_YIELD_TIME_MS: u64 = 30_000;
/// Shortest wait for a `write_stdin` that only polls.
pub const MIN_EMPTY_YIELD_TIME_MS: u64 = 5_000;
/// Longest wait for a `write_stdin` that only polls.
pub const MAX_EMPTY_YIELD_TIME_MS: u64 = 300_000;
/// Sessions kept at most; the least recently used (not among the last 8) is killed beyond it.
pub const MAX_SESSIONS: usize = 64;
/// Most recently used sessions never pruned.
const PROTECTED_RECENT_SESSIONS: usize = 8;
/// Pause after typing into a terminal, so the program's answer is in this call's output.
const AFTER_INPUT_PAUSE: Duration = Duration::from_millis(100);
/// How long `shutdown` waits for each killed shell to be reaped.
const SHUTDOWN_REAP_WAIT: Duration = Duration::from_secs(2);

/// What one `exec_command` or `write_stdin` call produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecResult {
    /// Exactly what the model receives as the function call output.
    pub text: String,
    /// Exit code when the process has exited.
    pub exit_code: Option<i32>,
    /// Session id when the process is still running.
    pub session_id: Option<i32>,
    /// All output of the command so far (capped), for `command_execution` events.
    pub aggregated_output: String,
    /// Time spent waiting for output in this call.
    pub wall_time: Duration,
    /// The command as Codex shows it, e.g. `/bin/bash -lc 'ls -la'`.
    pub command_display: String,
    /// `text` is an error message, not command output.
    pub is_error: bool,
}

/// Runs shell commands for the model and keeps the long-running ones as sessions.
///
/// Every process runs in its own process group; `shutdown` (or dropping the manager) sends
/// SIGKILL to every group, so no process outlives it.
pub struct UnifiedExecManager {
    config: ExecConfig,
    store: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    sessions: HashMap<i32, Session>,
    /// Processes inside an `exec_command` call that has not returned yet.
    in_flight: HashMap<i32, Arc<Process>>,
    /// Ids in use by sessions and in-flight calls.
    reserved: HashSet<i32>,
    shut_down: bool,
}

struct Session {
    process: Arc<Process>,
    command_display: String,
    last_used: Instant,
}

impl UnifiedExecManager {
    /// A manager with no sessions.
    pub fn new(config: ExecConfig) -> Self {
        UnifiedExecManager {
            config,
            store: Mutex::new(Store::default()),
        }
    }

    /// The settings this manager runs with.
    pub fn config(&self) -> &ExecConfig {
        &self.config
    }

    /// Parses `arguments` and runs [`Self::exec_command`]; a parse error becomes the text.
    pub async fn exec_command_json(&self, arguments: &str, chunk_id: String) -> ExecResult {
        match ExecCommandArgs::parse(arguments) {
            Ok(args) => self.exec_command(args, chunk_id).await,
            Err(err) => error_result(err.to_string(), String::new()),
        }
    }

    /// Parses `arguments` and runs [`Self::write_stdin`]; a parse error becomes the text.
    pub async fn write_stdin_json(&self, arguments: &str, chunk_id: String) -> ExecResult {
        match WriteStdinArgs::parse(arguments) {
            Ok(args) => self.write_stdin(args, chunk_id).await,
            Err(err) => error_result(err.to_string(), String::new()),
        }
    }

    /// Starts `args.cmd` and waits up to its yield time. A process still running then becomes
    /// a session that [`Self::write_stdin`] continues.
    pub async fn exec_command(&self, args: ExecCommandArgs, chunk_id: String) -> ExecResult {
        let argv = command_argv(&args, &self.config);
        let command_display = display_command(&argv);
        let cwd = self.resolve_workdir(args.workdir.as_deref());
        // Shown as asked (`-lc`); run as `-c` in the captured login environment where it applies.
        let snapshot = self.snapshot_for(&argv, &cwd).await;
        let argv = match &snapshot {
            Some(_) => ShellSnapshot::non_login_argv(&argv),
            None => argv,
        };
        let id = match self.reserve_id() {
            Ok(id) => id,
            Err(err) => {
                return error_result(format!("exec_command failed: {err}"), command_display)
            }
        };
        let request = SpawnRequest {
            argv: &argv,
            cwd: &cwd,
            env: exec_env(&CODEX_EXEC_ENV, &self.config.env),
            env_after: snapshot.as_ref().map_or(&[], |s| &s.set),
            env_remove: snapshot.as_ref().map_or(&[], |s| &s.unset),
            tty: args.tty,
            output_cap_bytes: self.config.output_cap_bytes,
            hard_timeout: self.config.hard_timeout,
            sandbox: self.config.sandbox.clone(),
        };
        let process = match Process::spawn(&request) {
            Ok(process) => Arc::new(process),
            Err(err) => {
                self.lock().reserved.remove(&id);
                let err = UnifiedExecError::CreateProcess(err.to_string());
                return error_result(format!("exec_command failed: {err}"), command_display);
            }
        };
        self.lock().in_flight.insert(id, Arc::clone(&process));

        let start = tokio::time::Instant::now();
        let yield_ms = args
            .yield_time_ms
            .clamp(MIN_YIELD_TIME_MS, MAX_YIELD_TIME_MS);
        process
            .wait_for_output(start + Duration::from_millis(yield_ms))
            .await;
        let wall_time = start.elapsed();

        let exit_code = process.exit_code();
        let status = {
            let mut store = self.lock();
            store.in_flight.remove(&id);
            match exit_code {
                Some(code) => {
                    store.reserved.remove(&id);
                    ExecStatus::Exited(code)
                }
                None if store.shut_down => {
                    store.reserved.remove(&id);
                    ExecStatus::Exited(-1)
                }
                None => {
                    prune_if_full(&mut store);
                    store.sessions.insert(
                        id,
                        Session {
                            process: Arc::clone(&process),
                            command_display: command_display.clone(),
                            last_used: Instant::now(),
                        },
                    );
                    ExecStatus::Running(id)
                }
            }
        };
        if let ExecStatus::Exited(_) = status {
            // Like Codex, a finished command takes its background children with it.
            process.kill_group();
        }
        render(
            &process,
            status,
            wall_time,
            &chunk_id,
            args.max_output_tokens,
            command_display,
        )
    }

    /// Sends `args.chars` to a session's terminal (if any), then waits for output. An empty
    /// `chars` only polls, waiting at least 5 s unless the process exits.
    pub async fn write_stdin(&self, args: WriteStdinArgs, chunk_id: String) -> ExecResult {
        let found = {
            let mut store = self.lock();
            store.sessions.get_mut(&args.session_id).map(|session| {
                session.last_used = Instant::now();
                (
                    Arc::clone(&session.process),
                    session.command_display.clone(),
                )
            })
        };
        let Some((process, command_display)) = found else {
            let err = UnifiedExecError::UnknownProcessId(args.session_id);
            return error_result(format!("write_stdin failed: {err}"), String::new());
        };

        if !args.chars.is_empty() {
            if !process.is_tty() {
                let err = UnifiedExecError::StdinClosed;
                return error_result(format!("write_stdin failed: {err}"), command_display);
            }
            if process.write_input(args.chars.as_bytes()).await.is_err()
                && process.exit_code().is_none()
            {
                let err = UnifiedExecError::WriteToStdin;
                return error_result(format!("write_stdin failed: {err}"), command_display);
            }
            tokio::time::sleep(AFTER_INPUT_PAUSE).await;
        }

        let yield_ms = if args.chars.is_empty() {
            args.yield_time_ms
                .clamp(MIN_EMPTY_YIELD_TIME_MS, MAX_EMPTY_YIELD_TIME_MS)
        } else {
            args.yield_time_ms
                .clamp(MIN_YIELD_TIME_MS, MAX_YIELD_TIME_MS)
        };
        let start = tokio::time::Instant::now();
        process
            .wait_for_output(start + Duration::from_millis(yield_ms))
            .await;
        let wall_time = start.elapsed();

        let status = match process.exit_code() {
            Some(code) => {
                let mut store = self.lock();
                store.sessions.remove(&args.session_id);
                store.reserved.remove(&args.session_id);
                drop(store);
                process.kill_group();
                ExecStatus::Exited(code)
            }
            None => ExecStatus::Running(args.session_id),
        };
        render(
            &process,
            status,
            wall_time,
            &chunk_id,
            args.max_output_tokens,
            command_display,
        )
    }

    /// Kills a session's process group and forgets it; false if there is no such session.
    pub fn terminate(&self, session_id: i32) -> bool {
        let removed = {
            let mut store = self.lock();
            store.reserved.remove(&session_id);
            store.sessions.remove(&session_id)
        };
        match removed {
            Some(session) => {
                session.process.kill_group();
                true
            }
            None => false,
        }
    }

    /// Ids of the sessions still held, ascending.
    pub fn session_ids(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.lock().sessions.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Kills every process group this manager started and waits for the shells to be reaped.
    /// Later calls fail with "unified exec is shut down".
    pub async fn shutdown(&self) {
        let processes: Vec<Arc<Process>> = {
            let mut store = self.lock();
            store.shut_down = true;
            store.reserved.clear();
            let in_flight: Vec<_> = store.in_flight.values().cloned().collect();
            let sessions = store.sessions.drain().map(|(_, s)| s.process);
            sessions.chain(in_flight).collect()
        };
        for process in &processes {
            process.kill_group();
        }
        for process in &processes {
            process.wait_exit(SHUTDOWN_REAP_WAIT).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The shell snapshot for this command line, if one is configured, can be taken and applies.
    async fn snapshot_for(&self, argv: &[String], cwd: &Path) -> Option<Arc<ShellSnapshot>> {
        let slot = self.config.shell_snapshot.as_ref()?;
        if argv.get(1).map(String::as_str) != Some("-lc") {
            return None;
        }
        slot.get()
            .await
            .filter(|s| s.applies_to(argv, cwd, &self.config.cwd))
    }

    fn resolve_workdir(&self, workdir: Option<&str>) -> PathBuf {
        match workdir.filter(|w| !w.is_empty()) {
            Some(dir) => self.config.cwd.join(dir),
            None => self.config.cwd.clone(),
        }
    }

    fn reserve_id(&self) -> Result<i32, UnifiedExecError> {
        let mut store = self.lock();
        if store.shut_down {
            return Err(UnifiedExecError::ShutDown);
        }
        let id = match self.config.session_ids {
            SessionIds::Sequential => store
                .reserved
                .iter()
                .max()
                .map_or(1000, |max| (*max).max(999) + 1),
            SessionIds::Random => loop {
                let candidate = random_session_id();
                if !store.reserved.contains(&candidate) {
                    break candidate;
                }
            },
        };
        store.reserved.insert(id);
        Ok(id)
    }
}

impl Drop for UnifiedExecManager {
    fn drop(&mut self) {
        let store = self.lock();
        for session in store.sessions.values() {
            session.process.kill_group();
        }
        for process in store.in_flight.values() {
            process.kill_group();
        }
    }
}

/// Six random hex digits, the form of Codex's `Chunk ID`.
pub fn random_chunk_id() -> String {
    let bits = uuid::Uuid::new_v4().as_u128();
    format!("{:06x}", bits & 0xff_ffff)
}

fn random_session_id() -> i32 {
    let span = 99_000u128;
    1000 + (uuid::Uuid::new_v4().as_u128() % span) as i32
}

/// Kills the least recently used session when the store is full, sparing the 8 most recent
/// and preferring sessions whose process already exited.
fn prune_if_full(store: &mut Store) {
    if store.sessions.len() < MAX_SESSIONS {
        return;
    }
    let mut by_age: Vec<(i32, Instant, bool)> = store
        .sessions
        .iter()
        .map(|(id, s)| (*id, s.last_used, s.process.exit_code().is_some()))
        .collect();
    by_age.sort_by_key(|(_, used, _)| *used);
    let candidates = &by_age[..by_age.len().saturating_sub(PROTECTED_RECENT_SESSIONS)];
    let victim = candidates
        .iter()
        .find(|(_, _, exited)| *exited)
        .or_else(|| candidates.first())
        .map(|(id, _, _)| *id);
    if let Some(id) = victim {
        if let Some(session) = store.sessions.remove(&id) {
            store.reserved.remove(&id);
            session.process.kill_group();
        }
    }
}

fn render(
    process: &Process,
    status: ExecStatus,
    wall_time: Duration,
    chunk_id: &str,
    max_output_tokens: Option<usize>,
    command_display: String,
) -> ExecResult {
    let output = process.take_pending();
    let max_tokens = max_output_tokens.unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS);
    let truncated = formatted_truncate_spliced(&output.spliced(), max_tokens);
    let text = format_exec_output(&ExecOutputView {
        chunk_id,
        wall_time_secs: wall_time.as_secs_f64(),
        status,
        original_token_count: approx_tokens_from_bytes(output.total_bytes()),
        output: &truncated,
    });
    let (exit_code, session_id) = match status {
        ExecStatus::Exited(code) => (Some(code), None),
        ExecStatus::Running(id) => (None, Some(id)),
    };
    ExecResult {
        text,
        exit_code,
        session_id,
        aggregated_output: process.transcript(),
        wall_time,
        command_display,
        is_error: false,
    }
}

fn error_result(text: String, command_display: String) -> ExecResult {
    ExecResult {
        text,
        exit_code: None,
        session_id: None,
        aggregated_output: String::new(),
        wall_time: Duration::ZERO,
        command_display,
        is_error: true,
    }
}
