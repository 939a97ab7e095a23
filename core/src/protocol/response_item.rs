//! Conversation history items (`input` of a request, `output` of a response, rollout payloads).

use serde::{Deserialize, Serialize};

use super::with_extra::deserialize_with_extra;
use serde_json::{Map, Value};

/// One item of model-visible history, as the Responses API and Codex's rollouts spell it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseItem {
    Message(MessageItem),
    Reasoning(ReasoningItem),
    FunctionCall(FunctionCallItem),
    FunctionCallOutput(FunctionCallOutputItem),
    CustomToolCall(CustomToolCallItem),
    CustomToolCallOutput(CustomToolCallOutputItem),
    LocalShellCall(LocalShellCallItem),
    WebSearchCall(WebSearchCallItem),
    /// Any item type this version does not know; kept verbatim (including its `type`).
    #[serde(untagged)]
    Other(Value),
}

/// Extra keys we do not model but must keep for a faithful round trip.
pub type Extra = Map<String, Value>;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub role: String,
    pub content: Vec<ContentItem>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(MessageItem {
    status,
    id,
    role,
    content
});

/// A part of a message's content. `Deserialize` is written by hand in `content_item_de.rs`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentItem {
    InputText {
        text: String,
    },
    InputImage {
        image_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    OutputText {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        annotations: Option<Vec<Value>>,
    },
    #[serde(untagged)]
    Other(Value),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasoningItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub summary: Vec<ReasoningSummary>,
    /// Codex always sends this key, `null` when there is no raw content.
    #[serde(default)]
    pub content: Option<Vec<ReasoningContent>>,
    #[serde(default)]
    pub encrypted_content: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(ReasoningItem { id, summary = default, content, encrypted_content });

impl ReasoningItem {
    /// The texts of the summary parts, in order.
    pub fn summary_texts(&self) -> Vec<String> {
        self.summary
            .iter()
            .filter_map(|s| match s {
                ReasoningSummary::SummaryText { text } => Some(text.clone()),
                ReasoningSummary::Other(_) => None,
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningSummary {
    SummaryText {
        text: String,
    },
    #[serde(untagged)]
    Other(Value),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningContent {
    ReasoningText {
        text: String,
    },
    Text {
        text: String,
    },
    #[serde(untagged)]
    Other(Value),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunctionCallItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    pub arguments: String,
    pub call_id: String,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(FunctionCallItem {
    status,
    id,
    name,
    arguments,
    call_id
});

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunctionCallOutputItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub call_id: String,
    pub output: FunctionCallOutputPayload,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(FunctionCallOutputItem {
    id,
    call_id,
    output
});

/// A tool's answer: plain text, or content items (e.g. an image from view_image).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FunctionCallOutputPayload {
    Text(String),
    Content(Vec<ContentItem>),
}

impl FunctionCallOutputPayload {
    /// The text a human would read: the string, or the text parts joined.
    pub fn to_text(&self) -> String {
        match self {
            FunctionCallOutputPayload::Text(t) => t.clone(),
            FunctionCallOutputPayload::Content(items) => items
                .iter()
                .filter_map(|c| match c {
                    ContentItem::InputText { text } | ContentItem::OutputText { text, .. } => {
                        Some(text.as_str())
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// Fields in Codex's order (`type, id, status, call_id, name, input`, captured), which is the
/// order they are serialized in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomToolCallItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub call_id: String,
    pub name: String,
    pub input: String,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(CustomToolCallItem {
    id,
    status,
    call_id,
    name,
    input
});

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomToolCallOutputItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub call_id: String,
    pub output: FunctionCallOutputPayload,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(CustomToolCallOutputItem {
    id,
    call_id,
    output
});

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LocalShellCallItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    pub status: String,
    pub action: LocalShellAction,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(LocalShellCallItem {
    id,
    call_id,
    status,
    action
});

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LocalShellAction {
    Exec {
        command: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        working_directory: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        env: Option<Map<String, Value>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
    },
    #[serde(untagged)]
    Other(Value),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WebSearchCallItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(WebSearchCallItem { id, status, action });

/// The key Codex adds to rollout payloads but never sends to the model.
pub const PASSTHROUGH_KEY: &str = "internal_chat_message_metadata_passthrough";

impl ResponseItem {
    /// A user message with one text part, as Codex sends a prompt.
    pub fn user_text(id: Option<String>, text: impl Into<String>) -> Self {
        Self::message(
            id,
            "user",
            vec![ContentItem::InputText { text: text.into() }],
        )
    }

    /// A message with the given role and parts.
    pub fn message(id: Option<String>, role: &str, content: Vec<ContentItem>) -> Self {
        ResponseItem::Message(MessageItem {
            status: None,
            id,
            role: role.to_string(),
            content,
            extra: Extra::new(),
        })
    }

    /// The call id if this item is a tool call of any kind.
    /// Whether the model wrote the item (part of a response's output) rather than the client
    /// (the messages it sends, tool outputs, snapshots). An unknown type counts as the model's
    /// when it names a call (`…_call`, such as a hosted tool's).
    pub fn is_model_output(&self) -> bool {
        match self {
            ResponseItem::Message(m) => m.role == "assistant",
            ResponseItem::Reasoning(_)
            | ResponseItem::FunctionCall(_)
            | ResponseItem::CustomToolCall(_)
            | ResponseItem::LocalShellCall(_)
            | ResponseItem::WebSearchCall(_) => true,
            ResponseItem::FunctionCallOutput(_) | ResponseItem::CustomToolCallOutput(_) => false,
            ResponseItem::Other(v) => v
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("_call")),
        }
    }

    /// Whether the item is a call that needs an output (a `local_shell_call` may lack a
    /// `call_id`; its `id` answers for it).
    pub fn is_tool_call(&self) -> bool {
        matches!(
            self,
            ResponseItem::FunctionCall(_)
                | ResponseItem::CustomToolCall(_)
                | ResponseItem::LocalShellCall(_)
        )
    }

    pub fn call_id(&self) -> Option<&str> {
        match self {
            ResponseItem::FunctionCall(c) => Some(&c.call_id),
            ResponseItem::CustomToolCall(c) => Some(&c.call_id),
            ResponseItem::LocalShellCall(c) => c.call_id.as_deref(),
            _ => None,
        }
    }

    /// The call id this item answers, if it is a tool output.
    pub fn output_call_id(&self) -> Option<&str> {
        match self {
            ResponseItem::FunctionCallOutput(o) => Some(&o.call_id),
            ResponseItem::CustomToolCallOutput(o) => Some(&o.call_id),
            _ => None,
        }
    }

    /// The keys this item keeps beyond the modelled fields (the whole object for unknown items).
    pub fn extra_mut(&mut self) -> Option<&mut Extra> {
        match self {
            ResponseItem::Message(m) => Some(&mut m.extra),
            ResponseItem::Reasoning(r) => Some(&mut r.extra),
            ResponseItem::FunctionCall(c) => Some(&mut c.extra),
            ResponseItem::FunctionCallOutput(o) => Some(&mut o.extra),
            ResponseItem::CustomToolCall(c) => Some(&mut c.extra),
            ResponseItem::CustomToolCallOutput(o) => Some(&mut o.extra),
            ResponseItem::LocalShellCall(c) => Some(&mut c.extra),
            ResponseItem::WebSearchCall(c) => Some(&mut c.extra),
            ResponseItem::Other(Value::Object(map)) => Some(map),
            ResponseItem::Other(_) => None,
        }
    }

    /// The same item without keys Codex records on disk but never sends (the passthrough).
    pub fn without_passthrough(mut self) -> Self {
        if let Some(extra) = self.extra_mut() {
            extra.shift_remove(PASSTHROUGH_KEY);
        }
        self
    }

    /// All text of an assistant message's output_text parts.
    pub fn assistant_text(&self) -> Option<String> {
        match self {
            ResponseItem::Message(m) if m.role == "assistant" => Some(
                m.content
                    .iter()
                    .filter_map(|c| match c {
                        ContentItem::OutputText { text, .. } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        }
    }
}
