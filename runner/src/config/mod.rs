//! Codex-compatible configuration: `$CODEX_HOME/config.toml`, profiles
//! (`$CODEX_HOME/NAME.config.toml`), `-c key.path=value` overrides, `$CODEX_HOME/.env`, and model
//! providers (built-in and configured).
//!
//! Precedence, highest first: CLI flags, `-c` overrides, the selected profile file, config.toml,
//! defaults.

mod approval;
mod dotenv;
mod error;
mod located;
mod overrides;
mod profile;
mod provider;
mod schema;
mod strict;
mod writable_roots;

pub use dotenv::load_dotenv;
pub use error::ConfigError;
pub use located::{field_of, from_toml_str, line_at, LocatedError};
pub use overrides::apply_override;
pub use profile::profile_path;
pub use provider::{ProviderInfo, WireApi};
pub use writable_roots::extra_writable_roots;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rcodex_core::sandbox::SandboxMode;
use toml::Table;

use located::from_toml_table;
use schema::ConfigToml;

/// `$CODEX_HOME`, else `~/.codex`.
pub fn codex_home_from_env() -> PathBuf {
    match std::env::var_os("CODEX_HOME") {
        Some(h) if !h.is_empty() => PathBuf::from(h),
        _ => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".codex"),
    }
}

/// What the command line says beside `-c`.
#[derive(Clone, Debug, Default)]
pub struct ConfigOverrides {
    pub model: Option<String>,
    pub profile: Option<String>,
    pub sandbox_mode: Option<SandboxMode>,
    pub cwd: Option<PathBuf>,
    /// `--upstream-text DIR`: wins over the `upstream_text` key.
    pub upstream_text: Option<PathBuf>,
    /// Raw `-c key.path=value` strings, in order.
    pub config_overrides: Vec<String>,
}

/// Optional tools switched on in config (`tools.NAME.enabled = true`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolsToggles {
    pub update_plan: bool,
    pub read_file: bool,
    pub list_dir: bool,
    pub grep_files: bool,
}

/// The resolved configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub codex_home: PathBuf,
    pub model: String,
    pub model_provider_id: String,
    pub provider: ProviderInfo,
    pub sandbox_mode: Option<SandboxMode>,
    pub model_reasoning_effort: Option<String>,
    pub model_verbosity: Option<String>,
    pub tools: ToolsToggles,
    /// Imported upstream text to use instead of rcodex's own (see `upstream_text`).
    pub upstream_text: Option<PathBuf>,
    /// How AGENTS.md files are found (`project_doc_max_bytes`, `project_doc_fallback_filenames`).
    pub project_docs: crate::agents_md::ProjectDocOptions,
    /// `features.shell_snapshot` (default true): capture the login shell's environment once.
    pub shell_snapshot: bool,
    /// `features.goals` (default true): offer the goal tools.
    pub goals: bool,
    /// `features.multi_agent` (default true): the sub-agent tools, deferred in `multi_agent_v1`
    /// behind `tool_search`.
    pub multi_agent: bool,
    /// `web_search` as set (unset: live under `danger-full-access`, cached otherwise).
    pub web_search: Option<rcodex_core::tool_set::WebSearchMode>,
    /// `model_auto_compact_token_limit` as set (unset: 90 % of the model's context window).
    pub auto_compact_token_limit: Option<u64>,
    /// `compact_on_context_failure` (rcodex's own key, default false).
    pub compact_on_context_failure: bool,
    /// `exec --add-dir` folders (absolute): workspace roots after the cwd, writable under
    /// `workspace-write`, before the configured `sandbox_workspace_write.writable_roots`.
    pub add_dirs: Vec<PathBuf>,
    /// `sandbox_workspace_write.network_access` (default false): commands may use the network
    /// under `workspace-write`, and the permission profile says so.
    pub network_access: bool,
    /// The `originator` header, the user-agent's first word and `session_meta.originator`:
    /// `rcodex_exec`, or `CODEX_INTERNAL_ORIGINATOR_OVERRIDE` when set (as Codex 0.169 takes it).
    pub originator: String,
    /// The merged table, for keys this struct does not model.
    pub raw: Table,
}

/// rcodex's own originator.
pub const DEFAULT_ORIGINATOR: &str = "rcodex_exec";

/// The environment variable that renames the originator, as in Codex.
pub const ORIGINATOR_OVERRIDE_VAR: &str = "CODEX_INTERNAL_ORIGINATOR_OVERRIDE";

/// The default model when config names none.
pub const DEFAULT_MODEL: &str = "gpt-5.5";

/// Loads and resolves the configuration.
///
/// The file is read into its typed shape once, whole, so a bad value anywhere in it is refused
/// with its line. Then the selected profile and the `-c` overrides are laid over the table and the
/// result is typed again; a value that breaks it is blamed on the override that brought it.
pub fn load_config(
    codex_home: Option<PathBuf>,
    cli: &ConfigOverrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    load_config_with(codex_home, cli, env, LoadOptions::default())
}

/// How `exec` flags change the loading: `--ignore-user-config`, `--strict-config`.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions {
    /// Do not read `$CODEX_HOME/config.toml` (as if it were empty), nor the profile file.
    pub ignore_user_config: bool,
    /// Refuse top-level keys of config.toml that rcodex does not know (see `strict`).
    pub strict: bool,
}

/// [`load_config`] with [`LoadOptions`].
pub fn load_config_with(
    codex_home: Option<PathBuf>,
    cli: &ConfigOverrides,
    env: &dyn Fn(&str) -> Option<String>,
    options: LoadOptions,
) -> Result<Config, ConfigError> {
    let codex_home = codex_home.unwrap_or_else(codex_home_from_env);
    let file = if options.ignore_user_config {
        ConfigFile {
            path: codex_home.join("config.toml"),
            text: String::new(),
        }
    } else {
        ConfigFile::read(codex_home.join("config.toml"))?
    };
    if options.strict {
        strict::check_known_keys(&file)?;
        strict::check_override_keys(&cli.config_overrides)?;
    }
    // The whole file is typed once, so a bad value anywhere is refused with its line.
    let _: ConfigToml = from_toml_str(&file.text).map_err(|e| file.error(e))?;
    let mut table: Table = from_toml_str(&file.text).map_err(|e| file.error(e))?;

    profile::refuse_legacy(&file, &table, cli.profile.as_deref())?;
    // `--ignore-user-config` skips the profile file too (captured: its provider was not used).
    let profile_file = match &cli.profile {
        Some(_) if options.ignore_user_config => None,
        Some(name) => {
            let path = profile::profile_path(&codex_home, name);
            path.is_file().then(|| ConfigFile::read(path)).transpose()?
        }
        None => None,
    };
    if let Some(pf) = &profile_file {
        if options.strict {
            strict::check_known_keys(pf)?;
        }
        let _: ConfigToml = from_toml_str(&pf.text).map_err(|e| pf.error(e))?;
        let over: Table = from_toml_str(&pf.text).map_err(|e| pf.error(e))?;
        profile::merge_tables(&mut table, over);
    }
    let before_overrides = table.clone();
    for raw in &cli.config_overrides {
        apply_override(&mut table, raw)?;
    }
    let settings: ConfigToml = from_toml_table(table.clone()).map_err(|(key, message)| {
        blame_override(before_overrides, &cli.config_overrides, key, message)
    })?;

    approval::refuse_untrusted(
        settings.approval_policy.as_ref(),
        &file,
        &cli.config_overrides,
        profile_file.as_ref(),
    )?;
    let model = cli
        .model
        .clone()
        .or(settings.model.clone())
        .unwrap_or_else(|| DEFAULT_MODEL.to_string());
    let provider_id = settings
        .model_provider
        .clone()
        .unwrap_or_else(|| "openai".into());
    provider::check_providers(&settings, &file)?;
    let provider = provider::resolve(&settings, &provider_id, &file, env)?;
    let tools = ToolsToggles {
        update_plan: settings.tools.update_plan.enabled,
        read_file: settings.tools.read_file.enabled,
        list_dir: settings.tools.list_dir.enabled,
        grep_files: settings.tools.grep_files.enabled,
    };
    // A relative folder in config.toml is relative to CODEX_HOME, where the file is.
    let upstream_text = cli
        .upstream_text
        .clone()
        .or(settings.upstream_text.map(|dir| codex_home.join(dir)));
    Ok(Config {
        codex_home,
        model,
        model_provider_id: provider_id,
        provider,
        sandbox_mode: cli.sandbox_mode.or(settings.sandbox_mode),
        model_reasoning_effort: settings.model_reasoning_effort,
        model_verbosity: settings.model_verbosity.map(|v| v.as_str().to_string()),
        tools,
        upstream_text,
        project_docs: crate::agents_md::ProjectDocOptions {
            max_bytes: settings
                .project_doc_max_bytes
                .unwrap_or(crate::agents_md::DEFAULT_MAX_BYTES),
            fallback_filenames: settings.project_doc_fallback_filenames.unwrap_or_default(),
        },
        shell_snapshot: settings.features.shell_snapshot.unwrap_or(true),
        goals: settings.features.goals.unwrap_or(true),
        multi_agent: settings.features.multi_agent.unwrap_or(true),
        web_search: settings.web_search.map(|w| w.mode()),
        auto_compact_token_limit: settings.model_auto_compact_token_limit,
        compact_on_context_failure: settings.compact_on_context_failure.unwrap_or(false),
        add_dirs: Vec::new(),
        network_access: settings
            .sandbox_workspace_write
            .network_access
            .unwrap_or(false),
        originator: env(ORIGINATOR_OVERRIDE_VAR)
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| DEFAULT_ORIGINATOR.into()),
        raw: table,
    })
}

/// Finds the `-c` override whose value breaks the typed settings (the file and its profiles were
/// checked already, so one of them does): overrides are laid over `base` again, one at a time.
fn blame_override(base: Table, overrides: &[String], key: String, message: String) -> ConfigError {
    let mut table = base;
    for raw in overrides {
        if let Err(e) = apply_override(&mut table, raw) {
            return e;
        }
        if let Err((key, message)) = from_toml_table::<ConfigToml>(table.clone()) {
            return ConfigError::Override {
                raw: raw.clone(),
                message: format!("{key}: {message}"),
            };
        }
    }
    ConfigError::Merged { key, message }
}

/// `config.toml` as read (empty when absent), for messages that name its path and lines.
pub(crate) struct ConfigFile {
    pub path: PathBuf,
    pub text: String,
}

impl ConfigFile {
    fn read(path: PathBuf) -> Result<ConfigFile, ConfigError> {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(ConfigError::Io {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })
            }
        };
        Ok(ConfigFile { path, text })
    }

    /// The path as shown in messages.
    pub fn shown(&self) -> String {
        self.path.display().to_string()
    }

    /// The folder holding the file (`$CODEX_HOME`), as shown in messages.
    pub fn home(&self) -> String {
        self.path
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    /// A bad value in this file: `file:line: field: what is wrong`.
    fn error(&self, e: LocatedError) -> ConfigError {
        if e.field.is_empty() {
            ConfigError::Parse {
                path: self.shown(),
                line: e.line,
                message: e.message,
            }
        } else {
            ConfigError::Invalid {
                path: self.shown(),
                line: e.line,
                key: e.field,
                message: e.message,
            }
        }
    }

    /// Something wrong with `[model_providers.ID]` (or its `key`): named at the table's header
    /// when that table is in this file, else (it came from `-c` or a profile) by key alone.
    pub fn provider_error(&self, id: &str, key: Option<&str>, message: &str) -> ConfigError {
        let key = match key {
            Some(k) => format!("model_providers.{id}.{k}"),
            None => format!("model_providers.{id}"),
        };
        match self.provider_line(id) {
            Some(line) => ConfigError::Invalid {
                path: self.shown(),
                line,
                key,
                message: message.into(),
            },
            None => ConfigError::Merged {
                key,
                message: message.into(),
            },
        }
    }

    /// The line where `[model_providers.ID]` starts in the file, from the parser's span.
    pub fn provider_line(&self, id: &str) -> Option<usize> {
        #[derive(serde::Deserialize)]
        struct ProviderSpans {
            #[serde(default)]
            model_providers: BTreeMap<String, toml::Spanned<serde::de::IgnoredAny>>,
        }
        let spans: ProviderSpans = toml::from_str(&self.text).ok()?;
        let span = spans.model_providers.get(id)?.span();
        Some(line_at(&self.text, span.start))
    }
}

#[cfg(test)]
mod tests;
