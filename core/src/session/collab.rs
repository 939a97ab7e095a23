//! Sub-agents as the core sees them. The runner owns the agents (it spawns, drives and waits for
//! them, as it owns every tool); the core only needs to know three things, shaped as Codex 0.169
//! shows them (captured):
//!
//! - a child thread's link to its parent ([`SubagentLink`]): its request headers, turn metadata,
//!   `session_meta` and `turn_attribution` name the parent and the root;
//! - what a call of the `multi_agent_v1` tools shows while it runs ([`CollabView`], from the
//!   arguments) and when it ends ([`CollabDetails`], from the runner): the `collab_tool_call`
//!   items of `exec --json` and the `CollabAgentToolCall` item of the rollout;
//! - the `<subagent_notification>` user message the runner feeds the parent when a child ends
//!   ([`notification_text`], fed as `Input::Notify`).

use serde_json::{json, Map, Value};

use crate::protocol::exec_event::ItemStatus;
use crate::protocol::turn_item::CollabAgentToolCallItem;
use crate::protocol::{ThreadItemDetails, TurnItem};

/// The deferred namespace of the sub-agent tools.
pub const NAMESPACE: &str = "multi_agent_v1";

/// The `x-openai-subagent` header (and `client_metadata` key) value of a spawned child.
pub const SUBAGENT_KIND_HEADER: &str = "collab_spawn";

/// How a child thread is tied to the thread that spawned it. The turn ids change per child
/// turn (each is started by some parent turn); the runner sets them before each turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubagentLink {
    /// The root thread's id: the child's `session-id` header, `session_id` everywhere and its
    /// `prompt_cache_key`.
    pub session_id: String,
    /// The thread that spawned this one.
    pub parent_thread_id: String,
    /// 1 for a child of the root.
    pub depth: u32,
    /// The child's nickname (`agent_nickname`).
    pub nickname: String,
    /// The parent's turn that started the child's current turn.
    pub parent_turn_id: String,
    /// The root thread's turn the work belongs to.
    pub root_turn_id: String,
}

impl SubagentLink {
    /// `session_meta.source` of a child: `{"subagent":{"thread_spawn":{…}}}`.
    pub fn source(&self) -> Value {
        json!({"subagent": {"thread_spawn": {
            "parent_thread_id": self.parent_thread_id,
            "depth": self.depth,
            "agent_path": null,
            "agent_nickname": self.nickname,
            "agent_role": null,
        }}})
    }
}

/// One of the five sub-agent tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollabTool {
    /// `spawn_agent`: start a child thread on a message.
    SpawnAgent,
    /// `send_input`: start another turn of a child.
    SendInput,
    /// `wait_agent`: wait until a child reaches a final state.
    Wait,
    /// `close_agent`: shut a child down.
    CloseAgent,
    /// `resume_agent`: reopen a closed child.
    ResumeAgent,
}

impl CollabTool {
    /// The tool a `multi_agent_v1` call names, if it is one of the five.
    pub fn of_call(namespace: Option<&str>, name: &str) -> Option<CollabTool> {
        if namespace != Some(NAMESPACE) {
            return None;
        }
        Some(match name {
            "spawn_agent" => CollabTool::SpawnAgent,
            "send_input" => CollabTool::SendInput,
            "wait_agent" => CollabTool::Wait,
            "close_agent" => CollabTool::CloseAgent,
            "resume_agent" => CollabTool::ResumeAgent,
            _ => return None,
        })
    }

    /// The `tool` of the rollout's `CollabAgentToolCall`.
    pub fn rollout_name(self) -> &'static str {
        match self {
            CollabTool::SpawnAgent => "spawn_agent",
            CollabTool::SendInput => "send_input",
            CollabTool::Wait => "wait",
            CollabTool::CloseAgent => "close_agent",
            CollabTool::ResumeAgent => "resume_agent",
        }
    }

    /// The `tool` of the `--json` `collab_tool_call` item: Codex's exec stream knows four and
    /// shows `resume_agent` as `wait` (captured).
    pub fn exec_name(self) -> &'static str {
        match self {
            CollabTool::ResumeAgent => "wait",
            other => other.rollout_name(),
        }
    }
}

/// Where an agent stands, as `wait_agent`, `close_agent` and the items report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentState {
    /// Spawned (or resumed), no turn started yet.
    PendingInit,
    /// A turn is running.
    Running,
    /// Its last turn was interrupted.
    Interrupted,
    /// Its last turn completed, with its last agent message.
    Completed(Option<String>),
    /// Its last turn failed, with the error message.
    Errored(String),
    /// Closed.
    Shutdown,
    /// No such agent (never spawned, or closed and gone).
    NotFound,
}

impl AgentState {
    /// A state `wait_agent` returns on.
    pub fn is_final(&self) -> bool {
        !matches!(self, AgentState::PendingInit | AgentState::Running)
    }

    /// A state that makes the call's item `failed`.
    pub fn is_failure(&self) -> bool {
        matches!(self, AgentState::Errored(_) | AgentState::NotFound)
    }

    fn name(&self) -> &'static str {
        match self {
            AgentState::PendingInit => "pending_init",
            AgentState::Running => "running",
            AgentState::Interrupted => "interrupted",
            AgentState::Completed(_) => "completed",
            AgentState::Errored(_) => "errored",
            AgentState::Shutdown => "shutdown",
            AgentState::NotFound => "not_found",
        }
    }

    fn message(&self) -> Option<&str> {
        match self {
            AgentState::Completed(m) => m.as_deref(),
            AgentState::Errored(m) => Some(m),
            _ => None,
        }
    }

    /// As tool outputs, notifications and the rollout write it: `"pending_init"`, or
    /// `{"completed": msg}` / `{"errored": msg}`.
    pub fn to_wire(&self) -> Value {
        match self {
            AgentState::Completed(m) => json!({ "completed": m }),
            AgentState::Errored(m) => json!({ "errored": m }),
            other => json!(other.name()),
        }
    }

    /// As `exec --json` shows it: `{"status": …, "message": …}`.
    pub fn to_exec(&self) -> Value {
        json!({ "status": self.name(), "message": self.message() })
    }
}

/// An agent a call names, with its nickname when the agent is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentRef {
    /// The agent's thread id.
    pub thread_id: String,
    /// Its nickname; `None` for an id no agent has.
    pub nickname: Option<String>,
}

/// What a finished sub-agent call reports (the runner fills it in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollabDetails {
    /// The tool called.
    pub tool: CollabTool,
    /// The agents the result is about (for `wait_agent`: the ones that reached a final state).
    pub receivers: Vec<AgentRef>,
    /// The message sent (spawn_agent, send_input).
    pub prompt: Option<String>,
    /// The child's model and effort (spawn_agent).
    pub model: Option<String>,
    /// See `model`.
    pub reasoning_effort: Option<String>,
    /// Each receiver's state after the call, in `receivers` order.
    pub states: Vec<(String, AgentState)>,
}

impl CollabDetails {
    fn status(&self) -> ItemStatus {
        if self.states.iter().any(|(_, s)| s.is_failure()) {
            ItemStatus::Failed
        } else {
            ItemStatus::Completed
        }
    }
}

/// What a sub-agent call shows when it starts, read from its arguments. A call whose arguments
/// Codex refuses before it starts (unparsable, no message, an id that is not a UUID, no targets)
/// shows nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollabView {
    /// The tool called.
    pub tool: CollabTool,
    /// The calling thread (set by the loop, which knows it).
    pub sender: String,
    /// The agents the call names (none for a spawn).
    pub receivers: Vec<String>,
    /// The message sent, if any.
    pub prompt: Option<String>,
}

/// The view of a call of `tool` with JSON `args`, if Codex would start it.
pub fn view(tool: CollabTool, args: &Value) -> Option<CollabView> {
    let id_arg = |key: &str| -> Option<String> {
        let id = args.get(key)?.as_str()?;
        is_uuid(id).then(|| id.to_string())
    };
    let (receivers, prompt) = match tool {
        CollabTool::SpawnAgent => (Vec::new(), Some(input_text(args)?)),
        CollabTool::SendInput => (vec![id_arg("target")?], Some(input_text(args)?)),
        CollabTool::CloseAgent => (vec![id_arg("target")?], None),
        CollabTool::ResumeAgent => (vec![id_arg("id")?], None),
        CollabTool::Wait => {
            let targets = args.get("targets")?.as_array()?;
            let ids: Option<Vec<String>> = targets
                .iter()
                .map(|t| t.as_str().filter(|t| is_uuid(t)).map(str::to_string))
                .collect();
            let ids = ids?;
            let timeout = args.get("timeout_ms").and_then(Value::as_f64);
            if ids.is_empty() || timeout.is_some_and(|t| t <= 0.0) {
                return None;
            }
            (ids, None)
        }
    };
    Some(CollabView {
        tool,
        sender: String::new(),
        receivers,
        prompt,
    })
}

/// The text a spawn_agent or send_input call sends: `message`, else the text of its `items`
/// (joined by newlines); `None` when it has neither ("Provide one of: message or items").
pub fn input_text(args: &Value) -> Option<String> {
    if let Some(message) = args.get("message").and_then(Value::as_str) {
        return Some(message.to_string());
    }
    let items = args.get("items")?.as_array()?;
    if items.is_empty() {
        return None;
    }
    let texts: Vec<&str> = items
        .iter()
        .filter_map(|i| i.get("text").and_then(Value::as_str))
        .collect();
    Some(texts.join("\n"))
}

/// A UUID as Codex's agent ids parse: hyphenated (36 chars) or simple (32 hex digits).
pub fn is_uuid(text: &str) -> bool {
    let hex = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit());
    match text.len() {
        32 => hex(text),
        36 => {
            let parts: Vec<&str> = text.split('-').collect();
            parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| hex(p))
        }
        _ => false,
    }
}

/// The `--json` item of a call that just started.
pub fn started_item(view: &CollabView) -> ThreadItemDetails {
    ThreadItemDetails::CollabToolCall {
        tool: view.tool.exec_name().into(),
        sender_thread_id: view.sender.clone(),
        receiver_thread_ids: view.receivers.clone(),
        prompt: view.prompt.clone(),
        agents_states: Map::new(),
        status: ItemStatus::InProgress,
    }
}

/// The `--json` item of a finished call.
pub fn finished_item(d: &CollabDetails, sender: &str) -> ThreadItemDetails {
    let states = d
        .states
        .iter()
        .map(|(id, s)| (id.clone(), s.to_exec()))
        .collect();
    ThreadItemDetails::CollabToolCall {
        tool: d.tool.exec_name().into(),
        sender_thread_id: sender.into(),
        receiver_thread_ids: d.receivers.iter().map(|r| r.thread_id.clone()).collect(),
        prompt: d.prompt.clone(),
        agents_states: states,
        status: d.status(),
    }
}

/// The rollout's `CollabAgentToolCall` item of finished call `call_id`.
pub fn turn_item(call_id: &str, d: &CollabDetails, sender: &str) -> TurnItem {
    let receiver_agents = d
        .receivers
        .iter()
        .map(|r| match &r.nickname {
            Some(nick) => json!({"thread_id": r.thread_id, "agent_nickname": nick}),
            None => json!({"thread_id": r.thread_id}),
        })
        .collect();
    TurnItem::CollabAgentToolCall(CollabAgentToolCallItem {
        id: call_id.into(),
        tool: d.tool.rollout_name().into(),
        status: d.status(),
        sender_thread_id: sender.into(),
        receiver_thread_ids: d.receivers.iter().map(|r| r.thread_id.clone()).collect(),
        receiver_agents,
        prompt: d.prompt.clone(),
        model: d.model.clone(),
        reasoning_effort: d.reasoning_effort.clone(),
        agents_states: d
            .states
            .iter()
            .map(|(id, s)| (id.clone(), s.to_wire()))
            .collect(),
    })
}

/// The opening of a `<subagent_notification>` message's text.
pub const NOTIFICATION_OPEN: &str = "<subagent_notification>";

/// Whether `item` is a sub-agent notification in a parent's history.
pub fn is_notification(item: &crate::protocol::ResponseItem) -> bool {
    matches!(item, crate::protocol::ResponseItem::Message(m) if m.role == "user"
        && matches!(m.content.first(), Some(crate::protocol::ContentItem::InputText { text }) if text.starts_with(NOTIFICATION_OPEN)))
}

/// The user message the parent's next request carries when child `agent_id` reaches `state`.
pub fn notification_text(agent_id: &str, state: &AgentState) -> String {
    let body = json!({"agent_path": agent_id, "status": state.to_wire()});
    format!("{NOTIFICATION_OPEN}\n{body}\n</subagent_notification>")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "01a24391-28e8-7212-9d3a-0ab65aba0693";

    #[test]
    fn states_are_written_as_codex_writes_them() {
        let done = AgentState::Completed(Some("alpha done 1".into()));
        assert_eq!(done.to_wire(), json!({"completed": "alpha done 1"}));
        assert_eq!(AgentState::PendingInit.to_wire(), json!("pending_init"));
        assert_eq!(AgentState::NotFound.to_wire(), json!("not_found"));
        assert_eq!(
            AgentState::Errored("bad".into()).to_exec(),
            json!({"status": "errored", "message": "bad"})
        );
        assert_eq!(
            AgentState::PendingInit.to_exec(),
            json!({"status": "pending_init", "message": null})
        );
        assert!(done.is_final() && !AgentState::Running.is_final());
    }

    #[test]
    fn the_notification_is_codexs_text() {
        let text = notification_text(A, &AgentState::Completed(Some("alpha done 1".into())));
        assert_eq!(
            text,
            format!("<subagent_notification>\n{{\"agent_path\":\"{A}\",\"status\":{{\"completed\":\"alpha done 1\"}}}}\n</subagent_notification>")
        );
    }

    #[test]
    fn calls_codex_refuses_before_starting_show_nothing() {
        let wait = |args: Value| view(CollabTool::Wait, &args);
        assert_eq!(wait(json!({"targets": []})), None);
        assert_eq!(wait(json!({"targets": ["not-an-id"]})), None);
        assert_eq!(wait(json!({"targets": [null]})), None);
        assert_eq!(wait(json!({"targets": [A], "timeout_ms": 0})), None);
        assert_eq!(wait(json!({"targets": [A]})).unwrap().receivers, vec![A]);
        assert_eq!(view(CollabTool::SpawnAgent, &json!({})), None);
        let spawn = view(
            CollabTool::SpawnAgent,
            &json!({"items": [{"type": "text", "text": "CHILD-C say gamma"}]}),
        )
        .unwrap();
        assert_eq!(spawn.prompt.as_deref(), Some("CHILD-C say gamma"));
        assert!(spawn.receivers.is_empty());
        assert_eq!(view(CollabTool::CloseAgent, &json!({"target": "x"})), None);
    }

    #[test]
    fn ids_parse_as_uuids_do() {
        assert!(is_uuid(A));
        assert!(is_uuid(&A.replace('-', "")));
        assert!(!is_uuid("not-an-id"));
        assert!(!is_uuid("01a24391-28e8-7212-9d3a0-ab65aba0693"));
    }

    #[test]
    fn a_failed_receiver_fails_the_item_and_resume_shows_as_wait() {
        let d = CollabDetails {
            tool: CollabTool::ResumeAgent,
            receivers: vec![AgentRef {
                thread_id: A.into(),
                nickname: None,
            }],
            prompt: None,
            model: None,
            reasoning_effort: None,
            states: vec![(A.into(), AgentState::NotFound)],
        };
        let ThreadItemDetails::CollabToolCall { tool, status, .. } = finished_item(&d, "p") else {
            panic!("a collab item")
        };
        assert_eq!((tool.as_str(), status), ("wait", ItemStatus::Failed));
        let item = turn_item("c1", &d, "p").to_value();
        assert_eq!(item["tool"], "resume_agent");
        assert_eq!(item["receiver_agents"], json!([{"thread_id": A}]));
        assert_eq!(item["status"], "failed");
        assert!(item.get("prompt").is_none());
    }
}
