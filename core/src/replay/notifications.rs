//! Sub-agent notifications in a parent's recording. When a child finishes a turn, Codex adds a
//! user message `<subagent_notification>…</subagent_notification>` to the parent's running
//! turn, joining its next request; the machine gets the same message as `Input::Notify`. The
//! replay hands each recorded one in before the input that makes the machine send that next
//! request, and its recorded id is the one the machine draws for it.

use super::recording::{RecordedTurn, TurnLine};
use crate::protocol::{ContentItem, ResponseItem};

const OPEN: &str = "<subagent_notification>";

/// The text of a recorded sub-agent notification: a user message of one `input_text` that
/// starts with `<subagent_notification>`.
pub fn notification_text(item: &ResponseItem) -> Option<&str> {
    let ResponseItem::Message(m) = item else {
        return None;
    };
    match m.content.as_slice() {
        [ContentItem::InputText { text }] if m.role == "user" && text.starts_with(OPEN) => {
            Some(text)
        }
        _ => None,
    }
}

/// The recorded ids of a turn's notifications, in order.
pub fn notification_ids(turn: &RecordedTurn) -> Vec<Option<String>> {
    turn.lines
        .iter()
        .filter_map(|l| match l {
            TurnLine::Item(r) => notification_text(r.item).map(|_| r.item),
            TurnLine::Usage(_) => None,
        })
        .map(|item| match item {
            ResponseItem::Message(m) => m.id.clone(),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_notification_part_of_a_user_message_is_one() {
        let text = "<subagent_notification>\n{\"agent_path\":\"a\"}\n</subagent_notification>";
        let user = ResponseItem::user_text(None, text);
        assert_eq!(notification_text(&user), Some(text));
        let assistant = ResponseItem::message(
            None,
            "assistant",
            vec![ContentItem::InputText { text: text.into() }],
        );
        assert_eq!(notification_text(&assistant), None);
        assert_eq!(
            notification_text(&ResponseItem::user_text(None, "hi")),
            None
        );
        let two = ResponseItem::message(
            None,
            "user",
            vec![
                ContentItem::InputText { text: text.into() },
                ContentItem::InputText { text: "x".into() },
            ],
        );
        assert_eq!(notification_text(&two), None);
    }
}
