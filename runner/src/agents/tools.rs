//! The five sub-agent tools: what each does to the tree and what it answers, output JSON and
//! refusals word for word as Codex 0.169 gives them (captured), with the details the core turns
//! into `collab_tool_call` and `CollabAgentToolCall` items.

use std::sync::Arc;

use rcodex_core::protocol::FunctionCallOutputPayload;
use rcodex_core::session::collab::{AgentRef, AgentState, CollabDetails, CollabTool};
use rcodex_core::session::{ToolCall, ToolDetails, ToolOutput};
use serde_json::{json, Map, Value};

use super::args::{self, CloseArgs, ResumeArgs, SendArgs, SpawnArgs, WaitArgs};
use super::child::{self, ChildSpec, Command};
use super::input::{self, ChildInput};
use super::{Agent, AgentSeat, MAX_DEPTH};
use rcodex_core::tool_set::model_facts;

/// Runs sub-agent call `call` of `seat`'s thread.
pub async fn run(seat: &Arc<AgentSeat>, call: ToolCall) -> ToolOutput {
    let Some(tool) = CollabTool::of_call(call.namespace.as_deref(), &call.name) else {
        return ToolOutput::text(format!("unsupported call: {}", call.name), false);
    };
    // Below the depth limit Codex offers no sub-agent tools at all (captured).
    if seat.depth >= MAX_DEPTH {
        let namespace = call.namespace.unwrap_or_default();
        return ToolOutput::text(format!("unsupported call: {namespace}{}", call.name), false);
    }
    let arguments = call.input.as_str();
    let answer = match tool {
        CollabTool::SpawnAgent => spawn(seat, arguments),
        CollabTool::SendInput => send_input(seat, arguments).await,
        CollabTool::Wait => wait(seat, arguments).await,
        CollabTool::CloseAgent => close(seat, arguments),
        CollabTool::ResumeAgent => resume(seat, arguments),
    };
    answer.unwrap_or_else(|refusal| ToolOutput::text(refusal, false))
}

fn answered(output: Value, details: CollabDetails) -> ToolOutput {
    answered_text(output.to_string(), true, details)
}

fn answered_text(text: String, success: bool, details: CollabDetails) -> ToolOutput {
    ToolOutput {
        payload: FunctionCallOutputPayload::Text(text),
        success,
        details: ToolDetails::Collab(Box::new(details)),
    }
}

fn known(agent: &Agent) -> AgentRef {
    AgentRef {
        thread_id: agent.thread_id.clone(),
        nickname: Some(agent.nickname.clone()),
    }
}

fn details(tool: CollabTool, receivers: Vec<AgentRef>, states: Vec<AgentState>) -> CollabDetails {
    let states = receivers
        .iter()
        .zip(states)
        .map(|(r, s)| (r.thread_id.clone(), s))
        .collect();
    CollabDetails {
        tool,
        receivers,
        prompt: None,
        model: None,
        reasoning_effort: None,
        states,
    }
}

/// Codex's answer for an id no open agent has (the call's item fails).
fn not_found(tool: CollabTool, id: &str, prompt: Option<String>) -> ToolOutput {
    let receiver = AgentRef {
        thread_id: id.to_string(),
        nickname: None,
    };
    let mut d = details(tool, vec![receiver], vec![AgentState::NotFound]);
    d.prompt = prompt;
    answered_text(format!("agent with id {id} not found"), false, d)
}

/// A spawn's or send_input's input, images read in the session's directory for `model`.
fn child_input(
    seat: &AgentSeat,
    message: &Option<String>,
    items: &Option<Vec<args::InputItem>>,
    model: &str,
) -> Result<ChildInput, String> {
    let cwd = std::path::PathBuf::from(&seat.tree.template.config.context.environment.cwd);
    let original_detail = model_facts(model).supports_image_detail_original;
    input::child_input(message, items, &cwd, original_detail)
}

fn spawn(seat: &Arc<AgentSeat>, arguments: &str) -> Result<ToolOutput, String> {
    let a: SpawnArgs = args::parse(arguments)?;
    let template = &seat.tree.template.config.model;
    let input = child_input(
        seat,
        &a.message,
        &a.items,
        a.model.as_ref().unwrap_or(&template.slug),
    )?;
    let text = input.prompt.clone();
    if seat.tree.open_count() >= super::MAX_OPEN_AGENTS {
        return Err("collab spawn failed: agent thread limit reached".into());
    }
    let spec = ChildSpec {
        input: Some(input),
        fork: a.fork_context,
        model: a.model.clone(),
        reasoning_effort: a.reasoning_effort.clone(),
        resume: None,
    };
    let agent = child::start(seat, spec)?;
    let mut d = details(
        CollabTool::SpawnAgent,
        vec![known(&agent)],
        vec![AgentState::PendingInit],
    );
    d.prompt = Some(text);
    d.model = Some(a.model.unwrap_or_else(|| template.slug.clone()));
    d.reasoning_effort = a
        .reasoning_effort
        .or_else(|| template.reasoning_effort.clone());
    let output = json!({"agent_id": agent.thread_id, "nickname": agent.nickname});
    Ok(answered(output, d))
}

async fn send_input(seat: &Arc<AgentSeat>, arguments: &str) -> Result<ToolOutput, String> {
    let a: SendArgs = args::parse(arguments)?;
    let id = args::agent_id(&a.target)?;
    let template = &seat.tree.template.config.model;
    let input = child_input(seat, &a.message, &a.items, &template.slug)?;
    let text = input.prompt;
    let Some(agent) = seat.tree.lookup(&id) else {
        return Ok(not_found(CollabTool::SendInput, &id, Some(text)));
    };
    if a.interrupt && agent.state() == AgentState::Running {
        let mut states = agent.state.subscribe();
        agent.interrupt.notify_waiters();
        let _ = states.wait_for(|s| *s != AgentState::Running).await;
    }
    let before = agent.state();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (turn_id, root_turn_id) = seat.turn.lock().expect("seat turn").clone();
    let sent = agent.commands.send(Command::Turn {
        text: input.text,
        parts: input.parts,
        parent_turn_id: turn_id,
        root_turn_id,
        started: Some(tx),
    });
    let Ok(submission_id) = (match sent {
        Ok(()) => rx.await.map_err(|_| ()),
        Err(_) => Err(()),
    }) else {
        return Ok(not_found(CollabTool::SendInput, &id, Some(text)));
    };
    let mut d = details(CollabTool::SendInput, vec![known(&agent)], vec![before]);
    d.prompt = Some(text);
    Ok(answered(json!({ "submission_id": submission_id }), d))
}

async fn wait(seat: &Arc<AgentSeat>, arguments: &str) -> Result<ToolOutput, String> {
    let a: WaitArgs = args::parse(arguments)?;
    let mut ids = Vec::new();
    for target in &a.targets {
        let id = args::agent_id(target)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err("agent ids must be non-empty".into());
    }
    let wait_ms = args::wait_ms(a.timeout_ms)?;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(wait_ms);
    let tree = &seat.tree;
    loop {
        let changed = tree.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let finals = final_states(seat, &ids);
        if !finals.is_empty() {
            return Ok(wait_answer(finals));
        }
        if tokio::time::timeout_at(deadline, changed).await.is_err() {
            let d = details(CollabTool::Wait, Vec::new(), Vec::new());
            return Ok(answered(json!({"status": {}, "timed_out": true}), d));
        }
    }
}

/// The targets that are final now, in target order (an id no open agent has is `not_found`).
fn final_states(seat: &AgentSeat, ids: &[String]) -> Vec<(AgentRef, AgentState)> {
    finals(ids, |id| {
        seat.tree
            .lookup(id)
            .map(|agent| (known(&agent), agent.state()))
    })
}

/// Of `ids`, in order, those whose state (`lookup`; `None`: no such agent, `not_found`) is final.
fn finals(
    ids: &[String],
    lookup: impl Fn(&str) -> Option<(AgentRef, AgentState)>,
) -> Vec<(AgentRef, AgentState)> {
    ids.iter()
        .filter_map(|id| match lookup(id) {
            Some((agent, state)) => state.is_final().then_some((agent, state)),
            None => Some((
                AgentRef {
                    thread_id: id.clone(),
                    nickname: None,
                },
                AgentState::NotFound,
            )),
        })
        .collect()
}

fn wait_answer(finals: Vec<(AgentRef, AgentState)>) -> ToolOutput {
    let mut status = Map::new();
    for (r, s) in &finals {
        status.insert(r.thread_id.clone(), s.to_wire());
    }
    let (receivers, states) = finals.into_iter().unzip();
    let d = details(CollabTool::Wait, receivers, states);
    answered(json!({"status": status, "timed_out": false}), d)
}

fn close(seat: &Arc<AgentSeat>, arguments: &str) -> Result<ToolOutput, String> {
    let a: CloseArgs = args::parse(arguments)?;
    let id = args::agent_id(&a.target)?;
    let removed = seat
        .tree
        .registry
        .lock()
        .expect("agent registry")
        .open
        .remove(&id);
    let Some(agent) = removed else {
        return Ok(not_found(CollabTool::CloseAgent, &id, None));
    };
    let previous = agent.state();
    if let Some(task) = agent.task.lock().expect("agent task").take() {
        task.abort();
    }
    seat.tree.set_state(&agent, AgentState::Shutdown);
    let d = details(
        CollabTool::CloseAgent,
        vec![known(&agent)],
        vec![previous.clone()],
    );
    Ok(answered(
        json!({ "previous_status": previous.to_wire() }),
        d,
    ))
}

fn resume(seat: &Arc<AgentSeat>, arguments: &str) -> Result<ToolOutput, String> {
    let a: ResumeArgs = args::parse(arguments)?;
    let id = args::agent_id(&a.id)?;
    if let Some(agent) = seat.tree.lookup(&id) {
        let state = agent.state();
        let d = details(
            CollabTool::ResumeAgent,
            vec![known(&agent)],
            vec![state.clone()],
        );
        return Ok(answered(json!({ "status": state.to_wire() }), d));
    }
    let closed = {
        let registry = seat.tree.registry.lock().expect("agent registry");
        registry.all.iter().find(|a| a.thread_id == id).cloned()
    };
    let Some((closed, path)) = closed.and_then(|c| c.rollout.clone().map(|p| (c, p))) else {
        return Ok(not_found(CollabTool::ResumeAgent, &id, None));
    };
    let history = crate::rollout::read_rollout(&path).map_err(|e| e.to_string())?;
    let thread = rcodex_core::session::ResumedThread {
        thread_id: history.thread_id,
        history: history.history,
        thread_usage: history.thread_usage,
        last_usage: history.last_usage,
        window_number: history.window_number,
    };
    let spec = ChildSpec {
        input: None,
        fork: false,
        model: None,
        reasoning_effort: None,
        resume: Some((closed.nickname.clone(), thread, path)),
    };
    let agent = child::start(seat, spec)?;
    let d = details(
        CollabTool::ResumeAgent,
        vec![known(&agent)],
        vec![AgentState::PendingInit],
    );
    Ok(answered(json!({ "status": "pending_init" }), d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn state(n: u8) -> AgentState {
        match n % 6 {
            0 => AgentState::PendingInit,
            1 => AgentState::Running,
            2 => AgentState::Interrupted,
            3 => AgentState::Completed(Some(format!("done {n}"))),
            4 => AgentState::Errored("boom".into()),
            _ => AgentState::Shutdown,
        }
    }

    proptest! {
        /// Whatever order the agents finish in, a wait sees exactly the targets that are final
        /// at that moment (unknown ids included, as not_found), each once, in target order.
        #[test]
        fn a_wait_returns_exactly_the_final_targets(
            states in proptest::collection::vec(0u8..6, 1..8),
            finish_order in Just(()).prop_perturb(|_, mut rng| {
                let mut order: Vec<usize> = (0..8).collect();
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.random_range(0..=i));
                }
                order
            }),
            unknown in 0usize..3,
        ) {
            let mut now: Vec<AgentState> = states.iter().map(|&n| state(n)).collect();
            let mut ids: Vec<String> = (0..now.len()).map(|i| format!("agent-{i}")).collect();
            ids.extend((0..unknown).map(|i| format!("gone-{i}")));
            let count = now.len();
            for step in finish_order.iter().filter(|&&i| i < count) {
                now[*step] = AgentState::Completed(Some(format!("finished {step}")));
                let seen = finals(&ids, |id| {
                    let i: usize = id.strip_prefix("agent-")?.parse().ok()?;
                    let agent = AgentRef { thread_id: id.to_string(), nickname: Some("n".into()) };
                    Some((agent, now[i].clone()))
                });
                let expected: Vec<String> = ids
                    .iter()
                    .filter(|id| match id.strip_prefix("agent-") {
                        Some(i) => now[i.parse::<usize>().unwrap()].is_final(),
                        None => true,
                    })
                    .cloned()
                    .collect();
                let got: Vec<String> = seen.iter().map(|(r, _)| r.thread_id.clone()).collect();
                prop_assert_eq!(&got, &expected);
                prop_assert!(seen.iter().all(|(r, s)| s.is_final()
                    && (r.nickname.is_none()) == (*s == AgentState::NotFound)));
            }
        }
    }
}
