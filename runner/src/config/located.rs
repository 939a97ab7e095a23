//! Typed TOML reading whose errors say where: the line comes from the parser's span of the bad
//! value, the field from the path serde was walking when it failed. Config files, scenarios and
//! mock scripts all read through here, so every bad value is reported the same way.

use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};

/// A value that did not fit its type: where it is and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocatedError {
    /// 1-based line of the offending text (1 when the parser gave no position).
    pub line: usize,
    /// Dotted path of the field (`model_providers.b.base_url`, `model.reply[1]`); empty for
    /// syntax errors and for errors about the whole document.
    pub field: String,
    /// What is wrong, on one line.
    pub message: String,
}

impl LocatedError {
    /// `field: message`, or the message alone when no field is known.
    pub fn field_and_message(&self) -> String {
        if self.field.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.field, self.message)
        }
    }
}

/// Deserializes TOML text into `T`, reporting the first bad value with its line and field.
pub fn from_toml_str<T: DeserializeOwned>(text: &str) -> Result<T, LocatedError> {
    serde_path_to_error::deserialize(toml::Deserializer::new(text)).map_err(|e| {
        let field = field_of(e.path());
        let inner = e.into_inner();
        LocatedError {
            line: inner.span().map_or(1, |s| line_at(text, s.start)),
            field,
            message: one_line(inner.message()),
        }
    })
}

/// Deserializes an already merged table (no text, so no lines): the field and what is wrong.
pub fn from_toml_table<T: DeserializeOwned>(table: toml::Table) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize(toml::Value::Table(table))
        .map_err(|e| (field_of(e.path()), one_line(e.inner().message())))
}

/// The 1-based line holding byte `offset` of `text`.
pub fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Folds a multi-line parser message into one line (`invalid array; expected `]``).
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `a.b[2].c`: map keys joined by dots, sequence indexes in brackets, unknown steps skipped.
pub fn field_of(path: &Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            // `toml::Spanned` reads its value through a private key: not a field users wrote.
            Segment::Map { key } if key.starts_with("$__serde_spanned_private") => {}
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // read only through Debug: the tests look at errors
    struct Doc {
        #[serde(default)]
        items: Vec<Item>,
        #[serde(default)]
        maps: BTreeMap<String, Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        n: u64,
    }

    #[test]
    fn errors_carry_the_span_line_and_the_field_path() {
        let e = from_toml_str::<Doc>("[[items]]\nn = 1\n[[items]]\nn = \"x\"\n").unwrap_err();
        assert_eq!(e.line, 4);
        assert_eq!(e.field, "items[1].n");
        assert!(e.message.starts_with("invalid type: string \"x\""), "{e:?}");

        let e = from_toml_str::<Doc>("[maps.a]\nn = 1\n[maps.b]\nn = -3\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (4, "maps.b.n"));

        let e = from_toml_str::<Doc>("[maps.a]\nn = 1\nm = 2\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (3, "maps.a.m"));
        assert!(e.message.contains("unknown field `m`"), "{e:?}");
    }

    #[test]
    fn syntax_errors_have_a_line_and_no_field() {
        let e = from_toml_str::<Doc>("a = 1\nb = [\n").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (3, ""));
        assert!(!e.message.contains('\n'));
        assert_eq!(e.field_and_message(), e.message);
    }

    #[test]
    fn merged_tables_report_the_field() {
        let t: toml::Table = toml::from_str("[maps.z]\nn = true\n").unwrap();
        let (field, message) = from_toml_table::<Doc>(t).unwrap_err();
        assert_eq!(field, "maps.z.n");
        assert!(message.contains("invalid type: boolean"), "{message}");
    }
}
