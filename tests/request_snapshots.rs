//! Request bodies and the `--json` event stream of a scripted shell turn, as insta snapshots in
//! `snapshots/` (ids, times and paths redacted). A drift in what rcodex sends fails CI; review
//! changes with `cargo insta review`.

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{json_lines, TestHome};
use serde_json::{json, Value};

/// Replaces run-specific values (uuids, temp paths, dates, times) with stable placeholders.
fn redact(v: &Value, work: &str) -> Value {
    let uuid =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let date = regex::Regex::new(r"\d{4}-\d{2}-\d{2}").unwrap();
    let chunk = regex::Regex::new(r"Chunk ID: [0-9a-f]{6}\\nWall time: [0-9.]+ seconds").unwrap();
    let tz = regex::Regex::new(r"<timezone>[^<]*</timezone>").unwrap();
    let text = v.to_string().replace(work, "[WORK]");
    let text = uuid.replace_all(&text, "[UUID]");
    let text = date.replace_all(&text, "[DATE]");
    let text = chunk.replace_all(&text, "Chunk ID: [CHUNK]\\nWall time: [TIME] seconds");
    let text = tz.replace_all(&text, "<timezone>[TZ]</timezone>");
    let mut out: Value = serde_json::from_str(&text).unwrap();
    // The embedded metadata string is JSON too: show it parsed so a diff reads well.
    if let Some(meta) = out.pointer_mut("/client_metadata/x-codex-turn-metadata") {
        let mut parsed: Value = serde_json::from_str(meta.as_str().unwrap()).unwrap();
        parsed["turn_started_at_unix_ms"] = json!("[MS]");
        *meta = parsed;
    }
    // The base instructions and tool descriptions are long; their text is rcodex's own and is
    // covered elsewhere. Keep the length so a change is still visible.
    if let Some(text) = out.pointer_mut("/input/0/content/0/text") {
        *text = json!(format!(
            "[base instructions, {} chars]",
            text.as_str().unwrap().len()
        ));
    }
    if let Some(tools) = out.pointer_mut("/tools").and_then(Value::as_array_mut) {
        for t in tools {
            if let Some(d) = t.get_mut("description") {
                *d = json!("[description]");
            }
            if let Some(f) = t.pointer_mut("/format/definition") {
                *f = json!("[grammar]");
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn shell_turn_requests_and_events() {
    let script: Script = serde_json::from_value(json!({ "replies": [
        { "function_call": { "name": "exec_command", "arguments": { "cmd": "echo hi", "login": false }, "call_id": "call_shell_1" } },
        { "message": "It printed hi." }
    ] }))
    .unwrap();
    let server = MockServer::start(script).await.unwrap();
    let home = TestHome::with_mock(&server.base_url());
    let work = home.work().canonicalize().unwrap().display().to_string();
    let (_home, out) = tokio::task::spawn_blocking(move || {
        let out = home.exec(
            &[
                "--json",
                "--skip-git-repo-check",
                "-s",
                "workspace-write",
                "say hi",
            ],
            None,
        );
        (home, out)
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!("shell_turn_request_1", redact(&reqs[0].body, &work));
        insta::assert_json_snapshot!("shell_turn_request_2_tail", redact(&json!(reqs[1].body["input"].as_array().unwrap()[4..]), &work));
        let events: Vec<Value> = json_lines(&String::from_utf8_lossy(&out.stdout)).iter().map(|e| redact(e, &work)).collect();
        insta::assert_json_snapshot!("shell_turn_events", events);
    });
}
