//! Sandbox modes end to end: commands run under Landlock (read-only, workspace-write) and
//! apply_patch is refused where the mode forbids writing.

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{json_lines, TestHome};
use serde_json::{json, Value};

/// Runs one scripted call under `mode`; returns the tool output the model received.
async fn call_under(
    mode: &str,
    call: Value,
    prepare: impl FnOnce(&TestHome),
) -> (TestHome, String) {
    let script: Script =
        serde_json::from_value(json!({ "replies": [call, { "message": "done" }] })).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let home = TestHome::with_mock(&server.base_url());
    prepare(&home);
    let mode = mode.to_string();
    let (home, out) = tokio::task::spawn_blocking(move || {
        let out = home.exec(
            &["--json", "--skip-git-repo-check", "-s", &mode, "go"],
            None,
        );
        (home, out)
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!json_lines(&String::from_utf8_lossy(&out.stdout)).is_empty());
    let reqs = server.requests();
    let last = reqs[1].body["input"].as_array().unwrap().last().unwrap()["output"]
        .as_str()
        .unwrap()
        .to_string();
    (home, last)
}

/// A folder that is neither under /tmp nor under $TMPDIR (cargo's target dir, else $HOME).
fn outside_of_temp() -> std::path::PathBuf {
    let temp_roots: Vec<std::path::PathBuf> = ["/tmp".into(), std::env::temp_dir()]
        .into_iter()
        .filter_map(|p: std::path::PathBuf| p.canonicalize().ok())
        .collect();
    [
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")),
        std::env::var_os("HOME").unwrap_or_default().into(),
    ]
    .into_iter()
    .filter_map(|p| p.canonicalize().ok())
    .find(|p| !temp_roots.iter().any(|t| p.starts_with(t)))
    .expect("a folder outside /tmp")
}

fn shell(cmd: &str) -> Value {
    json!({ "function_call": { "name": "exec_command", "arguments": { "cmd": cmd, "login": false } } })
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_are_confined_by_mode() {
    if rcodex_runner::tools::landlock::abi_version().is_none() {
        eprintln!(
            "no Landlock on this kernel: commands run unconfined (documented); nothing to check"
        );
        return;
    }
    let (home, out) = call_under("read-only", shell("echo x > inside.txt"), |_| {}).await;
    assert!(!out.contains("Process exited with code 0"), "{out}");
    assert!(!home.work().join("inside.txt").exists());

    let (home, out) = call_under("workspace-write", shell("echo x > inside.txt"), |_| {}).await;
    assert!(out.contains("Process exited with code 0"), "{out}");
    assert!(home.work().join("inside.txt").exists());

    // /tmp and $TMPDIR are writable under workspace-write: the outside target must live elsewhere.
    let outside = tempfile::tempdir_in(outside_of_temp()).unwrap();
    let target = outside.path().join("outside.txt");
    let cmd = format!("echo x > {}; echo rc=$?", target.display());
    let (_home, out) = call_under("workspace-write", shell(&cmd), |_| {}).await;
    assert!(out.contains("rc=1"), "{out}");
    assert!(!target.exists());

    let (_home, out) = call_under("danger-full-access", shell(&cmd), |_| {}).await;
    assert!(out.contains("rc=0"), "{out}");
    assert!(target.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_patch_respects_the_mode() {
    let patch = "*** Begin Patch\n*** Add File: new.txt\n+hello\n*** End Patch";
    let call = json!({ "custom_tool_call": { "name": "apply_patch", "input": patch } });
    let (home, out) = call_under("read-only", call.clone(), |_| {}).await;
    assert_eq!(out, "patch rejected: writing is blocked by read-only sandbox; rejected by user approval settings");
    assert!(!home.work().join("new.txt").exists());

    let (home, out) = call_under("workspace-write", call, |_| {}).await;
    assert!(out.starts_with("Exit code: 0\nWall time: "), "{out}");
    assert!(
        out.ends_with("Output:\nSuccess. Updated the following files:\nA new.txt\n"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(home.work().join("new.txt")).unwrap(),
        "hello\n"
    );

    let escape = "*** Begin Patch\n*** Add File: ../escape.txt\n+x\n*** End Patch";
    let call = json!({ "custom_tool_call": { "name": "apply_patch", "input": escape } });
    let (home, out) = call_under("workspace-write", call, |_| {}).await;
    assert!(
        out.starts_with("patch rejected: writing outside of the project"),
        "{out}"
    );
    assert!(!home.dir.path().join("escape.txt").exists());
}
