//! The JSON arguments the model sends to `exec_command` and `write_stdin`, parsed the way Codex
//! parses them (unknown fields ignored, Codex's defaults), with one readable error line.

use serde::Deserialize;

/// Default `yield_time_ms` for `exec_command`.
pub const DEFAULT_EXEC_YIELD_TIME_MS: u64 = 10_000;
/// Default `yield_time_ms` for `write_stdin`.
pub const DEFAULT_WRITE_STDIN_YIELD_TIME_MS: u64 = 250;

/// Arguments of an `exec_command` call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExecCommandArgs {
    /// Shell command line to run.
    pub cmd: String,
    /// Working directory; relative paths resolve against the session's cwd.
    #[serde(default)]
    pub workdir: Option<String>,
    /// How long to wait for output before returning (clamped to 250..=30000).
    #[serde(default = "default_exec_yield")]
    pub yield_time_ms: u64,
    /// Token budget for the returned output (default 10000).
    #[serde(default)]
    pub max_output_tokens: Option<usize>,
    /// Run under a pseudo-terminal; only then does `write_stdin` accept input.
    #[serde(default)]
    pub tty: bool,
    /// Shell binary to use instead of the configured default.
    #[serde(default)]
    pub shell: Option<String>,
    /// Use a login shell (`-lc`) rather than `-c`; the configured default when absent.
    #[serde(default)]
    pub login: Option<bool>,
    /// Why the model wants escalated permissions (accepted, not acted on here).
    #[serde(default)]
    pub justification: Option<String>,
    /// `use_default` or `require_escalated` (accepted, not acted on here).
    #[serde(default)]
    pub sandbox_permissions: Option<String>,
    /// Command prefix the model proposes to allow from now on (accepted, not acted on here).
    #[serde(default)]
    pub prefix_rule: Option<Vec<String>>,
}

/// Arguments of a `write_stdin` call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WriteStdinArgs {
    /// The id an earlier call reported as `Process running with session ID N`.
    pub session_id: i32,
    /// Bytes to type into the terminal; empty means only poll for output.
    #[serde(default)]
    pub chars: String,
    /// How long to wait for output (250..=30000 with input, 5000..=300000 for a bare poll).
    #[serde(default = "default_write_stdin_yield")]
    pub yield_time_ms: u64,
    /// Token budget for the returned output (default 10000).
    #[serde(default)]
    pub max_output_tokens: Option<usize>,
}

/// Arguments that are not valid JSON for the tool; its message goes to the model as is.
#[derive(Debug, thiserror::Error)]
#[error("failed to parse function arguments: {0}")]
pub struct ArgsError(#[from] serde_json::Error);

impl ExecCommandArgs {
    /// Parses the `arguments` string of a `function_call`.
    pub fn parse(arguments: &str) -> Result<Self, ArgsError> {
        Ok(serde_json::from_str(arguments)?)
    }
}

impl WriteStdinArgs {
    /// Parses the `arguments` string of a `function_call`.
    pub fn parse(arguments: &str) -> Result<Self, ArgsError> {
        Ok(serde_json::from_str(arguments)?)
    }
}

fn default_exec_yield() -> u64 {
    DEFAULT_EXEC_YIELD_TIME_MS
}

fn default_write_stdin_yield() -> u64 {
    DEFAULT_WRITE_STDIN_YIELD_TIME_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_defaults_and_all_fields() {
        let a = ExecCommandArgs::parse(r#"{"cmd":"ls"}"#).unwrap();
        assert_eq!(a.cmd, "ls");
        assert_eq!(a.yield_time_ms, 10_000);
        assert!(!a.tty);
        assert_eq!(a.login, None);
        let full = ExecCommandArgs::parse(
            r#"{"cmd":"x","workdir":"/tmp","yield_time_ms":1000,"max_output_tokens":12000,
               "tty":true,"shell":"/bin/sh","login":false,"justification":"why",
               "sandbox_permissions":"require_escalated","prefix_rule":["npm","test"],"extra":1}"#,
        )
        .unwrap();
        assert_eq!(full.workdir.as_deref(), Some("/tmp"));
        assert_eq!(full.max_output_tokens, Some(12_000));
        assert!(full.tty);
        assert_eq!(full.login, Some(false));
        assert_eq!(
            full.prefix_rule,
            Some(vec!["npm".to_string(), "test".to_string()])
        );
    }

    #[test]
    fn missing_cmd_and_bad_json_are_readable() {
        let err = ExecCommandArgs::parse(r#"{"workdir":"/"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to parse function arguments: missing field `cmd` at line 1 column 15"
        );
        let err = ExecCommandArgs::parse("{not json").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("failed to parse function arguments: key must be a string"));
        let err = ExecCommandArgs::parse(r#"{"cmd":"x","tty":"yes"}"#).unwrap_err();
        assert!(err.to_string().contains("invalid type: string \"yes\""));
    }

    #[test]
    fn write_stdin_defaults() {
        let a = WriteStdinArgs::parse(r#"{"session_id":1000}"#).unwrap();
        assert_eq!(a.session_id, 1000);
        assert_eq!(a.chars, "");
        assert_eq!(a.yield_time_ms, 250);
        assert!(WriteStdinArgs::parse(r#"{"chars":"x"}"#)
            .unwrap_err()
            .to_string()
            .contains("missing field `session_id`"));
    }
}
