//! `rcodex replay FILE --fork-at TURN[.REQUEST]`: a recorded session replayed up to a request,
//! then carried on as a new thread against a model — the configured one (`--live`) or scripted
//! replies (`--script FILE`) — with tool calls answered from the recording where they match it
//! (`--tools`). The new thread's rollout goes to `$CODEX_HOME/sessions/` like `exec`'s: the
//! parent's history up to the cut, then the fork's own turns, so `codex exec resume` goes on.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use clap::ValueEnum;
use rcodex_core::ids::{IdKind, IdSource};
use rcodex_core::protocol::ThreadEvent;
use rcodex_core::replay::{fork, Fork, ForkOptions, ForkPoint, RecordedAnswers};
use rcodex_core::session::{Effect, ToolCall, ToolOutput, TurnStatus};

use crate::config::{load_config, ConfigOverrides};
use crate::driver::{continue_turn, drive_turn, now_ms, DriveReport, ToolRunner, TurnIo};
use crate::exec::{local_timezone, print_event};
use crate::live_ids::LiveIds;
use crate::mock::{load_script, MockServer};
use crate::rollout::{read_recorded, rollout_path, RolloutWriter};
use crate::session_setup::{build_session_parts, SessionInputs};

/// Where a fork's tool calls get their answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ForkTools {
    /// From the recording when a recorded call has the same tool and arguments; else run.
    Auto,
    /// Only from the recording; a call the recording does not have gets an error output.
    Recorded,
    /// Always run for real, in the working directory.
    Run,
}

/// What `--fork-at` needs from the command line.
pub struct ForkRequest<'a> {
    pub path: &'a Path,
    pub at: ForkPoint,
    pub tools: ForkTools,
    pub live: bool,
    pub script: Option<&'a Path>,
    pub model: Option<String>,
    pub cd: Option<&'a Path>,
    pub config: Vec<String>,
    pub json: bool,
}

/// Runs the fork to the end of its last turn; returns the exit status: 0 every turn completed,
/// 1 a turn failed or was interrupted, 2 the recording or the setup is unusable.
pub fn run_fork(request: ForkRequest) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: tokio runtime: {e}");
            return 2;
        }
    };
    match runtime.block_on(fork_inner(request)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            2
        }
    }
}

async fn fork_inner(request: ForkRequest<'_>) -> Result<i32, String> {
    let ForkRequest {
        path,
        at,
        tools: policy,
        live,
        script,
        model,
        cd,
        config: overrides_given,
        json,
    } = request;
    if !live && script.is_none() {
        return Err(
            "--fork-at needs a model to go on with: --live (the configured provider) or --script FILE (scripted replies)"
                .into(),
        );
    }
    let recorded = read_recorded(path).map_err(|e| e.to_string())?;
    for w in &recorded.warnings {
        eprintln!("warning: {w}");
    }
    let cwd = match cd {
        Some(dir) => {
            std::fs::canonicalize(dir).map_err(|e| format!("--cd {}: {e}", dir.display()))?
        }
        None => std::env::current_dir().map_err(|e| format!("current directory: {e}"))?,
    };
    let server = match script {
        Some(file) => {
            let script = load_script(file).map_err(|e| e.to_string())?;
            Some(
                MockServer::start(script)
                    .await
                    .map_err(|e| format!("scripted server: {e}"))?,
            )
        }
        None => None,
    };
    let mut config_overrides = Vec::new();
    if let Some(server) = &server {
        let provider = "model_providers.rcodex-scripted";
        config_overrides.extend([
            "model_provider=\"rcodex-scripted\"".to_string(),
            format!("{provider}.name=\"rcodex scripted model\""),
            format!("{provider}.base_url=\"{}\"", server.base_url()),
            format!("{provider}.wire_api=\"responses\""),
        ]);
    }
    config_overrides.extend(overrides_given);
    let overrides = ConfigOverrides {
        model: model.clone(),
        cwd: Some(cwd.clone()),
        config_overrides,
        ..ConfigOverrides::default()
    };
    let env = |k: &str| std::env::var(k).ok();
    let config = load_config(None, &overrides, &env).map_err(|e| e.to_string())?;
    let api_key = config.provider.api_key(&env).map_err(|e| e.to_string())?;
    let start = now_ms();
    let parts = build_session_parts(
        &config,
        SessionInputs {
            cwd: &cwd,
            api_key,
            output_schema: None,
            start_ms: start,
            current_date: chrono::Local::now().format("%Y-%m-%d").to_string(),
            timezone: local_timezone(),
            installation_id: None,
        },
    )?;
    let mut ids = LiveIds;
    let thread_id = ids.id(IdKind::Thread, start);
    let runner_cfg = parts.session.clone();
    let scripted = server.is_some();
    let forked = fork(
        &recorded.lines,
        at,
        ForkOptions {
            thread_id: thread_id.clone(),
            ids: Box::new(ids),
            model,
            configure: Box::new(move |cfg| {
                // Scripted replies stand in for the recorded provider: the thread keeps its
                // provider, so `codex exec resume` finds it configured.
                let recorded_provider = std::mem::take(&mut cfg.identity.provider_id);
                cfg.identity = runner_cfg.identity;
                if scripted {
                    cfg.identity.provider_id = recorded_provider;
                }
                cfg.retry = runner_cfg.retry;
            }),
        },
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let Fork {
        mut session,
        held,
        records,
        later_turns,
        answers,
        replayed_requests,
    } = forked;
    let rollout = rollout_path(&config.codex_home, &thread_id, chrono::Local::now());
    let mut writer =
        RolloutWriter::open(rollout.clone()).map_err(|e| format!("{}: {e}", rollout.display()))?;
    for line in &records {
        writer
            .write(line)
            .map_err(|e| format!("{}: {e}", rollout.display()))?;
    }
    eprintln!(
        "forked {} at {at} ({replayed_requests} request(s) replayed, {} recorded answer(s)) as thread {thread_id}\nmodel: {}\nrollout: {}",
        path.display(),
        answers.len(),
        request_model(&held),
        rollout.display()
    );
    let tally = Arc::new(Tally::default());
    let runner = answering(
        parts.tools.clone().into_runner(),
        answers,
        policy,
        tally.clone(),
    );
    let mut on_event = move |ev: &ThreadEvent| print_event(ev, json);
    let mut interrupt = Box::pin(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    // The cut turn goes on from its held request; each later recorded prompt is a turn of its own.
    let mut held = Some(held);
    let mut later = later_turns.into_iter();
    let mut code = 0;
    loop {
        let next = match held.take() {
            Some(effects) => Ok(effects),
            None => match later.next() {
                Some(turn) => Err(turn),
                None => break,
            },
        };
        let io = TurnIo {
            client: &parts.client,
            tools: &runner,
            rollout: Some(&mut writer),
            on_event: &mut on_event,
            on_request: None,
            interrupt: &mut interrupt,
            agents: None,
        };
        let done = match next {
            Ok(effects) => continue_turn(&mut session, effects, io).await,
            Err(turn) => {
                if !json {
                    eprintln!("user\n{}", turn.text);
                }
                drive_turn(&mut session, turn, io).await
            }
        };
        code = finish_turn(&done, json);
        if code != 0 {
            break;
        }
    }
    parts.tools.exec.shutdown().await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    eprintln!(
        "fork done: tool calls {} answered from the recording, {} run, {} refused; rollout: {}",
        tally.recorded.load(Ordering::Relaxed),
        tally.run.load(Ordering::Relaxed),
        tally.refused.load(Ordering::Relaxed),
        rollout.display()
    );
    Ok(code)
}

/// The model the cut request asks for.
fn request_model(held: &[Effect]) -> String {
    held.iter()
        .find_map(|e| match e {
            Effect::SendRequest { body, .. } => serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|b| b["model"].as_str().map(String::from)),
            _ => None,
        })
        .unwrap_or_default()
}

/// Reports one finished turn; its exit status.
fn finish_turn(done: &DriveReport, json: bool) -> i32 {
    if let Some(err) = &done.record_error {
        eprintln!("warning: rollout not fully written: {err}");
    }
    match &done.outcome.status {
        TurnStatus::Completed => {
            if !json {
                if let Some(text) = &done.outcome.last_agent_message {
                    println!("{text}");
                }
            }
            0
        }
        TurnStatus::Failed { message } => {
            eprintln!("ERROR: {message}");
            1
        }
        TurnStatus::Interrupted => {
            eprintln!("turn interrupted");
            1
        }
    }
}

/// How the fork's calls were answered.
#[derive(Default)]
struct Tally {
    recorded: AtomicUsize,
    run: AtomicUsize,
    refused: AtomicUsize,
}

/// The tool runner of a fork: recorded answers first (unless `--tools run`), then the real
/// tools (unless `--tools recorded`, which answers with an error the model can read).
fn answering(
    real: ToolRunner,
    answers: RecordedAnswers,
    policy: ForkTools,
    tally: Arc<Tally>,
) -> ToolRunner {
    let answers = Arc::new(Mutex::new(answers));
    Arc::new(move |call: ToolCall| {
        let recorded = match policy {
            ForkTools::Run => None,
            ForkTools::Auto | ForkTools::Recorded => {
                answers.lock().ok().and_then(|mut a| a.answer(&call))
            }
        };
        if let Some(output) = recorded {
            tally.recorded.fetch_add(1, Ordering::Relaxed);
            return Box::pin(std::future::ready(output));
        }
        if policy == ForkTools::Recorded {
            tally.refused.fetch_add(1, Ordering::Relaxed);
            let text = format!(
                "rcodex replay --tools recorded: the recording has no call of {} with these arguments, and tools are not run",
                call.name
            );
            return Box::pin(std::future::ready(ToolOutput::text(text, false)));
        }
        tally.run.fetch_add(1, Ordering::Relaxed);
        real(call)
    })
}
