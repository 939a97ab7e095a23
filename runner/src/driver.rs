//! Performs a session's effects with real I/O until its turn is done: the one `match` over
//! `Effect` that every job (exec, batch) shares.

mod fault_hooks;
mod tool_failure;
mod turn_tasks;

pub use tool_failure::failed_tool_output;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcodex_core::protocol::{ResponseEvent, ThreadEvent};
use rcodex_core::session::{Effect, Input, Session, ToolCall, ToolOutput, TurnOutcome, UserTurn};
use tokio::sync::mpsc;

use crate::client::{stream_response, ModelClient};
use crate::rollout::RolloutWriter;
use fault_hooks::FaultHooks;
use turn_tasks::{TaskKey, TurnTasks};

/// Runs one tool call to its output.
pub type ToolRunner =
    Arc<dyn Fn(ToolCall) -> Pin<Box<dyn Future<Output = ToolOutput> + Send>> + Send + Sync>;

/// Milliseconds since the epoch from the real clock (the runner's only clock).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// What a driven turn produced besides its outcome.
#[derive(Debug)]
pub struct DriveReport {
    pub outcome: TurnOutcome,
    /// A rollout write that failed (the turn still ran to its end).
    pub record_error: Option<String>,
}

/// What a turn talks to: the model, the tools, the rollout file, and the caller's observers.
pub struct TurnIo<'a> {
    pub client: &'a ModelClient,
    pub tools: &'a ToolRunner,
    pub rollout: Option<&'a mut RolloutWriter>,
    /// Each `exec --json` event, as it happens.
    pub on_event: &'a mut (dyn FnMut(&ThreadEvent) + Send),
    /// Each request body, as it is sent.
    pub on_request: Option<&'a mut (dyn FnMut(&str) + Send)>,
    /// Resolves when the user interrupts (Ctrl-C).
    pub interrupt: &'a mut (dyn Future<Output = ()> + Send + Unpin),
    /// The thread's seat among its sub-agents: their notifications join the running turn, the
    /// children it spawns learn its turn, and an interrupt stops them too.
    pub agents: Option<&'a crate::agents::AgentSeat>,
}

/// Drives `session` through one turn. Requests, tools and timers run as tasks of the turn; each
/// task's end (even a panic) becomes an input, and whatever still runs at `TurnDone` is aborted.
pub async fn drive_turn(session: &mut Session, turn: UserTurn, io: TurnIo<'_>) -> DriveReport {
    drive(session, Some(Input::Submit(turn)), Vec::new(), io, None).await
}

/// Drives a manual compaction of `session` (between turns) to its end.
pub async fn drive_compaction(session: &mut Session, io: TurnIo<'_>) -> DriveReport {
    drive(session, Some(Input::Compact), Vec::new(), io, None).await
}

/// [`drive_turn`], also showing `on_model_event` every stream event as it arrives, before the
/// session sees it (batch meters tokens and time to first token with it).
pub async fn drive_turn_observed(
    session: &mut Session,
    turn: UserTurn,
    io: TurnIo<'_>,
    on_model_event: &mut (dyn FnMut(&ResponseEvent) + Send),
) -> DriveReport {
    let first = Some(Input::Submit(turn));
    drive(session, first, Vec::new(), io, Some(on_model_event)).await
}

/// Drives a turn `session` is already inside to its end: `held` are effects it queued that were
/// polled but not performed (a fork's cut request first), performed before any other.
pub async fn continue_turn(
    session: &mut Session,
    held: Vec<Effect>,
    io: TurnIo<'_>,
) -> DriveReport {
    drive(session, None, held, io, None).await
}

async fn drive(
    session: &mut Session,
    first: Option<Input>,
    held: Vec<Effect>,
    io: TurnIo<'_>,
    mut on_model_event: Option<&mut (dyn FnMut(&ResponseEvent) + Send)>,
) -> DriveReport {
    let TurnIo {
        client,
        tools,
        mut rollout,
        on_event,
        mut on_request,
        interrupt,
        agents,
    } = io;
    // Request tasks stream their events here; every other answer comes from `tasks` reaping.
    let (tx, mut rx) = mpsc::unbounded_channel::<Input>();
    let mut tasks = TurnTasks::default();
    let mut requests_started = 0u32;
    let mut record_error = None;
    let mut interrupted = false;
    let mut pending = first;
    let mut held = std::collections::VecDeque::from(held);
    loop {
        if let Some(input) = pending.take() {
            // A child's notification queued before a tool's end joins the same follow-up.
            if let (Input::ToolDone(..), Some(seat)) = (&input, agents) {
                while let Some(note) = seat.queued_notification() {
                    let _ = session.handle(now_ms(), Input::Notify(note));
                }
            }
            if let Err(e) = session.handle(now_ms(), input) {
                // Misuse of the machine: report as a failed turn rather than panic.
                return DriveReport {
                    outcome: TurnOutcome {
                        status: rcodex_core::session::TurnStatus::Failed {
                            message: e.to_string(),
                        },
                        last_agent_message: None,
                        turn_usage: Default::default(),
                        thread_usage: Default::default(),
                        requests: 0,
                    },
                    record_error,
                };
            }
        }
        while let Some(effect) = held.pop_front().or_else(|| session.poll()) {
            match effect {
                Effect::SendRequest {
                    request_id,
                    body,
                    headers,
                } => {
                    if let Some(observe) = on_request.as_deref_mut() {
                        observe(&body);
                    }
                    let (client, tx) = (client.clone(), tx.clone());
                    let first_of_turn = requests_started == 0;
                    requests_started += 1;
                    tasks.spawn_request(request_id, async move {
                        FaultHooks::get().request_task_started(first_of_turn);
                        stream_response(&client, request_id, body, headers, &tx).await;
                    });
                }
                Effect::RunTool { call, .. } => {
                    if let (Some(seat), Some(turn)) = (agents, session.current_turn_id()) {
                        let root = session.subagent().map(|l| l.root_turn_id.as_str());
                        seat.enter_turn(turn, root);
                        if call.name == "spawn_agent" && call.namespace.is_some() {
                            seat.note_spawn_history(session.history());
                        }
                    }
                    let tools = tools.clone();
                    let (call_id, name) = (call.call_id.clone(), call.name.clone());
                    tasks.spawn_tool(call_id, name, async move {
                        FaultHooks::get().tool_task_started(&call.name);
                        tools(call).await
                    });
                }
                Effect::CancelRequest { request_id } => {
                    tasks.cancel(&TaskKey::Request(request_id));
                }
                Effect::CancelTool { call_id } => tasks.cancel(&TaskKey::Tool(call_id)),
                Effect::Record(line) => {
                    write_line(rollout.as_deref_mut(), &line, &mut record_error)
                }
                Effect::Emit(event) => on_event(&event),
                Effect::SetTimer { id, at_ms } => {
                    let wait = Duration::from_millis(at_ms.saturating_sub(now_ms()));
                    tasks.spawn_timer(id, wait);
                }
                Effect::TurnDone(outcome) => {
                    while let Some(effect) = session.poll() {
                        if let Effect::Record(line) = effect {
                            write_line(rollout.as_deref_mut(), &line, &mut record_error);
                        }
                    }
                    drop(tasks); // aborts requests, tools and timers still running
                    return DriveReport {
                        outcome,
                        record_error,
                    };
                }
            }
        }
        tokio::select! {
            input = rx.recv() => {
                if let (Some(observe), Some(Input::Model(_, event))) = (on_model_event.as_deref_mut(), &input) {
                    observe(event);
                }
                pending = input;
            }
            input = tasks.next_input(), if !tasks.is_empty() => pending = input,
            _ = &mut *interrupt, if !interrupted => {
                interrupted = true;
                if let Some(seat) = agents {
                    seat.interrupt_children();
                }
                pending = Some(Input::Interrupt);
            }
            Some(note) = next_notification(agents) => pending = Some(Input::Notify(note)),
        }
    }
}

/// The next sub-agent notification for the thread; never, without a seat.
async fn next_notification(seat: Option<&crate::agents::AgentSeat>) -> Option<String> {
    match seat {
        Some(seat) => seat.next_notification().await,
        None => std::future::pending().await,
    }
}

/// Appends one rollout line; the first failure is kept for the report, the turn goes on.
fn write_line(
    rollout: Option<&mut RolloutWriter>,
    line: &rcodex_core::protocol::RolloutLine,
    error: &mut Option<String>,
) {
    if let Some(w) = rollout {
        if let Err(e) = w.write(line) {
            error.get_or_insert_with(|| format!("{}: {e}", w.path().display()));
        }
    }
}
