//! Where the prompt comes from: argv, stdin (`-` or nothing), or argv with piped stdin appended
//! as a `<stdin>` block, as `codex exec` does.

use std::io::{IsTerminal, Read};

/// Resolves the prompt; `Err` is the one-line message for the user.
pub fn resolve_prompt(arg: Option<&str>) -> Result<String, String> {
    let stdin = std::io::stdin();
    let piped = !stdin.is_terminal();
    match arg {
        Some("-") | None => {
            if !piped && arg.is_none() {
                return Err("no prompt given: pass PROMPT or pipe it on stdin".into());
            }
            let mut text = String::new();
            stdin
                .lock()
                .read_to_string(&mut text)
                .map_err(|e| format!("reading the prompt from stdin: {e}"))?;
            if text.trim().is_empty() {
                return Err("no prompt given: stdin was empty".into());
            }
            Ok(text)
        }
        Some(prompt) => {
            if !piped {
                return Ok(prompt.to_string());
            }
            let mut extra = String::new();
            let _ = stdin.lock().read_to_string(&mut extra);
            if extra.trim().is_empty() {
                Ok(prompt.to_string())
            } else {
                Ok(with_stdin_block(prompt, &extra))
            }
        }
    }
}

/// The prompt followed by piped input in a `<stdin>` block.
pub fn with_stdin_block(prompt: &str, stdin: &str) -> String {
    let body = stdin.strip_suffix('\n').unwrap_or(stdin);
    format!("{prompt}\n\n<stdin>\n{body}\n</stdin>")
}

#[cfg(test)]
mod tests {
    #[test]
    fn stdin_block_wraps_piped_text() {
        assert_eq!(
            super::with_stdin_block("summarize", "a\nb\n"),
            "summarize\n\n<stdin>\na\nb\n</stdin>"
        );
    }
}
