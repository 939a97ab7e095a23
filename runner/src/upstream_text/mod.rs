//! Upstream Codex text used at run time, never committed.
//!
//! rcodex ships its own prose: base instructions, the permissions section, tool descriptions.
//! Byte-level alignment with Codex needs Codex's own texts, which this repository must not carry;
//! `rcodex align --import-text` captures them from the local Codex CLI's requests into a folder
//! outside the repository (by default `$XDG_CACHE_HOME/rcodex/upstream/<codex version>/`), and
//! `--upstream-text DIR` (or `upstream_text = "DIR"` in config.toml) makes every session of
//! exec, batch and replay forks use them instead of rcodex's own.
//!
//! The folder, as `import` writes it and `load` reads it:
//! - `upstream.toml`: which Codex it came from (`codex_version`, `codex_binary`, `imported_at`);
//! - `base_instructions.md`: the first developer message, whole (with its checklist line);
//! - `permissions/<sandbox mode>.md`: the `<permissions instructions>` part per sandbox mode
//!   (approval policy `never`); where Codex lists the writable roots the file holds
//!   [`ROOTS_MARKER`], filled in with the session's own roots;
//! - `tools.json`: each tool spec exactly as Codex sent it, keyed by name. Only descriptions (and
//!   apply_patch's grammar) are taken from it: names and schemas stay rcodex's, so an import from
//!   another Codex version cannot make rcodex accept arguments its tools do not understand.

mod apply;
pub mod import;

pub use apply::{apply_to_session, merge_descriptions, render_permissions};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rcodex_core::sandbox::SandboxMode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Stands for the writable roots in an imported workspace-write permissions text.
pub const ROOTS_MARKER: &str = "{{rcodex:writable_roots}}";
/// The manifest file that marks a folder as imported upstream text.
pub const MANIFEST: &str = "upstream.toml";
pub const BASE_INSTRUCTIONS: &str = "base_instructions.md";
pub const TOOLS: &str = "tools.json";
pub const PERMISSIONS_DIR: &str = "permissions";

/// `upstream.toml`: where the texts came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub codex_version: String,
    pub codex_binary: String,
    pub imported_at: String,
}

/// The imported texts of one folder.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpstreamText {
    pub dir: PathBuf,
    pub manifest: Option<Manifest>,
    pub base_instructions: Option<String>,
    /// Per sandbox mode; may hold [`ROOTS_MARKER`].
    pub permissions: HashMap<SandboxMode, String>,
    /// Tool specs as Codex sent them, by name (`type` for hosted tools).
    pub tools: Map<String, Value>,
}

/// The file name of a sandbox mode's permissions text.
pub fn permissions_file(mode: SandboxMode) -> String {
    format!("{}.md", mode_name(mode))
}

pub fn mode_name(mode: SandboxMode) -> &'static str {
    match mode {
        SandboxMode::ReadOnly => "read-only",
        SandboxMode::WorkspaceWrite => "workspace-write",
        SandboxMode::DangerFullAccess => "danger-full-access",
    }
}

pub const MODES: [SandboxMode; 3] = [
    SandboxMode::ReadOnly,
    SandboxMode::WorkspaceWrite,
    SandboxMode::DangerFullAccess,
];

/// `$XDG_CACHE_HOME/rcodex/upstream/<version>`, else `~/.cache/rcodex/upstream/<version>`.
pub fn default_dir(codex_version: &str) -> PathBuf {
    let cache = match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache"),
    };
    cache.join("rcodex").join("upstream").join(codex_version)
}

impl UpstreamText {
    /// Reads a folder written by `rcodex align --import-text`. Every error names the file.
    pub fn load(dir: &Path) -> Result<UpstreamText, String> {
        let shown = |name: &str| dir.join(name).display().to_string();
        let manifest_path = dir.join(MANIFEST);
        let manifest_text = std::fs::read_to_string(&manifest_path).map_err(|e| {
            format!(
                "upstream text {}: {e}: not a folder of imported upstream text (write one with `rcodex align --import-text`)",
                manifest_path.display()
            )
        })?;
        let manifest: Manifest = toml::from_str(&manifest_text)
            .map_err(|e| format!("{}: {}", shown(MANIFEST), e.message()))?;
        let read_optional = |path: PathBuf| -> Result<Option<String>, String> {
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("{}: {e}", path.display())),
            }
        };
        let base_instructions = read_optional(dir.join(BASE_INSTRUCTIONS))?;
        let mut permissions = HashMap::new();
        for mode in MODES {
            let path = dir.join(PERMISSIONS_DIR).join(permissions_file(mode));
            if let Some(text) = read_optional(path)? {
                permissions.insert(mode, text);
            }
        }
        let tools = match read_optional(dir.join(TOOLS))? {
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{}:{}:{}: {e} (expected an object of tool specs by name)",
                    shown(TOOLS),
                    e.line(),
                    e.column()
                )
            })?,
            None => Map::new(),
        };
        Ok(UpstreamText {
            dir: dir.to_path_buf(),
            manifest: Some(manifest),
            base_instructions,
            permissions,
            tools,
        })
    }

    /// [`UpstreamText::load`] once per folder and process: batch starts many sessions on one.
    pub fn load_cached(dir: &Path) -> Result<Arc<UpstreamText>, String> {
        static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<UpstreamText>>>> = OnceLock::new();
        let loaded = LOADED.get_or_init(Default::default);
        if let Some(found) = loaded.lock().expect("not poisoned").get(dir) {
            return Ok(found.clone());
        }
        let text = Arc::new(UpstreamText::load(dir)?);
        loaded
            .lock()
            .expect("not poisoned")
            .insert(dir.to_path_buf(), text.clone());
        Ok(text)
    }
}
