//! `rcodex batch` through the real binary: the bundled scenarios pass, shards partition them,
//! a killed run resumes without loss, a malformed scenario is an error row, JUnit parses back,
//! and Ctrl-C stops cleanly with a resume command.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rcodex_tests::{batch_in as batch, batch_results as results};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scenario_files(dir: &Path) -> usize {
    walk(dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .count()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn bundled_scenarios_all_pass_and_shards_partition_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("all");
    let o = batch(
        &["scenarios", "-j", "4", "--out", out.to_str().unwrap()],
        &repo(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let lines = results(&out);
    let n = scenario_files(&repo().join("scenarios"));
    assert!(n >= 15);
    assert_eq!(lines.len(), n);
    assert!(lines.iter().all(|l| l["status"] == "pass"), "{lines:?}");
    assert!(lines
        .iter()
        .all(|l| Path::new(l["rollout"].as_str().unwrap()).exists()));
    let all: BTreeSet<String> = lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();

    let mut union = BTreeSet::new();
    let mut shard_dirs = Vec::new();
    for i in 1..=3 {
        let dir = tmp.path().join(format!("shard{i}"));
        let o = batch(
            &[
                "scenarios",
                "--shard",
                &format!("{i}/3"),
                "--out",
                dir.to_str().unwrap(),
            ],
            &repo(),
        );
        assert_eq!(o.status.code(), Some(0));
        for l in results(&dir) {
            assert!(
                union.insert(l["id"].as_str().unwrap().to_string()),
                "{} in two shards",
                l["id"]
            );
        }
        shard_dirs.push(dir);
    }
    assert_eq!(union, all, "every scenario in exactly one shard");

    let merged = tmp.path().join("merged");
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(shard_dirs.iter().map(|d| d.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    let o = batch(&args, &repo());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(results(&merged).len(), n);
    assert!(merged.join("junit.xml").exists());
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Waits until `out/results.jsonl` holds at least `n` lines (a running batch made progress).
fn wait_for_results(out: &Path, n: usize) {
    let start = Instant::now();
    while std::fs::read_to_string(out.join("results.jsonl")).map_or(0, |t| t.lines().count()) < n {
        assert!(start.elapsed() < Duration::from_secs(30), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn slow_scenario(i: usize) -> String {
    format!("name = \"slow {i}\"\nprompt = \"p\"\n[[model.reply]]\nmessage = \"m{i}\"\ndelay_ms = 250\n[expect]\nfinal_message = \"m{i}\"\n")
}

#[test]
fn a_killed_batch_resumes_without_losing_or_repeating_results() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..8 {
        write(&dir, &format!("s{i}.toml"), &slow_scenario(i));
    }
    let out = tmp.path().join("out");
    let mut child = Command::new(rcodex_tests::rcodex_bin())
        .args([
            "batch",
            dir.to_str().unwrap(),
            "-j",
            "1",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_results(&out, 2);
    // kill -9 by pid, then simulate a write torn by the crash.
    assert!(Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let _ = child.wait();
    let before = results(&out).len();
    assert!((2..8).contains(&before), "{before}");
    let mut text = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    text.push_str("{\"id\":\"s7\",\"repe");
    std::fs::write(out.join("results.jsonl"), text).unwrap();

    let o = batch(
        &[
            dir.to_str().unwrap(),
            "-j",
            "4",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("{before} done")));
    let lines = results(&out);
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), 8, "each scenario exactly once: {ids:?}");
    assert_eq!(unique.len(), 8);
}

#[test]
fn malformed_scenarios_are_error_rows_and_junit_parses_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    std::fs::create_dir_all(&dir).unwrap();
    write(&dir, "good.toml", "name = \"good\"\nprompt = \"p\"\n[[model.reply]]\nmessage = \"ok\"\n[expect]\nfinal_message = \"ok\"\n");
    write(&dir, "wrong.toml", "name = \"wrong\"\nprompt = \"p\"\n[[model.reply]]\nmessage = \"no\"\n[expect]\nfinal_message = \"yes & <sure>\"\n");
    write(
        &dir,
        "bad.toml",
        "name = \"bad\"\nprompt = \"p\"\n[expect]\nrequests = \"two\"\n",
    );
    write(
        &dir,
        "live_only.toml",
        "name = \"live only\"\nprompt = \"p\"\n",
    );
    let out = tmp.path().join("out");
    let o = batch(
        &[dir.to_str().unwrap(), "--out", out.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let lines = results(&out);
    let status = |id: &str| {
        lines.iter().find(|l| l["id"] == id).unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("good"), "pass");
    assert_eq!(status("wrong"), "fail");
    assert_eq!(status("bad"), "error");
    assert_eq!(status("live_only"), "skipped");
    let err = lines.iter().find(|l| l["id"] == "bad").unwrap()["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(err.contains("bad.toml:4: expect.requests:"), "{err}");

    // JUnit: counts match results.jsonl; escaping keeps it well-formed.
    let xml = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    let mut suite_attrs = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    b"error" => errors += 1,
                    b"skipped" => skipped += 1,
                    b"testsuite" => {
                        for a in e.attributes() {
                            let a = a.unwrap();
                            suite_attrs.push((
                                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                                a.unescape_value().unwrap().into_owned(),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!((cases, failures, errors, skipped), (4, 1, 1, 1));
    let attr = |k: &str| suite_attrs.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(attr("tests"), "4");
    assert_eq!(attr("failures"), "1");
    assert_eq!(attr("errors"), "1");
}

#[test]
fn ctrl_c_stops_cleanly_and_prints_the_resume_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..6 {
        write(&dir, &format!("s{i}.toml"), &slow_scenario(i));
    }
    let out = tmp.path().join("out");
    let child = Command::new(rcodex_tests::rcodex_bin())
        .args([
            "batch",
            dir.to_str().unwrap(),
            "-j",
            "1",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_results(&out, 1);
    assert!(Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("resume with:"), "{err}");
    let kept = results(&out).len();
    assert!((1..6).contains(&kept), "{kept}");
    let o = batch(
        &[dir.to_str().unwrap(), "--out", out.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(results(&out).len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn live_mode_uses_the_configured_provider() {
    let script: rcodex_runner::mock::Script =
        serde_json::from_value(serde_json::json!({ "replies": [{ "message": "live answer" }] }))
            .unwrap();
    let server = rcodex_runner::mock::MockServer::start(script)
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    rcodex_tests::write_mock_config(&home, &server.base_url());
    let dir = tmp.path().join("sc");
    std::fs::create_dir_all(&dir).unwrap();
    // No scripted replies: skipped unless --live.
    write(
        &dir,
        "ask.toml",
        "name = \"ask\"\nprompt = \"hi\"\n[expect]\nfinal_message = \"live answer\"\n",
    );
    let out = tmp.path().join("out");
    let cmd = |live: bool, out: &Path| {
        let mut c = Command::new(rcodex_tests::rcodex_bin());
        c.args([
            "batch",
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        if live {
            c.arg("--live");
        }
        c.env("CODEX_HOME", &home)
            .env("MOCK_API_KEY", "k")
            .stdin(Stdio::null());
        c
    };
    let o = tokio::task::spawn_blocking({
        let mut c = cmd(false, &tmp.path().join("scripted"));
        move || c.output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        results(&tmp.path().join("scripted"))[0]["status"],
        "skipped"
    );
    let o = tokio::task::spawn_blocking({
        let mut c = cmd(true, &out);
        move || c.output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(results(&out)[0]["status"], "pass");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0]
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && v == "Bearer k"));
}
