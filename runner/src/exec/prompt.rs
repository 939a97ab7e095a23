//! Where the prompt comes from: argv, stdin (`-` or nothing), or argv with piped stdin appended
//! as a `<stdin>` block, as `codex exec` does; with a prompt on argv, stdin gets a grace period
//! (`stdin_wait`) unless `--stdin` or `--no-stdin` says otherwise.

use std::io::{IsTerminal, Read};

use super::stdin_wait::{stdin_ready_within, STDIN_GRACE};

/// Whether `exec` reads stdin when a prompt is also on argv.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdinMode {
    /// Read piped stdin if its first byte (or EOF) comes within `STDIN_GRACE`.
    Auto,
    /// `--stdin`: read it to EOF however long that takes.
    Wait,
    /// `--no-stdin`: never read it.
    Never,
}

impl StdinMode {
    /// The mode the `--stdin` / `--no-stdin` flags ask for (clap keeps them exclusive).
    pub fn from_flags(stdin: bool, no_stdin: bool) -> StdinMode {
        match (stdin, no_stdin) {
            (true, _) => StdinMode::Wait,
            (_, true) => StdinMode::Never,
            _ => StdinMode::Auto,
        }
    }
}

/// Resolves the prompt; `Err` is the one-line message for the user.
pub fn resolve_prompt(arg: Option<&str>, mode: StdinMode) -> Result<String, String> {
    let stdin = std::io::stdin();
    let piped = !stdin.is_terminal();
    match arg {
        Some("-") | None => {
            if mode == StdinMode::Never {
                return Err(match arg {
                    Some(_) => "prompt `-` reads stdin, which --no-stdin forbids".into(),
                    None => "no prompt given: pass PROMPT (--no-stdin does not read stdin)".into(),
                });
            }
            if !piped && arg.is_none() {
                return Err("no prompt given: pass PROMPT or pipe it on stdin".into());
            }
            let text =
                read_all(&stdin).map_err(|e| format!("reading the prompt from stdin: {e}"))?;
            if text.trim().is_empty() {
                return Err("no prompt given: stdin was empty".into());
            }
            Ok(text)
        }
        Some(prompt) => {
            let read = match mode {
                StdinMode::Never => false,
                StdinMode::Wait => true,
                StdinMode::Auto if !piped => false,
                StdinMode::Auto => {
                    let ready = stdin_ready_within(&stdin, STDIN_GRACE)
                        .map_err(|e| format!("waiting for stdin: {e}"))?;
                    if !ready {
                        eprintln!(
                            "rcodex: stdin gave nothing within {} ms; going on without it (pass --stdin to wait, or </dev/null to silence this)",
                            STDIN_GRACE.as_millis()
                        );
                    }
                    ready
                }
            };
            // Stdin is extra here: one that cannot be read (closed, not UTF-8) is left out.
            let extra = if read {
                read_all(&stdin).unwrap_or_else(|e| {
                    eprintln!("rcodex: cannot read stdin ({e}); going on without it");
                    String::new()
                })
            } else {
                String::new()
            };
            if extra.trim().is_empty() {
                Ok(prompt.to_string())
            } else {
                Ok(with_stdin_block(prompt, &extra))
            }
        }
    }
}

fn read_all(stdin: &std::io::Stdin) -> std::io::Result<String> {
    let mut text = String::new();
    stdin.lock().read_to_string(&mut text)?;
    Ok(text)
}

/// The prompt followed by piped input in a `<stdin>` block.
pub fn with_stdin_block(prompt: &str, stdin: &str) -> String {
    let body = stdin.strip_suffix('\n').unwrap_or(stdin);
    format!("{prompt}\n\n<stdin>\n{body}\n</stdin>")
}

#[cfg(test)]
mod tests {
    use super::StdinMode;

    #[test]
    fn stdin_block_wraps_piped_text() {
        assert_eq!(
            super::with_stdin_block("summarize", "a\nb\n"),
            "summarize\n\n<stdin>\na\nb\n</stdin>"
        );
    }

    #[test]
    fn flags_choose_the_stdin_mode() {
        assert_eq!(StdinMode::from_flags(false, false), StdinMode::Auto);
        assert_eq!(StdinMode::from_flags(true, false), StdinMode::Wait);
        assert_eq!(StdinMode::from_flags(false, true), StdinMode::Never);
    }
}
