//! Tool outputs byte for byte against the real Codex CLI 0.169.0: both clients get the same
//! scripted tool call from the loopback server; the outputs the model would receive must be equal
//! once chunk ids, wall times and workspace paths are normalised.
//!
//! The pinned CLI is installed on first use (see `tests/support/codex_cli.rs`).

use std::path::Path;
use std::process::Stdio;

use rcodex_runner::mock::{MockServer, Script};
use serde_json::{json, Value};

struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    call: Value,
    extra_args: &'static [&'static str],
}

fn normalise(text: &str, work: &Path) -> String {
    let re = regex::Regex::new(r"Chunk ID: [0-9a-f]+\nWall time: [0-9.]+ seconds").unwrap();
    let text = re.replace_all(text, "Chunk ID: X\nWall time: X seconds");
    let re = regex::Regex::new(r"Wall time: [0-9.]+ seconds").unwrap();
    let text = re.replace_all(&text, "Wall time: X seconds");
    text.replace(&work.display().to_string(), "<WORK>")
}

/// Runs one client on the case; returns (normalised last input item of request 2, files after).
async fn run_client(case: &Case, codex: Option<&Path>) -> (String, Vec<(String, String)>) {
    let script: Script =
        serde_json::from_value(json!({ "replies": [case.call.clone(), { "message": "done" }] }))
            .unwrap();
    let server = MockServer::start(script).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&work).unwrap();
    let work = work.canonicalize().unwrap();
    for (name, content) in case.files {
        std::fs::write(work.join(name), content).unwrap();
    }
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let mut cmd = rcodex_tests::exec_command(codex);
    cmd.args(case.extra_args)
        .arg("-C")
        .arg(&work)
        .arg("go")
        .env("CODEX_HOME", &home)
        .env("MOCK_API_KEY", "dummy")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let reqs = server.requests();
    assert!(
        reqs.len() >= 2,
        "{} ({}): {} requests; stderr: {}",
        case.name,
        if codex.is_some() { "codex" } else { "rcodex" },
        reqs.len(),
        String::from_utf8_lossy(&out.stderr)
    );
    let last = reqs[1].body["input"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let mut item = last.clone();
    if let Some(obj) = item.as_object_mut() {
        obj.remove("id");
        if let Some(Value::String(text)) = obj.get("output").cloned() {
            obj.insert("output".into(), Value::String(normalise(&text, &work)));
        }
    }
    let mut files: Vec<(String, String)> = std::fs::read_dir(&work)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    (
        item.to_string()
            .replace(&work.display().to_string(), "<WORK>"),
        files,
    )
}

fn cases() -> Vec<Case> {
    let fc = |name: &str, args: Value| json!({ "function_call": { "name": name, "arguments": args, "call_id": "call_1" } });
    let patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** Update File: a.txt\n@@\n-one\n+uno\n two\n*** End Patch";
    let bad_patch = "*** Begin Patch\n*** Update File: a.txt\n@@\n-missing line\n+x\n*** End Patch";
    vec![
        Case {
            name: "exec_command cat",
            files: &[("a.txt", "one\ntwo\n")],
            call: fc("exec_command", json!({ "cmd": "cat a.txt" })),
            extra_args: &[],
        },
        Case {
            name: "exec_command exit 3",
            files: &[],
            call: fc(
                "exec_command",
                json!({ "cmd": "echo oops; exit 3", "login": false }),
            ),
            extra_args: &[],
        },
        Case {
            name: "exec_command truncated",
            files: &[],
            call: fc(
                "exec_command",
                json!({ "cmd": "seq 1 30000", "login": false }),
            ),
            extra_args: &[],
        },
        Case {
            name: "exec_command max_output_tokens",
            files: &[],
            call: fc(
                "exec_command",
                json!({ "cmd": "seq 1 2000", "max_output_tokens": 10, "login": false }),
            ),
            extra_args: &[],
        },
        Case {
            name: "exec_command bad args",
            files: &[],
            call: fc("exec_command", json!("{not json")),
            extra_args: &[],
        },
        Case {
            name: "apply_patch add+update",
            files: &[("a.txt", "one\ntwo\n")],
            call: json!({ "custom_tool_call": { "name": "apply_patch", "input": patch, "call_id": "call_1" } }),
            extra_args: &[],
        },
        Case {
            name: "apply_patch missing context",
            files: &[("a.txt", "one\ntwo\n")],
            call: json!({ "custom_tool_call": { "name": "apply_patch", "input": bad_patch, "call_id": "call_1" } }),
            extra_args: &[],
        },
        Case {
            name: "update_plan",
            files: &[],
            call: fc(
                "update_plan",
                json!({ "plan": [{ "step": "a", "status": "in_progress" }, { "step": "b", "status": "pending" }] }),
            ),
            extra_args: &["-c", "tools.update_plan.enabled=true"],
        },
        Case {
            name: "unsupported shell",
            files: &[],
            call: fc("shell", json!({ "command": ["ls"] })),
            extra_args: &[],
        },
        Case {
            name: "request_user_input",
            files: &[],
            call: fc("request_user_input", json!({ "questions": [] })),
            extra_args: &[],
        },
        Case {
            name: "write_stdin unknown session",
            files: &[],
            call: fc("write_stdin", json!({ "session_id": 4242, "chars": "" })),
            extra_args: &[],
        },
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn tool_outputs_equal_codex_0_169() {
    let Some(codex) = rcodex_tests::codex_bin("the tool output comparison with the real Codex CLI")
    else {
        return;
    };
    let mut mismatches = Vec::new();
    for case in cases() {
        let (want, want_files) = run_client(&case, Some(&codex)).await;
        let (got, got_files) = run_client(&case, None).await;
        if want != got || want_files != got_files {
            let short = |s: &str| s.chars().take(600).collect::<String>();
            mismatches.push(format!(
                "{}:\n  codex:  {}\n  rcodex: {}\n  files codex {want_files:?}\n  files rcodex {got_files:?}",
                case.name,
                short(&want),
                short(&got)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
