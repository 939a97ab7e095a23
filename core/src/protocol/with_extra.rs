//! Reading structs that keep the keys they do not model in an `extra` map, in one pass.
//!
//! `#[derive(Deserialize)]` with `#[serde(flatten)] extra` buffers the whole object into serde's
//! private `Content` tree and walks it again (a copy of every string), which made rollout
//! reading mostly malloc and memcpy. [`deserialize_with_extra!`] writes the same `Deserialize`
//! by hand: a map visitor that reads each modelled field straight into its type and only the
//! unknown keys into `extra`, with the derive's rules: first missing field in declaration
//! order reported as ``missing field `x` ``, an `Option` field may be missing, a repeated field
//! is ``duplicate field `x` ``, unknown keys kept in file order (a repeated one keeps its first
//! place and its last value).
//!
//! [`TagKey`] reads the same struct as the variant of an internally tagged enum: the tag key is
//! dropped once (or was already read), as serde's tagged-enum support removes it before the
//! variant sees the map.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};

/// A struct whose `Deserialize` [`deserialize_with_extra!`] wrote.
pub(crate) trait WithExtra: Sized {
    /// As the derive names it in `expected struct …`.
    const EXPECTING: &'static str;

    /// Reads the fields from `map`, handling the tag key as `tag` says.
    fn visit<'de, A: MapAccess<'de>>(map: A, tag: TagKey) -> Result<Self, A::Error>;
}

/// The tag key of an internally tagged enum, seen from the variant's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TagKey {
    /// Not read as a variant: every unknown key, `type` too, goes to `extra`.
    Untagged,
    /// The map still holds the tag: it is dropped once.
    Ahead(&'static str),
    /// The tag was already taken from the map: another one is ``duplicate field `type` ``.
    Taken(&'static str),
}

impl TagKey {
    /// The tag's key, for a variant.
    pub(crate) fn name(self) -> Option<&'static str> {
        match self {
            TagKey::Untagged => None,
            TagKey::Ahead(name) | TagKey::Taken(name) => Some(name),
        }
    }
}

/// Reads a [`WithExtra`] struct from a map on its own (not as an enum's variant).
pub(crate) struct WithExtraVisitor<T>(PhantomData<T>);

impl<T> WithExtraVisitor<T> {
    pub(crate) fn new() -> Self {
        WithExtraVisitor(PhantomData)
    }
}

impl<'de, T: WithExtra> Visitor<'de> for WithExtraVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::visit(map, TagKey::Untagged)
    }
}

/// A map key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// What a field that is absent reads as: `None` for an `Option`, else ``missing field `x` ``
/// (serde's derive does the same through a private twin of this type).
pub(crate) struct MissingField<E> {
    name: &'static str,
    error: PhantomData<E>,
}

impl<E: de::Error> MissingField<E> {
    /// The value of absent field `name`.
    pub(crate) fn read<'de, T: serde::Deserialize<'de>>(name: &'static str) -> Result<T, E> {
        T::deserialize(MissingField {
            name,
            error: PhantomData,
        })
    }
}

impl<'de, E: de::Error> Deserializer<'de> for MissingField<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, E> {
        Err(E::missing_field(self.name))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Implements `Deserialize` (and [`WithExtra`]) for a struct whose last field is
/// `extra: Extra`. List every other field in declaration order; a field marked `= default`
/// reads as its `Default` when absent (the derive's `#[serde(default)]` on a non-`Option`).
macro_rules! deserialize_with_extra {
    ($ty:ident { $($field:ident $(= $default:ident)?),* $(,)? }) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map($crate::protocol::with_extra::WithExtraVisitor::<$ty>::new())
            }
        }

        impl $crate::protocol::with_extra::WithExtra for $ty {
            const EXPECTING: &'static str = concat!("struct ", stringify!($ty));

            fn visit<'de, A: ::serde::de::MapAccess<'de>>(
                mut map: A,
                mut tag: $crate::protocol::with_extra::TagKey,
            ) -> Result<Self, A::Error> {
                use $crate::protocol::with_extra::TagKey;
                use ::serde::de::Error as _;
                $(let mut $field = None;)*
                let mut extra = $crate::protocol::response_item::Extra::new();
                while let Some($crate::protocol::with_extra::Key(key)) = map.next_key()? {
                    match &*key {
                        $(stringify!($field) => {
                            if $field.is_some() {
                                return Err(A::Error::duplicate_field(stringify!($field)));
                            }
                            $field = Some(map.next_value()?);
                        })*
                        k if tag.name() == Some(k) => {
                            match tag {
                                TagKey::Ahead(name) => tag = TagKey::Taken(name),
                                _ => {
                                    let name = tag.name().unwrap_or_default();
                                    return Err(A::Error::duplicate_field(name));
                                }
                            }
                            map.next_value::<::serde::de::IgnoredAny>()?;
                        }
                        _ => {
                            let value = map.next_value::<::serde_json::Value>()?;
                            extra.insert(key.into_owned(), value);
                        }
                    }
                }
                $(let $field = deserialize_with_extra!(@absent $field $($default)?);)*
                Ok($ty { $($field,)* extra })
            }
        }
    };
    (@absent $field:ident default) => {
        $field.unwrap_or_default()
    };
    (@absent $field:ident) => {
        match $field {
            Some(value) => value,
            None => $crate::protocol::with_extra::MissingField::<A::Error>::read(
                stringify!($field),
            )?,
        }
    };
}

pub(crate) use deserialize_with_extra;
