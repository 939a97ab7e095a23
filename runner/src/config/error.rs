//! Configuration errors: one line each, naming the file, the line and the key at fault. None of
//! them ever carries a secret's value.

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
    /// A value that is in no single place: the profile and `-c` overrides built it.
    #[error("{key}: {message} (after the profile and -c overrides)")]
    Merged { key: String, message: String },
    #[error("Missing environment variable: `{var}` (needed by model provider `{provider}`; set it or put it in {home}/.env)")]
    MissingKey {
        var: String,
        provider: String,
        home: String,
    },
}
