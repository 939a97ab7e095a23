//! What one rollout says about sub-agents, read from its raw lines: who the thread is (its
//! parent, its nickname), which children it spawned (`CollabAgentToolCall` items and the
//! `spawn_agent` outputs), what it was told each child said (wait outputs, close outputs,
//! `<subagent_notification>` messages), and, for a child, the last agent message of each turn.
//! `family` checks a parent's claims against its children's own files with these.

use std::collections::HashMap;

use serde_json::Value;

/// The agent facts of one rollout.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentLinks {
    /// `session_meta.id`.
    pub thread_id: String,
    /// `session_meta.parent_thread_id`, else `source.subagent.thread_spawn.parent_thread_id`.
    pub parent_thread_id: Option<String>,
    /// `session_meta.agent_nickname`, else `source.subagent.thread_spawn.agent_nickname`.
    pub nickname: Option<String>,
    /// Children in order of first mention, with what the parent recorded of them.
    pub children: Vec<Child>,
    /// Each message the parent was told a child ended a turn with.
    pub reported: Vec<Reported>,
    /// Per turn (`task_complete`, in order): when it ended and its last agent message.
    pub turn_ends: Vec<TurnEnd>,
}

/// The end of one turn of a thread.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnEnd {
    pub line: usize,
    /// The line's timestamp in ms since the epoch, when it has one.
    pub at_ms: Option<i64>,
    pub message: Option<String>,
}

/// A child as the parent recorded it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Child {
    pub thread_id: String,
    /// The nickname the spawn output or a `receiver_agents` entry gave.
    pub nickname: Option<String>,
    /// The line that first names it.
    pub line: usize,
}

/// One "child X completed with M" the parent recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Reported {
    pub child: String,
    pub message: String,
    /// Where: `wait_agent`, `close_agent` or `notification`.
    pub via: &'static str,
    pub line: usize,
    /// The line's timestamp in ms since the epoch, when it has one.
    pub at_ms: Option<i64>,
}

/// A line's number and its time in ms since the epoch (when it has one).
type At = (usize, Option<i64>);

/// Reads the links of one rollout from its lines (1-based numbers, JSON objects).
pub fn read_links(lines: &[(usize, Value)]) -> AgentLinks {
    let mut links = AgentLinks::default();
    // call_id → (tool name, arguments)
    let mut calls: HashMap<String, (String, Value)> = HashMap::new();
    for (number, line) in lines {
        let payload = &line["payload"];
        let at_ms = line["timestamp"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_millis());
        match (line["type"].as_str(), payload["type"].as_str()) {
            (Some("session_meta"), _) => read_meta(&mut links, payload),
            (Some("event_msg"), Some("task_complete")) => links.turn_ends.push(TurnEnd {
                line: *number,
                at_ms,
                message: payload["last_agent_message"].as_str().map(str::to_string),
            }),
            (Some("event_msg"), Some("item_completed"))
                if payload["item"]["type"] == "CollabAgentToolCall" =>
            {
                read_collab_item(&mut links, &payload["item"], *number);
            }
            (Some("response_item"), Some("function_call")) => {
                let name = payload["name"].as_str().unwrap_or_default().to_string();
                let args = payload["arguments"]
                    .as_str()
                    .and_then(|a| serde_json::from_str(a).ok())
                    .unwrap_or(Value::Null);
                if let Some(id) = payload["call_id"].as_str() {
                    calls.insert(id.to_string(), (name, args));
                }
            }
            (Some("response_item"), Some("function_call_output")) => {
                let call = payload["call_id"].as_str().and_then(|id| calls.get(id));
                if let Some((name, args)) = call {
                    let at = (*number, at_ms);
                    read_output(&mut links, name, args, &payload["output"], at);
                }
            }
            (Some("response_item"), Some("message")) if payload["role"] == "user" => {
                read_notification(&mut links, payload, (*number, at_ms));
            }
            _ => {}
        }
    }
    links
}

fn read_meta(links: &mut AgentLinks, meta: &Value) {
    let spawn = &meta["source"]["subagent"]["thread_spawn"];
    let text = |v: &Value| v.as_str().map(str::to_string);
    links.thread_id = meta["id"].as_str().unwrap_or_default().to_string();
    links.parent_thread_id =
        text(&meta["parent_thread_id"]).or_else(|| text(&spawn["parent_thread_id"]));
    links.nickname = text(&meta["agent_nickname"]).or_else(|| text(&spawn["agent_nickname"]));
}

fn read_collab_item(links: &mut AgentLinks, item: &Value, line: usize) {
    let ids = item["receiver_thread_ids"].as_array().into_iter().flatten();
    for id in ids.filter_map(Value::as_str) {
        links.child_mut(id, line);
    }
    for agent in item["receiver_agents"].as_array().into_iter().flatten() {
        if let Some(id) = agent["thread_id"].as_str() {
            let nickname = agent["agent_nickname"].as_str().map(str::to_string);
            let child = links.child_mut(id, line);
            child.nickname = child.nickname.take().or(nickname);
        }
    }
}

/// A `spawn_agent` output names a child; a `wait_agent` output its completed messages; a
/// `close_agent` output the message its target had completed with.
/// `at`: the line's number and time.
fn read_output(links: &mut AgentLinks, tool: &str, args: &Value, output: &Value, at: At) {
    let line = at.0;
    let Some(output) = output
        .as_str()
        .and_then(|o| serde_json::from_str::<Value>(o).ok())
    else {
        return;
    };
    match tool {
        "spawn_agent" => {
            if let Some(id) = output["agent_id"].as_str() {
                let nickname = output["nickname"].as_str().map(str::to_string);
                let child = links.child_mut(id, line);
                child.nickname = nickname.or(child.nickname.take());
            }
        }
        "wait_agent" => {
            for (id, status) in output["status"].as_object().into_iter().flatten() {
                if let Some(message) = status["completed"].as_str() {
                    links.report(id, message, "wait_agent", at);
                }
            }
        }
        "close_agent" => {
            let target = args["target"].as_str();
            let message = output["previous_status"]["completed"].as_str();
            if let (Some(id), Some(message)) = (target, message) {
                links.report(id, message, "close_agent", at);
            }
        }
        _ => {}
    }
}

const NOTIFICATION_OPEN: &str = "<subagent_notification>";
const NOTIFICATION_CLOSE: &str = "</subagent_notification>";

/// `<subagent_notification>\n{"agent_path":ID,"status":{"completed":M}}\n</subagent_notification>`.
fn read_notification(links: &mut AgentLinks, message: &Value, at: At) {
    let texts = message["content"].as_array().into_iter().flatten();
    for text in texts.filter_map(|p| p["text"].as_str()) {
        let Some(body) = text
            .trim()
            .strip_prefix(NOTIFICATION_OPEN)
            .and_then(|t| t.strip_suffix(NOTIFICATION_CLOSE))
        else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(body.trim()) else {
            continue;
        };
        if let (Some(id), Some(m)) = (v["agent_path"].as_str(), v["status"]["completed"].as_str()) {
            links.report(id, m, "notification", at);
        }
    }
}

impl AgentLinks {
    fn child_mut(&mut self, id: &str, line: usize) -> &mut Child {
        let at = match self.children.iter().position(|c| c.thread_id == id) {
            Some(at) => at,
            None => {
                self.children.push(Child {
                    thread_id: id.to_string(),
                    nickname: None,
                    line,
                });
                self.children.len() - 1
            }
        };
        &mut self.children[at]
    }

    fn report(&mut self, child: &str, message: &str, via: &'static str, (line, at_ms): At) {
        self.reported.push(Reported {
            child: child.to_string(),
            message: message.to_string(),
            via,
            line,
            at_ms,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn numbered(lines: Vec<Value>) -> Vec<(usize, Value)> {
        lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .collect()
    }

    fn output(call_id: &str, output: Value) -> Value {
        json!({"type": "response_item", "payload": {"type": "function_call_output", "call_id": call_id, "output": output.to_string()}})
    }

    fn call(call_id: &str, name: &str, args: Value) -> Value {
        json!({"type": "response_item", "payload": {"type": "function_call", "name": name, "namespace": "multi_agent_v1", "call_id": call_id, "arguments": args.to_string()}})
    }

    #[test]
    fn a_parent_names_its_children_and_what_it_was_told() {
        let lines = numbered(vec![
            json!({"type": "session_meta", "payload": {"id": "P", "source": "exec"}}),
            call("s1", "spawn_agent", json!({"message": "go"})),
            json!({"type": "event_msg", "payload": {"type": "item_completed", "item": {
                "type": "CollabAgentToolCall", "id": "s1", "tool": "spawn_agent",
                "receiver_thread_ids": ["A"], "receiver_agents": [{"thread_id": "A", "agent_nickname": "Hubble"}]}}}),
            output("s1", json!({"agent_id": "A", "nickname": "Hubble"})),
            call("w1", "wait_agent", json!({"targets": ["A"]})),
            output(
                "w1",
                json!({"status": {"A": {"completed": "done"}}, "timed_out": false}),
            ),
            json!({"type": "response_item", "payload": {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "<subagent_notification>\n{\"agent_path\":\"A\",\"status\":{\"completed\":\"done\"}}\n</subagent_notification>"}]}}),
            call("c1", "close_agent", json!({"target": "A"})),
            output("c1", json!({"previous_status": {"completed": "done"}})),
            json!({"type": "event_msg", "payload": {"type": "task_complete", "last_agent_message": "all"}}),
        ]);
        let links = read_links(&lines);
        assert_eq!(links.thread_id, "P");
        assert_eq!(links.parent_thread_id, None);
        assert_eq!(
            links.children,
            [Child {
                thread_id: "A".into(),
                nickname: Some("Hubble".into()),
                line: 3
            }]
        );
        let reported: Vec<(&str, &str, usize)> = links
            .reported
            .iter()
            .map(|r| (r.child.as_str(), r.via, r.line))
            .collect();
        assert_eq!(
            reported,
            [
                ("A", "wait_agent", 6),
                ("A", "notification", 7),
                ("A", "close_agent", 9)
            ]
        );
        assert_eq!(links.turn_ends.len(), 1);
        assert_eq!(
            (
                links.turn_ends[0].line,
                links.turn_ends[0].message.as_deref()
            ),
            (10, Some("all"))
        );
    }

    #[test]
    fn a_child_names_its_parent_from_either_field() {
        let meta =
            |payload: Value| numbered(vec![json!({"type": "session_meta", "payload": payload})]);
        let top = read_links(&meta(
            json!({"id": "C", "parent_thread_id": "P", "agent_nickname": "Noether"}),
        ));
        assert_eq!(
            (top.parent_thread_id.as_deref(), top.nickname.as_deref()),
            (Some("P"), Some("Noether"))
        );
        let nested = read_links(&meta(
            json!({"id": "C", "source": {"subagent": {"thread_spawn": {
            "parent_thread_id": "P2", "depth": 1, "agent_nickname": "Curie"}}}}),
        ));
        assert_eq!(
            (
                nested.parent_thread_id.as_deref(),
                nested.nickname.as_deref()
            ),
            (Some("P2"), Some("Curie"))
        );
    }

    #[test]
    fn ordinary_user_messages_and_other_tools_report_nothing() {
        let lines = numbered(vec![
            json!({"type": "response_item", "payload": {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "<subagent_notification> not json </subagent_notification>"},
                {"type": "input_text", "text": "hello"}]}}),
            call("x", "exec_command", json!({"cmd": "ls"})),
            output("x", json!({"status": {"A": {"completed": "no"}}})),
        ]);
        let links = read_links(&lines);
        assert!(links.reported.is_empty() && links.children.is_empty());
    }
}
