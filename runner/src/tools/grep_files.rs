//! `grep_files`: which files under a path contain a regex match, newest first.
//!
//! Upstream runs `rg --files-with-matches --sortr=modified --regexp P --no-messages [--glob G] --
//! PATH`; this is the same search in-process with the `ignore` crate (ripgrep's own walker): hidden
//! files and git-ignored paths are skipped, the include glob has rg's `--glob` meaning, matching is
//! per line, and a file with a NUL byte in its first 64 KiB counts as binary and is skipped. Output: one path per line (absolute when the search path is), at most `limit`.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;
use regex::bytes::Regex;
use serde::Deserialize;

use super::tool_run::{parse_args, ToolRun};

/// Paths returned when the call gives no `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// Upper bound on `limit`.
pub const MAX_LIMIT: usize = 2000;
/// Whole-search time budget, as upstream's rg timeout.
pub const SEARCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Leading bytes checked for NUL to call a file binary.
const BINARY_SNIFF_BYTES: usize = 64 * 1024;
/// Reply when nothing matched.
pub const NO_MATCHES: &str = "No matches found.";

#[derive(Deserialize)]
struct Args {
    pattern: String,
    #[serde(default)]
    include: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    DEFAULT_LIMIT
}

/// Runs the tool; a relative `path` is resolved against `cwd`.
pub fn run(arguments_json: &str, cwd: &Path) -> ToolRun {
    match search(arguments_json, cwd) {
        Ok(paths) if paths.is_empty() => ToolRun::fail(NO_MATCHES),
        Ok(paths) => ToolRun::ok(paths.join("\n")),
        Err(reply) => reply,
    }
}

fn search(arguments_json: &str, cwd: &Path) -> Result<Vec<String>, ToolRun> {
    let args: Args = parse_args(arguments_json)?;
    let pattern = args.pattern.trim();
    if pattern.is_empty() {
        return Err(ToolRun::fail("pattern must not be empty"));
    }
    if args.limit == 0 {
        return Err(ToolRun::fail("limit must be greater than zero"));
    }
    let limit = args.limit.min(MAX_LIMIT);
    let root: PathBuf = match args.path.as_deref() {
        Some(p) => cwd.join(p).components().collect(),
        None => cwd.to_path_buf(),
    };
    std::fs::metadata(&root)
        .map_err(|err| ToolRun::fail(format!("unable to access `{}`: {err}", root.display())))?;
    let regex =
        Regex::new(pattern).map_err(|err| ToolRun::fail(format!("rg failed: rg: {err}\n")))?;
    let include = args
        .include
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty());

    let mut walk = WalkBuilder::new(&root);
    if let Some(glob) = include {
        let mut overrides = OverrideBuilder::new(&root);
        overrides
            .add(glob)
            .map_err(|err| ToolRun::fail(format!("rg failed: {err}")))?;
        let built = overrides
            .build()
            .map_err(|err| ToolRun::fail(format!("rg failed: {err}")))?;
        walk.overrides(built);
    }

    let deadline = Instant::now() + SEARCH_TIMEOUT;
    let mut hits: Vec<(SystemTime, PathBuf)> = Vec::new();
    for entry in walk.build() {
        if Instant::now() > deadline {
            return Err(ToolRun::fail("rg timed out after 30 seconds"));
        }
        let Ok(entry) = entry else { continue }; // rg --no-messages: unreadable paths are skipped
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if file_matches(entry.path(), &regex) {
            let modified = entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            hits.push((modified, entry.into_path()));
        }
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(hits
        .into_iter()
        .take(limit)
        .map(|(_, path)| path.to_string_lossy().into_owned())
        .collect())
}

/// True when some line matches. Like rg, a NUL byte in the first 64 KiB marks the file binary
/// (skipped); a NUL met later ends the scan.
fn file_matches(path: &Path, regex: &Regex) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut reader = BufReader::with_capacity(BINARY_SNIFF_BYTES, file);
    match reader.fill_buf() {
        Ok(head) if !head.contains(&0) => {}
        _ => return false,
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        if line.contains(&0) {
            return false;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if regex.is_match(text) {
            return true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn call(args: serde_json::Value, cwd: &Path) -> ToolRun {
        run(&args.to_string(), cwd)
    }

    fn set_mtime(path: &Path, secs: u64) {
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap();
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        fs::create_dir_all(p.join("src")).unwrap();
        fs::write(p.join("src/old.rs"), "fn needle() {}\n").unwrap();
        fs::write(p.join("src/new.rs"), "// needle here\n").unwrap();
        fs::write(p.join("notes.md"), "a\nthe needle\n").unwrap();
        fs::write(p.join("other.rs"), "nothing\n").unwrap();
        fs::write(p.join(".hidden.rs"), "needle\n").unwrap();
        fs::write(p.join("blob.bin"), b"\x00\x01needle\n").unwrap();
        fs::write(p.join("late.bin"), b"needle\n\x00\n").unwrap();
        set_mtime(&p.join("src/old.rs"), 1_000);
        set_mtime(&p.join("src/new.rs"), 3_000);
        set_mtime(&p.join("notes.md"), 2_000);
        set_mtime(&p.join(".hidden.rs"), 500);
        dir
    }

    #[test]
    fn lists_matching_files_newest_first_skipping_hidden_and_binary() {
        let dir = tree();
        let d = dir.path();
        let r = call(serde_json::json!({"pattern": "needle"}), d);
        assert!(r.success);
        let expected = [
            d.join("src/new.rs"),
            d.join("notes.md"),
            d.join("src/old.rs"),
        ]
        .map(|p| p.to_string_lossy().into_owned())
        .join("\n");
        assert_eq!(r.output, expected);
    }

    #[test]
    fn include_glob_path_and_limit() {
        let dir = tree();
        let d = dir.path();
        // As rg: an include glob whitelists hidden files too.
        let r = call(
            serde_json::json!({"pattern": "needle", "include": "*.rs"}),
            d,
        );
        let expected = [
            d.join("src/new.rs"),
            d.join("src/old.rs"),
            d.join(".hidden.rs"),
        ]
        .map(|p| p.to_string_lossy().into_owned())
        .join("\n");
        assert_eq!(r.output, expected);
        let r = call(
            serde_json::json!({"pattern": "needle", "include": "*.rs", "limit": 1}),
            d,
        );
        assert_eq!(r.output, d.join("src/new.rs").to_string_lossy());
        let r = call(serde_json::json!({"pattern": "^a$", "path": "notes.md"}), d);
        assert_eq!(r.output, d.join("notes.md").to_string_lossy());
        let r = call(
            serde_json::json!({"pattern": "fn \\w+\\(", "path": "src"}),
            d,
        );
        assert_eq!(r.output, d.join("src/old.rs").to_string_lossy());
    }

    #[test]
    fn gitignored_files_are_skipped_inside_a_repo() {
        let dir = tree();
        let d = dir.path();
        fs::create_dir(d.join(".git")).unwrap();
        fs::write(d.join(".gitignore"), "notes.md\n").unwrap();
        let r = call(serde_json::json!({"pattern": "the needle"}), d);
        assert_eq!(r, ToolRun::fail("No matches found."));
    }

    #[test]
    fn no_match_and_bad_inputs() {
        let dir = tree();
        let d = dir.path();
        assert_eq!(
            call(serde_json::json!({"pattern": "zzz_absent"}), d),
            ToolRun::fail("No matches found.")
        );
        assert_eq!(
            call(serde_json::json!({"pattern": "  "}), d),
            ToolRun::fail("pattern must not be empty")
        );
        assert_eq!(
            call(serde_json::json!({"pattern": "x", "limit": 0}), d),
            ToolRun::fail("limit must be greater than zero")
        );
        assert_eq!(
            call(serde_json::json!({"pattern": "x", "path": "missing"}), d),
            ToolRun::fail(format!(
                "unable to access `{}`: No such file or directory (os error 2)",
                d.join("missing").display()
            ))
        );
        let r = call(serde_json::json!({"pattern": "(unclosed"}), d);
        assert!(
            r.output.starts_with("rg failed: rg: regex parse error:"),
            "{}",
            r.output
        );
        assert!(
            r.output.ends_with("error: unclosed group\n"),
            "{}",
            r.output
        );
        let r = run("{", d);
        assert!(r.output.starts_with("failed to parse function arguments: "));
        let r = call(serde_json::json!({"include": "*.rs"}), d);
        assert!(r.output.contains("missing field `pattern`"), "{}", r.output);
    }

    #[test]
    fn limit_is_capped_at_2000() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..2100 {
            fs::write(dir.path().join(format!("f{i}")), "hit\n").unwrap();
        }
        let r = call(
            serde_json::json!({"pattern": "hit", "limit": 5000}),
            dir.path(),
        );
        assert_eq!(r.output.lines().count(), 2000);
    }
}
