//! The checks that need no network: config.toml found and parsed, the profile, the provider and
//! model resolved, and the provider's key present. They reuse `load_config`, whose errors already
//! name the file, line and field; the key's value is never shown, only its length.

use std::path::Path;

use crate::config::{load_config, Config, ConfigError, ConfigOverrides, WireApi};

use super::check::{Check, Status};

/// What the offline checks found: their lines, and the config and key when both resolved.
pub struct Setup {
    pub checks: Vec<Check>,
    pub config: Option<Config>,
    pub api_key: Option<String>,
}

/// Runs the offline checks in order; after a failure the later ones are reported skipped.
pub fn check_setup(
    codex_home: &Path,
    overrides: &ConfigOverrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Setup {
    let path = codex_home.join("config.toml");
    let shown = path.display().to_string();
    let mut checks = Vec::new();
    let config = match load_config(Some(codex_home.to_path_buf()), overrides, env) {
        Ok(config) => config,
        Err(e) => {
            checks.extend(config_failure(&shown, &e));
            for name in ["profile", "provider", "model", "key"] {
                if !checks.iter().any(|c| c.name == name) {
                    checks.push(Check::skipped(name, "config did not load"));
                }
            }
            return Setup {
                checks,
                config: None,
                api_key: None,
            };
        }
    };
    checks.push(if path.is_file() {
        Check::ok("config", format!("{shown} parsed"))
    } else {
        Check::ok("config", format!("no {shown}; using defaults"))
    });
    // Codex 0.169 reads `-p NAME` from `$CODEX_HOME/NAME.config.toml` and runs without one that
    // is missing; doctor says so.
    checks.push(match &overrides.profile {
        Some(name) => {
            let file = crate::config::profile_path(codex_home, name);
            if file.is_file() {
                Check::ok(
                    "profile",
                    format!("profile {name:?} applied ({})", file.display()),
                )
            } else {
                let e = ConfigError::UnknownProfile {
                    path: file.display().to_string(),
                    name: name.clone(),
                };
                Check::fail(
                    "profile",
                    e.to_string(),
                    format!(
                        "create {} (Codex 0.169's profile file) or drop -p",
                        file.display()
                    ),
                )
            }
        }
        None => Check::ok("profile", "none selected; top-level settings"),
    });
    let p = &config.provider;
    let origin = if is_configured(&config) {
        format!("[model_providers.{}]", p.id)
    } else {
        "built-in".to_string()
    };
    let provider_line = format!("{} ({}, {origin}) -> {}", p.id, p.name, p.api_url());
    checks.push(Check::ok(
        "provider",
        format!("{provider_line} (wire_api {})", wire_api_name(p.wire_api)),
    ));
    checks.push(Check::ok("model", config.model.clone()));
    let (mut key_check, api_key) = check_key(&config, env);
    if key_check.status == Status::Ok {
        if let Some(warning) = unset_header_vars(&config, env) {
            key_check = warning;
        }
    }
    checks.push(key_check);
    Setup {
        checks,
        config: Some(config),
        api_key,
    }
}

/// A config that did not load: which check it belongs to (a bad file, profile or provider).
fn config_failure(shown: &str, e: &ConfigError) -> Vec<Check> {
    let parsed = || Check::ok("config", format!("{shown} parsed"));
    match e {
        ConfigError::UnknownProfile { .. } => vec![
            parsed(),
            Check::fail(
                "profile",
                e.to_string(),
                "create $CODEX_HOME/NAME.config.toml or pick an existing profile with -p",
            ),
        ],
        ConfigError::UnknownProvider { .. } => vec![
            parsed(),
            Check::ok("profile", "resolved"),
            Check::fail(
                "provider",
                e.to_string(),
                "set model_provider to a known id or add a [model_providers.ID] table",
            ),
        ],
        ConfigError::Override { .. } => vec![Check::fail(
            "config",
            e.to_string(),
            "correct the -c key=value override",
        )],
        _ => vec![Check::fail(
            "config",
            e.to_string(),
            "correct the line and field named above",
        )],
    }
}

/// The key from the provider's `env_key`, shown only as its variable and length.
fn check_key(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> (Check, Option<String>) {
    let Some(var) = config.provider.env_key.clone() else {
        return (
            Check::ok(
                "key",
                format!("provider {} needs no key (no env_key)", config.provider.id),
            ),
            None,
        );
    };
    match config.provider.api_key(env) {
        Ok(Some(key)) => (
            Check::ok("key", format!("{var} set ({} chars)", key.chars().count())),
            Some(key),
        ),
        Ok(None) | Err(_) => (
            Check::fail(
                "key",
                format!(
                    "{var} is not set (needed by provider {})",
                    config.provider.id
                ),
                format!(
                    "set {var} or put it in {}/.env",
                    config.codex_home.display()
                ),
            ),
            None,
        ),
    }
}

/// Whether the selected provider is a `[model_providers.ID]` table rather than a built-in.
pub fn is_configured(config: &Config) -> bool {
    config
        .raw
        .get("model_providers")
        .and_then(|t| t.get(&config.provider.id))
        .is_some()
}

pub fn wire_api_name(w: WireApi) -> &'static str {
    match w {
        WireApi::Responses => "responses",
        WireApi::Chat => "chat",
    }
}

/// `env_http_headers` whose variable is unset: those headers are silently left out of requests.
fn unset_header_vars(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Option<Check> {
    let unset: Vec<&(String, String)> = config
        .provider
        .env_http_headers
        .iter()
        .filter(|(_, var)| env(var).is_none_or(|v| v.is_empty()))
        .collect();
    if unset.is_empty() {
        return None;
    }
    let missing: Vec<String> = unset
        .iter()
        .map(|(header, var)| format!("{header} (from {var})"))
        .collect();
    let vars: Vec<&str> = unset.iter().map(|(_, var)| var.as_str()).collect();
    Some(Check::warn(
        "key",
        format!(
            "model_providers.{}.env_http_headers: not sent, variable unset: {}",
            config.provider.id,
            missing.join(", ")
        ),
        format!(
            "set {} or put it in {}/.env",
            vars.join(", "),
            config.codex_home.display()
        ),
    ))
}
