//! The user message Codex (0.107 on) leaves in history when a turn is interrupted. Its words are
//! Codex's, so rcodex never carries them: a replay reads them from the recording and hands them
//! to the machine, which then leaves the same message where Codex did.

use super::recording::{Recording, TurnLine};
use crate::protocol::{ContentItem, ResponseItem};

/// The tag Codex's marker text opens with.
const OPENING: &str = "<turn_aborted>";

/// The marker's text when `item` is Codex's interrupt marker.
pub fn marker_text(item: &ResponseItem) -> Option<&str> {
    let ResponseItem::Message(m) = item else {
        return None;
    };
    match m.content.as_slice() {
        [ContentItem::InputText { text }] if m.role == "user" && text.starts_with(OPENING) => {
            Some(text)
        }
        _ => None,
    }
}

/// The marker text the recording shows, if any turn of it was interrupted.
pub fn recorded_marker(rec: &Recording) -> Option<String> {
    rec.turns
        .iter()
        .flat_map(|t| &t.lines)
        .find_map(|l| match l {
            TurnLine::Item(r) => marker_text(r.item),
            TurnLine::Usage(_) => None,
        })
        .map(String::from)
}
