//! Runs one scenario once: a temp workspace and CODEX_HOME, the scripted server (or the live
//! provider), every turn through the same driver `rcodex exec` uses, then the expectations.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rcodex_core::ids::SeededIds;
use rcodex_core::protocol::{ResponseEvent, ResponseItem, ThreadEvent};
use rcodex_core::session::{TurnStatus, UserTurn};
use serde_json::Value;

use super::discover::stable_hash;
use super::expect::{evaluate, RunRecord};
use super::grader::{run_graders, run_setup, SetupEnd};
use super::results::{ResultLine, Status, UsageSummary};
use super::scenario::{script_of, Scenario};
use super::workspace::RunWorkspace;
use super::{infra, limits};
use crate::config::{load_config, ConfigOverrides};
use crate::driver::{drive_turn_observed, now_ms, TurnIo};
use crate::mock::MockServer;
use crate::session_start::{
    start_session, OutputSchema, RolloutTarget, SessionStart, StartedSession,
};

/// How scenarios reach a model.
#[derive(Clone, Debug)]
pub enum ModelMode {
    /// The built-in scripted server with each scenario's replies.
    Scripted,
    /// The same, reached through the chat-completions adapter (`--scripted-wire chat`).
    ScriptedChat,
    /// The provider configured in this CODEX_HOME.
    Live { codex_home: PathBuf },
}

/// What one run needs besides the scenario.
pub struct RunContext<'a> {
    pub mode: &'a ModelMode,
    pub rollout_dir: &'a Path,
    /// `--upstream-text DIR`, for every scenario.
    pub upstream_text: Option<&'a Path>,
    /// Resolves when the batch is being stopped (Ctrl-C).
    pub stop: &'a mut (dyn Future<Output = ()> + Send + Unpin),
    /// `--record DIR`: write this run as a scripted scenario there.
    pub record: Option<&'a Path>,
}

/// A run that was stopped before it finished: not recorded, so a resume runs it again.
pub struct Stopped;

/// What a run sent and emitted, as it was (unredacted): the material of snapshots.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    /// Request bodies in the order they were sent, keys in the order they were sent.
    pub requests: Vec<Value>,
    /// The `exec --json` events, in order.
    pub events: Vec<Value>,
    /// The run's temp workspace (deleted unless kept; snapshots redact its path).
    pub workspace: PathBuf,
}

/// One finished run: its results line and, when it got as far as sending requests, what it
/// sent and emitted.
pub struct ScenarioRun {
    pub line: ResultLine,
    pub capture: Option<Capture>,
    /// The run's workspace, deleted when dropped; [`super::workspace::settle`] keeps it.
    pub workspace: Option<RunWorkspace>,
}

fn base_line(s: &Scenario, id: &str, repeat: u32) -> ResultLine {
    ResultLine::new(
        id,
        repeat,
        &s.name,
        s.path.display().to_string(),
        Status::Error,
    )
}

/// Runs `scenario` once.
pub async fn run_scenario(
    scenario: &Scenario,
    id: &str,
    repeat: u32,
    ctx: RunContext<'_>,
) -> Result<ScenarioRun, Stopped> {
    let started = Instant::now();
    let mut line = base_line(scenario, id, repeat);
    let mut workspace = None;
    let result = run_inner(scenario, id, repeat, ctx, &mut line, &mut workspace).await;
    line.duration_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(capture) => Ok(ScenarioRun {
            line,
            capture,
            workspace,
        }),
        Err(RunError::Stopped) => Err(Stopped),
        Err(RunError::Setup(message)) => {
            line.status = Status::Error;
            line.error = Some(message);
            Ok(ScenarioRun {
                line,
                capture: None,
                workspace,
            })
        }
    }
}

enum RunError {
    Setup(String),
    Stopped,
}

impl From<String> for RunError {
    fn from(s: String) -> Self {
        RunError::Setup(s)
    }
}

async fn run_inner(
    s: &Scenario,
    id: &str,
    repeat: u32,
    ctx: RunContext<'_>,
    line: &mut ResultLine,
    workspace: &mut Option<RunWorkspace>,
) -> Result<Option<Capture>, RunError> {
    let script = script_of(s);
    if script.replies.is_empty()
        && matches!(ctx.mode, ModelMode::Scripted | ModelMode::ScriptedChat)
    {
        line.status = Status::Skipped;
        return Ok(None);
    }
    // The temp dir is the workspace; scripted runs need no CODEX_HOME on disk (config comes as
    // overrides, rollouts go to the results folder), which keeps per-scenario cost down.
    let work = workspace
        .insert(RunWorkspace::create(id, repeat)?)
        .path()
        .to_path_buf();
    super::workspace::write(s, &work).await?;
    match run_setup(s, &work, &mut *ctx.stop).await {
        SetupEnd::Done => {}
        SetupEnd::Failed(message) => return Err(RunError::Setup(message)),
        SetupEnd::Stopped => return Err(RunError::Stopped),
    }

    let mut overrides = ConfigOverrides {
        model: s.model.name.clone(),
        sandbox_mode: Some(s.sandbox),
        cwd: Some(work.clone()),
        upstream_text: ctx.upstream_text.map(Path::to_path_buf),
        ..ConfigOverrides::default()
    };
    overrides.config_overrides = s.config.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let (server, config_home) = match ctx.mode {
        ModelMode::Scripted | ModelMode::ScriptedChat => {
            let wire = match ctx.mode {
                ModelMode::ScriptedChat => "chat",
                _ => "responses",
            };
            let server = MockServer::start(script)
                .await
                .map_err(|e| format!("scripted server: {e}"))?;
            let provider = "model_providers.rcodex-scripted";
            let mut base = vec![
                "model=\"gpt-5.5\"".to_string(),
                "model_provider=\"rcodex-scripted\"".to_string(),
                format!("{provider}.name=\"rcodex scripted model\""),
                format!("{provider}.base_url=\"{}\"", server.base_url()),
                format!("{provider}.wire_api=\"{wire}\""),
            ];
            // The scenario's own overrides come after, so they win.
            base.append(&mut overrides.config_overrides);
            overrides.config_overrides = base;
            (Some(server), work.join("no-codex-home"))
        }
        ModelMode::Live { codex_home } => (None, codex_home.clone()),
    };
    let env = |k: &str| std::env::var(k).ok();
    let config = load_config(Some(config_home), &overrides, &env).map_err(|e| e.to_string())?;
    let output_schema = match &s.output_schema {
        Some(v) => OutputSchema::Inline(
            serde_json::to_value(v).map_err(|e| format!("output_schema: {e}"))?,
        ),
        None => OutputSchema::None,
    };
    let rollout_path = ctx
        .rollout_dir
        .join(format!("{}-r{repeat}.jsonl", id.replace('/', "__")));
    let start = now_ms();
    let StartedSession {
        mut session,
        client,
        tools,
        runner,
        rollout: mut writer,
        agents,
    } = start_session(SessionStart {
        config: &config,
        env: &env,
        cwd: &work,
        output_schema,
        start_ms: start,
        current_date: rcodex_core::time::utc_date(start),
        timezone: "Etc/UTC".into(),
        installation_id: Some(rcodex_core::context::content_uuid(id)),
        ids: Box::new(SeededIds::new(stable_hash(id) ^ u64::from(repeat))),
        resume: None,
        rollout: RolloutTarget::Replace(rollout_path.clone()),
    })?;
    line.rollout = Some(rollout_path.display().to_string());
    let recorder = super::record::Recorder::for_run(ctx.record, repeat);
    let client = match &recorder {
        Some(r) => client.with_tap(r.clone()),
        None => client,
    };

    let mut events: Vec<String> = Vec::new();
    let mut event_values: Vec<Value> = Vec::new();
    let mut bodies: Vec<String> = Vec::new();
    let mut record = RunRecord {
        workspace: work.clone(),
        status: "completed".into(),
        ..RunRecord::default()
    };
    line.model = Some(config.model.clone());
    let mut stopped = false;
    let (meter, mut guard) = limits::start(s, &mut *ctx.stop);
    // Both observers of a turn feed the one meter.
    let meter = std::sync::Mutex::new(meter);
    for prompt in s.prompts() {
        let mut on_event = |e: &ThreadEvent| {
            let v = serde_json::to_value(e).unwrap_or(Value::Null);
            events.push(event_name(&v));
            event_values.push(v);
        };
        let mut on_request = |b: &str| {
            limits::lock(&meter).on_request();
            bodies.push(b.to_string());
        };
        let io = TurnIo {
            client: &client,
            tools: &runner,
            rollout: writer.as_mut(),
            on_event: &mut on_event,
            on_request: Some(&mut on_request),
            interrupt: &mut guard,
            agents: Some(&agents),
        };
        let mut on_model_event = |e: &ResponseEvent| limits::lock(&meter).on_model_event(e);
        let report = drive_turn_observed(
            &mut session,
            UserTurn::text(prompt),
            io,
            &mut on_model_event,
        )
        .await;
        record.final_message = report.outcome.last_agent_message.clone();
        let u = report.outcome.thread_usage;
        line.usage = UsageSummary {
            input_tokens: u.input_tokens,
            cached_input_tokens: u.cached_input_tokens,
            output_tokens: u.output_tokens,
            reasoning_output_tokens: u.reasoning_output_tokens,
        };
        match report.outcome.status {
            TurnStatus::Completed => {}
            TurnStatus::Failed { message } => {
                record.status = "failed".into();
                record.error = Some(message);
                break;
            }
            TurnStatus::Interrupted => {
                stopped = true;
                break;
            }
        }
    }
    line.goal = session.goal().and_then(|g| serde_json::to_value(g).ok());
    agents.tree().shutdown().await;
    line.agents = agents.tree().summaries();
    tools.exec.shutdown().await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    line.ttft_ms = limits::lock(&meter).ttft_ms();
    let hit = match guard.cause() {
        Some(limits::Cause::Limit(limit)) if stopped => Some(limit),
        _ if stopped => return Err(RunError::Stopped),
        _ => None,
    };
    // The limit guard holds the stop signal; the graders take it next.
    drop(guard);
    record.requests = bodies
        .iter()
        .map(|b| serde_json::from_str(b).unwrap_or(Value::Null))
        .collect();
    // Every call the requests carried, then any the last history holds besides (a compaction
    // drops calls from history, a failed turn sends no follow-up), each once by call id.
    let mut seen = std::collections::HashSet::new();
    let sent = record
        .requests
        .iter()
        .filter_map(|b| b["input"].as_array())
        .flatten()
        .filter_map(|i| serde_json::from_value::<ResponseItem>(i.clone()).ok());
    record.tool_calls = sent
        .chain(session.history().iter().cloned())
        .filter_map(|i| match i {
            ResponseItem::FunctionCall(c) => Some((c.call_id, c.name)),
            ResponseItem::CustomToolCall(c) => Some((c.call_id, c.name)),
            _ => None,
        })
        .filter(|(id, _)| seen.insert(id.clone()))
        .map(|(_, name)| name)
        .collect();
    record.events = events;
    let mut checks = evaluate(&s.expect, &record);
    match run_graders(&s.expect.command, &work, &mut *ctx.stop).await {
        Ok(graded) => checks.extend(graded),
        Err(_) => return Err(RunError::Stopped),
    }
    line.status = if checks.iter().all(|c| c.passed) {
        Status::Pass
    } else {
        Status::Fail
    };
    line.checks = checks;
    line.requests = record.requests.len();
    line.tool_calls = record.tool_calls;
    line.final_message = record.final_message;
    line.error = record.error;
    let turn_error = line.error.clone();
    infra::reclassify(line, turn_error.as_deref(), &event_values);
    if let Some(limit) = hit {
        limits::mark(line, s, limit);
    }
    if let (Some(dir), Some(recorder)) = (ctx.record, recorder) {
        let written =
            super::record::write_recording(dir, id, &s.path, &config.model, &recorder.replies());
        if let Err(e) = written {
            line.status = Status::Error;
            line.error = Some(e);
        }
    }
    Ok(Some(Capture {
        requests: record.requests,
        events: event_values,
        workspace: work,
    }))
}

/// `type`, or `type:item_type` for item events.
fn event_name(v: &Value) -> String {
    let kind = v["type"].as_str().unwrap_or("").to_string();
    match v["item"]["type"].as_str() {
        Some(item) => format!("{kind}:{item}"),
        None => kind,
    }
}
