//! Head+tail truncation of tool output at a token budget, as Codex does it.
//!
//! Codex estimates tokens as 4 bytes each (rounded up), keeps the first and last halves of the
//! byte budget on char boundaries, and puts `…N tokens truncated…` between them. Exec output that
//! is truncated also gets a two-line header (`Warning: truncated output (original token count:
//! N)` and `Total output lines: M`). This module is pure: the runner hands in text (or the head
//! and tail of a capped stream) and gets back exactly the string the model receives.

/// Codex's token estimate: this many bytes make one token.
pub const APPROX_BYTES_PER_TOKEN: usize = 4;

/// Token budget for exec output when the model sends no `max_output_tokens`.
pub const DEFAULT_MAX_OUTPUT_TOKENS: usize = 10_000;

/// Estimated tokens in `text`: its UTF-8 byte length divided by 4, rounded up.
pub fn approx_token_count(text: &str) -> usize {
    approx_tokens_from_bytes(text.len())
}

/// Estimated tokens in `bytes` bytes of text (division by 4, rounded up).
pub fn approx_tokens_from_bytes(bytes: usize) -> usize {
    bytes.div_ceil(APPROX_BYTES_PER_TOKEN)
}

/// Lines in `text` the way Rust's `str::lines` counts them (a trailing newline ends the last
/// line rather than starting a new one).
pub fn count_lines(text: &str) -> usize {
    text.lines().count()
}

/// Text that may have lost its middle: `head`, then `omitted_bytes` bytes nobody kept, then
/// `tail`. A capped output buffer produces this; a whole string is the case `omitted_bytes == 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplicedText<'a> {
    /// The beginning of the text, as kept.
    pub head: &'a str,
    /// Bytes dropped between `head` and `tail`.
    pub omitted_bytes: usize,
    /// The end of the text, as kept.
    pub tail: &'a str,
    /// Line count of the whole original text (see [`count_lines`]).
    pub total_lines: usize,
}

impl<'a> SplicedText<'a> {
    /// A complete text with nothing omitted.
    pub fn whole(text: &'a str) -> Self {
        SplicedText {
            head: text,
            omitted_bytes: 0,
            tail: "",
            total_lines: count_lines(text),
        }
    }

    /// Byte length of the original text.
    pub fn total_bytes(&self) -> usize {
        self.head
            .len()
            .saturating_add(self.omitted_bytes)
            .saturating_add(self.tail.len())
    }
}

/// Keeps the start and end of `text` within `max_tokens` (4 bytes each) and replaces the middle
/// with `…N tokens truncated…`. Returns `text` unchanged when it fits.
pub fn truncate_head_tail(text: &str, max_tokens: usize) -> String {
    truncate_spliced(&SplicedText::whole(text), max_tokens)
}

/// [`truncate_head_tail`] for text whose middle may already be gone.
pub fn truncate_spliced(text: &SplicedText<'_>, max_tokens: usize) -> String {
    let total = text.total_bytes();
    if total == 0 {
        return String::new();
    }
    let budget = max_tokens.saturating_mul(APPROX_BYTES_PER_TOKEN);
    if budget == 0 {
        return marker(approx_tokens_from_bytes(total));
    }
    if total <= budget && text.omitted_bytes == 0 {
        return [text.head, text.tail].concat();
    }
    let left = budget / 2;
    let right = budget - left;

    if text.omitted_bytes == 0 {
        let joined = [text.head, text.tail].concat();
        let (prefix, suffix) = split_head_tail(&joined, left, right);
        let removed = approx_tokens_from_bytes(total - budget);
        return assemble(prefix, &marker(removed), suffix);
    }

    let prefix = prefix_within(text.head, left);
    let suffix = suffix_within(text.tail, right);
    let removed_bytes = if text.head.len() >= left && text.tail.len() >= right {
        total.saturating_sub(budget)
    } else {
        // The kept pieces are shorter than the budget: say how much is really missing.
        total.saturating_sub(prefix.len() + suffix.len())
    };
    assemble(
        prefix,
        &marker(approx_tokens_from_bytes(removed_bytes)),
        suffix,
    )
}

/// Codex's exec-output truncation: unchanged when within `max_tokens`, otherwise a header with
/// the original token and line counts, a blank line, and the [`truncate_head_tail`] result.
pub fn formatted_truncate_text(text: &str, max_tokens: usize) -> String {
    formatted_truncate_spliced(&SplicedText::whole(text), max_tokens)
}

/// [`formatted_truncate_text`] for text whose middle may already be gone.
pub fn formatted_truncate_spliced(text: &SplicedText<'_>, max_tokens: usize) -> String {
    let total = text.total_bytes();
    let budget = max_tokens.saturating_mul(APPROX_BYTES_PER_TOKEN);
    if total <= budget && text.omitted_bytes == 0 {
        return [text.head, text.tail].concat();
    }
    format!(
        "Warning: truncated output (original token count: {})\nTotal output lines: {}\n\n{}",
        approx_tokens_from_bytes(total),
        text.total_lines,
        truncate_spliced(text, max_tokens)
    )
}

/// Whether an exec command is still running when its tool call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecStatus {
    /// The process exited with this code.
    Exited(i32),
    /// The process is alive; the model continues it with `write_stdin` and this session id.
    Running(i32),
}

/// Everything that goes into the text an `exec_command` / `write_stdin` call returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExecOutputView<'a> {
    /// Six hex digits naming this chunk of output; omitted from the text when empty.
    pub chunk_id: &'a str,
    /// Seconds spent waiting for output in this call.
    pub wall_time_secs: f64,
    /// Exited or still running.
    pub status: ExecStatus,
    /// Token estimate of the untruncated output.
    pub original_token_count: usize,
    /// The output after truncation (see [`formatted_truncate_text`]).
    pub output: &'a str,
}

/// Renders the text the model receives for an exec tool call, e.g.
/// `Chunk ID: 6936f4\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token
/// count: 48\nOutput:\n…`.
pub fn format_exec_output(view: &ExecOutputView<'_>) -> String {
    let mut out = String::with_capacity(view.output.len() + 128);
    if !view.chunk_id.is_empty() {
        out.push_str("Chunk ID: ");
        out.push_str(view.chunk_id);
        out.push('\n');
    }
    out.push_str(&format!("Wall time: {:.4} seconds\n", view.wall_time_secs));
    match view.status {
        ExecStatus::Exited(code) => out.push_str(&format!("Process exited with code {code}\n")),
        ExecStatus::Running(id) => out.push_str(&format!("Process running with session ID {id}\n")),
    }
    out.push_str(&format!(
        "Original token count: {}\nOutput:\n",
        view.original_token_count
    ));
    out.push_str(view.output);
    out
}

fn marker(removed_tokens: usize) -> String {
    format!("…{removed_tokens} tokens truncated…")
}

fn assemble(prefix: &str, marker: &str, suffix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + marker.len() + suffix.len());
    out.push_str(prefix);
    out.push_str(marker);
    out.push_str(suffix);
    out
}

/// The longest prefix of whole chars within `max` bytes.
fn prefix_within(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The suffix that starts at the first char beginning at or after `len - max`.
fn suffix_within(text: &str, max: usize) -> &str {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// Splits a text that is over budget into the kept prefix and suffix. They cannot overlap:
/// `left + right` is less than the text's length.
fn split_head_tail(text: &str, left: usize, right: usize) -> (&str, &str) {
    (prefix_within(text, left), suffix_within(text, right))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn token_estimate_rounds_up() {
        assert_eq!(approx_token_count(""), 0);
        assert_eq!(approx_token_count("a"), 1);
        assert_eq!(approx_token_count("abcd"), 1);
        assert_eq!(approx_token_count("abcde"), 2);
        assert_eq!(approx_tokens_from_bytes(8), 2);
        assert_eq!(approx_tokens_from_bytes(usize::MAX), usize::MAX / 4 + 1);
    }

    #[test]
    fn under_budget_is_identity() {
        assert_eq!(truncate_head_tail("example output", 10), "example output");
        assert_eq!(
            formatted_truncate_text("example output", 10),
            "example output"
        );
        assert_eq!(formatted_truncate_text("", 0), "");
    }

    #[test]
    fn over_budget_keeps_head_and_tail_with_marker() {
        let text = "this is an example of a long output that should be truncated";
        assert_eq!(
            truncate_head_tail(text, 5),
            "this is an…10 tokens truncated… truncated"
        );
        assert_eq!(
            formatted_truncate_text(text, 5),
            "Warning: truncated output (original token count: 15)\nTotal output lines: 1\n\n\
             this is an…10 tokens truncated… truncated"
        );
    }

    #[test]
    fn tiny_budget_and_line_count() {
        assert_eq!(
            formatted_truncate_text("example output", 1),
            "Warning: truncated output (original token count: 4)\nTotal output lines: 1\n\n\
             ex…3 tokens truncated…ut"
        );
        let two =
            "this is an example of a long output that should be truncated\nalso some other line";
        assert_eq!(
            formatted_truncate_text(two, 10),
            "Warning: truncated output (original token count: 21)\nTotal output lines: 2\n\n\
             this is an example o…11 tokens truncated…also some other line"
        );
    }

    #[test]
    fn zero_budget_is_marker_only() {
        assert_eq!(truncate_head_tail("abcdefgh", 0), "…2 tokens truncated…");
        assert_eq!(truncate_head_tail("", 0), "");
    }

    #[test]
    fn multibyte_chars_are_not_split() {
        let text = "😀😀😀😀😀😀😀😀😀😀\nsecond line with text\n";
        // Budget 20 bytes: 10 for the head (two 4-byte emoji), 10 for the tail.
        assert_eq!(
            truncate_head_tail(text, 5),
            "😀😀…11 tokens truncated…with text\n"
        );
    }

    #[test]
    fn spliced_matches_whole_text_when_pieces_cover_the_budget() {
        let whole: String = (0..2000).map(|i| format!("line {i}\n")).collect();
        let head = &whole[..600];
        let tail = &whole[whole.len() - 600..];
        let spliced = SplicedText {
            head,
            omitted_bytes: whole.len() - 1200,
            tail,
            total_lines: count_lines(&whole),
        };
        for tokens in [1, 10, 100, 250] {
            assert_eq!(
                formatted_truncate_spliced(&spliced, tokens),
                formatted_truncate_text(&whole, tokens),
                "tokens={tokens}"
            );
        }
    }

    #[test]
    fn spliced_with_short_pieces_reports_what_is_missing() {
        let spliced = SplicedText {
            head: "abcd",
            omitted_bytes: 100,
            tail: "wxyz",
            total_lines: 1,
        };
        assert_eq!(
            truncate_spliced(&spliced, 1000),
            "abcd…25 tokens truncated…wxyz"
        );
        assert!(formatted_truncate_spliced(&spliced, 1000)
            .starts_with("Warning: truncated output (original token count: 27)\n"));
    }

    #[test]
    fn exec_output_matches_codex_layout() {
        let text = format_exec_output(&ExecOutputView {
            chunk_id: "6936f4",
            wall_time_secs: 0.0,
            status: ExecStatus::Exited(0),
            original_token_count: 48,
            output: "total 16\n",
        });
        assert_eq!(
            text,
            "Chunk ID: 6936f4\nWall time: 0.0000 seconds\nProcess exited with code 0\n\
             Original token count: 48\nOutput:\ntotal 16\n"
        );
        let running = format_exec_output(&ExecOutputView {
            chunk_id: "",
            wall_time_secs: 1.00241,
            status: ExecStatus::Running(32244),
            original_token_count: 0,
            output: "",
        });
        assert_eq!(
            running,
            "Wall time: 1.0024 seconds\nProcess running with session ID 32244\n\
             Original token count: 0\nOutput:\n"
        );
    }

    #[test]
    fn exit_code_can_be_negative() {
        let text = format_exec_output(&ExecOutputView {
            chunk_id: "a",
            wall_time_secs: 2.5,
            status: ExecStatus::Exited(-1),
            original_token_count: 1,
            output: "x",
        });
        assert!(text.contains("Wall time: 2.5000 seconds\nProcess exited with code -1\n"));
    }

    proptest! {
        #[test]
        fn truncation_respects_budget(text in "\\PC{0,400}", tokens in 0usize..60) {
            let out = truncate_head_tail(&text, tokens);
            let budget = tokens * APPROX_BYTES_PER_TOKEN;
            if text.len() <= budget && tokens > 0 || text.is_empty() {
                prop_assert_eq!(&out, &text);
            } else {
                let removed = approx_tokens_from_bytes(text.len() - budget);
                let m = marker(removed);
                let at = out.find(&m).expect("marker present");
                let (prefix, suffix) = (&out[..at], &out[at + m.len()..]);
                prop_assert!(out.len() <= budget + m.len());
                prop_assert!(prefix.len() <= budget / 2);
                prop_assert!(suffix.len() <= budget - budget / 2);
                prop_assert!(text.starts_with(prefix));
                prop_assert!(text.ends_with(suffix));
                prop_assert!(prefix.len() + suffix.len() <= text.len());
                // The kept pieces are as long as char boundaries allow (at most 3 bytes short).
                if budget > 0 {
                    prop_assert!(prefix.len() + 3 >= (budget / 2).min(text.len()));
                }
            }
        }

        #[test]
        fn formatted_is_identity_or_has_header(text in "[a-z\\n]{0,300}", tokens in 1usize..80) {
            let out = formatted_truncate_text(&text, tokens);
            if text.len() <= tokens * 4 {
                prop_assert_eq!(out, text);
            } else {
                let header = format!(
                    "Warning: truncated output (original token count: {})\nTotal output lines: {}\n\n",
                    approx_token_count(&text),
                    count_lines(&text)
                );
                prop_assert!(out.starts_with(&header));
                prop_assert!(out.contains("tokens truncated…"));
            }
        }

        #[test]
        fn spliced_equals_whole(text in "\\PC{50,300}", tokens in 1usize..10, cut in 0usize..20) {
            // Drop `cut` bytes from the middle, keeping at least the budget on each side.
            let budget = tokens * 4;
            prop_assume!(text.len() > 2 * budget + cut + 8);
            let mut head_end = budget + 4;
            while !text.is_char_boundary(head_end) { head_end += 1; }
            let mut tail_start = head_end + cut;
            while !text.is_char_boundary(tail_start) { tail_start += 1; }
            prop_assume!(text.len() - tail_start >= budget);
            let spliced = SplicedText {
                head: &text[..head_end],
                omitted_bytes: tail_start - head_end,
                tail: &text[tail_start..],
                total_lines: count_lines(&text),
            };
            prop_assert_eq!(
                formatted_truncate_spliced(&spliced, tokens),
                formatted_truncate_text(&text, tokens)
            );
        }
    }
}
