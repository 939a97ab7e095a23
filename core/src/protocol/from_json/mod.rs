//! Reading rollout lines and history items from JSON text without serde's buffering.
//!
//! [`RolloutItem`], [`ResponseItem`] and [`EventMsg`] keep anything they cannot type as
//! `Other(Value)`. Their derived `Deserialize` can only do that by first copying the whole value
//! into serde's private `Content` tree, trying the typed variant on a clone of it, and falling
//! back to a `Value` built from it: most of the time a replay spent reading a rollout. Given the
//! text, the same answer is cheaper:
//!
//! - one pass ([`envelope::TypedLine`]): the line's `type` comes before its `payload` (Codex
//!   and rcodex always write it so), and the payload reads straight into its variant;
//! - else, or when anything in that pass does not read, the line is read again with its
//!   payload kept as text ([`envelope::Envelope`]): the payload's tag is looked at, its text
//!   parsed into the variant, and only when that fails parsed again as a `Value`.
//!
//! Each function here returns exactly what `serde_json::from_str` / `from_slice` returns for
//! the type (`core/tests/from_json.rs` checks it on every fixture rollout and by proptest); the
//! derived `Deserialize` stays the reference and serves every other deserializer. One corner is
//! not followed: a numeric tag (`"type": 0`), which serde's derive takes for a variant index,
//! reads as `Other`.

mod envelope;
mod type_tagged;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::event_msg::EventMsg;
use super::rollout::{
    Compacted, RolloutItem, RolloutLine, SessionMeta, TokenUsageRecord, TurnContext,
};
use super::ResponseItem;
use envelope::{Envelope, TypedLine};
use type_tagged::{json_tag, read_variant};

impl RolloutLine {
    /// One rollout line from its JSON text: what `serde_json::from_slice::<RolloutLine>` gives.
    pub fn from_json_slice(bytes: &[u8]) -> serde_json::Result<RolloutLine> {
        match serde_json::from_slice::<TypedLine>(bytes) {
            Ok(TypedLine(line)) => Ok(line),
            Err(_) => from_payload_text(bytes),
        }
    }
}

impl ResponseItem {
    /// One history item from its JSON text: what `serde_json::from_str::<ResponseItem>` gives.
    pub fn from_json(text: &str) -> serde_json::Result<ResponseItem> {
        match json_tag(text).and_then(|tag| read_variant(text, &tag)) {
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
        match json_tag(text).and_then(|tag| read_variant(text, &tag)) {
            Some(event) => Ok(event),
            None => serde_json::from_str(text).map(EventMsg::Other),
        }
    }
}

/// The line read with its payload kept as text until its type is known.
fn from_payload_text(bytes: &[u8]) -> serde_json::Result<RolloutLine> {
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
