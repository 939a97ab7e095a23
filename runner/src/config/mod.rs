//! Codex-compatible configuration: `$CODEX_HOME/config.toml`, profiles, `-c key.path=value`
//! overrides, `$CODEX_HOME/.env`, and model providers (built-in and configured).
//!
//! Precedence, highest first: CLI flags, `-c` overrides, the selected profile, config.toml,
//! defaults.

mod dotenv;
mod error;
mod overrides;
mod provider;

pub use dotenv::load_dotenv;
pub use error::{one_line, toml_error_line, ConfigError};
pub use overrides::apply_override;
pub use provider::{ProviderInfo, WireApi};

use std::path::{Path, PathBuf};

use rcodex_core::sandbox::SandboxMode;
use toml::{Table, Value};

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
    /// The merged table, for keys this struct does not model.
    pub raw: Table,
}

/// The default model when config names none.
pub const DEFAULT_MODEL: &str = "gpt-5.5";

/// Loads and resolves the configuration.
pub fn load_config(
    codex_home: Option<PathBuf>,
    cli: &ConfigOverrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let codex_home = codex_home.unwrap_or_else(codex_home_from_env);
    let path = codex_home.join("config.toml");
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
    let mut table: Table =
        toml::from_str(&text).map_err(|e| ConfigError::parse(&path, &text, &e))?;
    let src = Source {
        path: &path,
        text: &text,
    };

    let profile_name = match &cli.profile {
        Some(p) => Some(p.clone()),
        None => opt_string(&table, &["profile"], &src)?,
    };
    if let Some(name) = profile_name {
        let profile = match table.get("profiles").and_then(|p| p.get(&name)) {
            Some(Value::Table(t)) => t.clone(),
            Some(_) => return Err(src.wrong_type(&format!("profiles.{name}"), "a table")),
            None => {
                return Err(ConfigError::UnknownProfile {
                    path: path.display().to_string(),
                    name,
                })
            }
        };
        for (k, v) in profile {
            table.insert(k, v);
        }
    }
    for raw in &cli.config_overrides {
        apply_override(&mut table, raw)?;
    }

    let model = cli
        .model
        .clone()
        .map_or_else(|| opt_string(&table, &["model"], &src), |m| Ok(Some(m)))?
        .unwrap_or_else(|| DEFAULT_MODEL.to_string());
    let provider_id =
        opt_string(&table, &["model_provider"], &src)?.unwrap_or_else(|| "openai".into());
    let provider = provider::resolve(&table, &provider_id, &src, env)?;
    let sandbox_mode = match cli.sandbox_mode {
        Some(m) => Some(m),
        None => match opt_string(&table, &["sandbox_mode"], &src)? {
            None => None,
            Some(s) => Some(parse_sandbox(&s).ok_or_else(|| {
                src.invalid(
                    "sandbox_mode",
                    &format!("{s:?} is not read-only, workspace-write or danger-full-access"),
                )
            })?),
        },
    };
    let tool = |name: &str| {
        opt_bool(&table, &["tools", name, "enabled"], &src).map(|b| b.unwrap_or(false))
    };
    let tools = ToolsToggles {
        update_plan: tool("update_plan")?,
        read_file: tool("read_file")?,
        list_dir: tool("list_dir")?,
        grep_files: tool("grep_files")?,
    };
    Ok(Config {
        codex_home,
        model,
        model_provider_id: provider_id,
        provider,
        sandbox_mode,
        model_reasoning_effort: opt_string(&table, &["model_reasoning_effort"], &src)?,
        model_verbosity: opt_string(&table, &["model_verbosity"], &src)?,
        tools,
        raw: table,
    })
}

/// Parses a sandbox mode as Codex spells it.
pub fn parse_sandbox(s: &str) -> Option<SandboxMode> {
    match s {
        "read-only" => Some(SandboxMode::ReadOnly),
        "workspace-write" => Some(SandboxMode::WorkspaceWrite),
        "danger-full-access" => Some(SandboxMode::DangerFullAccess),
        _ => None,
    }
}

/// The config file, for error messages that name file, line and key.
pub(crate) struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// The line where `key.path`'s last segment is assigned (1 if not found, e.g. from `-c`).
    pub fn line_of(&self, key: &str) -> usize {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        self.text
            .lines()
            .position(|l| {
                let l = l.trim_start();
                (l.starts_with(leaf) && l[leaf.len()..].trim_start().starts_with('='))
                    || l.starts_with(&format!("\"{leaf}\""))
            })
            .map_or(1, |i| i + 1)
    }

    pub fn wrong_type(&self, key: &str, expected: &str) -> ConfigError {
        self.invalid(key, &format!("expected {expected}"))
    }

    pub fn invalid(&self, key: &str, message: &str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.display().to_string(),
            line: self.line_of(key),
            key: key.to_string(),
            message: message.to_string(),
        }
    }
}

fn lookup<'t>(table: &'t Table, path: &[&str]) -> Option<&'t Value> {
    let (first, rest) = path.split_first()?;
    let mut v = table.get(*first)?;
    for k in rest {
        v = v.get(k)?;
    }
    Some(v)
}

pub(crate) fn opt_string(
    table: &Table,
    path: &[&str],
    src: &Source,
) -> Result<Option<String>, ConfigError> {
    match lookup(table, path) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(src.wrong_type(&path.join("."), "a string")),
    }
}

pub(crate) fn opt_bool(
    table: &Table,
    path: &[&str],
    src: &Source,
) -> Result<Option<bool>, ConfigError> {
    match lookup(table, path) {
        None => Ok(None),
        Some(Value::Boolean(b)) => Ok(Some(*b)),
        Some(_) => Err(src.wrong_type(&path.join("."), "a boolean")),
    }
}

pub(crate) fn opt_u64(
    table: &Table,
    path: &[&str],
    src: &Source,
) -> Result<Option<u64>, ConfigError> {
    match lookup(table, path) {
        None => Ok(None),
        Some(Value::Integer(i)) if *i >= 0 => Ok(Some(*i as u64)),
        Some(_) => Err(src.wrong_type(&path.join("."), "a non-negative integer")),
    }
}

#[cfg(test)]
mod tests;
