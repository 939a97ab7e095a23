//! Reading rollout lines and history items from JSON text without serde's buffering.
//!
//! [`RolloutItem`], [`ResponseItem`] and [`EventMsg`] keep anything they cannot type as
//! `Other(Value)`. Their derived `Deserialize` can only do that by first copying the whole value
//! into serde's private `Content` tree, trying the typed variant on a clone of it, and falling
//! back to a `Value` built from it: most of the time a replay spent reading a rollout. Given the
//! text, the same answer is cheaper: look at the tag, parse the payload's text straight into
//! its variant, and only when that fails parse the text again as a `Value`.
//!
//! Each function here returns exactly what `serde_json::from_str` / `from_slice` returns for
//! the type (`core/tests/from_json.rs` checks it on every fixture rollout and by proptest); the derived `Deserialize`
//! stays the reference and serves every other deserializer. One corner is not followed: a
//! numeric tag (`"type": 0`), which serde's derive takes for a variant index, reads as `Other`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::event_msg::{
    EventMsg, ItemCompleted, TaskComplete, TaskStarted, ThreadSettingsApplied, TokenCount,
    TurnAborted,
};
use super::rollout::{
    Compacted, ItemMetadata, RolloutItem, RolloutLine, SessionMeta, TokenUsageRecord, TurnContext,
};
use super::with_extra::{Key, Tagless, WithExtra};
use super::ResponseItem;

impl RolloutLine {
    /// One rollout line from its JSON text: what `serde_json::from_slice::<RolloutLine>` gives.
    pub fn from_json_slice(bytes: &[u8]) -> serde_json::Result<RolloutLine> {
        let envelope: Envelope = serde_json::from_slice(bytes)?;
        let typed = match (envelope.repeated, envelope.kind, envelope.payload) {
            (false, Some(kind), Some(payload)) => typed_item(&kind, payload.get()),
            _ => None,
        };
        let item = match typed {
            Some(item) => item,
            None => RolloutItem::Other(untyped_item(bytes)?),
        };
        Ok(RolloutLine {
            timestamp: envelope.timestamp,
            ordinal: envelope.ordinal,
            item,
            metadata: envelope.metadata,
        })
    }
}

impl ResponseItem {
    /// One history item from its JSON text: what `serde_json::from_str::<ResponseItem>` gives.
    pub fn from_json(text: &str) -> serde_json::Result<ResponseItem> {
        let typed = match json_tag(text).as_deref() {
            Some("message") => tagless(text).map(ResponseItem::Message),
            Some("reasoning") => tagless(text).map(ResponseItem::Reasoning),
            Some("function_call") => tagless(text).map(ResponseItem::FunctionCall),
            Some("function_call_output") => tagless(text).map(ResponseItem::FunctionCallOutput),
            Some("custom_tool_call") => tagless(text).map(ResponseItem::CustomToolCall),
            Some("custom_tool_call_output") => {
                tagless(text).map(ResponseItem::CustomToolCallOutput)
            }
            Some("local_shell_call") => tagless(text).map(ResponseItem::LocalShellCall),
            Some("web_search_call") => tagless(text).map(ResponseItem::WebSearchCall),
            _ => None,
        };
        match typed {
            Some(item) => Ok(item),
            None => serde_json::from_str(text).map(ResponseItem::Other),
        }
    }

    /// [`ResponseItem::from_json`] from bytes: what `serde_json::from_slice` gives.
    pub fn from_json_slice(bytes: &[u8]) -> serde_json::Result<ResponseItem> {
        let text: &RawValue = serde_json::from_slice(bytes)?;
        ResponseItem::from_json(text.get())
    }
}

impl EventMsg {
    /// One `event_msg` payload from its JSON text: what `serde_json::from_str::<EventMsg>` gives.
    pub fn from_json(text: &str) -> serde_json::Result<EventMsg> {
        let typed = match json_tag(text).as_deref() {
            Some("task_started") => tagless::<TaskStarted>(text).map(EventMsg::TaskStarted),
            Some("task_complete") => tagless::<TaskComplete>(text).map(EventMsg::TaskComplete),
            Some("item_completed") => tagless::<ItemCompleted>(text).map(EventMsg::ItemCompleted),
            Some("token_count") => tagless::<TokenCount>(text).map(EventMsg::TokenCount),
            Some("thread_settings_applied") => {
                tagless::<ThreadSettingsApplied>(text).map(EventMsg::ThreadSettingsApplied)
            }
            Some("turn_aborted") => tagless::<TurnAborted>(text).map(EventMsg::TurnAborted),
            _ => None,
        };
        match typed {
            Some(event) => Ok(event),
            None => serde_json::from_str(text).map(EventMsg::Other),
        }
    }
}

/// The typed item of a line whose `type` is `kind`, or `None` when the payload does not read as
/// that type (or the type is unknown): the line is then `Other`.
fn typed_item(kind: &str, payload: &str) -> Option<RolloutItem> {
    fn parse<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
        serde_json::from_str(text).ok()
    }
    match kind {
        "session_meta" => parse::<SessionMeta>(payload).map(RolloutItem::SessionMeta),
        "response_item" => ResponseItem::from_json(payload)
            .ok()
            .map(RolloutItem::ResponseItem),
        "event_msg" => EventMsg::from_json(payload).ok().map(RolloutItem::EventMsg),
        "turn_context" => parse::<TurnContext>(payload).map(RolloutItem::TurnContext),
        "compacted" => parse::<Compacted>(payload).map(RolloutItem::Compacted),
        "world_state" => parse::<Value>(payload).map(RolloutItem::WorldState),
        "token_usage_record" => {
            parse::<TokenUsageRecord>(payload).map(RolloutItem::TokenUsageRecord)
        }
        _ => None,
    }
}

/// An untyped line as the derive keeps it: every key but the envelope's, in file order.
fn untyped_item(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut line: Map<String, Value> = serde_json::from_slice(bytes)?;
    for key in ["timestamp", "ordinal", "metadata"] {
        line.shift_remove(key);
    }
    Ok(Value::Object(line))
}

/// A struct variant of an internally tagged enum read from `text`, its `type` key dropped;
/// `None` when it does not read (the item is then `Other`).
fn tagless<T: WithExtra>(text: &str) -> Option<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Tagless::<T>::without("type").deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// The `type` of the object in `text` when it is a string. Codex and rcodex write it first; it
/// is then read off the front, else the whole object is looked through.
fn json_tag(text: &str) -> Option<Cow<'_, str>> {
    const FRONT: &str = "{\"type\":\"";
    if let Some(rest) = text.trim_start().strip_prefix(FRONT) {
        if let Some(end) = rest.find(['"', '\\']) {
            if rest.as_bytes()[end] == b'"' {
                return Some(Cow::Borrowed(&rest[..end]));
            }
        }
    }
    #[derive(Deserialize)]
    struct TagOnly<'a> {
        #[serde(rename = "type", borrow)]
        tag: Cow<'a, str>,
    }
    serde_json::from_str::<TagOnly>(text).ok().map(|t| t.tag)
}

/// A rollout line's envelope, with its payload left as text.
struct Envelope<'a> {
    timestamp: String,
    ordinal: Option<u64>,
    metadata: Option<ItemMetadata>,
    /// The `type`, when a string.
    kind: Option<String>,
    payload: Option<&'a RawValue>,
    /// `type` or `payload` given twice, or a `type` that is not a string: never typed.
    repeated: bool,
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct RolloutLine")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope<'de>, A::Error> {
        let mut timestamp: Option<String> = None;
        let mut ordinal: Option<Option<u64>> = None;
        let mut metadata: Option<Option<ItemMetadata>> = None;
        let mut kind: Option<Value> = None;
        let mut payload: Option<&'de RawValue> = None;
        let mut repeated = false;
        while let Some(Key(key)) = map.next_key()? {
            match &*key {
                "timestamp" => {
                    unset(&timestamp, "timestamp")?;
                    timestamp = Some(map.next_value()?);
                }
                "ordinal" => {
                    unset(&ordinal, "ordinal")?;
                    ordinal = Some(map.next_value()?);
                }
                "metadata" => {
                    unset(&metadata, "metadata")?;
                    metadata = Some(map.next_value()?);
                }
                "type" => {
                    let value: Value = map.next_value()?;
                    repeated |= kind.replace(value).is_some();
                }
                "payload" => {
                    let value: &RawValue = map.next_value()?;
                    repeated |= payload.replace(value).is_some();
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let timestamp = timestamp.ok_or_else(|| A::Error::missing_field("timestamp"))?;
        let kind = match kind {
            Some(Value::String(kind)) => Some(kind),
            Some(_) => {
                repeated = true;
                None
            }
            None => None,
        };
        Ok(Envelope {
            timestamp,
            ordinal: ordinal.flatten(),
            metadata: metadata.flatten(),
            kind,
            payload,
            repeated,
        })
    }
}

/// ``duplicate field `name` `` when `slot` is already read, as the derive says before reading
/// the value again.
fn unset<T, E: serde::de::Error>(slot: &Option<T>, name: &'static str) -> Result<(), E> {
    match slot {
        Some(_) => Err(E::duplicate_field(name)),
        None => Ok(()),
    }
}
