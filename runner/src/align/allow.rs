//! The allow-list: every difference from Codex that rcodex means to have, with the reason. A
//! difference `rcodex align` finds is explained only if an entry here matches its check, its
//! pointer (a glob) and, when the entry names them, its scenario.

use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Deserializer, Serialize};

use super::checks::{Check, Finding};
use super::json_diff::Change;
use crate::config::from_toml_str;

/// Why a difference is there, which also says whether imported upstream text removes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllowKind {
    /// rcodex names itself (originator, user-agent): stays whatever text is used.
    Identity,
    /// rcodex's own prose where Codex has upstream text (never committed here).
    OwnText,
    /// Something rcodex does not do like Codex yet; the reason says what.
    Gap,
    /// The scenario's scripted replies fit one client only (a value the script must guess).
    Script,
}

/// One `[[allow]]` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    pub check: Check,
    /// A JSON pointer glob: `*` stays within one segment, `**` crosses them. Headers are
    /// `/name`; a key-order difference points at its object (`/` for the top level).
    pub pointer: Pattern,
    /// Scenario id globs (`tools/*`); empty means every scenario.
    #[serde(default)]
    pub scenarios: Vec<Pattern>,
    /// Only this kind of change (`value`, `only-codex`, `only-rcodex`, `order`); any if absent.
    #[serde(default)]
    pub change: Option<ChangeKind>,
    pub kind: AllowKind,
    pub why: Reason,
}

/// The kinds of `Change`, as an entry names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Value,
    OnlyCodex,
    OnlyRcodex,
    Order,
}

impl ChangeKind {
    fn of(change: &Change) -> ChangeKind {
        match change {
            Change::Value { .. } => ChangeKind::Value,
            Change::OnlyCodex { .. } => ChangeKind::OnlyCodex,
            Change::OnlyRcodex { .. } => ChangeKind::OnlyRcodex,
            Change::Order { .. } => ChangeKind::Order,
        }
    }
}

/// A glob, checked when the file is read so a bad one is an error at its line.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub text: String,
    matcher: GlobMatcher,
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let matcher = GlobBuilder::new(&text)
            .literal_separator(true)
            .build()
            .map_err(|e| serde::de::Error::custom(e.kind()))?
            .compile_matcher();
        Ok(Pattern { text, matcher })
    }
}

impl Pattern {
    fn matches(&self, s: &str) -> bool {
        self.matcher.is_match(s)
    }
}

/// A reason that says something.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct Reason(pub String);

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim().is_empty() {
            return Err(serde::de::Error::custom(
                "empty: say why this difference is intended",
            ));
        }
        Ok(Reason(text))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowFile {
    #[serde(default)]
    allow: Vec<AllowEntry>,
}

/// The entries of one file, in file order.
#[derive(Clone, Debug, Default)]
pub struct AllowList {
    pub entries: Vec<AllowEntry>,
    /// rcodex runs with imported upstream text: `own-text` entries explain nothing.
    pub upstream_text: bool,
}

impl AllowList {
    /// Reads `path`; errors are one line, `file:line: field: what is wrong`.
    pub fn load(path: &Path) -> Result<AllowList, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}:{e}", path.display()))
    }

    /// Parses allow-list text; the error starts with the line number.
    pub fn parse(text: &str) -> Result<AllowList, String> {
        let file: AllowFile =
            from_toml_str(text).map_err(|e| format!("{}: {}", e.line, e.field_and_message()))?;
        for (i, entry) in file.allow.iter().enumerate() {
            if !entry.pointer.text.starts_with('/') {
                return Err(format!(
                    "{}: allow[{i}].pointer: {:?} must start with `/` (a JSON pointer; a header is `/name`)",
                    line_of_entry(text, i),
                    entry.pointer.text
                ));
            }
        }
        Ok(AllowList {
            entries: file.allow,
            upstream_text: false,
        })
    }

    /// Whether `entry` can explain anything in this run: with upstream text, rcodex's own
    /// prose is gone, so `own-text` entries cannot.
    pub fn applies(&self, entry: &AllowEntry) -> bool {
        !(self.upstream_text && entry.kind == AllowKind::OwnText)
    }

    /// The index of the first entry that explains `finding` in `scenario`.
    pub fn explain(&self, scenario: &str, finding: &Finding) -> Option<usize> {
        self.entries.iter().position(|e| {
            self.applies(e)
                && e.check == finding.check
                && e.pointer.matches(&finding.difference.pointer)
                && e.change
                    .is_none_or(|c| c == ChangeKind::of(&finding.difference.change))
                && (e.scenarios.is_empty() || e.scenarios.iter().any(|s| s.matches(scenario)))
        })
    }
}

/// The line of the `i`-th `[[allow]]` header, for errors found after parsing.
fn line_of_entry(text: &str, i: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[allow]]")
        .nth(i)
        .map_or(1, |(n, _)| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::json_diff::Difference;
    use serde_json::json;

    fn finding(check: Check, pointer: &str) -> Finding {
        Finding {
            request: 1,
            check,
            difference: Difference {
                pointer: pointer.into(),
                change: Change::Value {
                    codex: json!("a"),
                    rcodex: json!("b"),
                },
            },
        }
    }

    const FILE: &str = r#"
[[allow]]
check = "headers"
pointer = "/originator"
kind = "identity"
why = "rcodex names itself"

[[allow]]
check = "texts"
pointer = "/tools/*/description"
kind = "own-text"
why = "our own tool descriptions"

[[allow]]
check = "input"
pointer = "/input/**"
scenarios = ["tools/*"]
kind = "gap"
why = "only tool scenarios"

[[allow]]
check = "headers"
pointer = "/"
change = "order"
kind = "gap"
why = "only the order"
"#;

    #[test]
    fn entries_match_by_check_pointer_glob_and_scenario() {
        let list = AllowList::parse(FILE).unwrap();
        let explain = |s: &str, c, p: &str| list.explain(s, &finding(c, p));
        assert_eq!(explain("a", Check::Headers, "/originator"), Some(0));
        assert_eq!(
            explain("a", Check::Body, "/originator"),
            None,
            "other check"
        );
        assert_eq!(
            explain("a", Check::Texts, "/tools/exec_command/description"),
            Some(1)
        );
        assert_eq!(
            explain(
                "a",
                Check::Texts,
                "/tools/exec_command/parameters/properties/cmd/description"
            ),
            None,
            "`*` stays within one segment"
        );
        assert_eq!(
            explain("tools/x", Check::Input, "/input/1/content/0"),
            Some(2)
        );
        assert_eq!(
            explain("faults/x", Check::Input, "/input/1/content/0"),
            None
        );
    }

    #[test]
    fn errors_name_line_and_field() {
        let bad_kind = FILE.replace("kind = \"gap\"", "kind = \"maybe\"");
        let e = AllowList::parse(&bad_kind).unwrap_err();
        assert!(
            e.starts_with("18: allow[2].kind: unknown variant `maybe`"),
            "{e}"
        );

        let no_why =
            "[[allow]]\ncheck = \"body\"\npointer = \"/model\"\nkind = \"gap\"\nwhy = \" \"\n";
        let e = AllowList::parse(no_why).unwrap_err();
        assert!(e.starts_with("5: allow[0].why: empty"), "{e}");

        let bad_glob =
            "[[allow]]\ncheck = \"body\"\npointer = \"/a[\"\nkind = \"gap\"\nwhy = \"x\"\n";
        let e = AllowList::parse(bad_glob).unwrap_err();
        assert!(
            e.starts_with("3: allow[0].pointer: unclosed character class"),
            "{e}"
        );

        let no_slash = "\n[[allow]]\ncheck = \"headers\"\npointer = \"originator\"\nkind = \"identity\"\nwhy = \"x\"\n";
        let e = AllowList::parse(no_slash).unwrap_err();
        assert!(
            e.starts_with("2: allow[0].pointer: \"originator\" must start with `/`"),
            "{e}"
        );

        let unknown = "[[allow]]\ncheck = \"colour\"\n";
        let e = AllowList::parse(unknown).unwrap_err();
        assert!(
            e.starts_with("2: allow[0].check: unknown variant `colour`"),
            "{e}"
        );
    }
}
