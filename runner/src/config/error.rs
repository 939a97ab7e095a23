//! Configuration errors: one line each, naming the file, the line and the key at fault. None of
//! them ever carries a secret's value.

use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}:{line}: {key}: {message}")]
    Invalid {
        path: String,
        line: usize,
        key: String,
        message: String,
    },
    #[error("{path}: profile: no profile named {name:?}")]
    UnknownProfile { path: String, name: String },
    #[error("{path}: model_provider: unknown provider {id:?} (known: {known})")]
    UnknownProvider {
        path: String,
        id: String,
        known: String,
    },
    #[error("-c {raw}: {message}")]
    Override { raw: String, message: String },
    #[error("Missing environment variable: `{var}` (needed by model provider `{provider}`; set it or put it in {home}/.env)")]
    MissingKey {
        var: String,
        provider: String,
        home: String,
    },
}

impl ConfigError {
    pub(crate) fn parse(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
        let line = toml_error_line(text, e);
        ConfigError::Parse {
            path: path.display().to_string(),
            line,
            message: one_line(e.message()),
        }
    }
}

/// Folds a multi-line parser message into one line (`invalid array; expected `]``).
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The 1-based line a TOML parse error points at (1 when it has no position).
pub fn toml_error_line(text: &str, e: &toml::de::Error) -> usize {
    e.span().map_or(1, |s| {
        text[..s.start.min(text.len())].matches('\n').count() + 1
    })
}
