//! Sub-agents: the runner owns them as it owns the tools (the core stays pure and only shapes
//! what they show, in `rcodex_core::session::collab`).
//!
//! Every session a job starts gets an [`AgentTree`] and a seat in it ([`AgentSeat`]). A
//! `spawn_agent` call makes a child: a `Session` of its own, built from the parent's
//! configuration, driven by the same driver on a task of its own with the same model client,
//! the same tools and sandbox, writing its own rollout file beside the parent's line by line.
//! The other four tools talk to the children through the tree. When a child's turn ends, its
//! state is published to whoever waits on it, and the first time a spawned child reaches a
//! final state its parent's running turn is told with Codex's `<subagent_notification>`.
//!
//! Codex 0.169's limits and words are kept (captured): children are one level deep (a child's
//! calls of these tools are answered `unsupported call: multi_agent_v1<name>`), `wait_agent`
//! waits 30 s by default, clamped to 10 s – 1 h, and returns as soon as any target is final.

mod args;
mod child;
mod fork;
mod input;
mod nicknames;
mod tools;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rcodex_core::protocol::TokenUsage;
use rcodex_core::session::collab::{AgentState, CollabTool};
use rcodex_core::session::{SessionConfig, ToolCall};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinSet;

use crate::client::ModelClient;
use crate::driver::ToolRunner;

pub use nicknames::nickname;

/// How deep agents nest: Codex 0.169 gives the root's children no sub-agent tools (captured).
pub const MAX_DEPTH: u32 = 1;

/// How many agents may be open at once: Codex 0.169 refuses a 7th spawn until one is closed
/// (captured: `collab spawn failed: agent thread limit reached`).
pub const MAX_OPEN_AGENTS: usize = 6;

/// What every child of a tree is made from: the root session's configuration (before its
/// thread started), its model client and its tools.
pub struct ChildTemplate {
    /// The root's configuration; each child's is derived from it.
    pub config: SessionConfig,
    /// The root's client: children send on the same connection pool.
    pub client: ModelClient,
    /// The built-in tools (the same dispatch, so the same workspace and sandbox).
    pub tools: ToolRunner,
    /// Where the root's rollout is written; children write theirs beside it (`None`: nowhere).
    pub rollout_dir: Option<PathBuf>,
}

/// One agent a tree spawned.
pub struct Agent {
    /// Its thread id (the `agent_id` spawn_agent returns).
    pub thread_id: String,
    /// Its nickname.
    pub nickname: String,
    /// Where it stands; every change is seen by waiters.
    state: watch::Sender<AgentState>,
    /// Turns to run, in order.
    commands: mpsc::UnboundedSender<child::Command>,
    /// Interrupts the turn it runs (send_input with `interrupt`).
    interrupt: Arc<Notify>,
    /// Its parent was told it reached a final state (once per spawn or resume).
    notified: AtomicBool,
    /// Requests and tokens so far.
    usage: Mutex<AgentUsage>,
    /// Its rollout file, if it has one (resume reads it back).
    rollout: Option<PathBuf>,
    /// Its task, aborted when it is closed.
    task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Agent {
    /// Its state now.
    pub fn state(&self) -> AgentState {
        self.state.borrow().clone()
    }
}

/// Requests and tokens of one agent, for batch results.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentUsage {
    /// Model requests its turns sent.
    pub requests: u32,
    /// Its thread's token usage.
    pub usage: TokenUsage,
}

/// One agent of a finished run, as batch results list it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentSummary {
    /// The agent's thread id.
    pub thread_id: String,
    /// Its nickname.
    pub nickname: String,
    /// Model requests its turns sent.
    pub requests: u32,
    /// Its thread's tokens.
    pub input_tokens: u64,
    /// See `input_tokens`.
    pub cached_input_tokens: u64,
    /// See `input_tokens`.
    pub output_tokens: u64,
    /// See `input_tokens`.
    pub reasoning_output_tokens: u64,
}

#[derive(Default)]
struct Registry {
    /// Open agents by thread id.
    open: HashMap<String, Arc<Agent>>,
    /// Every agent ever spawned, in spawn order (closed ones too), for summaries.
    all: Vec<Arc<Agent>>,
}

/// Every agent spawned under one root thread, and what they are made from.
pub struct AgentTree {
    template: ChildTemplate,
    registry: Mutex<Registry>,
    tasks: Mutex<JoinSet<()>>,
    /// Ctrl-C for every child.
    cancel: watch::Sender<bool>,
    /// Woken on every agent's state change (wait_agent listens).
    changed: Notify,
}

impl AgentTree {
    /// A tree whose children are made from `template`.
    pub fn new(template: ChildTemplate) -> Arc<AgentTree> {
        Arc::new(AgentTree {
            template,
            registry: Mutex::default(),
            tasks: Mutex::new(JoinSet::new()),
            cancel: watch::channel(false).0,
            changed: Notify::new(),
        })
    }

    /// Each agent spawned so far, in spawn order, with its requests and tokens.
    pub fn summaries(&self) -> Vec<AgentSummary> {
        let registry = self.registry.lock().expect("agent registry");
        registry
            .all
            .iter()
            .map(|a| {
                let u = a.usage.lock().expect("agent usage").clone();
                AgentSummary {
                    thread_id: a.thread_id.clone(),
                    nickname: a.nickname.clone(),
                    requests: u.requests,
                    input_tokens: u.usage.input_tokens,
                    cached_input_tokens: u.usage.cached_input_tokens,
                    output_tokens: u.usage.output_tokens,
                    reasoning_output_tokens: u.usage.reasoning_output_tokens,
                }
            })
            .collect()
    }

    /// Stops every child: a running turn is interrupted and records its end, as Codex's children
    /// do when the parent is interrupted (captured); what has not ended after `GRACE` is
    /// aborted.
    pub async fn shutdown(&self) {
        const GRACE: std::time::Duration = std::time::Duration::from_secs(2);
        self.cancel.send_replace(true);
        let mut tasks = std::mem::take(&mut *self.tasks.lock().expect("agent tasks"));
        let drained = async { while tasks.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(GRACE, drained).await;
        tasks.abort_all();
    }

    fn set_state(&self, agent: &Agent, state: AgentState) {
        agent.state.send_replace(state);
        self.changed.notify_waiters();
    }

    fn open_count(&self) -> usize {
        self.registry.lock().expect("agent registry").open.len()
    }

    fn lookup(&self, id: &str) -> Option<Arc<Agent>> {
        self.registry
            .lock()
            .expect("agent registry")
            .open
            .get(id)
            .cloned()
    }
}

/// One thread's place in its tree: its id and depth, the turn it is in, and the inbox of
/// notifications its children send it.
pub struct AgentSeat {
    tree: Arc<AgentTree>,
    thread_id: String,
    /// The root thread's id.
    session_id: String,
    depth: u32,
    /// (turn, root turn) of the turn the thread is in, for the children it spawns.
    turn: Mutex<(String, String)>,
    inbox_tx: mpsc::UnboundedSender<String>,
    inbox: tokio::sync::Mutex<mpsc::UnboundedReceiver<String>>,
    /// The thread's history when it last called `spawn_agent` (what `fork_context` copies).
    fork_source: Mutex<Vec<rcodex_core::protocol::ResponseItem>>,
}

impl AgentSeat {
    /// The root thread's seat in `tree`.
    pub fn root(tree: Arc<AgentTree>, thread_id: &str) -> Arc<AgentSeat> {
        AgentSeat::new(tree, thread_id, thread_id, 0)
    }

    fn new(tree: Arc<AgentTree>, thread_id: &str, session_id: &str, depth: u32) -> Arc<AgentSeat> {
        let (inbox_tx, inbox) = mpsc::unbounded_channel();
        Arc::new(AgentSeat {
            tree,
            thread_id: thread_id.to_string(),
            session_id: session_id.to_string(),
            depth,
            turn: Mutex::default(),
            inbox_tx,
            inbox: tokio::sync::Mutex::new(inbox),
            fork_source: Mutex::default(),
        })
    }

    fn session_id(&self) -> String {
        self.session_id.clone()
    }

    /// The thread calls `spawn_agent` with `history` (kept for a `fork_context` child).
    pub fn note_spawn_history(&self, history: &[rcodex_core::protocol::ResponseItem]) {
        *self.fork_source.lock().expect("fork source") = history.to_vec();
    }

    /// The tree this seat is in.
    pub fn tree(&self) -> &Arc<AgentTree> {
        &self.tree
    }

    /// The thread is in turn `turn_id` (its root's turn: `root_turn_id`, or itself for the
    /// root thread).
    pub fn enter_turn(&self, turn_id: &str, root_turn_id: Option<&str>) {
        let root = root_turn_id.unwrap_or(turn_id).to_string();
        *self.turn.lock().expect("seat turn") = (turn_id.to_string(), root);
    }

    /// The next notification for this thread's running turn. Cancel-safe.
    pub async fn next_notification(&self) -> Option<String> {
        self.inbox.lock().await.recv().await
    }

    /// A notification already queued, if any (never waits).
    pub fn queued_notification(&self) -> Option<String> {
        self.inbox.try_lock().ok()?.try_recv().ok()
    }

    /// Ctrl-C: every child's turn ends, and no child starts another.
    pub fn interrupt_children(&self) {
        self.tree.cancel.send_replace(true);
    }

    /// Runs a sub-agent tool call of this thread.
    pub async fn run(self: &Arc<Self>, call: ToolCall) -> rcodex_core::session::ToolOutput {
        tools::run(self, call).await
    }
}

/// Routes the sub-agent calls of the seat's thread to the seat, every other call to `tools`.
pub fn route(tools: ToolRunner, seat: Arc<AgentSeat>) -> ToolRunner {
    Arc::new(move |call: ToolCall| {
        if CollabTool::of_call(call.namespace.as_deref(), &call.name).is_some() {
            let seat = seat.clone();
            Box::pin(async move { seat.run(call).await })
        } else {
            tools(call)
        }
    })
}

/// A stable 64-bit hash (FNV-1a): children's id seeds derive from their parent's id with it.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Marks `agent` told its parent it ended; true the first time.
fn first_notice(agent: &Agent) -> bool {
    !agent.notified.swap(true, Ordering::SeqCst)
}
