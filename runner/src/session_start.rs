//! Starts a session the one way every job does (`exec`, `batch`, and `replay` next): API key →
//! output schema → session parts → the machine → its rollout writer, in that order. One path, so
//! every job sends the same requests, writes the same rollout and fails with the same messages.
//! What differs between jobs comes in as parameters: the id source, resumed history, where the
//! rollout goes, the clock facts of the environment context.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcodex_core::ids::IdSource;
use rcodex_core::session::{ResumedThread, Session, SessionConfig};
use serde_json::Value;

use crate::agents::{AgentSeat, AgentTree, ChildTemplate};
use crate::client::ModelClient;
use crate::config::Config;
use crate::driver::ToolRunner;
use crate::rollout::{rollout_path, RolloutWriter};
use crate::session_setup::{build_session_parts, SessionInputs};
use crate::tools::dispatch::ToolDispatch;

/// Where the structured-output schema comes from.
pub enum OutputSchema {
    /// Free-form answers.
    None,
    /// `--output-schema FILE`: a JSON file, read at start.
    File(PathBuf),
    /// A schema given in place (a scenario's `output_schema` table).
    Inline(Value),
}

/// Where the session's rollout lines go.
pub enum RolloutTarget {
    /// Nowhere (`--ephemeral`).
    Discard,
    /// A new file under `$CODEX_HOME/sessions/`, named for the new thread and the local time.
    NewInCodexHome,
    /// Appended to an existing rollout (a resumed thread).
    Append(PathBuf),
    /// This file, started afresh (a batch run's rollout).
    Replace(PathBuf),
}

/// A thread to continue instead of starting a new one.
pub struct Resume {
    pub thread: ResumedThread,
    /// The base instructions the thread was started with, if its rollout recorded them.
    pub base_instructions: Option<String>,
}

/// Everything a session start needs besides the resolved config.
pub struct SessionStart<'a> {
    pub config: &'a Config,
    /// Environment lookups (the API key variable).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The workspace: tools' cwd and the environment context's.
    pub cwd: &'a Path,
    pub output_schema: OutputSchema,
    pub start_ms: u64,
    /// `YYYY-MM-DD` and IANA zone for the environment context.
    pub current_date: String,
    pub timezone: String,
    /// `None`: read (or create) `$CODEX_HOME/installation_id`, as Codex does.
    pub installation_id: Option<String>,
    /// Where the machine's ids come from (live, seeded, or a recording's).
    pub ids: Box<dyn IdSource>,
    pub resume: Option<Resume>,
    pub rollout: RolloutTarget,
}

/// A started session and what its turns talk to.
pub struct StartedSession {
    pub session: Session,
    pub client: ModelClient,
    /// The tools' shared state (shut down after the last turn).
    pub tools: Arc<ToolDispatch>,
    /// The closure the driver calls for each tool call.
    pub runner: ToolRunner,
    pub rollout: Option<RolloutWriter>,
    /// The thread's seat among the sub-agents it spawns (pass it to the driver).
    pub agents: Arc<AgentSeat>,
}

/// Starts a session; `Err` is the one-line message for the user.
pub fn start_session(start: SessionStart) -> Result<StartedSession, String> {
    start_session_with(start, &mut |_| {})
}

/// [`start_session`], letting `customize` change the machine's configuration last, after the
/// config file, the resume and the tool set were applied (the library adds its tools here).
pub fn start_session_with(
    start: SessionStart,
    customize: &mut dyn FnMut(&mut SessionConfig),
) -> Result<StartedSession, String> {
    let SessionStart {
        config,
        env,
        cwd,
        output_schema,
        start_ms,
        current_date,
        timezone,
        installation_id,
        ids,
        resume,
        rollout,
    } = start;
    let api_key = config.provider.api_key(env).map_err(|e| e.to_string())?;
    let output_schema = match output_schema {
        OutputSchema::None => None,
        OutputSchema::Inline(schema) => Some(schema),
        OutputSchema::File(path) => Some(read_schema_file(&path)?),
    };
    let parts = build_session_parts(
        config,
        SessionInputs {
            cwd,
            api_key,
            output_schema,
            start_ms,
            current_date,
            timezone,
            installation_id,
        },
    )?;
    let mut session_config = parts.session;
    if let Some(resume) = resume {
        if let Some(base) = resume.base_instructions {
            session_config.context.base_instructions = base;
        }
        session_config.resume = Some(resume.thread);
    }
    customize(&mut session_config);
    let template = session_config.clone();
    let session = Session::new(session_config, ids);
    let rollout = match rollout {
        RolloutTarget::Discard => None,
        RolloutTarget::NewInCodexHome => Some(open_rollout(rollout_path(
            &config.codex_home,
            session.thread_id(),
            chrono::Local::now(),
        ))?),
        RolloutTarget::Append(path) => Some(open_rollout(path)?),
        RolloutTarget::Replace(path) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            }
            let _ = std::fs::remove_file(&path);
            Some(open_rollout(path)?)
        }
    };
    let builtin = parts.tools.clone().into_runner();
    let tree = AgentTree::new(ChildTemplate {
        config: template,
        client: parts.client.clone(),
        tools: builtin.clone(),
        rollout_dir: rollout
            .as_ref()
            .and_then(|w| w.path().parent().map(Path::to_path_buf)),
    });
    let agents = AgentSeat::root(tree, session.thread_id());
    let runner = crate::agents::route(builtin, agents.clone());
    Ok(StartedSession {
        session,
        client: parts.client,
        tools: parts.tools,
        runner,
        rollout,
        agents,
    })
}

fn read_schema_file(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: invalid JSON schema: {e}", path.display()))
}

fn open_rollout(path: PathBuf) -> Result<RolloutWriter, String> {
    RolloutWriter::open(path.clone()).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
#[path = "session_start_tests.rs"]
mod tests;
