//! Reading a [`ContentItem`] (a part of a message) without serde's `Content` buffering.
//!
//! The derive reads an internally tagged enum with a catch-all `Other(Value)` by copying the
//! object into serde's private `Content`, trying the tagged variant on a clone, and building the
//! `Value` from it when that fails: every prompt and instruction text copied three times. Here
//! the object is read once into its entries (in order, repeats kept apart, as the derive sees
//! them), the variant is checked against them, and their values are moved into it, or into
//! `Other` when it does not fit. The derive's rules are kept: one `type` naming a variant, each
//! field at most once and of its type (`null` for an absent `Option`), other keys ignored; a
//! repeated unknown key in `Other` keeps its first place and its last value. One corner is not
//! followed: a numeric tag (`"type": 0`), which the derive takes for a variant index.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::with_extra::Key;
use super::ContentItem;

impl<'de> Deserialize<'de> for ContentItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match d.deserialize_any(AsReadVisitor)? {
            AsRead::Object(entries) => match variant(&entries) {
                Some(fields) => typed(fields, entries),
                None => ContentItem::Other(Value::Object(entries.into_iter().collect())),
            },
            AsRead::Value(value) => ContentItem::Other(value),
        })
    }
}

/// A value as read: an object's entries in file order, or any other JSON value.
enum AsRead {
    Object(Vec<(String, Value)>),
    Value(Value),
}

/// Which variant `entries` are, by the names of its fields, when they fit it.
fn variant(entries: &[(String, Value)]) -> Option<Fields> {
    let mut tags = entries.iter().filter(|(k, _)| k == "type");
    let (_, tag) = tags.next()?;
    if tags.next().is_some() {
        return None;
    }
    let fields = match tag.as_str()? {
        "input_text" => Fields::InputText,
        "input_image" => Fields::InputImage,
        "output_text" => Fields::OutputText,
        _ => return None,
    };
    let (required, optional) = fields.names();
    let once = |name: &str| entries.iter().filter(|(k, _)| k == name).count() <= 1;
    let value = |name: &str| entries.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let fits = required
        .iter()
        .all(|n| once(n) && value(n).is_some_and(Value::is_string))
        && optional
            .iter()
            .all(|(n, fits)| once(n) && value(n).is_none_or(|v| v.is_null() || fits(v)));
    fits.then_some(fields)
}

/// A variant of [`ContentItem`] other than `Other`.
#[derive(Clone, Copy)]
enum Fields {
    InputText,
    InputImage,
    OutputText,
}

type Optional = (&'static str, fn(&Value) -> bool);

impl Fields {
    /// Its required string fields, and its optional fields with the check of a present value.
    fn names(self) -> (&'static [&'static str], &'static [Optional]) {
        match self {
            Fields::InputText => (&["text"], &[]),
            Fields::InputImage => (&["image_url"], &[("detail", Value::is_string)]),
            Fields::OutputText => (&["text"], &[("annotations", Value::is_array)]),
        }
    }
}

/// The variant `fields` says `entries` fit, their values moved into it.
fn typed(fields: Fields, entries: Vec<(String, Value)>) -> ContentItem {
    let mut text = String::new();
    let mut second: Option<Value> = None;
    let (required, optional) = fields.names();
    for (key, value) in entries {
        if key == required[0] {
            if let Value::String(s) = value {
                text = s;
            }
        } else if optional.first().is_some_and(|(name, _)| key == *name) {
            second = Some(value);
        }
    }
    let second = second.filter(|v| !v.is_null());
    match fields {
        Fields::InputText => ContentItem::InputText { text },
        Fields::InputImage => ContentItem::InputImage {
            image_url: text,
            detail: second.and_then(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            }),
        },
        Fields::OutputText => ContentItem::OutputText {
            text,
            annotations: second.and_then(|v| match v {
                Value::Array(items) => Some(items),
                _ => None,
            }),
        },
    }
}

struct AsReadVisitor;

impl<'de> Visitor<'de> for AsReadVisitor {
    type Value = AsRead;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AsRead, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(2));
        while let Some(Key(key)) = map.next_key()? {
            entries.push((key.into_owned(), map.next_value()?));
        }
        Ok(AsRead::Object(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AsRead, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(AsRead::Value(Value::Array(items)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<AsRead, E> {
        Ok(AsRead::Value(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<AsRead, E> {
        Ok(AsRead::Value(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<AsRead, E> {
        Ok(AsRead::Value(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<AsRead, E> {
        Ok(AsRead::Value(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<AsRead, E> {
        Ok(AsRead::Value(Value::String(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<AsRead, E> {
        Ok(AsRead::Value(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<AsRead, E> {
        Ok(AsRead::Value(Value::Null))
    }

    fn visit_none<E>(self) -> Result<AsRead, E> {
        Ok(AsRead::Value(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<AsRead, D::Error> {
        Value::deserialize(d).map(AsRead::Value)
    }
}
