//! Conversation history items (`input` of a request, `output` of a response, rollout payloads).

use serde::{Deserialize, Serialize};

use super::with_extra::deserialize_with_extra;
use serde_json::{Map, Value};

/// One item of model-visible history, as the Responses API and Codex's rollouts spell it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseItem {
    /// `message`: a developer, user or assistant message.
    Message(MessageItem),
    /// `reasoning`: the model's reasoning (summary parts and the opaque `encrypted_content`).
    Reasoning(ReasoningItem),
    /// `function_call`: a call of a JSON-schema tool such as `exec_command`; its output is a
    /// `function_call_output`.
    FunctionCall(FunctionCallItem),
    /// `function_call_output`: what a tool returned for a `function_call`, sent back in the next
    /// request.
    FunctionCallOutput(FunctionCallOutputItem),
    /// `custom_tool_call`: a call of a freeform tool (Codex's `apply_patch`), its input raw text.
    CustomToolCall(CustomToolCallItem),
    /// `custom_tool_call_output`: what a freeform tool returned for a `custom_tool_call`.
    CustomToolCallOutput(CustomToolCallOutputItem),
    /// `local_shell_call`: the hosted-shell call form. rcodex reads it as a call of a `local_shell`
    /// tool (its `action` as arguments), which it never offers: the model gets `unsupported call`.
    LocalShellCall(LocalShellCallItem),
    /// `web_search_call`: a hosted web search the server ran; recorded and replayed, never executed
    /// here.
    WebSearchCall(WebSearchCallItem),
    /// `tool_search_call`: the model searches the deferred tool namespaces; a client-executed
    /// one is answered by the core with a `tool_search_output`.
    ToolSearchCall(ToolSearchCallItem),
    /// `tool_search_output`: the namespaces and tool specs a `tool_search_call` loaded.
    ToolSearchOutput(ToolSearchOutputItem),
    /// Any item type this version does not know; kept verbatim (including its `type`).
    #[serde(untagged)]
    Other(Value),
}

/// Extra keys we do not model but must keep for a faithful round trip.
pub type Extra = Map<String, Value>;

/// A `message` item: one turn of speech by `role`, made of content parts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MessageItem {
    /// `"completed"` on assistant messages the server streamed; absent on messages the client
    /// writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Item id: the server's `msg_…` for assistant output, the id source's `msg_…` for context
    /// messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `"developer"`, `"user"` or `"assistant"`.
    pub role: String,
    /// The message's parts, in order.
    pub content: Vec<ContentItem>,
    /// Keys this version does not model, kept for the round trip (the rollout's passthrough, for
    /// one).
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
    /// `input_text`: text written by the client (prompt, context, instructions).
    InputText {
        /// The text, verbatim.
        text: String,
    },
    /// `input_image`: an image the client sends (a user attachment or a view_image output).
    InputImage {
        /// A `data:` URL or an http(s) URL of the image.
        image_url: String,
        /// `"auto"`, `"low"`, `"high"` or `"original"`, when the sender set one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// `output_text`: text written by the model in an assistant message.
    OutputText {
        /// The text, verbatim.
        text: String,
        /// Citations the server attached; Codex replays them as `[]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        annotations: Option<Vec<Value>>,
    },
    /// Any content type this version does not know; kept verbatim (including its `type`).
    #[serde(untagged)]
    Other(Value),
}

/// A `reasoning` item: what the model thought before acting, replayed on later requests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasoningItem {
    /// The server's `rs_…` id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The readable summary parts (`summary`), empty when the model gave none.
    #[serde(default)]
    pub summary: Vec<ReasoningSummary>,
    /// Codex always sends this key, `null` when there is no raw content.
    #[serde(default)]
    pub content: Option<Vec<ReasoningContent>>,
    /// The opaque reasoning state the server returns when `include` asks for
    /// `reasoning.encrypted_content`; sent back as received.
    #[serde(default)]
    pub encrypted_content: Option<String>,
    /// Keys this version does not model, kept for the round trip.
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

/// A part of a reasoning item's `summary`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningSummary {
    /// `summary_text`: one paragraph of the summary.
    SummaryText {
        /// The summary text.
        text: String,
    },
    /// Any summary type this version does not know; kept verbatim.
    #[serde(untagged)]
    Other(Value),
}

/// A part of a reasoning item's raw `content`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningContent {
    /// `reasoning_text`: raw reasoning text, as the Responses API sends it.
    ReasoningText {
        /// The reasoning text.
        text: String,
    },
    /// `text`: raw reasoning text, as OpenAI-compatible (chat) servers send it.
    Text {
        /// The reasoning text.
        text: String,
    },
    /// Any content type this version does not know; kept verbatim.
    #[serde(untagged)]
    Other(Value),
}

/// A `function_call` item: the model calls a tool by `name` with JSON `arguments`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunctionCallItem {
    /// `"completed"` when the server finished the item; Codex replays it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The server's item id (`fc_…`), distinct from `call_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The tool's name as advertised (`exec_command`, `update_plan`, …).
    pub name: String,
    /// The deferred tool namespace the tool was loaded from (`multi_agent_v1`), when the model
    /// calls a tool that `tool_search` returned; Codex writes it between `name` and `arguments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The arguments as a JSON string, exactly as the model wrote them (may be malformed).
    pub arguments: String,
    /// The id that pairs this call with its `function_call_output`.
    pub call_id: String,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(FunctionCallItem {
    status,
    id,
    name,
    namespace,
    arguments,
    call_id
});

/// A `function_call_output` item: a tool's answer to the `function_call` with the same `call_id`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunctionCallOutputItem {
    /// The `fco_…` id Codex gives the item, from the id source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The `call_id` of the call this answers.
    pub call_id: String,
    /// The tool's output: a string, or content items.
    pub output: FunctionCallOutputPayload,
    /// Keys this version does not model, kept for the round trip.
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
    /// A plain string (most tools; serialized as a JSON string).
    Text(String),
    /// Content items (serialized as an array), such as an `input_image` from view_image.
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
    /// The server's item id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `"completed"` when the server finished the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The id that pairs this call with its `custom_tool_call_output`.
    pub call_id: String,
    /// The freeform tool's name (`apply_patch`).
    pub name: String,
    /// The raw input text the model wrote (for apply_patch, the patch).
    pub input: String,
    /// Keys this version does not model, kept for the round trip.
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

/// A `custom_tool_call_output` item: a freeform tool's answer to the call with the same `call_id`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomToolCallOutputItem {
    /// The `ctco_…` id Codex gives the item, from the id source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The `call_id` of the call this answers.
    pub call_id: String,
    /// The tool's output, usually one string.
    pub output: FunctionCallOutputPayload,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(CustomToolCallOutputItem {
    id,
    call_id,
    output
});

/// A `local_shell_call` item: the hosted-shell form of a command call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LocalShellCallItem {
    /// The server's item id; stands in for `call_id` when that is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The id that pairs the call with its output, when the server sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// The item's status as the server sent it (`"completed"`, `"in_progress"`).
    pub status: String,
    /// What to run.
    pub action: LocalShellAction,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(LocalShellCallItem {
    id,
    call_id,
    status,
    action
});

/// The `action` of a `local_shell_call`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LocalShellAction {
    /// `exec`: run `command` (an argv) with optional limits.
    Exec {
        /// The argv to run.
        command: Vec<String>,
        /// Hard timeout in milliseconds, if the model set one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
        /// The directory to run in, if not the session's cwd.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        working_directory: Option<String>,
        /// Extra environment variables.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        env: Option<Map<String, Value>>,
        /// The user to run as (ignored by rcodex).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
    },
    /// Any action type this version does not know; kept verbatim.
    #[serde(untagged)]
    Other(Value),
}

/// A `web_search_call` item: a hosted search the server already ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WebSearchCallItem {
    /// The server's item id (`ws_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The status the server reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The search the server ran (`{"type":"search","query":…}`), kept as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Value>,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(WebSearchCallItem { id, status, action });

/// A `tool_search_call` item. Fields in the order Codex writes it back into history
/// (`type, id, call_id, status, execution, arguments`, captured; the model sends `execution`
/// before `status`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolSearchCallItem {
    /// The server's item id (`ts_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The id that pairs the call with its `tool_search_output`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// The status the server reported (`"completed"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `"client"`: the client runs the search (the only kind rcodex answers); `"server"`: the
    /// server did, and the item passes through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<String>,
    /// The search as the model wrote it: a JSON object (`{"query","limit"}`), not a string.
    #[serde(default)]
    pub arguments: Value,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(ToolSearchCallItem {
    id,
    call_id,
    status,
    execution,
    arguments = default
});

impl ToolSearchCallItem {
    /// Whether the client must answer it (`execution:"client"` with a `call_id`).
    pub fn is_client(&self) -> bool {
        self.execution.as_deref() == Some("client") && self.call_id.is_some()
    }
}

/// A `tool_search_output` item: what a client-executed search loaded (Codex's key order,
/// captured: `type, id, call_id, status, execution, tools`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolSearchOutputItem {
    /// The `tso_…` id Codex gives the item, from the id source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The `call_id` of the search this answers.
    pub call_id: String,
    /// `"completed"`, also for a malformed search (which loads nothing).
    pub status: String,
    /// `"client"`.
    pub execution: String,
    /// The loaded tools: one `namespace` entry per namespace with matches, each holding the
    /// matching function specs.
    pub tools: Vec<Value>,
    /// Keys this version does not model, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

deserialize_with_extra!(ToolSearchOutputItem {
    id,
    call_id,
    status,
    execution,
    tools
});

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
            | ResponseItem::WebSearchCall(_)
            | ResponseItem::ToolSearchCall(_) => true,
            ResponseItem::FunctionCallOutput(_)
            | ResponseItem::CustomToolCallOutput(_)
            | ResponseItem::ToolSearchOutput(_) => false,
            ResponseItem::Other(v) => v
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("_call")),
        }
    }

    /// Whether the item is a call that needs an output (a `local_shell_call` may lack a
    /// `call_id`; its `id` answers for it). A `tool_search_call` needs one when the client runs
    /// it.
    pub fn is_tool_call(&self) -> bool {
        match self {
            ResponseItem::FunctionCall(_)
            | ResponseItem::CustomToolCall(_)
            | ResponseItem::LocalShellCall(_) => true,
            ResponseItem::ToolSearchCall(c) => c.is_client(),
            _ => false,
        }
    }

    /// The call id if this item is a tool call of any kind.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            ResponseItem::FunctionCall(c) => Some(&c.call_id),
            ResponseItem::CustomToolCall(c) => Some(&c.call_id),
            ResponseItem::LocalShellCall(c) => c.call_id.as_deref(),
            ResponseItem::ToolSearchCall(c) => c.call_id.as_deref(),
            _ => None,
        }
    }

    /// The call id this item answers, if it is a tool output.
    pub fn output_call_id(&self) -> Option<&str> {
        match self {
            ResponseItem::FunctionCallOutput(o) => Some(&o.call_id),
            ResponseItem::CustomToolCallOutput(o) => Some(&o.call_id),
            ResponseItem::ToolSearchOutput(o) => Some(&o.call_id),
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
            ResponseItem::ToolSearchCall(c) => Some(&mut c.extra),
            ResponseItem::ToolSearchOutput(o) => Some(&mut o.extra),
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
