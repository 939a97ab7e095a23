//! `-p/--profile NAME` as Codex 0.169 reads it (captured): the settings of
//! `$CODEX_HOME/NAME.config.toml`, laid over config.toml (tables merged key by key) and under
//! `-c`. A missing file selects nothing, silently, as in Codex. The legacy forms are refused with
//! Codex's words: a top-level `profile = "NAME"` in config.toml, and `-p NAME` while config.toml
//! still has `[profiles.NAME]`.

use std::path::PathBuf;

use toml::{Table, Value};

use super::{ConfigError, ConfigFile};

/// `$CODEX_HOME/NAME.config.toml`.
pub fn profile_path(codex_home: &std::path::Path, name: &str) -> PathBuf {
    codex_home.join(format!("{name}.config.toml"))
}

/// `Err` for the legacy selectors Codex 0.169 refuses: `profile = "X"` in config.toml (with or
/// without `-p`), and `-p NAME` beside a `[profiles.NAME]` table.
pub(crate) fn refuse_legacy(
    file: &ConfigFile,
    table: &Table,
    selected: Option<&str>,
) -> Result<(), ConfigError> {
    if let Some(legacy) = table.get("profile").and_then(Value::as_str) {
        return Err(ConfigError::Invalid {
            path: file.shown(),
            line: key_line(&file.text, "profile").unwrap_or(1),
            key: "profile".into(),
            message: format!(
                "legacy `profile = \"{legacy}\"` config is no longer supported; use `--profile {legacy}` with `{legacy}.config.toml` instead"
            ),
        });
    }
    let Some(name) = selected else {
        return Ok(());
    };
    let has_table = table
        .get("profiles")
        .and_then(Value::as_table)
        .is_some_and(|p| p.contains_key(name));
    if has_table {
        return Err(ConfigError::Invalid {
            path: file.shown(),
            line: table_line(&file.text, name).unwrap_or(1),
            key: format!("profiles.{name}"),
            message: format!(
                "--profile `{name}` cannot be used while {} contains legacy `profile = \"{name}\"` or `[profiles.{name}]` config; move those settings into {} and remove the legacy profile selector/table",
                file.shown(),
                profile_path(std::path::Path::new(&file.home()), name).display()
            ),
        });
    }
    Ok(())
}

/// Lays `over` onto `base`: a table merges key by key (recursively), anything else replaces.
pub fn merge_tables(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(mine)), Value::Table(theirs)) => merge_tables(mine, theirs),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// The line of a top-level `key = …` (before the first table header).
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with('['))
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// The line of `[profiles.NAME]` (or of the first `[profiles.NAME.…]`).
fn table_line(text: &str, name: &str) -> Option<usize> {
    let header = format!("[profiles.{name}");
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(&header)
                .is_some_and(|r| r.starts_with(']') || r.starts_with('.'))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (ConfigFile, Table) {
        let f = ConfigFile {
            path: "/h/config.toml".into(),
            text: text.into(),
        };
        let t = text.parse().unwrap();
        (f, t)
    }

    #[test]
    fn legacy_selectors_are_refused_with_codex_words_and_a_line() {
        let (f, t) = file("model = \"m\"\nprofile = \"fast\"\n");
        let e = refuse_legacy(&f, &t, None).unwrap_err().to_string();
        assert_eq!(e, "/h/config.toml:2: profile: legacy `profile = \"fast\"` config is no longer supported; use `--profile fast` with `fast.config.toml` instead");

        let (f, t) = file("model = \"m\"\n\n[profiles.fast]\nmodel = \"x\"\n");
        assert!(
            refuse_legacy(&f, &t, None).is_ok(),
            "an unselected table is ignored"
        );
        assert!(refuse_legacy(&f, &t, Some("other")).is_ok());
        let e = refuse_legacy(&f, &t, Some("fast")).unwrap_err().to_string();
        assert!(e.starts_with("/h/config.toml:3: profiles.fast: --profile `fast` cannot be used while /h/config.toml contains legacy"), "{e}");
        assert!(
            e.contains("move those settings into /h/fast.config.toml"),
            "{e}"
        );
    }

    #[test]
    fn tables_merge_key_by_key() {
        let mut base: Table = "a = 1\n[t]\nx = 1\ny = 2\n".parse().unwrap();
        let over: Table = "b = 2\n[t]\ny = 3\n".parse().unwrap();
        merge_tables(&mut base, over);
        assert_eq!(base.to_string(), "a = 1\nb = 2\n\n[t]\nx = 1\ny = 3\n");
    }
}
