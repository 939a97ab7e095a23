//! `read_file`: numbered lines of a local file, as upstream Codex's experimental tool returns them.
//!
//! Each returned line reads `L{n}: {text}`, lines are joined with `\n`, and every line is cut to
//! 500 bytes. `slice` mode returns `limit` lines from `offset`; `indentation` mode grows a block
//! around an anchor line by indentation. Bytes that are not UTF-8 become U+FFFD.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use super::tool_run::{clip_to_char_boundary, parse_args, ToolRun};

/// Longest line text returned, in bytes.
pub const MAX_LINE_BYTES: usize = 500;
/// Lines returned when the call gives no `limit`.
pub const DEFAULT_LIMIT: usize = 2000;
/// Columns a tab counts for when measuring indentation.
const TAB_COLUMNS: usize = 4;
/// Raw bytes kept per line before decoding; the rest of an over-long line is skipped unread.
const RAW_LINE_KEEP: usize = 4 * MAX_LINE_BYTES;
const COMMENT_MARKERS: [&str; 3] = ["#", "//", "--"];

#[derive(Deserialize)]
struct Args {
    file_path: String,
    #[serde(default = "one")]
    offset: usize,
    #[serde(default = "default_limit")]
    limit: usize,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    indentation: Option<IndentationArgs>,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Slice,
    Indentation,
}

#[derive(Deserialize)]
struct IndentationArgs {
    #[serde(default)]
    anchor_line: Option<usize>,
    #[serde(default)]
    max_levels: usize,
    #[serde(default)]
    include_siblings: bool,
    #[serde(default = "yes")]
    include_header: bool,
    #[serde(default)]
    max_lines: Option<usize>,
}

impl Default for IndentationArgs {
    fn default() -> Self {
        Self {
            anchor_line: None,
            max_levels: 0,
            include_siblings: false,
            include_header: true,
            max_lines: None,
        }
    }
}

fn one() -> usize {
    1
}
fn default_limit() -> usize {
    DEFAULT_LIMIT
}
fn yes() -> bool {
    true
}

/// Runs the tool. `file_path` must be absolute, so `cwd` is not consulted.
pub fn run(arguments_json: &str, _cwd: &Path) -> ToolRun {
    match read(arguments_json) {
        Ok(lines) => ToolRun::ok(lines.join("\n")),
        Err(reply) => reply,
    }
}

fn read(arguments_json: &str) -> Result<Vec<String>, ToolRun> {
    let args: Args = parse_args(arguments_json)?;
    if args.offset == 0 {
        return Err(ToolRun::fail("offset must be a 1-indexed line number"));
    }
    if args.limit == 0 {
        return Err(ToolRun::fail("limit must be greater than zero"));
    }
    let path = Path::new(&args.file_path);
    if !path.is_absolute() {
        return Err(ToolRun::fail("file_path must be an absolute path"));
    }
    match args.mode {
        Mode::Slice => read_slice(path, args.offset, args.limit),
        Mode::Indentation => {
            let options = args.indentation.unwrap_or_default();
            read_indented_block(path, args.offset, args.limit, &options)
        }
    }
}

fn io_failure(err: std::io::Error) -> ToolRun {
    ToolRun::fail(format!("failed to read file: {err}"))
}

/// Reads one line (without `\n` / `\r\n`) into `raw`, keeping at most [`RAW_LINE_KEEP`] bytes.
/// Returns false at end of file.
fn next_line(reader: &mut impl BufRead, raw: &mut Vec<u8>) -> std::io::Result<bool> {
    raw.clear();
    let mut saw_any = false;
    let mut overflowed = false;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        saw_any = true;
        let (piece, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        let room = RAW_LINE_KEEP.saturating_sub(raw.len());
        if piece.len() > room {
            overflowed = true;
        }
        raw.extend_from_slice(&piece[..piece.len().min(room)]);
        let used = done.unwrap_or(chunk.len());
        reader.consume(used);
        if done.is_some() {
            break;
        }
    }
    if !overflowed && raw.last() == Some(&b'\r') {
        raw.pop();
    }
    Ok(saw_any)
}

fn display(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    clip_to_char_boundary(&text, MAX_LINE_BYTES).to_string()
}

fn open(path: &Path) -> Result<BufReader<File>, ToolRun> {
    File::open(path).map(BufReader::new).map_err(io_failure)
}

fn read_slice(path: &Path, offset: usize, limit: usize) -> Result<Vec<String>, ToolRun> {
    let mut reader = open(path)?;
    let mut raw = Vec::new();
    let mut out = Vec::new();
    let mut number = 0usize;
    while out.len() < limit && next_line(&mut reader, &mut raw).map_err(io_failure)? {
        number += 1;
        if number >= offset {
            out.push(format!("L{number}: {}", display(&raw)));
        }
    }
    if number < offset {
        return Err(ToolRun::fail("offset exceeds file length"));
    }
    Ok(out)
}

/// One line of the file as the indentation mode sees it.
struct Line {
    number: usize,
    text: String,
    /// Indentation in columns; blank lines inherit the previous non-blank line's.
    indent: usize,
    blank: bool,
}

impl Line {
    fn is_comment(&self) -> bool {
        let trimmed = self.text.trim();
        COMMENT_MARKERS.iter().any(|m| trimmed.starts_with(m))
    }

    fn render(&self) -> String {
        format!(
            "L{}: {}",
            self.number,
            clip_to_char_boundary(&self.text, MAX_LINE_BYTES)
        )
    }
}

fn load_lines(path: &Path) -> Result<Vec<Line>, ToolRun> {
    let mut reader = open(path)?;
    let mut raw = Vec::new();
    let mut lines = Vec::new();
    let mut carried_indent = 0;
    while next_line(&mut reader, &mut raw).map_err(io_failure)? {
        let text = String::from_utf8_lossy(&raw).into_owned();
        let blank = text.trim().is_empty();
        if !blank {
            carried_indent = text
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .map(|c| if c == '\t' { TAB_COLUMNS } else { 1 })
                .sum();
        }
        lines.push(Line {
            number: lines.len() + 1,
            text,
            indent: carried_indent,
            blank,
        });
    }
    Ok(lines)
}

/// Grows a block around the anchor: upward and downward one line at a time while lines are at
/// least as indented as the floor (`max_levels` levels above the anchor, or column 0). A line at
/// the floor is a block boundary: without `include_siblings` only one is taken on each side
/// (plus, upward, comment lines when `include_header`).
fn read_indented_block(
    path: &Path,
    offset: usize,
    limit: usize,
    options: &IndentationArgs,
) -> Result<Vec<String>, ToolRun> {
    let anchor = options.anchor_line.unwrap_or(offset);
    if anchor == 0 {
        return Err(ToolRun::fail("anchor_line must be a 1-indexed line number"));
    }
    let cap = options.max_lines.unwrap_or(limit);
    if cap == 0 {
        return Err(ToolRun::fail("max_lines must be greater than zero"));
    }
    let lines = load_lines(path)?;
    if anchor > lines.len() {
        return Err(ToolRun::fail("anchor_line exceeds file length"));
    }
    let at = anchor - 1;
    let floor = if options.max_levels == 0 {
        0
    } else {
        lines[at]
            .indent
            .saturating_sub(options.max_levels * TAB_COLUMNS)
    };
    let wanted = limit.min(cap).min(lines.len());

    let (mut first, mut last) = (at, at); // inclusive range taken so far
    let (mut up_open, mut down_open) = (true, true);
    let (mut up_floor_seen, mut down_floor_seen) = (0usize, 0usize);
    let taken = |first: usize, last: usize| last - first + 1;

    while taken(first, last) < wanted && (up_open || down_open) {
        if up_open {
            if first == 0 || lines[first - 1].indent < floor {
                up_open = false;
            } else {
                let candidate = &lines[first - 1];
                let at_floor = candidate.indent == floor && !options.include_siblings;
                let allowed = !at_floor
                    || up_floor_seen == 0
                    || (options.include_header && candidate.is_comment());
                if allowed {
                    first -= 1;
                    if at_floor {
                        up_floor_seen += 1;
                    }
                } else {
                    up_open = false;
                }
            }
            if taken(first, last) >= wanted {
                break;
            }
        }
        if down_open {
            if last + 1 >= lines.len() || lines[last + 1].indent < floor {
                down_open = false;
            } else {
                let at_floor = lines[last + 1].indent == floor && !options.include_siblings;
                if at_floor && down_floor_seen > 0 {
                    down_open = false;
                } else {
                    last += 1;
                    if at_floor {
                        down_floor_seen += 1;
                    }
                }
            }
        }
    }

    while first < last && lines[first].blank {
        first += 1;
    }
    while last > first && lines[last].blank {
        last -= 1;
    }
    Ok(lines[first..=last].iter().map(Line::render).collect())
}

#[cfg(test)]
#[path = "read_file_tests.rs"]
mod tests;
