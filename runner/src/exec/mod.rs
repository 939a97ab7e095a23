//! `rcodex exec`: one non-interactive turn with Codex's surface (prompt, `--json`, `-o`,
//! `--output-schema`, resume, exit codes); the rest of `codex exec`'s flags are in `flags`.

pub mod flags;
mod human;
pub mod interrupt;
pub mod prompt;
mod stdin_wait;
mod worktree;

/// Prints one event as `exec` does: a JSON line on stdout with `--json`, else for a person.
pub fn print_event(event: &rcodex_core::protocol::ThreadEvent, json: bool) {
    if json {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer(&mut out, event);
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    } else {
        human::print_event(event);
    }
}

use std::path::{Path, PathBuf};

use rcodex_core::sandbox::SandboxMode;
use rcodex_core::session::{ResumedThread, TurnStatus, UserTurn};

use crate::cli::{ExecArgs, ResumeCommand};
use crate::config::{load_config_with, Config, ConfigOverrides, LoadOptions};
use crate::driver::{drive_turn, now_ms, TurnIo};
use crate::live_ids::LiveIds;
use crate::rollout::{find_latest_rollout, find_rollout, read_rollout};
use crate::session_start::{
    start_session_with, OutputSchema, Resume, RolloutTarget, SessionStart, StartedSession,
};

/// Runs `exec` and returns the process exit code.
pub async fn run_exec(args: ExecArgs) -> i32 {
    match exec_inner(args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("Error: {message}");
            1
        }
    }
}

/// The local timezone name (TZ, else /etc/timezone, else Etc/UTC).
pub fn local_timezone() -> String {
    std::env::var("TZ")
        .ok()
        .filter(|t| !t.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/timezone")
                .ok()
                .map(|s| s.trim().to_string())
        })
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Etc/UTC".into())
}

fn inside_git_repo(dir: &Path) -> bool {
    dir.ancestors().any(|d| d.join(".git").exists())
}

/// The rollout of thread `id`, read back for resuming, and its path. With `None` (`--last`),
/// the newest thread started in `last_in` (any directory when `None`), or `Ok(None)` when there
/// is none: Codex then starts a new thread.
fn find_resumed_thread(
    codex_home: &Path,
    id: Option<&str>,
    last_in: Option<&Path>,
) -> Result<Option<(Resume, PathBuf)>, String> {
    let sessions = codex_home.join("sessions");
    let path = match id {
        Some(id) => find_rollout(codex_home, Some(id)).ok_or_else(|| {
            format!(
                "no rollout found for thread {id} under {}",
                sessions.display()
            )
        })?,
        None => match find_latest_rollout(codex_home, last_in) {
            Some(path) => path,
            None => {
                let place = last_in.map_or(sessions.clone(), Path::to_path_buf);
                eprintln!(
                    "rcodex: no earlier thread of {} to resume; starting a new one",
                    place.display()
                );
                return Ok(None);
            }
        },
    };
    let history = read_rollout(&path).map_err(|e| e.to_string())?;
    for w in &history.warnings {
        eprintln!("warning: {w}");
    }
    let resume = Resume {
        thread: ResumedThread {
            thread_id: history.thread_id,
            history: history.history,
            thread_usage: history.thread_usage,
            last_usage: history.last_usage,
            window_number: history.window_number,
        },
        base_instructions: history.base_instructions,
    };
    Ok(Some((resume, path)))
}

async fn exec_inner(args: ExecArgs) -> Result<i32, String> {
    let compact = matches!(&args.resume, Some(ResumeCommand::Resume(r)) if r.compact);
    let (resume, prompt_arg) = match &args.resume {
        Some(ResumeCommand::Resume(r)) => {
            // `resume --last PROMPT` puts the prompt in the id slot.
            let (id, prompt) = if r.last {
                (None, r.session_id.clone().or(r.prompt.clone()))
            } else {
                (r.session_id.clone(), r.prompt.clone())
            };
            if id.is_none() && !r.last {
                return Err("resume needs a thread id or --last".into());
            }
            (Some(id), prompt.or(args.prompt.clone()))
        }
        None => (None, args.prompt.clone()),
    };
    let cwd = match &args.cd {
        Some(dir) => {
            std::fs::canonicalize(dir).map_err(|e| format!("--cd {}: {e}", dir.display()))?
        }
        None => std::env::current_dir().map_err(|e| format!("current directory: {e}"))?,
    };
    let mut sandbox = args.sandbox.map(SandboxMode::from);
    if args.dangerously_bypass_approvals_and_sandbox {
        sandbox = Some(SandboxMode::DangerFullAccess);
    }
    flags::warn_ignored(&args);
    let mut config_overrides = args.config.clone();
    config_overrides.extend(flags::config_overrides(&args)?);
    let overrides = ConfigOverrides {
        model: args.model.clone(),
        profile: args.profile.clone(),
        sandbox_mode: sandbox,
        cwd: Some(cwd.clone()),
        upstream_text: args.upstream_text.as_deref().map(absolute).transpose()?,
        config_overrides,
    };
    let env = |k: &str| std::env::var(k).ok();
    let options = LoadOptions {
        ignore_user_config: args.ignore_user_config,
        strict: args.strict_config,
    };
    let mut config: Config =
        load_config_with(None, &overrides, &env, options).map_err(|e| e.to_string())?;
    config.add_dirs = flags::add_dirs(&args.add_dir, &cwd)?;
    let codex_home = config.codex_home.clone();
    let cwd = if args.worktree {
        worktree::make_worktree(&codex_home, &cwd)?
    } else {
        cwd
    };
    if !args.skip_git_repo_check && !inside_git_repo(&cwd) {
        return Err(
            "Not inside a trusted directory and --skip-git-repo-check was not specified.".into(),
        );
    }
    // `resume --compact` with no prompt compacts and exits: it reads no prompt from stdin.
    let mut prompt = match (compact, &prompt_arg) {
        (true, None) => None,
        _ => Some(prompt::resolve_prompt(
            prompt_arg.as_deref(),
            prompt::StdinMode::from_flags(args.stdin, args.no_stdin),
        )?),
    };
    // `resume --last` looks among the threads of this directory unless `--all`.
    let last_in = match &args.resume {
        Some(ResumeCommand::Resume(r)) if !r.all => Some(cwd.clone()),
        _ => None,
    };
    let mut resumed_source = None;
    let (resume, rollout) = match resume {
        Some(id) => match find_resumed_thread(&codex_home, id.as_deref(), last_in.as_deref())? {
            Some((resume, path)) => {
                resumed_source = flags::recorded_thread_source(&path);
                let target = if args.ephemeral {
                    RolloutTarget::Discard
                } else {
                    RolloutTarget::Append(path)
                };
                (Some(resume), target)
            }
            None if args.ephemeral => (None, RolloutTarget::Discard),
            None => (None, RolloutTarget::NewInCodexHome),
        },
        None if args.ephemeral => (None, RolloutTarget::Discard),
        None => (None, RolloutTarget::NewInCodexHome),
    };
    let output_schema = match &args.output_schema {
        Some(path) => OutputSchema::File(path.clone()),
        None => OutputSchema::None,
    };
    let original_detail =
        rcodex_core::tool_set::model_facts(&config.model).supports_image_detail_original;
    let image_parts = flags::image_parts(&args.images, &cwd, original_detail)?;
    // `--thread-source` classifies a new thread only; a resumed one keeps its own, as in Codex.
    let thread_source = match &resume {
        Some(_) => resumed_source,
        None => args.thread_source.clone(),
    };
    let started = start_session_with(
        SessionStart {
            config: &config,
            env: &env,
            cwd: &cwd,
            output_schema,
            start_ms: now_ms(),
            current_date: chrono::Local::now().format("%Y-%m-%d").to_string(),
            timezone: local_timezone(),
            installation_id: None,
            ids: Box::new(LiveIds),
            resume,
            rollout,
        },
        &mut |cfg| {
            if let Some(source) = &thread_source {
                cfg.identity.thread_source = source.clone();
            }
        },
    )?;
    let StartedSession {
        mut session,
        client,
        tools,
        runner,
        rollout: mut writer,
        agents,
    } = started;
    if !args.json {
        eprintln!(
            "rcodex exec v{}\n--------\nworkdir: {}\nmodel: {}\nprovider: {}\napproval: never\nsandbox: {}\nsession id: {}\n--------\nuser\n{}",
            env!("CARGO_PKG_VERSION"),
            cwd.display(),
            config.model,
            config.model_provider_id,
            config.sandbox_mode.unwrap_or(SandboxMode::ReadOnly).as_str(),
            session.thread_id(),
            prompt.as_deref().unwrap_or("(compact)")
        );
    }
    let json = args.json;
    let mut on_event = move |ev: &rcodex_core::protocol::ThreadEvent| print_event(ev, json);
    let mut interrupt = Box::pin(interrupt::first_ctrl_c());
    let mut report = None;
    if compact {
        let io = TurnIo {
            client: &client,
            tools: &runner,
            rollout: writer.as_mut(),
            on_event: &mut on_event,
            on_request: None,
            interrupt: &mut interrupt,
            agents: Some(&agents),
        };
        let done = crate::driver::drive_compaction(&mut session, io).await;
        let failed = !matches!(done.outcome.status, TurnStatus::Completed);
        report = Some(done);
        if !failed && !json && prompt.is_none() {
            eprintln!("thread compacted");
        }
        if failed {
            prompt = None;
        }
    }
    if let Some(prompt) = prompt {
        let io = TurnIo {
            client: &client,
            tools: &runner,
            rollout: writer.as_mut(),
            on_event: &mut on_event,
            on_request: None,
            interrupt: &mut interrupt,
            agents: Some(&agents),
        };
        let mut turn = UserTurn::text(prompt);
        turn.leading_content = image_parts;
        report = Some(drive_turn(&mut session, turn, io).await);
    }
    let report = report.expect("a compaction or a turn ran");
    agents.tree().shutdown().await;
    tools.exec.shutdown().await;
    if let Some(err) = &report.record_error {
        eprintln!("warning: rollout not fully written: {err}");
    }
    let last = report.outcome.last_agent_message.clone();
    if let Some(path) = &args.output_last_message {
        std::fs::write(path, last.clone().unwrap_or_default())
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    match &report.outcome.status {
        TurnStatus::Completed => {
            if !json {
                if let Some(text) = last {
                    println!("{text}");
                }
            }
            Ok(0)
        }
        TurnStatus::Failed { message } => {
            if !json {
                eprintln!("ERROR: {message}");
            }
            Ok(1)
        }
        TurnStatus::Interrupted => {
            if !json {
                eprintln!("turn interrupted");
            }
            interrupt::test_shutdown_pause().await;
            Ok(interrupt::INTERRUPTED_EXIT_CODE)
        }
    }
}

/// A path given on the command line, made absolute against the current directory.
fn absolute(path: &std::path::Path) -> Result<std::path::PathBuf, String> {
    std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))
}
