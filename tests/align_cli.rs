//! `rcodex align` through the binary, against the pinned real Codex CLI (installed on first use,
//! see `tests/support/codex_cli.rs`): the committed allow-list explains every difference on
//! bundled scenarios; a difference it does not explain — an entry taken out, or an rcodex-side
//! config change — exits 1 naming scenario, check and pointer; `--json` has one object per
//! scenario; setup errors exit 2 with one line naming file, line and field.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The repository root: `align` reads `scenarios/` and `align-allow.toml` from here.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn align(args: &[&str], codex: Option<&Path>) -> Output {
    let mut cmd = Command::new(rcodex_tests::rcodex_bin());
    cmd.arg("align").args(args);
    if let Some(bin) = codex {
        cmd.arg("--codex").arg(bin);
    }
    cmd.current_dir(repo())
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex align")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The allow-list without the entry whose `pointer` line is `pointer_line`.
fn allow_list_without(pointer_line: &str) -> tempfile::NamedTempFile {
    let full = std::fs::read_to_string(repo().join("align-allow.toml")).unwrap();
    let entries: Vec<&str> = full.split("[[allow]]").collect();
    let before = entries.len();
    let kept: Vec<&str> = entries
        .into_iter()
        .filter(|e| !e.lines().any(|l| l.trim() == pointer_line))
        .collect();
    assert_eq!(
        kept.len(),
        before - 1,
        "exactly one entry has {pointer_line}"
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), kept.join("[[allow]]")).unwrap();
    file
}

#[test]
fn bundled_scenarios_align_with_the_committed_allow_list() {
    let Some(codex) = rcodex_tests::codex_bin("align over bundled scenarios") else {
        return;
    };
    let scenarios = [
        "conversation/two_turns",
        "faults/http_500_once",
        "tools/apply_patch_add_update",
        "tools/shell_then_answer",
    ];
    let out = align(&scenarios, Some(&codex));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("codex: {} (codex-cli 0.169.0", codex.display())),
        "names the binary and its version: {stderr}"
    );
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), scenarios.len(), "{stdout}");
    for (row, id) in rows.iter().zip(scenarios) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells.len(), 7, "{row}");
        assert_eq!(cells[0], id);
        // Both clients made the same number of requests; the originator always differs, so the
        // headers were compared and the difference explained; nothing is left unexplained.
        assert_eq!(cells[1], "equal", "{stdout}");
        assert_eq!(cells[2], "allowed", "{stdout}");
        assert!(
            cells[3..].iter().all(|c| *c == "equal" || *c == "allowed"),
            "{stdout}"
        );
    }
    assert!(!stdout.contains("DIFFERS"), "{stdout}");
}

#[test]
fn a_difference_the_allow_list_does_not_explain_exits_1_naming_where() {
    let Some(codex) = rcodex_tests::codex_bin("align with a broken allow-list") else {
        return;
    };
    let broken = allow_list_without("pointer = \"/originator\"");
    let allow = broken.path().to_str().unwrap();
    let out = align(&["tools/shell_then_answer", "--allow", allow], Some(&codex));
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("tools/shell_then_answer  headers  /originator  (request 1, 2)\n    - codex_exec\n    + rcodex_exec\n"),
        "{stdout}"
    );
    let row = stdout.lines().nth(1).unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        [
            "tools/shell_then_answer",
            "equal",
            "DIFFERS",
            "allowed",
            "allowed",
            "allowed",
            "allowed"
        ]
    );
}

#[test]
fn an_rcodex_side_config_change_shows_in_json_as_an_unexplained_body_difference() {
    let Some(codex) = rcodex_tests::codex_bin("align --json with an rcodex-side change") else {
        return;
    };
    let out = align(
        &[
            "conversation/no_tool_answer",
            "--json",
            "--rcodex-config",
            "model_verbosity=\"high\"",
        ],
        Some(&codex),
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let lines: Vec<Value> = rcodex_tests::json_lines(&stdout);
    assert_eq!(lines.len(), 1, "one object per scenario: {stdout}");
    let s = &lines[0];
    assert_eq!(s["scenario"], "conversation/no_tool_answer");
    assert_eq!(s["file"], "scenarios/conversation/no_tool_answer.toml");
    assert_eq!(s["status"], "differs");
    assert_eq!(s["requests"], serde_json::json!({"codex": 1, "rcodex": 1}));
    let checks: Vec<&String> = s["checks"].as_object().unwrap().keys().collect();
    assert_eq!(
        checks,
        ["requests", "headers", "body", "input", "tools", "texts"]
    );
    assert_eq!(s["checks"]["body"], "differs");
    assert_eq!(s["checks"]["headers"], "allowed");
    let diffs = s["differences"].as_array().unwrap();
    let unexplained: Vec<&Value> = diffs.iter().filter(|d| d["allowed"].is_null()).collect();
    assert_eq!(unexplained.len(), 1, "{unexplained:?}");
    let d = unexplained[0];
    assert_eq!(d["request"], 1);
    assert_eq!(d["check"], "body");
    assert_eq!(d["pointer"], "/text/verbosity");
    assert_eq!(d["change"], "value");
    assert_eq!(d["diff"], "- low\n+ high\n");
    let originator = diffs
        .iter()
        .find(|d| d["pointer"] == "/originator")
        .expect("originator differs");
    assert_eq!(originator["allowed"]["kind"], "identity");
    assert!(originator["allowed"]["why"]
        .as_str()
        .unwrap()
        .contains("rcodex_exec"));
    assert!(s["error"].is_null());
}

#[test]
fn a_bad_allow_list_is_a_setup_error_at_its_line() {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        "[[allow]]\ncheck = \"headers\"\npointer = \"/originator\"\nkind = \"identity\"\nwhy = \"\"\n",
    )
    .unwrap();
    let out = align(&["--allow", file.path().to_str().unwrap()], None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "Error: {}:5: allow[0].why: empty: say why this difference is intended\n",
            file.path().display()
        )
    );
}

#[test]
fn an_unknown_scenario_or_codex_binary_is_a_setup_error() {
    let out = align(&["tools/no_such_scenario"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "Error: tools/no_such_scenario: no such file, folder or scenario id\n"
    );
    let out = align(
        &["tools/shell_then_answer"],
        Some(Path::new("/nonexistent/codex")),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "Error: --codex /nonexistent/codex: no such file\n"
    );
}

#[test]
fn a_codex_that_sends_nothing_is_a_setup_error_with_its_last_words() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("codex");
    std::fs::write(
        &fake,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo codex-cli 0.0.1; exit 0; fi\necho 'cannot reach the model' >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = align(&["conversation/no_tool_answer"], Some(&fake));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("(codex-cli 0.0.1; from --codex)\nwarning: rcodex aligns to Codex 0.169.0"),
        "{stderr}"
    );
    assert_eq!(
        stdout.lines().nth(1).unwrap(),
        "conversation/no_tool_answer  error: codex sent no request (exit 3): cannot reach the model"
    );
}
