//! `rcodex align` through the binary, against the pinned real Codex CLI (installed on first use,
//! see `tests/support/codex_cli.rs`): the committed allow-list explains every difference on
//! bundled scenarios; a difference it does not explain — an entry taken out, or an rcodex-side
//! config change — exits 1 naming scenario, check and pointer; `--json` has one object per
//! scenario; setup errors exit 2 with one line naming file, line and field. With upstream text
//! imported at run time (`--import-text`, into a temp `$XDG_CACHE_HOME`, never the repository)
//! every text rcodex sends over all bundled scenarios is Codex's.

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
    // Every bundled scenario: the bar is no unexplained difference on all of them.
    let scenarios = bundled_ids();
    let out = align(&[], Some(&codex));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("codex: {} (codex-cli 0.169.0", codex.display())),
        "names the binary and its version: {stderr}"
    );
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), scenarios.len(), "{stdout}");
    for (row, id) in rows.iter().zip(&scenarios) {
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

/// The ids of the bundled scenarios, sorted as align sorts them.
fn bundled_ids() -> Vec<String> {
    let root = repo().join("scenarios");
    let mut ids: Vec<String> = rcodex_tests::files_under(&root)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let rel = p.strip_prefix(&root).unwrap().with_extension("");
            rel.to_string_lossy().into_owned()
        })
        .collect();
    ids.sort();
    assert!(ids.len() >= 18, "{ids:?}");
    ids
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
            "equal",
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

/// `align` with `$XDG_CACHE_HOME` set, where `--import-text` writes by default.
fn align_with_cache(args: &[&str], codex: &Path, cache: &Path) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .arg("align")
        .args(args)
        .arg("--codex")
        .arg(codex)
        .current_dir(repo())
        .env("XDG_CACHE_HOME", cache)
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex align")
}

#[test]
fn imported_upstream_text_makes_every_text_equal_to_codex() {
    let Some(codex) = rcodex_tests::codex_bin("align --import-text") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let scenarios = bundled_ids();
    let mut args = vec!["--import-text", "--json"];
    args.extend(scenarios.iter().map(String::as_str));
    let out = align_with_cache(&args, &codex, cache.path());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");

    // The cache holds Codex's texts, outside the repository, with the per-run paths as markers.
    let dir = cache.path().join("rcodex/upstream/0.169.0");
    assert!(
        stderr.contains(&format!("into {}", dir.display())),
        "{stderr}"
    );
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    assert!(read("upstream.toml").contains("codex_version = \"0.169.0\""));
    let base = read("base_instructions.md");
    assert!(base.len() > 1000 && !base.contains("rcodex"), "{base:.200}");
    for mode in ["read-only", "workspace-write", "danger-full-access"] {
        let text = read(&format!("permissions/{mode}.md"));
        assert!(text.starts_with("<permissions instructions>"), "{text}");
        assert!(text.contains(mode), "{text}");
        assert_eq!(
            text.contains("{{rcodex:writable_roots}}"),
            mode == "workspace-write",
            "{text}"
        );
    }
    assert!(read("skills_instructions.md").contains("{{rcodex:codex_home}}/skills/.system"));
    assert!(dir.join("skills/.system").read_dir().unwrap().count() > 0);
    let tools: Value = serde_json::from_str(&read("tools.json")).unwrap();
    assert!(tools["exec_command"]["description"].is_string(), "{tools}");

    // With them, every text rcodex sends is Codex's: no own-text entry is used (they are off),
    // and the texts check is equal, not merely allowed.
    let lines = rcodex_tests::json_lines(&stdout);
    assert_eq!(lines.len(), scenarios.len(), "{stdout}");
    for s in &lines {
        assert_eq!(s["status"], "allowed", "{s}");
        let texts_allowed_by = |kind: &str| {
            s["differences"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["check"] == "texts" && d["allowed"]["kind"] == kind)
        };
        // One scenario's script cannot guess Codex's process id (a `script` entry), and the
        // goal completion report is not imported yet (a `gap` entry); every other text is equal.
        if !texts_allowed_by("script") && !texts_allowed_by("gap") {
            assert_eq!(s["checks"]["texts"], "equal", "{s}");
        }
        for d in s["differences"].as_array().unwrap() {
            assert_ne!(d["allowed"]["kind"], "own-text", "{d}");
            assert_ne!(d["pointer"], "/input/1/content/0", "skills part sent: {d}");
        }
    }

    // The same scenarios without the text differ in texts, explained as rcodex's own prose.
    let out = align_with_cache(&["--json", "tools/shell_then_answer"], &codex, cache.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = &rcodex_tests::json_lines(&text(&out.stdout))[0];
    assert_eq!(s["checks"]["texts"], "allowed", "{s}");
}

#[test]
fn upstream_text_is_never_imported_into_a_repository() {
    let Some(codex) = rcodex_tests::codex_bin("align --import-text into the repository") else {
        return;
    };
    let inside = repo().join("target/upstream-text-test");
    let out = align_with_cache(
        &[
            "--import-text",
            "--upstream-text",
            inside.to_str().unwrap(),
            "conversation/no_tool_answer",
        ],
        &codex,
        Path::new("/nonexistent"),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("inside the git work tree") && stderr.contains("must not be committed"),
        "{stderr}"
    );
    assert!(!inside.exists());
}

#[test]
fn a_folder_that_is_not_imported_text_is_refused_naming_it() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(rcodex_tests::rcodex_bin())
        .args(["exec", "--skip-git-repo-check", "--upstream-text"])
        .arg(empty.path())
        // A loopback provider on a closed port: nothing is sent anywhere if setup went wrong.
        .args([
            "-c",
            "model_provider=\"m\"",
            "-c",
            "model_providers.m.name=\"m\"",
        ])
        .args(["-c", "model_providers.m.base_url=\"http://127.0.0.1:9/v1\""])
        .arg("hi")
        .env("CODEX_HOME", empty.path())
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "upstream text {}/upstream.toml",
            empty.path().display()
        )) && stderr.contains("rcodex align --import-text"),
        "{stderr}"
    );
}
