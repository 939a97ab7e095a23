//! A scenario value that remembers where it was written, so a check made after parsing (a
//! folder that does not exist, a setup step that fails at run time) can still say
//! `file:line: field: what`.

use serde::{Deserialize, Deserializer};

/// `value`, read at byte `start` of the file; `line` is filled in by [`AtLine::locate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtLine<T> {
    pub value: T,
    pub start: usize,
    /// 1-based; 0 until located.
    pub line: usize,
}

impl<T> AtLine<T> {
    /// Sets `line` from the text the value was parsed from; returns it.
    pub fn locate(&mut self, text: &str) -> usize {
        self.line = crate::config::line_at(text, self.start);
        self.line
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for AtLine<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<T>::deserialize(d)?;
        Ok(AtLine {
            start: spanned.span().start,
            line: 0,
            value: spanned.into_inner(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        a: AtLine<String>,
        b: Vec<AtLine<i64>>,
    }

    #[test]
    fn values_know_their_line_and_type_errors_still_name_field_and_line() {
        let text = "a = \"x\"\n\nb = [\n  1,\n  2,\n]\n";
        let mut doc: Doc = crate::config::from_toml_str(text).unwrap();
        assert_eq!(doc.a.locate(text), 1);
        assert_eq!(doc.a.value, "x");
        assert_eq!(doc.b[1].locate(text), 5);
        assert_eq!(doc.b[1].value, 2);

        let e = crate::config::from_toml_str::<Doc>("a = \"x\"\nb = [1, \"two\"]\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.field, "b[1]");
        assert!(e.message.contains("invalid type"), "{}", e.message);
    }
}
