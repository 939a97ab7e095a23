//! Tests for `read_file`: slices, caps, bad inputs and the indentation mode.

use super::*;
use std::io::Write;

fn write_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write fixture");
    path.to_string_lossy().into_owned()
}

fn call(args: serde_json::Value) -> ToolRun {
    run(&args.to_string(), Path::new("/"))
}

#[test]
fn slice_numbers_lines_from_offset() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "a.txt", b"alpha\nbeta\ngamma\ndelta\n");
    assert_eq!(
        call(serde_json::json!({"file_path": p})),
        ToolRun::ok("L1: alpha\nL2: beta\nL3: gamma\nL4: delta")
    );
    assert_eq!(
        call(serde_json::json!({"file_path": p, "offset": 2, "limit": 2})).output,
        "L2: beta\nL3: gamma"
    );
}

#[test]
fn crlf_is_stripped_and_last_line_without_newline_counts() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "w.txt", b"one\r\ntwo");
    assert_eq!(
        call(serde_json::json!({"file_path": p})).output,
        "L1: one\nL2: two"
    );
}

#[test]
fn binary_bytes_become_replacement_characters() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "b.bin", b"\xff\xfe\x00ok\nplain\n");
    let r = call(serde_json::json!({"file_path": p}));
    assert!(r.success);
    assert_eq!(r.output, "L1: \u{FFFD}\u{FFFD}\u{0}ok\nL2: plain");
}

#[test]
fn long_lines_are_cut_to_500_bytes_even_when_huge() {
    let dir = tempfile::tempdir().unwrap();
    let mut content = "é".repeat(300).into_bytes(); // 600 bytes: cut inside a char
    content.push(b'\n');
    content.extend(std::iter::repeat_n(b'x', 8 * 1024 * 1024));
    content.extend(b"\nlast\n");
    let p = write_file(&dir, "long.txt", &content);
    let r = call(serde_json::json!({"file_path": p}));
    let lines: Vec<&str> = r.output.split('\n').collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], format!("L1: {}", "é".repeat(250)));
    assert_eq!(lines[1], format!("L2: {}", "x".repeat(500)));
    assert_eq!(lines[2], "L3: last");
}

#[test]
fn default_limit_caps_a_long_file_at_2000_lines() {
    let dir = tempfile::tempdir().unwrap();
    let body: String = (1..=5000).map(|i| format!("{i}\n")).collect();
    let p = write_file(&dir, "many.txt", body.as_bytes());
    let r = call(serde_json::json!({"file_path": p}));
    let lines: Vec<&str> = r.output.lines().collect();
    assert_eq!(lines.len(), 2000);
    assert_eq!(lines[1999], "L2000: 2000");
}

#[test]
fn argument_errors_use_codex_texts() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "a.txt", b"only\n");
    let cases = [
        (
            serde_json::json!({"file_path": p, "offset": 0}),
            "offset must be a 1-indexed line number",
        ),
        (
            serde_json::json!({"file_path": p, "limit": 0}),
            "limit must be greater than zero",
        ),
        (
            serde_json::json!({"file_path": "a.txt"}),
            "file_path must be an absolute path",
        ),
        (
            serde_json::json!({"file_path": p, "offset": 3}),
            "offset exceeds file length",
        ),
        (
            serde_json::json!({"file_path": dir.path().join("missing.txt")}),
            "failed to read file: No such file or directory (os error 2)",
        ),
        (
            serde_json::json!({"file_path": dir.path()}),
            "failed to read file: Is a directory (os error 21)",
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(call(args.clone()), ToolRun::fail(expected), "{args}");
    }
}

#[test]
fn bad_json_and_missing_fields_are_reported() {
    let r = run("{oops", Path::new("/"));
    assert!(r.output.starts_with("failed to parse function arguments: "));
    assert!(!r.success);
    let r = call(serde_json::json!({"offset": 1}));
    assert_eq!(
        r.output,
        "failed to parse function arguments: missing field `file_path` at line 1 column 12"
    );
    let r = call(serde_json::json!({"file_path": "/x", "mode": "sideways"}));
    assert!(
        r.output.contains("unknown variant `sideways`"),
        "{}",
        r.output
    );
}

#[test]
fn empty_file_has_no_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "empty.txt", b"");
    assert_eq!(
        call(serde_json::json!({"file_path": p})),
        ToolRun::fail("offset exceeds file length")
    );
}

const NESTED: &str = "fn main() {\n    let a = 1;\n    if a > 0 {\n        println!(\"pos\");\n    }\n    done();\n}\n";

fn block(file: &str, args: serde_json::Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "src.rs", file.as_bytes());
    let mut full = serde_json::json!({"file_path": p, "mode": "indentation"});
    for (k, v) in args.as_object().unwrap() {
        full[k] = v.clone();
    }
    let r = call(full);
    assert!(r.success, "{}", r.output);
    r.output
}

#[test]
fn indentation_one_level_stops_at_enclosing_boundaries() {
    let out = block(
        NESTED,
        serde_json::json!({"indentation": {"anchor_line": 4, "max_levels": 1}}),
    );
    assert_eq!(
        out,
        "L3:     if a > 0 {\nL4:         println!(\"pos\");\nL5:     }"
    );
}

#[test]
fn indentation_siblings_and_unlimited_levels() {
    let siblings = block(
        NESTED,
        serde_json::json!({"indentation": {"anchor_line": 4, "max_levels": 1, "include_siblings": true}}),
    );
    assert_eq!(siblings.lines().next(), Some("L2:     let a = 1;"));
    assert_eq!(siblings.lines().last(), Some("L6:     done();"));
    let all = block(NESTED, serde_json::json!({"offset": 4}));
    assert_eq!(all.lines().count(), 7);
}

#[test]
fn indentation_header_comments_and_max_lines() {
    let src = "impl X {\n    // says hi\n    fn hi() {\n        hi();\n    }\n    fn bye() {}\n}\n";
    let with_header = block(
        src,
        serde_json::json!({"indentation": {"anchor_line": 4, "max_levels": 1}}),
    );
    assert_eq!(with_header.lines().next(), Some("L2:     // says hi"));
    assert_eq!(with_header.lines().last(), Some("L5:     }"));
    let without = block(
        src,
        serde_json::json!({"indentation": {"anchor_line": 4, "max_levels": 1, "include_header": false}}),
    );
    assert_eq!(without.lines().next(), Some("L3:     fn hi() {"));
    let capped = block(
        src,
        serde_json::json!({"indentation": {"anchor_line": 4, "max_levels": 1, "max_lines": 2}}),
    );
    assert_eq!(capped, "L3:     fn hi() {\nL4:         hi();");
}

#[test]
fn indentation_trims_blank_edges() {
    let src = "def f():\n    x = 1\n\ndef g():\n";
    assert_eq!(
        block(src, serde_json::json!({"offset": 2, "limit": 3})),
        "L1: def f():\nL2:     x = 1"
    );
}

#[test]
fn indentation_argument_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "a.rs", NESTED.as_bytes());
    let base = |ind: serde_json::Value| {
        call(serde_json::json!({"file_path": p, "mode": "indentation", "indentation": ind}))
    };
    assert_eq!(
        base(serde_json::json!({"anchor_line": 0})).output,
        "anchor_line must be a 1-indexed line number"
    );
    assert_eq!(
        base(serde_json::json!({"anchor_line": 99})).output,
        "anchor_line exceeds file length"
    );
    assert_eq!(
        base(serde_json::json!({"max_lines": 0})).output,
        "max_lines must be greater than zero"
    );
}
