//! `rcodex doctor` through the real binary, every case on loopback with a temp CODEX_HOME: a good
//! setup against the scripted server passes, and each broken setup (config syntax, profile, key,
//! closed port, unresolvable host, refused key, failing live request) fails the check it belongs
//! to, saying what to fix, without ever printing the key.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const KEY: &str = "sk-doctor-test-0123456789abcdef";

/// A temp CODEX_HOME.
struct Home {
    tmp: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("home")).unwrap();
        Home { tmp }
    }
    fn with_provider(base_url: &str) -> Home {
        let h = Home::new();
        rcodex_tests::write_mock_config(&h.path(), base_url);
        h
    }
    fn path(&self) -> PathBuf {
        self.tmp.path().join("home")
    }
    fn config(&self) -> PathBuf {
        self.path().join("config.toml")
    }
}

/// `rcodex doctor ARGS` with CODEX_HOME = `home` and MOCK_API_KEY = `key` (unset with `None`).
fn doctor(home: &Path, key: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(rcodex_tests::rcodex_bin());
    cmd.arg("doctor")
        .args(args)
        .env("CODEX_HOME", home)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("MOCK_API_KEY")
        .stdin(Stdio::null());
    if let Some(key) = key {
        cmd.env("MOCK_API_KEY", key);
    }
    cmd.output().expect("run rcodex doctor")
}

async fn doctor_async(
    home: PathBuf,
    key: Option<&'static str>,
    args: &'static [&'static str],
) -> Output {
    tokio::task::spawn_blocking(move || doctor(&home, key, args))
        .await
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The line of check `name` in the human output.
fn line<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no {name} line in\n{out}"))
}

fn status_of(out: &str, name: &str) -> String {
    line(out, name)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn never_shows_key(o: &Output) {
    assert!(!show(o).contains(KEY), "the key leaked:\n{}", show(o));
}

async fn scripted(replies: Value) -> rcodex_runner::mock::MockServer {
    let script: rcodex_runner::mock::Script =
        serde_json::from_value(serde_json::json!({ "replies": replies })).unwrap();
    rcodex_runner::mock::MockServer::start(script)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_setup_passes_every_check_and_sends_one_minimal_request() {
    let server = scripted(serde_json::json!([{ "message": "ok", "repeat": 2 }])).await;
    let home = Home::with_provider(&server.base_url());
    let o = doctor_async(home.path(), Some(KEY), &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = stdout(&o);
    for name in [
        "config", "profile", "provider", "model", "key", "dns", "tcp", "live",
    ] {
        assert_eq!(status_of(&out, name), "ok", "{name}:\n{out}");
    }
    // Plain http has no TLS; the scripted server has no /models, which is only a warning.
    assert_eq!(status_of(&out, "tls"), "skip", "{out}");
    assert_eq!(status_of(&out, "http"), "warn", "{out}");
    assert!(line(&out, "http").contains("HTTP 404"), "{out}");
    assert!(
        line(&out, "key").contains(&format!("MOCK_API_KEY set ({} chars)", KEY.len())),
        "{out}"
    );
    assert!(line(&out, "live").contains("response.completed"), "{out}");
    never_shows_key(&o);
    // The live request went through the client with the key, one short input and no tools.
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let auth = requests[0]
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone());
    assert_eq!(auth, Some(format!("Bearer {KEY}")));
    assert_eq!(requests[0].body["model"], "gpt-5.5");
    assert_eq!(requests[0].body["tools"], serde_json::json!([]));
    assert_eq!(requests[0].body["input"].as_array().unwrap().len(), 1);

    let o = doctor_async(home.path(), Some(KEY), &["--json", "-m", "gpt-test"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).expect("--json is one JSON object");
    assert_eq!(v["ok"], true);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 10, "{v}");
    assert!(checks.iter().all(|c| c["status"] != "fail"), "{v}");
    assert_eq!(checks[3]["name"], "model");
    assert_eq!(checks[3]["detail"], "gpt-test");
    never_shows_key(&o);
    assert_eq!(server.requests()[1].body["model"], "gpt-test");
}

#[tokio::test(flavor = "multi_thread")]
async fn skip_live_sends_no_request() {
    let server = scripted(serde_json::json!([{ "message": "ok" }])).await;
    let home = Home::with_provider(&server.base_url());
    let o = doctor_async(home.path(), Some(KEY), &["--skip-live"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert_eq!(status_of(&stdout(&o), "live"), "skip");
    assert!(server.requests().is_empty());
}

#[test]
fn a_config_syntax_error_fails_naming_the_file_and_line() {
    let home = Home::new();
    std::fs::write(home.config(), "model = \"gpt-5.5\"\nmodel_provider = \n").unwrap();
    let o = doctor(&home.path(), Some(KEY), &["--skip-live"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    let config = line(&out, "config");
    assert!(config.starts_with("fail"), "{out}");
    assert!(
        config.contains(&format!("{}:2:", home.config().display())),
        "{out}"
    );
    assert!(config.contains("fix:"), "{out}");
    assert_eq!(status_of(&out, "tcp"), "skip", "{out}");
}

#[test]
fn a_bad_value_fails_naming_the_field() {
    let home = Home::new();
    std::fs::write(home.config(), "model = 5\n").unwrap();
    let o = doctor(&home.path(), Some(KEY), &["--skip-live"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    assert!(
        line(&out, "config").contains(&format!("{}:1: model:", home.config().display())),
        "{out}"
    );
}

#[test]
fn an_unknown_profile_fails_the_profile_check() {
    let home = Home::with_provider("http://127.0.0.1:9/v1");
    let o = doctor(&home.path(), Some(KEY), &["-p", "nightly", "--skip-live"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    assert_eq!(status_of(&out, "config"), "ok", "{out}");
    let profile = line(&out, "profile");
    assert!(profile.starts_with("fail"), "{out}");
    assert!(profile.contains("\"nightly\""), "{out}");
    assert!(profile.contains("nightly.config.toml"), "{out}");
}

#[test]
fn a_missing_key_fails_naming_the_variable() {
    let home = Home::with_provider("http://127.0.0.1:9/v1");
    let o = doctor(&home.path(), None, &["--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["ok"], false);
    let key = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "key")
        .unwrap();
    assert_eq!(key["status"], "fail");
    assert!(
        key["detail"]
            .as_str()
            .unwrap()
            .contains("MOCK_API_KEY is not set"),
        "{key}"
    );
    assert!(
        key["fix"].as_str().unwrap().contains(&format!(
            "set MOCK_API_KEY or put it in {}/.env",
            home.path().display()
        )),
        "{key}"
    );
}

#[test]
fn a_key_in_codex_home_dotenv_is_found() {
    let home = Home::with_provider("http://127.0.0.1:9/v1");
    std::fs::write(home.path().join(".env"), format!("MOCK_API_KEY={KEY}\n")).unwrap();
    let o = doctor(&home.path(), None, &["--skip-live"]);
    let out = stdout(&o);
    assert_eq!(status_of(&out, "key"), "ok", "{out}");
    never_shows_key(&o);
}

#[test]
fn a_closed_port_fails_the_tcp_check() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let home = Home::with_provider(&format!("http://127.0.0.1:{port}/v1"));
    let o = doctor(&home.path(), Some(KEY), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    assert_eq!(status_of(&out, "dns"), "ok", "{out}");
    let tcp = line(&out, "tcp");
    assert!(tcp.starts_with("fail"), "{out}");
    assert!(tcp.contains(&format!("127.0.0.1:{port}")), "{out}");
    assert!(tcp.contains("model_providers.mock.base_url"), "{out}");
    assert_eq!(status_of(&out, "http"), "skip", "{out}");
    assert_eq!(status_of(&out, "live"), "skip", "{out}");
    never_shows_key(&o);
}

#[test]
fn an_unresolvable_host_fails_the_dns_check() {
    let home = Home::with_provider("http://nonexistent.invalid/v1");
    let o = doctor(&home.path(), Some(KEY), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    let dns = line(&out, "dns");
    assert!(dns.starts_with("fail"), "{out}");
    assert!(dns.contains("nonexistent.invalid"), "{out}");
    assert_eq!(status_of(&out, "tcp"), "skip", "{out}");
    assert_eq!(status_of(&out, "live"), "skip", "{out}");
}

/// A loopback server answering every request with `status` and `body`, for `answers`
/// connections.
fn canned_server(
    answers: usize,
    status: &'static str,
    body: &'static str,
) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(answers) {
            let mut stream = stream.unwrap();
            read_request(&mut stream);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (format!("http://127.0.0.1:{port}/v1"), handle)
}

/// Reads one request: the head, then `content-length` bytes of body.
fn read_request(stream: &mut std::net::TcpStream) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).unwrap_or(0) == 0 {
            return;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    let _ = stream.read_exact(&mut body);
}

#[test]
fn a_refused_key_fails_http_and_live() {
    // Three connections: the TCP check, the GET and the live POST.
    let (base_url, server) = canned_server(
        3,
        "401 Unauthorized",
        r#"{"error":{"message":"Incorrect API key provided"}}"#,
    );
    let home = Home::with_provider(&base_url);
    let o = doctor(&home.path(), Some(KEY), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    assert_eq!(status_of(&out, "tcp"), "ok", "{out}");
    let http = line(&out, "http");
    assert!(http.starts_with("fail"), "{out}");
    assert!(
        http.contains("HTTP 401") && http.contains("the key was refused"),
        "{out}"
    );
    let live = line(&out, "live");
    assert!(live.starts_with("fail"), "{out}");
    assert!(live.contains("HTTP 401: the key was refused"), "{out}");
    assert!(live.contains("Incorrect API key provided"), "{out}");
    never_shows_key(&o);
    server.join().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_request_answered_with_http_500_fails_with_the_message() {
    let server = scripted(serde_json::json!([
        { "http_error": { "status": 500, "body": "upstream overloaded" } }
    ]))
    .await;
    let home = Home::with_provider(&server.base_url());
    let o = doctor_async(home.path(), Some(KEY), &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    let live = line(&out, "live");
    assert!(live.starts_with("fail"), "{out}");
    assert!(live.contains("HTTP 500: upstream overloaded"), "{out}");
    assert!(live.contains("fix:"), "{out}");
    // One request: doctor never retries.
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_request_answered_with_response_failed_fails_with_the_message() {
    let server = scripted(serde_json::json!([
        { "failed": { "code": "model_not_found", "message": "The model gpt-nope does not exist" } }
    ]))
    .await;
    let home = Home::with_provider(&server.base_url());
    let o = doctor_async(home.path(), Some(KEY), &["--json"]).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let live = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "live")
        .unwrap();
    assert_eq!(live["status"], "fail", "{v}");
    let detail = live["detail"].as_str().unwrap();
    assert!(
        detail.contains("response.failed: model_not_found The model gpt-nope does not exist"),
        "{detail}"
    );
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let home = Home::new();
    let o = doctor(&home.path(), None, &["--frobnicate"]);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn https_to_a_plain_http_server_fails_the_tls_check() {
    let server = scripted(serde_json::json!([{ "message": "ok" }])).await;
    let base_url = server.base_url().replacen("http://", "https://", 1);
    let home = Home::with_provider(&base_url);
    let o = doctor_async(home.path(), Some(KEY), &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    assert_eq!(status_of(&out, "tcp"), "ok", "{out}");
    let tls = line(&out, "tls");
    assert!(tls.starts_with("fail"), "{out}");
    assert!(tls.contains("TLS handshake with 127.0.0.1"), "{out}");
    assert_eq!(status_of(&out, "http"), "skip", "{out}");
    assert_eq!(status_of(&out, "live"), "skip", "{out}");
    assert!(server.requests().is_empty());
}

#[test]
fn an_unknown_provider_fails_the_provider_check() {
    let home = Home::new();
    std::fs::write(home.config(), "model_provider = \"nowhere\"\n").unwrap();
    let o = doctor(&home.path(), Some(KEY), &["--skip-live"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    assert_eq!(status_of(&out, "config"), "ok", "{out}");
    let provider = line(&out, "provider");
    assert!(provider.starts_with("fail"), "{out}");
    assert!(provider.contains("\"nowhere\""), "{out}");
    assert!(provider.contains("known: openai"), "{out}");
}

#[test]
fn a_bad_override_fails_naming_it() {
    let home = Home::with_provider("http://127.0.0.1:9/v1");
    let o = doctor(
        &home.path(),
        Some(KEY),
        &["-c", "model_reasoning_effort", "--skip-live"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    let config = line(&out, "config");
    assert!(config.starts_with("fail"), "{out}");
    assert!(
        config.contains("-c model_reasoning_effort: expected key=value"),
        "{out}"
    );
}

#[test]
fn a_chat_provider_is_checked_up_to_http_and_its_models_answer_counts() {
    let (base_url, server) = canned_server(2, "200 OK", r#"{"data":[{"id":"qwen"}]}"#);
    let home = Home::with_provider(&base_url);
    let config = std::fs::read_to_string(home.config()).unwrap();
    std::fs::write(
        home.config(),
        config.replace("wire_api = \"responses\"", "wire_api = \"chat\""),
    )
    .unwrap();
    // The live request of a chat provider is tested in tests/chat_completions.rs.
    let o = doctor(&home.path(), Some(KEY), &["--skip-live"]);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    let out = stdout(&o);
    assert!(line(&out, "provider").contains("wire_api chat"), "{out}");
    assert_eq!(status_of(&out, "http"), "ok", "{out}");
    assert!(line(&out, "http").contains("HTTP 200"), "{out}");
    assert_eq!(status_of(&out, "live"), "skip", "{out}");
    server.join().unwrap();
}

#[test]
fn an_unset_env_http_headers_variable_is_a_warning_naming_it() {
    let home = Home::with_provider("http://127.0.0.1:9/v1");
    let mut config = std::fs::read_to_string(home.config()).unwrap();
    config.push_str("env_http_headers = { \"OpenAI-Organization\" = \"DOCTOR_TEST_ORG\" }\n");
    std::fs::write(home.config(), config).unwrap();
    let o = doctor(&home.path(), Some(KEY), &["--skip-live"]);
    let out = stdout(&o);
    let key = line(&out, "key");
    assert!(key.starts_with("warn"), "{out}");
    assert!(
        key.contains("OpenAI-Organization (from DOCTOR_TEST_ORG)"),
        "{out}"
    );
    assert!(key.contains("fix: set DOCTOR_TEST_ORG"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_model_answered_with_404_says_to_check_the_model() {
    let server = scripted(serde_json::json!([{ "http_error": { "status": 404, "body":
        "{\"error\":{\"code\":\"model_not_found\",\"message\":\"The model `gpt-nope` does not exist\"}}" } }]))
    .await;
    let home = Home::with_provider(&server.base_url());
    let o = doctor_async(home.path(), Some(KEY), &["-m", "gpt-nope"]).await;
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = stdout(&o);
    let live = line(&out, "live");
    assert!(
        live.contains("HTTP 404") && live.contains("model_not_found"),
        "{out}"
    );
    assert!(live.contains("fix: check the model name"), "{out}");
}
