//! `exec --strict-config`: a config.toml whose top-level keys (or `[features]` names) this
//! version does not know is refused, naming the file, line and key, instead of the usual
//! silent ignoring. Known: the keys rcodex reads, the Codex keys it accepts without acting on
//! (those the Codex SDK writes among them), and Codex 0.169's feature names.

use toml::Table;

use super::{ConfigError, ConfigFile};

/// Top-level keys rcodex reads or accepts (the typed ones in `schema.rs`, then Codex's).
const KNOWN_KEYS: &[&str] = &[
    "model",
    "model_provider",
    "profile",
    "sandbox_mode",
    "model_reasoning_effort",
    "model_verbosity",
    "project_doc_max_bytes",
    "project_doc_fallback_filenames",
    "upstream_text",
    "model_auto_compact_token_limit",
    "compact_on_context_failure",
    "tools",
    "features",
    "model_providers",
    "profiles",
    // Codex keys rcodex accepts: the SDK's, and those of the notes' captures.
    "approval_policy",
    "web_search",
    "openai_base_url",
    "sandbox_workspace_write",
    "oss_provider",
    "model_reasoning_summary",
];

/// `Err` names the first unknown key: `file:line: key: not recognized (--strict-config)`.
pub(crate) fn check_known_keys(file: &ConfigFile) -> Result<(), ConfigError> {
    let table: Table = match file.text.parse() {
        Ok(t) => t,
        // A file that does not parse is refused later, with its own message.
        Err(_) => return Ok(()),
    };
    let unknown_top = table
        .keys()
        .find(|k| !KNOWN_KEYS.contains(&k.as_str()))
        .cloned();
    let unknown_feature = table
        .get("features")
        .and_then(toml::Value::as_table)
        .and_then(|f| {
            f.keys()
                .find(|k| !crate::exec::flags::is_codex_feature(k))
                .cloned()
        });
    let (key, shown) = match (unknown_top, unknown_feature) {
        (Some(k), _) => (k.clone(), k),
        (None, Some(f)) => (f.clone(), format!("features.{f}")),
        (None, None) => return Ok(()),
    };
    Err(ConfigError::Invalid {
        path: file.shown(),
        line: line_of_key(&file.text, &key),
        key: shown,
        message: "not recognized (--strict-config)".into(),
    })
}

/// The first line that sets `key` or opens its table (1-based; 1 when not found).
fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let rest = l
                .strip_prefix('[')
                .map(|r| r.trim_start_matches('['))
                .unwrap_or(l);
            rest.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(['=', ']', '.']))
        })
        .map_or(1, |i| i + 1)
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
    fn unknown_top_level_key_is_named_with_its_line() {
        let e = check("model = \"m\"\n\nmodle = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("/h/config.toml:3"), "{e}");
        assert!(e.contains("modle"), "{e}");
    }

    #[test]
    fn unknown_feature_is_named() {
        let e = check("[features]\nshell_snapshot = false\nbogus = true\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("features.bogus"), "{e}");
    }

    #[test]
    fn known_keys_pass() {
        check("model = \"m\"\napproval_policy = \"never\"\n[features]\nunified_exec = true\n[sandbox_workspace_write]\nnetwork_access = true\n").unwrap();
    }
}
