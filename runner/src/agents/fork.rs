//! `spawn_agent` with `fork_context`: the history a forked child starts from. Codex 0.169
//! (captured) gives the child the parent's history up to and including the parent's last user
//! message, items and ids as they are (what the running turn did after that message, its
//! completed tool calls and reasoning and the unanswered spawn call included, is left out);
//! then, because a child has no `tool_search`, a developer message naming the namespaces the
//! parent's `<tools>` section had offered as no longer offered. The words are rcodex's own.

use rcodex_core::protocol::{ContentItem, ResponseItem};
use rcodex_core::tool_set::deferred_namespace;

/// The parent's history cut after its last user message; `None` when it has none.
pub fn cut_at_last_user_message(history: &[ResponseItem]) -> Option<Vec<ResponseItem>> {
    let last = history.iter().rposition(is_user_message)?;
    Some(history[..=last].to_vec())
}

fn is_user_message(item: &ResponseItem) -> bool {
    matches!(item, ResponseItem::Message(m) if m.role == "user")
}

/// Whether `history` has a developer message with a `<tools>` part (the deferred namespaces a
/// thread with `tool_search` is told about).
fn offers_deferred_namespaces(history: &[ResponseItem]) -> bool {
    history.iter().any(|item| match item {
        ResponseItem::Message(m) if m.role == "developer" => m
            .content
            .iter()
            .any(|c| matches!(c, ContentItem::InputText { text } if text.starts_with("<tools>\n"))),
        _ => false,
    })
}

/// The developer message telling a forked child that `namespaces` are gone (rcodex's words).
pub fn removed_namespaces_text(namespaces: &[String]) -> String {
    let mut text = String::from("<tools>\nThese tool namespaces are no longer offered:\n");
    for name in namespaces {
        let description = deferred_namespace(name).map(|n| n.description);
        text.push_str(&format!("- {name}: {}\n", description.unwrap_or_default()));
    }
    text.push_str("No tool namespaces are left to load.\n</tools>");
    text
}

/// A forked child's starting history: the cut parent history, then the removed-namespaces
/// message (id `message_id`) when the parent had been offered deferred namespaces.
pub fn forked_history(
    parent: &[ResponseItem],
    namespaces: &[String],
    message_id: String,
) -> Option<Vec<ResponseItem>> {
    let mut history = cut_at_last_user_message(parent)?;
    if offers_deferred_namespaces(&history) && !namespaces.is_empty() {
        let text = removed_namespaces_text(namespaces);
        let content = vec![ContentItem::InputText { text }];
        history.push(ResponseItem::message(
            Some(message_id),
            "developer",
            content,
        ));
    }
    Some(history)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, role: &str, text: &str) -> ResponseItem {
        let content = vec![ContentItem::InputText { text: text.into() }];
        ResponseItem::message(Some(id.into()), role, content)
    }

    fn parent() -> Vec<ResponseItem> {
        let call: ResponseItem = serde_json::from_value(serde_json::json!({
            "type": "function_call", "id": "fc_1", "call_id": "c_1", "name": "spawn_agent",
            "namespace": "multi_agent_v1", "arguments": "{}"
        }))
        .unwrap();
        vec![
            msg("d1", "developer", "<tools>\nsomething\n</tools>"),
            msg("e1", "user", "<environment_context/>"),
            msg("u1", "user", "PARENT go"),
            msg("a1", "assistant", "working"),
            call,
        ]
    }

    #[test]
    fn a_fork_keeps_the_history_to_the_last_user_message_with_its_ids() {
        let names = vec!["multi_agent_v1".to_string()];
        let forked = forked_history(&parent(), &names, "msg_new".into()).unwrap();
        assert_eq!(forked[..3], parent()[..3]);
        assert_eq!(forked.len(), 4);
        let ResponseItem::Message(m) = &forked[3] else {
            panic!("{:?}", forked[3]);
        };
        assert_eq!(
            (m.role.as_str(), m.id.as_deref()),
            ("developer", Some("msg_new"))
        );
        assert_eq!(
            m.content,
            vec![ContentItem::InputText {
                text: removed_namespaces_text(&names)
            }]
        );
        assert!(removed_namespaces_text(&names).contains("- multi_agent_v1: "));
    }

    #[test]
    fn without_deferred_namespaces_no_message_is_added() {
        let mut history = parent();
        history.remove(0);
        let names = vec!["multi_agent_v1".to_string()];
        let forked = forked_history(&history, &names, "m".into()).unwrap();
        assert_eq!(forked, history[..2].to_vec());
        assert_eq!(forked_history(&history[..0], &names, "m".into()), None);
    }
}
