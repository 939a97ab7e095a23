//! The official TypeScript Codex SDK (`@openai/codex-sdk`, pinned) drives rcodex through
//! `codexPathOverride` exactly as it drives the Codex CLI: `tests/sdk/drive.mjs` runs threads
//! (`run`, `runStreamed`, every `ThreadOptions` field, resume by id, `outputSchema`, a local
//! image, a failing turn, `baseUrl` + `apiKey` with network access and an approval policy, an
//! aborted one) against the scripted server and prints what the SDK
//! showed; this test runs it on rcodex and on the pinned Codex CLI and compares both that and
//! the requests each sent.
//!
//! The SDK is installed with npm into `<target>/codex-sdk-0.163.0` on first use, under a file
//! lock, without its optional native Codex binary (`codexPathOverride` names the binary).
//! `RCODEX_SKIP_CODEX_SDK=1` skips the test and says so; otherwise a missing node or npm fails it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use rcodex_runner::mock::{MockServer, Script};
use rcodex_tests::{codex_bin, rcodex_bin};
use serde_json::{json, Value};

const SDK_PACKAGE: &str = "@openai/codex-sdk@0.163.0";
const SDK_DIR: &str = "codex-sdk-0.163.0";
const SKIP_VAR: &str = "RCODEX_SKIP_CODEX_SDK";
/// Written after npm succeeded and the SDK's entry file is in place.
const MARKER: &str = ".rcodex-install-complete";

/// A 1x1 PNG.
const DOT_PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 248, 207, 80, 15, 0, 3,
    134, 1, 128, 90, 52, 125, 107, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// The scripted replies, in the order drive.mjs makes its turns.
fn replies() -> Value {
    json!([
        { "message": "first answer" },
        { "message": "second answer" },
        { "message": "{\"answer\":\"42\"}" },
        { "http_error": { "status": 400, "body": "boom" } },
        { "message": "via base url" },
        { "message": "late", "delay_ms": 8000 }
    ])
}

/// `<target>` of this test run (test binaries live in `<target>/<profile>/deps`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// The pinned SDK's install folder, installing it once.
fn sdk_dir() -> PathBuf {
    let dir = target_dir().join(SDK_DIR);
    let lock = File::create(dir.with_extension("lock")).unwrap();
    lock.lock().unwrap();
    if dir.join(MARKER).exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("package.json"), "{\"private\":true}\n").unwrap();
    let out = Command::new("npm")
        .args([
            "install",
            "--omit=optional",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--save-exact",
            SDK_PACKAGE,
        ])
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("npm for {SDK_PACKAGE}: {e} (set {SKIP_VAR}=1 to skip)"));
    assert!(
        out.status.success(),
        "npm install {SDK_PACKAGE} failed: {} (set {SKIP_VAR}=1 to skip)",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.join("node_modules/@openai/codex-sdk/dist/index.js")
            .is_file(),
        "{SDK_PACKAGE} installed without dist/index.js"
    );
    std::fs::write(dir.join(MARKER), SDK_PACKAGE).unwrap();
    dir
}

/// What one binary did under the SDK: the script's observations and the requests it sent.
struct Observed {
    sdk: Value,
    requests: Vec<Value>,
    /// The `turn_context` of the thread run through `baseUrl` (approval policy, sandbox).
    base_url_context: Value,
}

async fn drive(bin: &Path, sdk: &Path) -> Observed {
    let script: Script = serde_json::from_value(json!({ "replies": replies() })).unwrap();
    let server = MockServer::start(script).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let (work, extra, home) = (root.join("work"), root.join("extra"), root.join("home"));
    for d in [&work, &extra, &home] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(work.join("dot.png"), DOT_PNG).unwrap();
    let script_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/drive.mjs");
    let mut cmd = Command::new("node");
    cmd.arg(script_path)
        .env("SDK_DIR", sdk)
        .env("CODEX_BIN", bin)
        .env("MOCK_BASE_URL", server.base_url())
        .env("WORK", &work)
        .env("EXTRA", &extra)
        .env("HOME_DIR", &home);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("node: {e} (set {SKIP_VAR}=1 to skip)"));
    assert!(
        out.status.success(),
        "drive.mjs with {}: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "drive.mjs printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let sdk = printed["observed"].clone();
    let thread = printed["ids"]["base_url_thread"]
        .as_str()
        .unwrap()
        .to_string();
    let root_text = root.display().to_string();
    let requests = server
        .requests()
        .iter()
        .map(|r| {
            let mut s = summary(&r.body, &root_text);
            let auth = r.headers.iter().find(|(n, _)| n == "authorization");
            s["auth"] = json!(auth.map(|(_, v)| v.clone()));
            s
        })
        .collect();
    server.shutdown().await;
    Observed {
        sdk,
        requests,
        base_url_context: turn_context_of(&home, &thread),
    }
}

/// The first `turn_context` payload of thread `id`'s rollout under `home/sessions`.
fn turn_context_of(home: &Path, id: &str) -> Value {
    let rollout = rcodex_tests::files_under(&home.join("sessions"))
        .into_iter()
        .find(|p| p.display().to_string().contains(id))
        .unwrap_or_else(|| panic!("no rollout of {id}"));
    let text = std::fs::read_to_string(rollout).unwrap();
    rcodex_tests::json_lines(&text)
        .into_iter()
        .find(|l| l["type"] == "turn_context")
        .expect("a turn_context")["payload"]
        .clone()
}

/// What the SDK's options and input put in a request: the model, the effort, the output
/// schema, the workspace roots, and the last user message (paths made relative to the run).
fn summary(body: &Value, root: &str) -> Value {
    let text = serde_json::to_string(body).unwrap();
    let roots = text
        .split("<workspace_roots>")
        .nth(1)
        .and_then(|r| r.split("</workspace_roots>").next())
        .unwrap_or("")
        .replace(root, "<run>");
    let last_user = body["input"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|i| i["role"] == "user")
        .cloned()
        .unwrap_or(Value::Null);
    let content = serde_json::to_string(&last_user["content"])
        .unwrap()
        .replace(root, "<run>");
    json!({
        "model": body["model"],
        "effort": body["reasoning"]["effort"],
        "schema": body["text"]["format"]["schema"],
        "roots": roots,
        "last_user": serde_json::from_str::<Value>(&content).unwrap(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_codex_sdk_drives_rcodex_as_it_drives_the_codex_cli() {
    if std::env::var_os(SKIP_VAR).is_some_and(|v| !v.is_empty() && v != "0") {
        let _ = writeln!(std::io::stderr(), "SKIPPED codex_sdk: {SKIP_VAR} is set");
        return;
    }
    let sdk = tokio::task::spawn_blocking(sdk_dir).await.unwrap();
    let ours = drive(&rcodex_bin(), &sdk).await;
    // What the SDK showed on rcodex, checked on its own first.
    let s = &ours.sdk;
    assert_eq!(s["run"]["final"], "first answer", "{s}");
    assert_eq!(s["run"]["has_id"], true);
    assert_eq!(s["resume"]["same_thread"], true, "{s}");
    assert_eq!(s["resume"]["final"], "second answer");
    assert_eq!(s["streamed"]["final"], json!({"answer": "42"}));
    assert_eq!(s["failed"]["says_boom"], true, "{s}");
    assert_eq!(s["interrupted"]["error"], "AbortError", "{s}");
    assert!(ours.requests.len() >= 4, "{:?}", ours.requests);
    let first = &ours.requests[0];
    assert_eq!(first["effort"], "low");
    assert!(
        first["roots"].as_str().unwrap().contains("<run>/extra"),
        "additionalDirectories: {first}"
    );
    assert_eq!(ours.requests[1]["last_user"]["content"], Value::Null);
    assert_eq!(
        ours.requests[1]["last_user"][0]["text"],
        "<image name=[Image #1] path=\"<run>/work/dot.png\">"
    );
    assert!(ours.requests[2]["schema"].is_object(), "outputSchema");
    // baseUrl and apiKey reach the server; networkAccessEnabled and approvalPolicy the rollout.
    assert_eq!(s["base_url"]["final"], "via base url", "{s}");
    assert_eq!(ours.requests[0]["auth"], "Bearer sdk-test-key");
    assert_eq!(ours.requests[4]["auth"], "Bearer sdk-api-key");
    let ctx = &ours.base_url_context;
    assert_eq!(ctx["approval_policy"], "never", "{ctx}");
    assert_eq!(ctx["sandbox_policy"]["network_access"], true, "{ctx}");
    assert_eq!(ctx["permission_profile"]["network"], "enabled", "{ctx}");

    let Some(codex) = codex_bin("the_codex_sdk_drives_rcodex_as_it_drives_the_codex_cli") else {
        return;
    };
    let theirs = drive(&codex, &sdk).await;
    assert_eq!(ours.sdk, theirs.sdk, "what the SDK showed differs");
    // The aborted turn's request may or may not have reached the server before the kill.
    let n = 5;
    assert_eq!(ours.requests[..n], theirs.requests[..n], "requests differ");
    // The extra root's path differs by run: its count is compared.
    let policy = |c: &Value| {
        let mut sandbox = c["sandbox_policy"].clone();
        sandbox["writable_roots"] = json!(sandbox["writable_roots"].as_array().map(Vec::len));
        json!([
            c["approval_policy"],
            sandbox,
            c["permission_profile"]["network"]
        ])
    };
    assert_eq!(
        policy(&ours.base_url_context),
        policy(&theirs.base_url_context),
        "turn_context of the baseUrl thread"
    );
}
