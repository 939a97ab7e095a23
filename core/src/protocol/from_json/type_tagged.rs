//! [`ResponseItem`] and [`EventMsg`] read by their `type` tag: one table per enum from tag to
//! struct variant, used both when the tag was looked up in the text first and when it was the
//! first key of a map being read.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::Deserialize;

use crate::protocol::event_msg::EventMsg;
use crate::protocol::with_extra::{Key, TagKey, WithExtra};
use crate::protocol::ResponseItem;

/// An enum tagged by `type` whose typed variants are [`WithExtra`] structs.
pub(super) trait TypeTagged: Sized {
    /// Reads the variant `tag` names from the rest of `map`; an error when it names none or
    /// the fields do not read as it (the caller then keeps the value as `Other`).
    fn visit_variant<'de, A: MapAccess<'de>>(
        tag: &str,
        map: A,
        key: TagKey,
    ) -> Result<Self, A::Error>;
}

const TYPE: TagKey = TagKey::Ahead("type");

fn no_variant<E: serde::de::Error>() -> E {
    E::custom("no typed variant")
}

impl TypeTagged for ResponseItem {
    fn visit_variant<'de, A: MapAccess<'de>>(
        tag: &str,
        map: A,
        key: TagKey,
    ) -> Result<Self, A::Error> {
        Ok(match tag {
            "message" => ResponseItem::Message(WithExtra::visit(map, key)?),
            "reasoning" => ResponseItem::Reasoning(WithExtra::visit(map, key)?),
            "function_call" => ResponseItem::FunctionCall(WithExtra::visit(map, key)?),
            "function_call_output" => ResponseItem::FunctionCallOutput(WithExtra::visit(map, key)?),
            "custom_tool_call" => ResponseItem::CustomToolCall(WithExtra::visit(map, key)?),
            "custom_tool_call_output" => {
                ResponseItem::CustomToolCallOutput(WithExtra::visit(map, key)?)
            }
            "local_shell_call" => ResponseItem::LocalShellCall(WithExtra::visit(map, key)?),
            "web_search_call" => ResponseItem::WebSearchCall(WithExtra::visit(map, key)?),
            "tool_search_call" => ResponseItem::ToolSearchCall(WithExtra::visit(map, key)?),
            "tool_search_output" => ResponseItem::ToolSearchOutput(WithExtra::visit(map, key)?),
            _ => return Err(no_variant()),
        })
    }
}

impl TypeTagged for EventMsg {
    fn visit_variant<'de, A: MapAccess<'de>>(
        tag: &str,
        map: A,
        key: TagKey,
    ) -> Result<Self, A::Error> {
        Ok(match tag {
            "task_started" => EventMsg::TaskStarted(WithExtra::visit(map, key)?),
            "task_complete" => EventMsg::TaskComplete(WithExtra::visit(map, key)?),
            "item_completed" => EventMsg::ItemCompleted(WithExtra::visit(map, key)?),
            "token_count" => EventMsg::TokenCount(WithExtra::visit(map, key)?),
            "thread_settings_applied" => {
                EventMsg::ThreadSettingsApplied(WithExtra::visit(map, key)?)
            }
            "turn_aborted" => EventMsg::TurnAborted(WithExtra::visit(map, key)?),
            _ => return Err(no_variant()),
        })
    }
}

/// The typed variant `tag` names, read from `text` (its `type` key dropped once); `None` when
/// there is none or it does not read.
pub(super) fn read_variant<T: TypeTagged>(text: &str, tag: &str) -> Option<T> {
    struct Variant<'t, T>(&'t str, PhantomData<T>);
    impl<'de, T: TypeTagged> Visitor<'de> for Variant<'_, T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a tagged object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::visit_variant(self.0, map, TYPE)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde::Deserializer::deserialize_map(&mut de, Variant(tag, PhantomData)).ok()?;
    de.end().ok()?;
    Some(value)
}

/// Reads a [`TypeTagged`] enum from a map whose first key is its `type`; an error otherwise,
/// or when the variant does not read.
pub(super) struct TagFirst<T>(pub(super) PhantomData<T>);

impl<'de, T: TypeTagged> serde::de::DeserializeSeed<'de> for TagFirst<T> {
    type Value = T;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: TypeTagged> Visitor<'de> for TagFirst<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object whose first key is its type")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        match map.next_key::<Key>()? {
            Some(Key(first)) if first == "type" => {}
            _ => return Err(no_variant()),
        }
        let Key(tag) = map.next_value()?;
        T::visit_variant(&tag, map, TagKey::Taken("type"))
    }
}

/// The `type` of the object in `text` when it is a string. Codex and rcodex write it first; it
/// is then read off the front, else the whole object is looked through.
pub(super) fn json_tag(text: &str) -> Option<Cow<'_, str>> {
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
