//! `exec --strict-config`: a key of config.toml, of the profile file or of a `-c` override that
//! Codex 0.169 does not know is refused, as Codex refuses it ("unknown configuration field"),
//! naming the file, line and key, instead of the usual silent ignoring. Known: the key names
//! in `codex_config_keys.txt` (each accepted by the pinned CLI under `--strict-config`),
//! Codex 0.169's feature names, and rcodex's own keys.

use toml::{Table, Value};

use super::{ConfigError, ConfigFile};

/// Codex 0.169's config keys, dotted, `*` for any name (see the file's header).
const CODEX_KEYS: &str = include_str!("codex_config_keys.txt");

/// Keys only rcodex reads (Codex refuses them under `--strict-config`; rcodex must not).
const RCODEX_KEYS: &[&str] = &[
    "upstream_text",
    "compact_on_context_failure",
    "tools.read_file",
    "tools.read_file.enabled",
    "tools.list_dir",
    "tools.list_dir.enabled",
    "tools.grep_files",
    "tools.grep_files.enabled",
];

/// The known key paths, split at dots.
fn known() -> impl Iterator<Item = Vec<&'static str>> {
    CODEX_KEYS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .chain(RCODEX_KEYS.iter().copied())
        .map(|l| l.split('.').collect())
}

fn matches(pattern: &[&str], path: &[String]) -> bool {
    pattern.len() == path.len() && pattern.iter().zip(path).all(|(p, k)| *p == "*" || p == k)
}

/// Whether `path` (a key and the tables above it) is one Codex or rcodex knows. Below a known
/// table that no listed key goes into (`history`, `tui`, `mcp_servers.*`, …), anything is taken;
/// `[profiles.NAME]` holds top-level keys.
fn is_known(path: &[String]) -> bool {
    if path.len() >= 2 && path[0] == "features" {
        return path.len() > 2 || crate::exec::flags::is_codex_feature(&path[1]);
    }
    if path.len() >= 3 && path[0] == "profiles" {
        return is_known(&path[2..]);
    }
    let known: Vec<Vec<&str>> = known().collect();
    // A listed key, or a table on the way to one (`model_providers.NAME`).
    if known
        .iter()
        .any(|k| k.len() >= path.len() && matches(&k[..path.len()], path))
    {
        return true;
    }
    // A key under a known table that has no listed children is not checked.
    (1..path.len()).any(|n| {
        known.iter().any(|k| matches(k, &path[..n]))
            && !known
                .iter()
                .any(|k| k.len() > n && matches(&k[..n], &path[..n]))
    })
}

/// The first unknown key path of `table` (depth first, in file order).
fn first_unknown(table: &Table, above: &mut Vec<String>) -> Option<Vec<String>> {
    for (key, value) in table {
        above.push(key.clone());
        if !is_known(above) {
            return Some(above.clone());
        }
        if let Value::Table(inner) = value {
            if let Some(found) = first_unknown(inner, above) {
                return Some(found);
            }
        }
        above.pop();
    }
    None
}

/// The message Codex gives for an unknown key.
fn unknown_message(key: &str) -> String {
    format!("unknown configuration field `{key}`")
}

/// `Err` names the first unknown key: `file:line: key: unknown configuration field `key``.
pub(crate) fn check_known_keys(file: &ConfigFile) -> Result<(), ConfigError> {
    let table: Table = match file.text.parse() {
        Ok(t) => t,
        // A file that does not parse is refused later, with its own message.
        Err(_) => return Ok(()),
    };
    let Some(path) = first_unknown(&table, &mut Vec::new()) else {
        return Ok(());
    };
    let key = path.join(".");
    Err(ConfigError::Invalid {
        path: file.shown(),
        line: line_of_path(&file.text, &path),
        message: unknown_message(&key),
        key,
    })
}

/// `Err` for a `-c key=value` whose key Codex does not know, with Codex's words.
pub(crate) fn check_override_keys(overrides: &[String]) -> Result<(), ConfigError> {
    for raw in overrides {
        let mut table = Table::new();
        if super::apply_override(&mut table, raw).is_err() {
            continue; // refused later, with its own message
        }
        if let Some(path) = first_unknown(&table, &mut Vec::new()) {
            return Err(ConfigError::Override {
                raw: raw.clone(),
                message: format!(
                    "{} in -c/--config override",
                    unknown_message(&path.join("."))
                ),
            });
        }
    }
    Ok(())
}

/// The line that sets the dotted `path`, reading table headers and dotted keys (1 when not
/// found, as for a key set inside an inline table).
fn line_of_path(text: &str, path: &[String]) -> usize {
    let split = |s: &str| -> Vec<String> {
        s.split('.')
            .map(|p| p.trim().trim_matches('"').to_string())
            .collect()
    };
    let mut header: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if let Some(h) = l.strip_prefix('[') {
            header = split(h.trim_start_matches('[').split(']').next().unwrap_or(""));
            if header == path {
                return i + 1;
            }
            continue;
        }
        if let Some((key, _)) = l.split_once('=') {
            let mut full = header.clone();
            full.extend(split(key));
            if full.len() >= path.len() && full[..path.len()] == *path {
                return i + 1;
            }
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), ConfigError> {
        check_known_keys(&ConfigFile {
            path: "/h/config.toml".into(),
            text: text.into(),
        })
    }

    #[test]
    fn unknown_top_level_key_is_named_with_its_line_in_codex_words() {
        let e = check("model = \"m\"\n\nmodle = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "/h/config.toml:3: modle: unknown configuration field `modle`"
        );
    }

    #[test]
    fn unknown_nested_keys_are_named_with_their_path() {
        let cases = [
            (
                "[features]\nshell_snapshot = false\nbogus = true\n",
                "3: features.bogus",
            ),
            (
                "[sandbox_workspace_write]\nnetwork_access = true\nbogus = 1\n",
                "3: sandbox_workspace_write.bogus",
            ),
            (
                "[model_providers.m]\nname = \"m\"\nbogus2 = 1\n",
                "3: model_providers.m.bogus2",
            ),
            ("[tools]\nview_image = true\n", "2: tools.view_image"),
            ("[profiles.x]\nbogus = 1\n", "2: profiles.x.bogus"),
            ("debug = 1\n", "1: debug"),
        ];
        for (text, want) in cases {
            let e = check(text).unwrap_err().to_string();
            assert!(
                e.contains(&format!("config.toml:{want}: unknown configuration field")),
                "{e}"
            );
        }
    }

    #[test]
    fn known_keys_pass() {
        check("model = \"m\"\napproval_policy = \"never\"\nupstream_text = \"u\"\nnotify = [\"x\"]\n[features]\nunified_exec = true\n[sandbox_workspace_write]\nnetwork_access = true\n[model_providers.m]\nname = \"M\"\nrequires_openai_auth = false\n[tools]\nweb_search = true\nupdate_plan = { enabled = true }\n[history]\nanything = 1\n[profiles.p]\nmodel = \"x\"\n").unwrap();
    }

    #[test]
    fn overrides_are_checked_with_codex_words() {
        let e = check_override_keys(&["model=\"x\"".into(), "bogus_c=1".into()])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "-c bogus_c=1: unknown configuration field `bogus_c` in -c/--config override"
        );
        check_override_keys(&["features.goals=false".into(), "tui.x=1".into()]).unwrap();
    }
}
