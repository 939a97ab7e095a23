//! The `{timestamp, ordinal, type, payload, metadata}` envelope of a rollout line, read two
//! ways: [`TypedLine`] types the payload in the same pass (the usual line), [`Envelope`] keeps
//! it as text for a second look (everything else).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

use super::type_tagged::TagFirst;
use crate::protocol::rollout::{
    Compacted, ItemMetadata, RolloutItem, RolloutLine, SessionMeta, TokenUsageRecord, TurnContext,
};
use crate::protocol::with_extra::Key;

/// A line whose `type` comes before its `payload`, once, and whose payload reads as that
/// type's variant. Anything else is an error: the caller reads the line again as an
/// [`Envelope`], which decides what the derive would have made of it (and words its errors).
pub(super) struct TypedLine(pub(super) RolloutLine);

/// A line with its payload as text.
pub(super) struct Envelope<'a> {
    pub(super) timestamp: String,
    pub(super) ordinal: Option<u64>,
    pub(super) metadata: Option<ItemMetadata>,
    /// The `type`, when a string.
    pub(super) kind: Option<String>,
    pub(super) payload: Option<&'a RawValue>,
    /// `type` or `payload` given twice, or a `type` that is not a string: never typed.
    pub(super) repeated: bool,
}

/// The envelope's own fields, read the way the derive reads them in both passes.
#[derive(Default)]
struct Fields {
    timestamp: Option<String>,
    ordinal: Option<Option<u64>>,
    metadata: Option<Option<ItemMetadata>>,
}

impl Fields {
    /// Reads `key`'s value if it is one of the envelope's fields; false if it is not.
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "timestamp" => read_once(&mut self.timestamp, "timestamp", map)?,
            "ordinal" => read_once(&mut self.ordinal, "ordinal", map)?,
            "metadata" => read_once(&mut self.metadata, "metadata", map)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `(timestamp, ordinal, metadata)`, or ``missing field `timestamp` ``.
    fn finish<E: serde::de::Error>(self) -> Result<(String, Option<u64>, Option<ItemMetadata>), E> {
        let timestamp = self
            .timestamp
            .ok_or_else(|| E::missing_field("timestamp"))?;
        Ok((timestamp, self.ordinal.flatten(), self.metadata.flatten()))
    }
}

/// Reads the next value into `slot`, or says ``duplicate field `name` `` before reading it, as
/// the derive does.
fn read_once<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    name: &'static str,
    map: &mut A,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(A::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Deserialize<'de> for TypedLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TypedLineVisitor)
    }
}

struct TypedLineVisitor;

impl<'de> Visitor<'de> for TypedLineVisitor {
    type Value = TypedLine;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct RolloutLine")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TypedLine, A::Error> {
        let mut fields = Fields::default();
        let mut kind: Option<Key<'de>> = None;
        let mut item: Option<RolloutItem> = None;
        while let Some(Key(key)) = map.next_key()? {
            if fields.read(&key, &mut map)? {
                continue;
            }
            match (&*key, &kind, &item) {
                ("type", None, None) => kind = Some(map.next_value()?),
                ("payload", Some(Key(kind)), None) => {
                    item = Some(map.next_value_seed(TypedPayload(kind))?);
                }
                ("type" | "payload", _, _) => return Err(A::Error::custom("not in one pass")),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let (timestamp, ordinal, metadata) = fields.finish()?;
        let item = item.ok_or_else(|| A::Error::custom("no typed payload"))?;
        Ok(TypedLine(RolloutLine {
            timestamp,
            ordinal,
            item,
            metadata,
        }))
    }
}

/// The payload of a line of type `.0`, read as that variant.
struct TypedPayload<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for TypedPayload<'_> {
    type Value = RolloutItem;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RolloutItem, D::Error> {
        Ok(match self.0 {
            "session_meta" => RolloutItem::SessionMeta(SessionMeta::deserialize(d)?),
            "response_item" => RolloutItem::ResponseItem(TagFirst(PhantomData).deserialize(d)?),
            "event_msg" => RolloutItem::EventMsg(TagFirst(PhantomData).deserialize(d)?),
            "turn_context" => RolloutItem::TurnContext(TurnContext::deserialize(d)?),
            "compacted" => RolloutItem::Compacted(Compacted::deserialize(d)?),
            "world_state" => RolloutItem::WorldState(Value::deserialize(d)?),
            "token_usage_record" => {
                RolloutItem::TokenUsageRecord(TokenUsageRecord::deserialize(d)?)
            }
            _ => return Err(D::Error::custom("untyped line")),
        })
    }
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
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
        let mut fields = Fields::default();
        let mut kind: Option<Value> = None;
        let mut payload: Option<&'de RawValue> = None;
        let mut repeated = false;
        while let Some(Key(key)) = map.next_key()? {
            if fields.read(&key, &mut map)? {
                continue;
            }
            match &*key {
                "type" => repeated |= kind.replace(map.next_value()?).is_some(),
                "payload" => repeated |= payload.replace(map.next_value()?).is_some(),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let (timestamp, ordinal, metadata) = fields.finish()?;
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
            ordinal,
            metadata,
            kind,
            payload,
            repeated,
        })
    }
}
