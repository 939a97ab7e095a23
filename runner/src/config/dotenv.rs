//! `$CODEX_HOME/.env`: KEY=VALUE lines (comments, `export`, quotes). Variables whose name starts
//! with `CODEX_` are never imported, as Codex does. The caller sets them before threads start.

use std::path::Path;

/// The variables to set from `$CODEX_HOME/.env` (missing file: none).
pub fn load_dotenv(codex_home: &Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(codex_home.join(".env")) else {
        return Vec::new();
    };
    parse_dotenv(&text)
}

pub(crate) fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let key = k.trim();
        if key.is_empty() || key.to_ascii_uppercase().starts_with("CODEX_") {
            continue;
        }
        let v = v.trim();
        let value = if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            v[1..v.len() - 1].to_string()
        } else {
            v.split(" #").next().unwrap_or(v).trim().to_string()
        };
        out.push((key.to_string(), value));
    }
    out
}
