//! `list_dir`: a depth-limited, indented listing of a local directory, in upstream Codex's format.
//!
//! Output: `Absolute path: <dir>` then one entry per line, two spaces of indent per level, names
//! suffixed `/` (directory), `@` (symlink) or `?` (other); files have no suffix. Entries are
//! gathered breadth-first and sorted by their relative path, so children follow their parent.
//! `offset`/`limit` pick a window of that list; a cut list ends `More than {n} entries found`.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::tool_run::{clip_to_char_boundary, parse_args, ToolRun};

/// Longest entry name shown, in bytes.
pub const MAX_NAME_BYTES: usize = 500;
/// Entries gathered before the walk stops, bounding time and memory on huge trees.
pub const MAX_COLLECTED_ENTRIES: usize = 100_000;
const INDENT_PER_LEVEL: usize = 2;

#[derive(Deserialize)]
struct Args {
    dir_path: String,
    #[serde(default = "one")]
    offset: usize,
    #[serde(default = "default_limit")]
    limit: usize,
    #[serde(default = "default_depth")]
    depth: usize,
}

fn one() -> usize {
    1
}
fn default_limit() -> usize {
    25
}
fn default_depth() -> usize {
    2
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink,
    Other,
}

struct Entry {
    /// Relative path with `/` separators; the sort key.
    key: String,
    name: String,
    level: usize,
    kind: Kind,
}

impl Entry {
    fn render(&self) -> String {
        let marker = match self.kind {
            Kind::Dir => "/",
            Kind::Symlink => "@",
            Kind::Other => "?",
            Kind::File => "",
        };
        format!(
            "{}{}{marker}",
            " ".repeat(self.level * INDENT_PER_LEVEL),
            self.name
        )
    }
}

/// Runs the tool. `dir_path` must be absolute, so `cwd` is not consulted.
pub fn run(arguments_json: &str, _cwd: &Path) -> ToolRun {
    match list(arguments_json) {
        Ok(text) => ToolRun::ok(text),
        Err(reply) => reply,
    }
}

fn list(arguments_json: &str) -> Result<String, ToolRun> {
    let args: Args = parse_args(arguments_json)?;
    if args.offset == 0 {
        return Err(ToolRun::fail("offset must be a 1-indexed entry number"));
    }
    if args.limit == 0 {
        return Err(ToolRun::fail("limit must be greater than zero"));
    }
    if args.depth == 0 {
        return Err(ToolRun::fail("depth must be greater than zero"));
    }
    let root = PathBuf::from(&args.dir_path);
    if !root.is_absolute() {
        return Err(ToolRun::fail("dir_path must be an absolute path"));
    }
    let mut entries = collect(&root, args.depth)?;
    let mut lines = vec![format!("Absolute path: {}", root.display())];
    if !entries.is_empty() {
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        let start = args.offset - 1;
        if start >= entries.len() {
            return Err(ToolRun::fail("offset exceeds directory entry count"));
        }
        let end = start + args.limit.min(entries.len() - start);
        lines.extend(entries[start..end].iter().map(Entry::render));
        if end < entries.len() {
            lines.push(format!("More than {} entries found", end - start));
        }
    }
    Ok(lines.join("\n"))
}

fn collect(root: &Path, depth: usize) -> Result<Vec<Entry>, ToolRun> {
    let mut out = Vec::new();
    let mut queue = VecDeque::from([(root.to_path_buf(), String::new(), 0usize)]);
    while let Some((dir, prefix, level)) = queue.pop_front() {
        let reader = std::fs::read_dir(&dir)
            .map_err(|err| ToolRun::fail(format!("failed to read directory: {err}")))?;
        let mut here = Vec::new();
        for item in reader {
            let item =
                item.map_err(|err| ToolRun::fail(format!("failed to read directory: {err}")))?;
            let file_type = item
                .file_type()
                .map_err(|err| ToolRun::fail(format!("failed to inspect entry: {err}")))?;
            let kind = if file_type.is_symlink() {
                Kind::Symlink
            } else if file_type.is_dir() {
                Kind::Dir
            } else if file_type.is_file() {
                Kind::File
            } else {
                Kind::Other
            };
            let raw_name = item.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                raw_name.clone()
            } else {
                format!("{prefix}/{raw_name}")
            };
            here.push((
                item.path(),
                Entry {
                    key: clip_to_char_boundary(&rel, MAX_NAME_BYTES).to_string(),
                    name: clip_to_char_boundary(&raw_name, MAX_NAME_BYTES).to_string(),
                    level,
                    kind,
                },
                rel,
            ));
        }
        here.sort_by(|a, b| a.1.key.cmp(&b.1.key));
        for (path, entry, rel) in here {
            if entry.kind == Kind::Dir && level + 1 < depth {
                queue.push_back((path, rel, level + 1));
            }
            out.push(entry);
            if out.len() >= MAX_COLLECTED_ENTRIES {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn call(args: serde_json::Value) -> ToolRun {
        run(&args.to_string(), Path::new("/"))
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        fs::create_dir_all(p.join("src/deep/deeper")).unwrap();
        fs::write(p.join("src/lib.rs"), "x").unwrap();
        fs::write(p.join("src/deep/d.txt"), "x").unwrap();
        fs::write(p.join("README.md"), "x").unwrap();
        fs::write(p.join("b.txt"), "x").unwrap();
        std::os::unix::fs::symlink(p.join("b.txt"), p.join("link")).unwrap();
        dir
    }

    #[test]
    fn default_depth_two_lists_children_under_parents() {
        let dir = tree();
        let r = call(serde_json::json!({"dir_path": dir.path()}));
        assert!(r.success);
        let expected = format!(
            "Absolute path: {}\nREADME.md\nb.txt\nlink@\nsrc/\n  deep/\n  lib.rs",
            dir.path().display()
        );
        assert_eq!(r.output, expected);
    }

    #[test]
    fn depth_three_descends_further() {
        let dir = tree();
        let r = call(serde_json::json!({"dir_path": dir.path(), "depth": 3}));
        assert!(
            r.output
                .ends_with("src/\n  deep/\n    d.txt\n    deeper/\n  lib.rs"),
            "{}",
            r.output
        );
    }

    #[test]
    fn offset_and_limit_window_with_more_marker() {
        let dir = tree();
        let r = call(serde_json::json!({"dir_path": dir.path(), "offset": 2, "limit": 2}));
        let body: Vec<&str> = r.output.lines().skip(1).collect();
        assert_eq!(body, ["b.txt", "link@", "More than 2 entries found"]);
        let r = call(serde_json::json!({"dir_path": dir.path(), "offset": 7}));
        assert_eq!(r, ToolRun::fail("offset exceeds directory entry count"));
    }

    #[test]
    fn empty_directory_lists_only_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let r = call(serde_json::json!({"dir_path": dir.path(), "offset": 5}));
        assert_eq!(
            r,
            ToolRun::ok(format!("Absolute path: {}", dir.path().display()))
        );
    }

    #[test]
    fn bad_inputs_use_codex_texts() {
        let dir = tree();
        let d = dir.path();
        let cases = [
            (
                serde_json::json!({"dir_path": d, "offset": 0}),
                "offset must be a 1-indexed entry number",
            ),
            (
                serde_json::json!({"dir_path": d, "limit": 0}),
                "limit must be greater than zero",
            ),
            (
                serde_json::json!({"dir_path": d, "depth": 0}),
                "depth must be greater than zero",
            ),
            (
                serde_json::json!({"dir_path": "rel/dir"}),
                "dir_path must be an absolute path",
            ),
            (
                serde_json::json!({"dir_path": d.join("nope")}),
                "failed to read directory: No such file or directory (os error 2)",
            ),
            (
                serde_json::json!({"dir_path": d.join("b.txt")}),
                "failed to read directory: Not a directory (os error 20)",
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(call(args.clone()), ToolRun::fail(expected), "{args}");
        }
        let r = run("not json", Path::new("/"));
        assert!(r.output.starts_with("failed to parse function arguments: "));
        let r = call(serde_json::json!({"depth": 1}));
        assert!(
            r.output.contains("missing field `dir_path`"),
            "{}",
            r.output
        );
    }

    #[test]
    fn huge_limit_is_fine_and_many_entries_are_capped_by_limit() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..300 {
            fs::write(dir.path().join(format!("f{i:03}")), "").unwrap();
        }
        let r = call(serde_json::json!({"dir_path": dir.path()}));
        assert_eq!(r.output.lines().count(), 1 + 25 + 1);
        assert!(r.output.ends_with("More than 25 entries found"));
        let r = call(serde_json::json!({"dir_path": dir.path(), "limit": 100000}));
        assert_eq!(r.output.lines().count(), 301);
    }
}
