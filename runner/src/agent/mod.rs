//! The library API: run Codex's agent loop from your own Rust program.
//!
//! An [`Agent`] is one thread: built once from a `$CODEX_HOME` or from code, then asked any
//! number of turns with [`Agent::run`]. Each turn streams the model, runs the tool calls (the
//! built-in tools, your own [`Tool`]s, or both), records the rollout when there is a home to
//! record it in, and ends with a [`TurnResult`]. Every `exec --json` event can be watched as it
//! happens with [`AgentBuilder::on_event`].
//!
//! It is the same machine `rcodex exec` drives: the pure session of `rcodex-core`, performed by
//! this crate's driver, so a thread run here records, resumes and replays like any other.
//!
//! ```no_run
//! use rcodex_runner::agent::{Agent, Tool, ToolFuture, ToolResult};
//! use serde_json::{json, Value};
//!
//! struct Echo;
//!
//! impl Tool for Echo {
//!     fn name(&self) -> &str { "echo" }
//!     fn description(&self) -> &str { "Echoes `text`." }
//!     fn parameters(&self) -> Value {
//!         json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})
//!     }
//!     fn run(&self, args: Value) -> ToolFuture<'_> {
//!         Box::pin(async move { ToolResult::ok(args["text"].as_str().unwrap_or_default()) })
//!     }
//! }
//!
//! # async fn demo() -> Result<(), rcodex_runner::agent::AgentError> {
//! let mut agent = Agent::builder()
//!     .base_url("http://127.0.0.1:8000/v1")
//!     .api_key("sk-local")
//!     .builtin_tools(false)
//!     .tool(Echo)
//!     .on_event(|event| eprintln!("{}", serde_json::to_string(event).unwrap()))
//!     .build()?;
//! let result = agent.run("Say hi through the echo tool.").await;
//! println!("{:?}: {}", result.status, result.final_message.unwrap_or_default());
//! agent.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod builder;
mod tool;

pub use builder::AgentBuilder;
pub use rcodex_core::protocol::{ThreadEvent, TokenUsage};
pub use rcodex_core::session::TurnStatus;
pub use tool::{Tool, ToolFuture, ToolResult};

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use rcodex_core::session::{Session, UserTurn};

use crate::client::ModelClient;
use crate::driver::{drive_turn, ToolRunner, TurnIo};
use crate::rollout::RolloutWriter;
use crate::tools::dispatch::ToolDispatch;

/// Why an agent could not be built: the configuration (naming file, line and field), the key,
/// the workspace, or the rollout file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentError(pub String);

impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AgentError {}

/// How one turn ended.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnResult {
    /// Completed, failed (with the message `exec` prints) or interrupted.
    pub status: TurnStatus,
    /// The last assistant message of the turn.
    pub final_message: Option<String>,
    /// Tokens of this turn's requests.
    pub usage: TokenUsage,
    /// Tokens of the whole thread so far (what Codex reports).
    pub thread_usage: TokenUsage,
    /// Model requests the turn made, retries included.
    pub requests: u32,
    /// A rollout line that could not be written (the turn still ran to its end).
    pub rollout_error: Option<String>,
}

/// Sees every `exec --json` event of an agent as it happens.
pub type EventObserver = Box<dyn FnMut(&ThreadEvent) + Send>;

/// One thread of the agent loop. See the [module](self) documentation.
pub struct Agent {
    session: Session,
    client: ModelClient,
    dispatch: Arc<ToolDispatch>,
    runner: ToolRunner,
    rollout: Option<RolloutWriter>,
    /// The thread's seat among the sub-agents it spawns.
    agents: Arc<crate::agents::AgentSeat>,
    on_event: EventObserver,
    /// The private CODEX_HOME of an agent built without one, removed on drop.
    _scratch_home: Option<tempfile::TempDir>,
}

impl Agent {
    /// A builder with nothing set: no home, the built-in tools, no observer.
    pub fn builder() -> AgentBuilder {
        AgentBuilder::default()
    }

    /// The thread id (the rollout's session id).
    pub fn thread_id(&self) -> &str {
        self.session.thread_id()
    }

    /// Where the thread is recorded, if it is.
    pub fn rollout_path(&self) -> Option<&Path> {
        self.rollout.as_ref().map(RolloutWriter::path)
    }

    /// Runs one user turn to its end.
    pub async fn run(&mut self, prompt: impl Into<String>) -> TurnResult {
        self.run_until(prompt, std::future::pending()).await
    }

    /// Runs one user turn, interrupting it (as Ctrl-C does `exec`) if `interrupt` resolves first.
    pub async fn run_until(
        &mut self,
        prompt: impl Into<String>,
        interrupt: impl Future<Output = ()> + Send,
    ) -> TurnResult {
        let mut interrupt = Box::pin(interrupt);
        let io = TurnIo {
            client: &self.client,
            tools: &self.runner,
            rollout: self.rollout.as_mut(),
            on_event: &mut *self.on_event,
            on_request: None,
            interrupt: &mut interrupt,
            agents: Some(&self.agents),
        };
        let report = drive_turn(&mut self.session, UserTurn::text(prompt), io).await;
        let outcome = report.outcome;
        TurnResult {
            status: outcome.status,
            final_message: outcome.last_agent_message,
            usage: outcome.turn_usage,
            thread_usage: outcome.thread_usage,
            requests: outcome.requests,
            rollout_error: report.record_error,
        }
    }

    /// Stops what the built-in tools left running (background processes of `exec_command`).
    pub async fn shutdown(self) {
        self.agents.tree().shutdown().await;
        self.dispatch.exec.shutdown().await;
    }
}
