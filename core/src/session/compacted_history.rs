//! The history a compaction leaves: which user messages are kept (the newest, within a token
//! budget; never context, markers or earlier summaries), where the fresh context goes (before the
//! last of them, as Codex 0.169 was captured doing) and the summary last. Pure functions.

use crate::protocol::{ContentItem, ResponseItem};

/// How many tokens of recent user messages a compacted history keeps (Codex's limit).
pub const KEPT_USER_TOKENS: u64 = 20_000;

/// The history after a compaction: the user messages kept, the fresh `context` before the last
/// of them, and the summary message last.
pub fn replacement_history(
    history: &[ResponseItem],
    context: Vec<ResponseItem>,
    summary: ResponseItem,
    summary_prefix: &str,
) -> Vec<ResponseItem> {
    let mut kept = kept_user_messages(history, summary_prefix, KEPT_USER_TOKENS);
    let at = kept.len().saturating_sub(1);
    kept.splice(at..at, context);
    kept.push(summary);
    kept
}

/// The newest user messages (not context, markers or summaries) within `budget` tokens, oldest
/// first; the oldest one kept is cut to what is left of the budget.
pub fn kept_user_messages(
    history: &[ResponseItem],
    summary_prefix: &str,
    budget: u64,
) -> Vec<ResponseItem> {
    let mut left = budget;
    let mut kept = Vec::new();
    for item in history.iter().rev() {
        let Some(text) = typed_user_text(item, summary_prefix) else {
            continue;
        };
        if left == 0 {
            break;
        }
        let tokens = estimate_text_tokens(&text);
        if tokens <= left {
            left -= tokens;
            kept.push(item.clone());
        } else {
            let mut cut = (left * 4) as usize;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let id = match item {
                ResponseItem::Message(m) => m.id.clone(),
                _ => None,
            };
            kept.push(ResponseItem::user_text(id, &text[..cut]));
            left = 0;
        }
    }
    kept.reverse();
    kept
}

/// The text of a message the user typed; `None` for anything else (assistant output, the
/// environment context, AGENTS.md, interrupt markers, earlier summaries).
fn typed_user_text(item: &ResponseItem, summary_prefix: &str) -> Option<String> {
    let ResponseItem::Message(m) = item else {
        return None;
    };
    if m.role != "user" {
        return None;
    }
    let text: String = m
        .content
        .iter()
        .filter_map(|c| match c {
            ContentItem::InputText { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    const HARNESS: [&str; 5] = [
        "<environment_context>",
        "# AGENTS.md instructions",
        "<user_instructions>",
        "<turn_aborted>",
        "<skill",
    ];
    let trimmed = text.trim_start();
    if HARNESS.iter().any(|h| trimmed.starts_with(h)) || text.starts_with(summary_prefix) {
        return None;
    }
    Some(text)
}

/// Codex's rough count: four bytes a token.
pub fn estimate_text_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

/// The estimated tokens of items as sent.
pub fn estimate_tokens(items: &[ResponseItem]) -> u64 {
    items
        .iter()
        .map(|i| serde_json::to_string(i).map_or(0, |s| estimate_text_tokens(&s)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, text: &str) -> ResponseItem {
        ResponseItem::user_text(Some(id.into()), text)
    }

    fn texts(items: &[ResponseItem]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                ResponseItem::Message(m) => format!(
                    "{}:{}",
                    m.role,
                    m.content
                        .iter()
                        .map(|c| match c {
                            ContentItem::InputText { text } => text.clone(),
                            ContentItem::OutputText { text, .. } => text.clone(),
                            _ => String::new(),
                        })
                        .collect::<String>()
                ),
                _ => "other".into(),
            })
            .collect()
    }

    #[test]
    fn the_new_history_keeps_typed_messages_and_puts_the_context_before_the_last() {
        let history = vec![
            ResponseItem::message(Some("d".into()), "developer", vec![]),
            user("e", "<environment_context>\n</environment_context>"),
            user("u1", "first"),
            ResponseItem::message(
                Some("a".into()),
                "assistant",
                vec![ContentItem::OutputText {
                    text: "answer".into(),
                    annotations: None,
                }],
            ),
            user("s", "PREFIX\nold summary"),
            user("u2", "second"),
        ];
        let context = vec![user(
            "ctx",
            "<environment_context>new</environment_context>",
        )];
        let out = replacement_history(&history, context, user("sum", "PREFIX\nnew"), "PREFIX");
        assert_eq!(
            texts(&out),
            [
                "user:first",
                "user:<environment_context>new</environment_context>",
                "user:second",
                "user:PREFIX\nnew"
            ]
        );
    }

    #[test]
    fn with_no_typed_message_the_context_comes_first() {
        let out = replacement_history(&[], vec![user("c", "ctx")], user("s", "P\nx"), "P");
        assert_eq!(texts(&out), ["user:ctx", "user:P\nx"]);
    }

    #[test]
    fn kept_messages_fit_the_budget_newest_first_and_the_oldest_is_cut() {
        let history = vec![
            user("1", "aaaaaaaaaaaa"),
            user("2", "bbbbbbbb"),
            user("3", "cc"),
        ];
        // 3 tokens for "bbbbbbbb"(2) + "cc"(1) leaves 1 token (4 bytes) of the first.
        let kept = kept_user_messages(&history, "P", 4);
        assert_eq!(texts(&kept), ["user:aaaa", "user:bbbbbbbb", "user:cc"]);
        let kept = kept_user_messages(&history, "P", 1);
        assert_eq!(texts(&kept), ["user:cc"]);
    }
}
