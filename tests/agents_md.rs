//! AGENTS.md against the real Codex CLI 0.169.0: for each layout of files (global, git root and
//! sub-folder, override, fallback names, a byte limit, empty files, no repository) both clients
//! run one turn against the scripted server, and the user message that carries
//! `<environment_context>` must hold the same parts, paths aside. And a resumed thread does not
//! send the instructions again.
//!
//! The pinned CLI is installed on first use (see `tests/support/codex_cli.rs`).

use std::path::Path;
use std::process::Stdio;

use rcodex_runner::mock::{MockServer, Script};
use serde_json::{json, Value};

struct Layout {
    name: &'static str,
    /// Paths under the temp root: `home/…` is CODEX_HOME, `repo/…` the project.
    files: &'static [(&'static str, &'static str)],
    git: bool,
    /// The cwd, under `repo/`.
    cwd: &'static str,
    config: &'static [&'static str],
}

const LAYOUTS: &[Layout] = &[
    Layout {
        name: "global, root and sub-folder",
        files: &[
            ("home/AGENTS.md", "Global rule: say hi.\n"),
            ("repo/AGENTS.md", "Root rule: use tabs.\n"),
            ("repo/sub/AGENTS.md", "Sub rule: be brief.\n"),
        ],
        git: true,
        cwd: "sub",
        config: &[],
    },
    Layout {
        name: "only a global file, with trailing blank lines",
        files: &[("home/AGENTS.md", "Global only.\n\n\n")],
        git: false,
        cwd: "",
        config: &[],
    },
    Layout {
        name: "overrides beat AGENTS.md, globally and in a folder",
        files: &[
            ("home/AGENTS.md", "G.\n"),
            ("home/AGENTS.override.md", "G override.\n"),
            ("repo/AGENTS.md", "Plain.\n"),
            ("repo/AGENTS.override.md", "Override.\n"),
        ],
        git: true,
        cwd: "",
        config: &[],
    },
    Layout {
        name: "fallback file names",
        files: &[
            ("repo/CLAUDE.md", "Claude root.\n"),
            ("repo/sub/AGENTS.md", "Agents sub.\n"),
            ("repo/sub/CLAUDE.md", "Claude sub.\n"),
        ],
        git: true,
        cwd: "sub",
        config: &["project_doc_fallback_filenames=[\"CLAUDE.md\"]"],
    },
    Layout {
        name: "a byte limit across files",
        files: &[
            ("repo/AGENTS.md", "ABCDEFGHIJ\n"),
            ("repo/sub/AGENTS.md", "KLMNOPQRST\n"),
        ],
        git: true,
        cwd: "sub",
        config: &["project_doc_max_bytes=15"],
    },
    Layout {
        name: "empty and blank files",
        files: &[("repo/AGENTS.md", ""), ("repo/sub/AGENTS.md", "  \n\n")],
        git: true,
        cwd: "sub",
        config: &[],
    },
    Layout {
        name: "no repository: only the cwd",
        files: &[
            ("repo/AGENTS.md", "Parent.\n"),
            ("repo/sub/AGENTS.md", "Child.\n"),
        ],
        git: false,
        cwd: "sub",
        config: &[],
    },
];

/// The parts of the user message with `<environment_context>`, the root as `<ROOT>`.
fn context_parts(body: &Value, root: &Path) -> Vec<String> {
    let message = body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["role"] == "user"
                && i["content"].as_array().is_some_and(|parts| {
                    parts.iter().any(|p| {
                        p["text"]
                            .as_str()
                            .is_some_and(|t| t.starts_with("<environment_context>"))
                    })
                })
        })
        .unwrap_or_else(|| panic!("no environment context in {body}"));
    message["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let text = p["text"].as_str().unwrap();
            text.replace(&root.display().to_string(), "<ROOT>")
        })
        .collect()
}

/// One turn of one client in a fresh copy of the layout; the first request's context parts.
async fn run(layout: &Layout, codex: Option<&Path>) -> Vec<String> {
    let script: Script = serde_json::from_value(json!({"replies": [{"message": "ok"}]})).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let (home, repo) = (root.join("home"), root.join("repo"));
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    for (path, text) in layout.files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    if layout.git {
        let init = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(&repo)
            .status()
            .unwrap();
        assert!(init.success());
    }
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let cwd = repo.join(layout.cwd);
    let mut cmd = rcodex_tests::exec_command(codex);
    for kv in layout.config {
        cmd.arg("-c").arg(kv);
    }
    cmd.arg("-C")
        .arg(&cwd)
        .arg("hi")
        .current_dir(&cwd)
        .env("CODEX_HOME", &home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let requests = server.requests();
    assert!(
        !requests.is_empty(),
        "{} ({}): no request; stderr: {}",
        layout.name,
        if codex.is_some() { "codex" } else { "rcodex" },
        String::from_utf8_lossy(&out.stderr)
    );
    server.shutdown().await;
    context_parts(&requests[0].body, &root)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_md_parts_equal_codex_for_every_layout() {
    let Some(codex) = rcodex_tests::codex_bin("AGENTS.md against the real CLI") else {
        return;
    };
    for layout in LAYOUTS {
        let theirs = run(layout, Some(&codex)).await;
        let ours = run(layout, None).await;
        assert_eq!(
            ours.len(),
            theirs.len(),
            "{}: {ours:#?}\n{theirs:#?}",
            layout.name
        );
        // The instructions part (if any) byte for byte; the environment part is checked
        // elsewhere (its date and shell may differ between the two runs' settings).
        if theirs.len() == 2 {
            assert_eq!(ours[0], theirs[0], "{}", layout.name);
        }
    }
}

#[test]
fn a_layout_with_files_sends_the_part_and_one_without_does_not() {
    // Guards the comparison above against both clients silently sending nothing.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let with = rt.block_on(run(&LAYOUTS[0], None));
    assert_eq!(with.len(), 2, "{with:#?}");
    assert!(with[0].starts_with("# AGENTS.md instructions for <ROOT>/repo/sub\n\n<INSTRUCTIONS>\n"));
    let empty = rt.block_on(run(&LAYOUTS[5], None));
    assert_eq!(empty.len(), 1, "{empty:#?}");
}
