//! The arguments of the five sub-agent tools and the checks Codex 0.169 makes before it acts on
//! them, with its answers word for word (captured): a malformed call is answered to the model,
//! never fatal.

use serde::Deserialize;

/// Codex's `wait_agent` timeouts (its schema says so: default 30 s, clamped to 10 s – 1 h).
pub const DEFAULT_WAIT_MS: i64 = 30_000;
/// See [`DEFAULT_WAIT_MS`].
pub const MIN_WAIT_MS: i64 = 10_000;
/// See [`DEFAULT_WAIT_MS`].
pub const MAX_WAIT_MS: i64 = 3_600_000;

pub use super::input::InputItem;

/// `spawn_agent`'s arguments (`fork_context`: the child starts from the parent's history).
#[derive(Debug, Deserialize)]
pub struct SpawnArgs {
    pub message: Option<String>,
    pub items: Option<Vec<InputItem>>,
    #[serde(default)]
    pub fork_context: bool,
    pub model: Option<String>,
    pub reasoning_effort: Option<String>,
}

/// `send_input`'s arguments.
#[derive(Debug, Deserialize)]
pub struct SendArgs {
    pub target: String,
    pub message: Option<String>,
    pub items: Option<Vec<InputItem>>,
    #[serde(default)]
    pub interrupt: bool,
}

/// `wait_agent`'s arguments.
#[derive(Debug, Deserialize)]
pub struct WaitArgs {
    pub targets: Vec<String>,
    pub timeout_ms: Option<f64>,
}

/// `close_agent`'s arguments.
#[derive(Debug, Deserialize)]
pub struct CloseArgs {
    pub target: String,
}

/// `resume_agent`'s arguments.
#[derive(Debug, Deserialize)]
pub struct ResumeArgs {
    pub id: String,
}

/// Parses a call's JSON arguments as Codex does, with its error text.
pub fn parse<T: for<'de> Deserialize<'de>>(arguments: &str) -> Result<T, String> {
    serde_json::from_str(arguments).map_err(|e| format!("failed to parse function arguments: {e}"))
}

/// An agent id as Codex parses it, with its error text: the uuid parser's error as Codex prints
/// it, whose `ParseChar` index counts from 1 (captured: `'n', index: 1` for "not-an-id"), where
/// the uuid crate we build with counts from 0.
pub fn agent_id(text: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(text)
        .map(|_| text.to_string())
        .map_err(|e| {
            let shown = format!("{e:?}");
            let shown = match shown.split_once("index: ") {
                Some((head, tail)) if shown.contains("ParseChar") => {
                    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
                    let index: usize = digits.parse().unwrap_or(0);
                    format!("{head}index: {}{}", index + 1, &tail[digits.len()..])
                }
                _ => shown,
            };
            format!("invalid agent id {text}: {shown}")
        })
}

/// The wait in ms: Codex's default when unset, its error for zero or less, clamped otherwise.
pub fn wait_ms(timeout_ms: Option<f64>) -> Result<u64, String> {
    let ms = timeout_ms.map_or(DEFAULT_WAIT_MS, |t| t as i64);
    if ms <= 0 {
        return Err("timeout_ms must be greater than zero".into());
    }
    Ok(ms.clamp(MIN_WAIT_MS, MAX_WAIT_MS) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_codexs_words() {
        assert_eq!(
            agent_id("not-an-id").unwrap_err(),
            "invalid agent id not-an-id: Error(ParseChar { character: 'n', index: 1 })"
        );
        assert_eq!(
            parse::<SendArgs>(r#"{"target": null}"#).unwrap_err(),
            "failed to parse function arguments: invalid type: null, expected a string at line 1 column 15"
        );
        assert_eq!(
            super::super::input::child_input(&None, &None, std::path::Path::new("/"), true)
                .unwrap_err(),
            "Provide one of: message or items"
        );
        assert_eq!(
            wait_ms(Some(0.0)).unwrap_err(),
            "timeout_ms must be greater than zero"
        );
    }

    #[test]
    fn waits_default_and_clamp_as_codex_says() {
        assert_eq!(wait_ms(None), Ok(30_000));
        assert_eq!(wait_ms(Some(1.0)), Ok(10_000));
        assert_eq!(wait_ms(Some(5e9)), Ok(3_600_000));
        assert_eq!(wait_ms(Some(12_345.0)), Ok(12_345));
    }
}
