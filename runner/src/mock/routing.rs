//! Which reply list answers a request: the root thread's (`[[reply]]`, `[[model.reply]]`) or a
//! child agent's (`[[agent]]`). A child is a request carrying `x-openai-subagent` (Codex sends
//! `collab_spawn`); it is matched to an `[[agent]]` on its first request and kept by its
//! `thread-id` header (Codex sends it on every request), so each child gets its own replies
//! whatever order the children's requests arrive in. Pure: no I/O, unit-tested here.

use std::collections::HashMap;

use serde_json::Value;

use super::agent_ids::fill_agent_ids;
use super::script::{AgentScript, Reply, Script};

/// The header that marks a child agent's request.
const SUBAGENT_HEADER: &str = "x-openai-subagent";
/// The header that names the requesting thread.
const THREAD_HEADER: &str = "thread-id";

/// Whose reply list a request was answered from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnsweredAs {
    /// The root thread's replies (also children's when the script has no `[[agent]]`).
    Root,
    /// The 1-based `[[agent]]`.
    Agent(usize),
    /// A child no `[[agent]]` matched (or one without a `thread-id`).
    Unmatched,
}

impl std::fmt::Display for AnsweredAs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnsweredAs::Root => f.write_str("root"),
            AnsweredAs::Agent(n) => write!(f, "agent {n}"),
            AnsweredAs::Unmatched => f.write_str("unmatched"),
        }
    }
}

/// The outcome of routing one request.
#[derive(Clone, Debug)]
pub struct Routed {
    pub answered_as: AnsweredAs,
    /// The child's `thread-id`, when it is a child's request.
    pub thread_id: Option<String>,
    /// The 1-based position of the reply in its list, when there was one.
    pub reply_number: Option<usize>,
    /// The reply, or what the mock answers instead (HTTP 400 with this text).
    pub reply: Result<Reply, String>,
}

/// Replies in order, `repeat` expanded.
#[derive(Debug, Default)]
struct Queue {
    replies: Vec<Reply>,
    next: usize,
}

impl Queue {
    fn new(replies: Vec<Reply>) -> Queue {
        let replies = replies
            .into_iter()
            .flat_map(|r| std::iter::repeat_n(r.clone(), r.repeat.unwrap_or(1).max(1)))
            .collect();
        Queue { replies, next: 0 }
    }

    /// The next reply and its 1-based number, or `None` when used up.
    fn take(&mut self) -> Option<(usize, Reply)> {
        let reply = self.replies.get(self.next).cloned()?;
        self.next += 1;
        Some((self.next, reply))
    }
}

struct AgentQueue {
    prompt_contains: Option<String>,
    queue: Queue,
    /// The child thread it was matched to.
    thread: Option<String>,
}

/// The reply lists of one script and the children matched so far.
pub struct Router {
    source: String,
    root: Queue,
    agents: Vec<AgentQueue>,
    by_thread: HashMap<String, usize>,
}

impl Router {
    pub fn new(script: Script) -> Router {
        Router {
            source: script.source.unwrap_or_else(|| "script".into()),
            root: Queue::new(script.replies),
            agents: script
                .agents
                .into_iter()
                .map(
                    |AgentScript {
                         prompt_contains,
                         replies,
                     }| AgentQueue {
                        prompt_contains,
                        queue: Queue::new(replies),
                        thread: None,
                    },
                )
                .collect(),
            by_thread: HashMap::new(),
        }
    }

    /// Routes request number `n` (1-based, in arrival order) by its headers and body, and fills
    /// the reply's `{{agent_id:CALL_ID}}` from the body.
    pub fn route(&mut self, n: usize, headers: &[(String, String)], body: &Value) -> Routed {
        let mut routed = self.pick(n, headers, body);
        if let Ok(reply) = &routed.reply {
            routed.reply = fill_agent_ids(reply, body)
                .map_err(|e| format!("rcodex mock: {}: request {n}: {e}", self.source));
        }
        routed
    }

    fn pick(&mut self, n: usize, headers: &[(String, String)], body: &Value) -> Routed {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let is_child = header(SUBAGENT_HEADER).is_some();
        if !is_child || self.agents.is_empty() {
            return self.answer_root(n);
        }
        let Some(thread) = header(THREAD_HEADER) else {
            return unmatched(
                None,
                format!(
                    "rcodex mock: {}: request {n}: a child's request without a `{THREAD_HEADER}` header",
                    self.source
                ),
            );
        };
        let index = match self.by_thread.get(&thread) {
            Some(&i) => i,
            None => {
                let prompt = last_user_text(body).unwrap_or_default();
                let Some(i) = self.match_agent(&prompt) else {
                    return unmatched(
                        Some(thread.clone()),
                        format!(
                            "rcodex mock: {}: request {n}: no [[agent]] left for child thread {thread} (its prompt: {:?})",
                            self.source,
                            shorten(&prompt)
                        ),
                    );
                };
                self.agents[i].thread = Some(thread.clone());
                self.by_thread.insert(thread.clone(), i);
                i
            }
        };
        let agent = &mut self.agents[index];
        let answered_as = AnsweredAs::Agent(index + 1);
        match agent.queue.take() {
            Some((k, reply)) => Routed {
                answered_as,
                thread_id: Some(thread),
                reply_number: Some(k),
                reply: Ok(reply),
            },
            None => Routed {
                reply: Err(format!(
                    "rcodex mock: {}: {}: no reply left for request {n}",
                    self.source,
                    describe(index, agent.prompt_contains.as_deref())
                )),
                answered_as,
                thread_id: Some(thread),
                reply_number: None,
            },
        }
    }

    fn answer_root(&mut self, n: usize) -> Routed {
        match self.root.take() {
            Some((k, reply)) => Routed {
                answered_as: AnsweredAs::Root,
                thread_id: None,
                reply_number: Some(k),
                reply: Ok(reply),
            },
            None => Routed {
                answered_as: AnsweredAs::Root,
                thread_id: None,
                reply_number: None,
                reply: Err(format!("rcodex mock: no scripted reply for request {n}")),
            },
        }
    }

    /// The first unmatched agent whose `prompt_contains` is in `prompt`, else the first
    /// unmatched agent without `prompt_contains`.
    fn match_agent(&self, prompt: &str) -> Option<usize> {
        let free = || {
            self.agents
                .iter()
                .enumerate()
                .filter(|(_, a)| a.thread.is_none())
        };
        free()
            .find(|(_, a)| {
                a.prompt_contains
                    .as_deref()
                    .is_some_and(|p| prompt.contains(p))
            })
            .or_else(|| free().find(|(_, a)| a.prompt_contains.is_none()))
            .map(|(i, _)| i)
    }
}

fn unmatched(thread_id: Option<String>, message: String) -> Routed {
    Routed {
        answered_as: AnsweredAs::Unmatched,
        thread_id,
        reply_number: None,
        reply: Err(message),
    }
}

/// `agent 2 ("alpha")`, or `agent 2` without `prompt_contains`.
fn describe(index: usize, prompt_contains: Option<&str>) -> String {
    match prompt_contains {
        Some(p) => format!("agent {} ({p:?})", index + 1),
        None => format!("agent {}", index + 1),
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The text of the last user message's last text part: Responses `input` (`input_text` parts)
/// or chat-completions `messages` (a string or `text` parts).
pub fn last_user_text(body: &Value) -> Option<String> {
    let items = body
        .get("input")
        .or_else(|| body.get("messages"))?
        .as_array()?;
    items
        .iter()
        .rev()
        .filter(|item| item.get("role").and_then(Value::as_str) == Some("user"))
        .find_map(|item| match item.get("content")? {
            Value::String(s) => Some(s.clone()),
            Value::Array(parts) => parts
                .iter()
                .rev()
                .filter(|p| {
                    matches!(
                        p.get("type").and_then(Value::as_str),
                        Some("input_text" | "text")
                    )
                })
                .find_map(|p| p.get("text").and_then(Value::as_str).map(str::to_string)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn script(value: Value) -> Script {
        Script {
            source: Some("s.toml".into()),
            ..serde_json::from_value(value).unwrap()
        }
    }

    fn child(thread: &str) -> Vec<(String, String)> {
        vec![
            ("x-openai-subagent".into(), "collab_spawn".into()),
            ("thread-id".into(), thread.into()),
        ]
    }

    fn root() -> Vec<(String, String)> {
        vec![("thread-id".into(), "root-thread".into())]
    }

    fn asking(text: &str) -> Value {
        json!({"input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        ]})
    }

    fn message(r: &Routed) -> String {
        r.reply.as_ref().unwrap().message.clone().unwrap()
    }

    fn two_agents() -> Script {
        script(json!({
            "reply": [{"message": "root 1"}, {"message": "root 2"}],
            "agent": [
                {"prompt_contains": "alpha", "reply": [{"message": "alpha 1"}, {"message": "alpha 2"}]},
                {"prompt_contains": "beta", "reply": [{"message": "beta 1"}]}
            ]
        }))
    }

    #[test]
    fn each_child_gets_its_own_replies_whatever_the_arrival_order() {
        let mut r = Router::new(two_agents());
        assert_eq!(message(&r.route(1, &root(), &asking("go"))), "root 1");
        let b = r.route(2, &child("t-b"), &asking("say beta"));
        assert_eq!(
            (message(&b), b.answered_as),
            ("beta 1".into(), AnsweredAs::Agent(2))
        );
        let a = r.route(3, &child("t-a"), &asking("say alpha"));
        assert_eq!(
            (message(&a), a.answered_as),
            ("alpha 1".into(), AnsweredAs::Agent(1))
        );
        // Later requests follow the thread, not the prompt.
        let a2 = r.route(4, &child("t-a"), &asking("say beta again"));
        assert_eq!(message(&a2), "alpha 2");
        assert_eq!(a2.reply_number, Some(2));
        assert_eq!(message(&r.route(5, &root(), &asking("x"))), "root 2");
    }

    #[test]
    fn an_exhausted_agent_is_named_with_its_file_number_and_prompt() {
        let mut r = Router::new(two_agents());
        r.route(1, &child("t-b"), &asking("beta"));
        let e = r
            .route(2, &child("t-b"), &asking("more"))
            .reply
            .unwrap_err();
        assert_eq!(
            e,
            "rcodex mock: s.toml: agent 2 (\"beta\"): no reply left for request 2"
        );
    }

    #[test]
    fn an_unmatched_child_is_an_error_naming_its_thread_and_prompt() {
        let mut r = Router::new(two_agents());
        let routed = r.route(1, &child("t-x"), &asking("say gamma"));
        assert_eq!(routed.answered_as, AnsweredAs::Unmatched);
        let e = routed.reply.unwrap_err();
        assert!(
            e.contains("s.toml: request 1: no [[agent]] left for child thread t-x"),
            "{e}"
        );
        assert!(e.contains("\"say gamma\""), "{e}");
        // An agent already matched is not matched again by a second child with the same prompt.
        r.route(2, &child("t-a"), &asking("alpha"));
        let again = r.route(3, &child("t-a2"), &asking("alpha"));
        assert_eq!(again.answered_as, AnsweredAs::Unmatched);
    }

    #[test]
    fn agents_without_prompt_contains_take_children_in_order_of_first_request() {
        let mut r = Router::new(script(json!({
            "agent": [
                {"reply": [{"message": "first"}]},
                {"prompt_contains": "special", "reply": [{"message": "special"}]},
                {"reply": [{"message": "second"}]}
            ]
        })));
        assert_eq!(
            message(&r.route(1, &child("t1"), &asking("plain"))),
            "first"
        );
        assert_eq!(
            message(&r.route(2, &child("t2"), &asking("a special one"))),
            "special"
        );
        let third = r.route(3, &child("t3"), &asking("plain too"));
        assert_eq!(
            (message(&third), third.answered_as),
            ("second".into(), AnsweredAs::Agent(3))
        );
        assert!(r.route(4, &root(), &asking("x")).reply.is_err());
    }

    #[test]
    fn without_agents_children_share_the_root_replies() {
        let mut r = Router::new(script(
            json!({"reply": [{"message": "a"}, {"message": "b"}]}),
        ));
        assert_eq!(message(&r.route(1, &root(), &asking("x"))), "a");
        let c = r.route(2, &child("t"), &asking("y"));
        assert_eq!((message(&c), c.answered_as), ("b".into(), AnsweredAs::Root));
        assert_eq!(
            r.route(3, &root(), &asking("x")).reply.unwrap_err(),
            "rcodex mock: no scripted reply for request 3"
        );
    }

    #[test]
    fn repeat_expands_within_an_agent() {
        let mut r = Router::new(script(json!({
            "agent": [{"reply": [{"message": "again", "repeat": 2}]}]
        })));
        assert!(r.route(1, &child("t"), &asking("x")).reply.is_ok());
        assert!(r.route(2, &child("t"), &asking("x")).reply.is_ok());
        assert!(r.route(3, &child("t"), &asking("x")).reply.is_err());
    }

    #[test]
    fn a_child_without_thread_id_is_an_error() {
        let mut r = Router::new(two_agents());
        let headers = vec![("x-openai-subagent".to_string(), "collab_spawn".to_string())];
        let routed = r.route(1, &headers, &asking("alpha"));
        assert_eq!(routed.answered_as, AnsweredAs::Unmatched);
        assert!(routed
            .reply
            .unwrap_err()
            .contains("without a `thread-id` header"));
    }

    #[test]
    fn the_prompt_is_the_last_user_text_of_either_wire() {
        assert_eq!(last_user_text(&asking("hi")).as_deref(), Some("hi"));
        let chat = json!({"messages": [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]}
        ]});
        assert_eq!(last_user_text(&chat).as_deref(), Some("second"));
        assert_eq!(last_user_text(&json!({"input": []})), None);
    }
}
