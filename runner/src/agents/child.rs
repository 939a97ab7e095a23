//! Making a child and running it: its configuration (the root's, linked to its parent, without
//! `tool_search`, with the spawn's model and effort), its own id source, its rollout file beside
//! the parent's, and the task that drives its turns one after another with the same driver as
//! every other session.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use rcodex_core::ids::{IdKind, IdSource, SeededIds};
use rcodex_core::protocol::{ContentItem, ThreadEvent};
use rcodex_core::session::collab::{notification_text, AgentState, SubagentLink};
use rcodex_core::session::{ModelSettings, ResumedThread, Session, TurnStatus, UserTurn};
use rcodex_core::tool_set::model_facts;
use tokio::sync::{mpsc, oneshot, watch, Notify};

use super::input::ChildInput;
use super::{first_notice, route, stable_hash, Agent, AgentSeat, AgentTree, AgentUsage};
use crate::driver::{drive_turn, now_ms, TurnIo};
use crate::rollout::RolloutWriter;

/// What a child's task is asked to do.
pub enum Command {
    /// Run a turn on `text`, started by the parent's `parent_turn_id` (of root turn
    /// `root_turn_id`); `started` hears the new turn's id.
    Turn {
        text: String,
        /// Parts sent before `text` (a spawn's `items`).
        parts: Vec<ContentItem>,
        parent_turn_id: String,
        root_turn_id: String,
        started: Option<oneshot::Sender<String>>,
    },
}

/// What a new child is made with.
pub struct ChildSpec {
    /// Its first message.
    pub input: Option<ChildInput>,
    /// `fork_context`: it starts from the parent's history (see `super::fork`).
    pub fork: bool,
    /// `spawn_agent`'s overrides.
    pub model: Option<String>,
    pub reasoning_effort: Option<String>,
    /// Set when a closed child is reopened: its nickname, history and rollout file.
    pub resume: Option<(String, ResumedThread, PathBuf)>,
}

/// Makes a child of `parent`'s thread, registers it, and starts its task (and its first turn,
/// when the spec has a message).
pub fn start(parent: &Arc<AgentSeat>, spec: ChildSpec) -> Result<Arc<Agent>, String> {
    let tree = parent.tree.clone();
    let (turn_id, root_turn_id) = parent.turn.lock().expect("seat turn").clone();
    let n = tree.registry.lock().expect("agent registry").all.len();
    let (nickname, resumed) = match spec.resume {
        Some((nickname, thread, path)) => (nickname, Some((thread, path))),
        None => (super::nickname(n), None),
    };
    let mut cfg = tree.template.config.clone();
    cfg.thread_id = None;
    cfg.start_ms = now_ms();
    cfg.forked_from = None;
    cfg.identity.thread_source = "subagent".into();
    // Codex gives a child the parent's tools without `tool_search`, and its developer message
    // without the `<tools>` part naming the deferred namespaces (captured).
    cfg.tools.retain(|t| t.name() != "tool_search");
    cfg.context
        .developer_sections
        .retain(|s| !s.starts_with("<tools>\n"));
    if let Some(model) = &spec.model {
        cfg.model = ModelSettings::with_defaults(model, &model_facts(model));
    }
    if let Some(effort) = &spec.reasoning_effort {
        cfg.model.reasoning_effort = Some(effort.clone());
    }
    cfg.subagent = Some(SubagentLink {
        session_id: parent.session_id(),
        parent_thread_id: parent.thread_id.clone(),
        depth: parent.depth + 1,
        nickname: nickname.clone(),
        parent_turn_id: turn_id.clone(),
        root_turn_id: root_turn_id.clone(),
    });
    let rollout_path = match &resumed {
        Some((thread, path)) => {
            cfg.resume = Some(thread.clone());
            Some(path.clone())
        }
        None => None,
    };
    let seed = stable_hash(&parent.thread_id) ^ (n as u64 + 1);
    if spec.fork {
        let source = parent.fork_source.lock().expect("fork source").clone();
        let id = SeededIds::new(!seed).id(IdKind::DeveloperMessage, cfg.start_ms);
        let namespaces = cfg.deferred_namespaces.clone();
        cfg.start_history =
            super::fork::forked_history(&source, &namespaces, id).unwrap_or_default();
    }
    let session = Session::new(cfg, Box::new(SeededIds::new(seed)));
    let thread_id = session.thread_id().to_string();
    let rollout_path = rollout_path.or_else(|| {
        let dir = tree.template.rollout_dir.as_ref()?;
        let at = chrono::Local::now().format("%Y-%m-%dT%H-%M-%S");
        Some(dir.join(format!("rollout-{at}-{thread_id}.jsonl")))
    });
    let rollout = match &rollout_path {
        Some(path) => Some(
            RolloutWriter::open(path.clone()).map_err(|e| format!("{}: {e}", path.display()))?,
        ),
        None => None,
    };
    let (commands, inbox) = mpsc::unbounded_channel();
    let agent = Arc::new(Agent {
        thread_id: thread_id.clone(),
        nickname,
        state: watch::channel(AgentState::PendingInit).0,
        commands,
        interrupt: Arc::new(Notify::new()),
        notified: AtomicBool::new(false),
        usage: Mutex::new(AgentUsage::default()),
        rollout: rollout_path,
        task: Mutex::new(None),
    });
    {
        let mut registry = tree.registry.lock().expect("agent registry");
        registry.open.insert(thread_id.clone(), agent.clone());
        match registry.all.iter().position(|a| a.thread_id == thread_id) {
            Some(i) => {
                let usage = registry.all[i].usage.lock().expect("agent usage").clone();
                *agent.usage.lock().expect("agent usage") = usage;
                registry.all[i] = agent.clone();
            }
            None => registry.all.push(agent.clone()),
        }
    }
    let seat = AgentSeat::new(
        tree.clone(),
        &thread_id,
        &parent.session_id,
        parent.depth + 1,
    );
    let runner = route(tree.template.tools.clone(), seat.clone());
    let task = run(
        tree.clone(),
        agent.clone(),
        parent.clone(),
        session,
        rollout,
        seat,
        runner,
        inbox,
    );
    let handle = tree.tasks.lock().expect("agent tasks").spawn(task);
    *agent.task.lock().expect("agent task") = Some(handle);
    if let Some(input) = spec.input {
        let _ = agent.commands.send(Command::Turn {
            text: input.text,
            parts: input.parts,
            parent_turn_id: turn_id,
            root_turn_id,
            started: None,
        });
    }
    Ok(agent)
}

/// A child's task: its turns, one after another, until it is closed.
#[allow(clippy::too_many_arguments)]
async fn run(
    tree: Arc<AgentTree>,
    agent: Arc<Agent>,
    parent: Arc<AgentSeat>,
    mut session: Session,
    mut rollout: Option<RolloutWriter>,
    seat: Arc<AgentSeat>,
    runner: crate::driver::ToolRunner,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut stop = tree.cancel.subscribe();
    loop {
        let command = tokio::select! {
            command = commands.recv() => command,
            _ = stop.wait_for(|stop| *stop) => None,
        };
        let Some(Command::Turn {
            text,
            parts,
            parent_turn_id,
            root_turn_id,
            mut started,
        }) = command
        else {
            break;
        };
        session.attribute_next_turn(&parent_turn_id, &root_turn_id);
        tree.set_state(&agent, AgentState::Running);
        let mut on_event = |event: &ThreadEvent| {
            if let ThreadEvent::TurnStarted {
                turn_id: Some(id), ..
            } = event
            {
                if let Some(tx) = started.take() {
                    let _ = tx.send(id.clone());
                }
            }
        };
        let (signal, mut cancel) = (agent.interrupt.clone(), tree.cancel.subscribe());
        let mut interrupt = Box::pin(async move {
            tokio::select! {
                _ = signal.notified() => {}
                _ = cancel.wait_for(|stop| *stop) => {}
            }
        });
        let io = TurnIo {
            client: &tree.template.client,
            tools: &runner,
            rollout: rollout.as_mut(),
            on_event: &mut on_event,
            on_request: None,
            interrupt: &mut interrupt,
            agents: Some(&seat),
        };
        let report = drive_turn(&mut session, user_turn(text, parts), io).await;
        {
            let mut usage = agent.usage.lock().expect("agent usage");
            usage.requests += report.outcome.requests;
            usage.usage = report.outcome.thread_usage;
        }
        let state = match report.outcome.status {
            TurnStatus::Completed => AgentState::Completed(report.outcome.last_agent_message),
            TurnStatus::Failed { message } => AgentState::Errored(message),
            TurnStatus::Interrupted => AgentState::Interrupted,
        };
        // The parent's inbox hears it before any waiter sees the state: a wait that returns on
        // it finds the notification already queued, so both join the same follow-up.
        if state.is_final() && first_notice(&agent) {
            let _ = parent
                .inbox_tx
                .send(notification_text(&agent.thread_id, &state));
        }
        tree.set_state(&agent, state);
    }
}

/// A child's turn input: `parts` (a spawn's items) before the text.
fn user_turn(text: String, parts: Vec<ContentItem>) -> UserTurn {
    let mut turn = UserTurn::text(text);
    turn.leading_content = parts;
    turn
}
