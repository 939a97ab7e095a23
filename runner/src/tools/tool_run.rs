//! The result every simple tool hands back: the text the model reads and whether it succeeded.
//!
//! Codex answers a bad call with a plain-text `function_call_output` rather than failing the turn;
//! [`ToolRun::fail`] is that answer, and [`parse_args`] produces Codex's argument-parse message.

use serde::de::DeserializeOwned;

/// Outcome of one tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRun {
    /// The `output` string of the `function_call_output` item.
    pub output: String,
    /// Whether the call did what was asked (for events and logs; the model sees only `output`).
    pub success: bool,
}

impl ToolRun {
    /// A successful call.
    pub fn ok(output: impl Into<String>) -> Self {
        Self {
            output: output.into(),
            success: true,
        }
    }

    /// A call answered with an error text.
    pub fn fail(output: impl Into<String>) -> Self {
        Self {
            output: output.into(),
            success: false,
        }
    }
}

/// Parses JSON arguments, or returns Codex's reply to malformed ones
/// (`failed to parse function arguments: <serde message>`).
pub fn parse_args<T: DeserializeOwned>(arguments_json: &str) -> Result<T, ToolRun> {
    serde_json::from_str(arguments_json)
        .map_err(|err| ToolRun::fail(format!("failed to parse function arguments: {err}")))
}

/// Cuts `text` to at most `max_bytes` bytes without splitting a character.
pub fn clip_to_char_boundary(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Args {
        #[allow(dead_code)]
        path: String,
    }

    #[test]
    fn parse_errors_use_codex_wording() {
        let err = parse_args::<Args>("{bad").unwrap_err();
        assert_eq!(
            err.output,
            "failed to parse function arguments: key must be a string at line 1 column 2"
        );
        assert!(!err.success);
        let err = parse_args::<Args>("{}").unwrap_err();
        assert_eq!(
            err.output,
            "failed to parse function arguments: missing field `path` at line 1 column 2"
        );
    }

    #[test]
    fn clipping_respects_char_boundaries() {
        assert_eq!(clip_to_char_boundary("héllo", 2), "h");
        assert_eq!(clip_to_char_boundary("héllo", 3), "hé");
        assert_eq!(clip_to_char_boundary("abc", 10), "abc");
    }
}
