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
//!   another Codex version cannot make rcodex accept arguments its tools do not understand;
//! - `skills_instructions.md` and `skills/.system/`: the `<skills_instructions>` part (CODEX_HOME
//!   as [`HOME_MARKER`]) and the system skills Codex unpacks into `CODEX_HOME/skills/.system`, so
//!   the skills the text lists exist where it says (see `install_system_skills`).

mod apply;
pub mod compaction;
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
/// Stands for CODEX_HOME in an imported skills text.
pub const HOME_MARKER: &str = "{{rcodex:codex_home}}";
pub const SKILLS_INSTRUCTIONS: &str = "skills_instructions.md";
/// Where the system skills are, under the folder and under CODEX_HOME alike.
pub const SYSTEM_SKILLS: &str = "skills/.system";
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
    /// May hold [`HOME_MARKER`].
    pub skills_instructions: Option<String>,
    /// The summary prompt of Codex's compaction ([`compaction::COMPACT_PROMPT`]).
    pub compact_prompt: Option<String>,
    /// The line before the summary in Codex's compacted history.
    pub compact_summary_prefix: Option<String>,
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
        let skills_instructions = read_optional(dir.join(SKILLS_INSTRUCTIONS))?;
        let compact_prompt = read_optional(dir.join(compaction::COMPACT_PROMPT))?;
        let compact_summary_prefix = read_optional(dir.join(compaction::COMPACT_SUMMARY_PREFIX))?;
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
            skills_instructions,
            compact_prompt,
            compact_summary_prefix,
        })
    }

    /// Makes the system skills the skills text lists exist under `codex_home`, as Codex unpacks
    /// them there: when `codex_home/skills/.system` is absent it becomes a link to the folder's
    /// copy (one link, so a batch of many sessions pays nothing). One that exists is left as it
    /// is: Codex itself put it there. A CODEX_HOME that does not exist gets nothing (a scripted
    /// batch run has none; its placeholder sits in the workspace, where a link would show).
    pub fn install_system_skills(&self, codex_home: &Path) -> Result<(), String> {
        let source = self.dir.join(SYSTEM_SKILLS);
        let target = codex_home.join(SYSTEM_SKILLS);
        if self.skills_instructions.is_none()
            || !source.is_dir()
            || !codex_home.is_dir()
            || std::fs::symlink_metadata(&target).is_ok()
        {
            return Ok(());
        }
        let parent = target.parent().unwrap_or(codex_home);
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        match std::os::unix::fs::symlink(&source, &target) {
            Ok(()) => Ok(()),
            // Another session of the same batch made it first.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(format!("{}: {e}", target.display())),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_skills_are_linked_once_and_an_existing_folder_is_left_alone() {
        let cache = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(cache.path().join("skills/.system/demo")).unwrap();
        std::fs::write(cache.path().join("skills/.system/demo/SKILL.md"), "demo").unwrap();
        let text = UpstreamText {
            dir: cache.path().to_path_buf(),
            skills_instructions: Some(format!("skills under {HOME_MARKER}")),
            ..UpstreamText::default()
        };
        let home = tempfile::tempdir().unwrap();
        text.install_system_skills(home.path()).unwrap();
        text.install_system_skills(home.path()).unwrap();
        let skill = home.path().join("skills/.system/demo/SKILL.md");
        assert_eq!(std::fs::read_to_string(skill).unwrap(), "demo");

        let codex_home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(codex_home.path().join("skills/.system")).unwrap();
        text.install_system_skills(codex_home.path()).unwrap();
        let own = codex_home.path().join("skills/.system");
        assert!(!own.is_symlink() && own.read_dir().unwrap().count() == 0);

        // Without a skills text nothing is installed.
        let bare = UpstreamText {
            skills_instructions: None,
            ..text
        };
        let other = tempfile::tempdir().unwrap();
        bare.install_system_skills(other.path()).unwrap();
        assert!(!other.path().join("skills").exists());
        // A CODEX_HOME that does not exist is not made.
        let missing = other.path().join("no-codex-home");
        text_again(&bare).install_system_skills(&missing).unwrap();
        assert!(!missing.exists());
    }

    fn text_again(bare: &UpstreamText) -> UpstreamText {
        UpstreamText {
            skills_instructions: Some("skills".into()),
            ..bare.clone()
        }
    }

    #[test]
    fn a_manifest_is_required_and_a_bad_tools_file_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let e = UpstreamText::load(dir.path()).unwrap_err();
        assert!(
            e.contains("upstream.toml") && e.contains("--import-text"),
            "{e}"
        );
        std::fs::write(
            dir.path().join(MANIFEST),
            "codex_version = \"0.169.0\"\ncodex_binary = \"codex\"\nimported_at = \"t\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join(TOOLS), "{\n  \"a\": [\n").unwrap();
        let e = UpstreamText::load(dir.path()).unwrap_err();
        assert!(e.contains("tools.json:3:"), "{e}");
        std::fs::write(dir.path().join(TOOLS), "{}").unwrap();
        std::fs::write(dir.path().join(BASE_INSTRUCTIONS), "base").unwrap();
        let text = UpstreamText::load(dir.path()).unwrap();
        assert_eq!(text.base_instructions.as_deref(), Some("base"));
        assert!(text.permissions.is_empty() && text.skills_instructions.is_none());
    }
}
