//! The shell snapshot through the real binary: a batch run reads the login profile once for all
//! its scenarios (not once per command), commands see what the profile exports without its
//! noise, `features.shell_snapshot = false` and a `workdir` elsewhere fall back to `bash -lc`, a
//! profile that depends on the working directory is never snapshotted (so nothing of one
//! workspace reaches another), and one `rcodex exec` session reads it once too.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// A HOME whose `.bash_profile` counts its reads, prints a line and exports a variable.
fn home_with_profile(dir: &Path, profile: &str) -> PathBuf {
    let home = dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join(".bash_profile"),
        format!("echo read >> \"$HOME/profile-reads\"\n{profile}"),
    )
    .unwrap();
    home
}

fn profile_reads(home: &Path) -> usize {
    std::fs::read_to_string(home.join("profile-reads"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// A scenario with `calls` (each a `cmd` and maybe a `workdir`), then a final message.
fn scenario(name: &str, calls: &[(&str, Option<&str>)], extra: &str) -> String {
    let mut text = format!(
        "name = \"{name}\"\nprompt = \"probe\"\n{extra}\n[workspace.files]\n\"sub/keep\" = \"\"\n"
    );
    for (cmd, workdir) in calls {
        let workdir = workdir.map_or(String::new(), |w| format!(", workdir = \"{w}\""));
        text.push_str(&format!(
            "[[model.reply]]\nfunction_call = {{ name = \"exec_command\", arguments = {{ cmd = '{cmd}'{workdir} }} }}\n"
        ));
    }
    text.push_str("[[model.reply]]\nmessage = \"done\"\n[expect]\nfinal_message = \"done\"\n");
    text
}

fn batch(scenarios: &Path, out: &Path, home: &Path) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .args(["batch", "-j", "2", "--out"])
        .arg(out)
        .arg(scenarios)
        .env("HOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex batch")
}

/// Each scenario's tool outputs (the text after `Output:`), by scenario id, from its rollout.
fn outputs_by_scenario(out: &Path) -> Vec<(String, Vec<String>)> {
    let results = std::fs::read_to_string(out.join("results.jsonl")).unwrap();
    let mut all: Vec<(String, Vec<String>)> = rcodex_tests::json_lines(&results)
        .iter()
        .map(|line| {
            assert_eq!(line["status"], "pass", "{line}");
            let rollout = std::fs::read_to_string(line["rollout"].as_str().unwrap()).unwrap();
            (
                line["id"].as_str().unwrap().to_string(),
                tool_outputs(&rollout),
            )
        })
        .collect();
    all.sort();
    all
}

fn tool_outputs(rollout: &str) -> Vec<String> {
    rcodex_tests::json_lines(rollout)
        .iter()
        .filter(|l| l["type"] == "response_item" && l["payload"]["type"] == "function_call_output")
        .map(|l| {
            let text = l["payload"]["output"].as_str().unwrap_or_default();
            text.split_once("Output:\n")
                .map_or(text, |(_, out)| out)
                .to_string()
        })
        .collect()
}

const PROBE: &str =
    r#"shopt -q login_shell && echo login || echo not-login; echo "p=$FROM_PROFILE""#;

#[test]
fn a_batch_reads_the_login_profile_once_and_commands_see_its_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let home = home_with_profile(tmp.path(), "echo noise\nexport FROM_PROFILE=yes\n");
    let dir = tmp.path().join("scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 1..=3 {
        let calls = [(PROBE, None), (PROBE, None), (PROBE, Some("sub"))];
        std::fs::write(
            dir.join(format!("s{i}.toml")),
            scenario(&format!("s{i}"), &calls, ""),
        )
        .unwrap();
    }
    let out = tmp.path().join("out");
    let o = batch(&dir, &out, &home);
    assert_eq!(o.status.code(), Some(0), "{o:?}");

    // One capture for the run, plus the three `workdir = "sub"` calls that ran `bash -lc`.
    assert_eq!(profile_reads(&home), 1 + 3);
    let by_scenario = outputs_by_scenario(&out);
    assert_eq!(by_scenario.len(), 3);
    for (id, outputs) in by_scenario {
        assert_eq!(
            outputs,
            [
                "not-login\np=yes\n",
                "not-login\np=yes\n",
                "noise\nlogin\np=yes\n"
            ],
            "{id}"
        );
    }
}

#[test]
fn switched_off_every_login_command_reads_the_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let home = home_with_profile(tmp.path(), "echo noise\nexport FROM_PROFILE=yes\n");
    let dir = tmp.path().join("scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    let off = "config = { \"features.shell_snapshot\" = false }";
    std::fs::write(
        dir.join("off.toml"),
        scenario("off", &[(PROBE, None), (PROBE, None)], off),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = batch(&dir, &out, &home);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(profile_reads(&home), 2);
    let (_, outputs) = &outputs_by_scenario(&out)[0];
    assert_eq!(outputs, &["noise\nlogin\np=yes\n", "noise\nlogin\np=yes\n"]);
}

#[test]
fn a_profile_that_depends_on_the_directory_is_not_shared_between_workspaces() {
    let tmp = tempfile::tempdir().unwrap();
    let home = home_with_profile(tmp.path(), "export WHERE_LOGIN=\"$PWD\"\n");
    let dir = tmp.path().join("scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    let same = r#"[ "$WHERE_LOGIN" = "$PWD" ] && echo own-dir || echo "leaked $WHERE_LOGIN""#;
    for i in 1..=2 {
        std::fs::write(
            dir.join(format!("w{i}.toml")),
            scenario(&format!("w{i}"), &[(same, None)], ""),
        )
        .unwrap();
    }
    let out = tmp.path().join("out");
    let o = batch(&dir, &out, &home);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("depends on the working directory"),
        "{stderr}"
    );
    // The refused capture, then each command in its own login shell.
    assert_eq!(profile_reads(&home), 1 + 2);
    for (id, outputs) in outputs_by_scenario(&out) {
        assert_eq!(outputs, ["own-dir\n"], "{id}");
    }
}

/// `rcodex mock` serving `script`, and its base URL.
fn start_mock(script: &Path) -> (Child, String) {
    let mut child = Command::new(rcodex_tests::rcodex_bin())
        .args(["mock", "--script"])
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rcodex mock");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_string())
}

#[test]
fn one_exec_session_reads_the_login_profile_once() {
    let tmp = tempfile::tempdir().unwrap();
    let home = home_with_profile(tmp.path(), "export FROM_PROFILE=yes\n");
    let script = tmp.path().join("script.toml");
    let mut text = String::new();
    for _ in 0..3 {
        text.push_str(&format!(
            "[[reply]]\nfunction_call = {{ name = \"exec_command\", arguments = {{ cmd = '{PROBE}' }} }}\n"
        ));
    }
    text.push_str("[[reply]]\nmessage = \"done\"\n");
    std::fs::write(&script, text).unwrap();
    let (mut mock, url) = start_mock(&script);
    let codex_home = tmp.path().join("codex-home");
    rcodex_tests::write_mock_config(&codex_home, &url);
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let o = rcodex_tests::exec_command(None)
        .arg("-C")
        .arg(&work)
        .arg("probe")
        .env("CODEX_HOME", &codex_home)
        .env("HOME", &home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    mock.kill().unwrap();
    mock.wait().unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let events = rcodex_tests::json_lines(&String::from_utf8_lossy(&o.stdout));
    let done: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "item.completed" && e["item"]["type"] == "command_execution")
        .collect();
    assert_eq!(done.len(), 3);
    for e in done {
        // Shown as the model asked for it; run without the login flag.
        assert_eq!(
            e["item"]["command"].as_str().unwrap(),
            format!("/bin/bash -lc '{}'", PROBE.replace('\'', r#"'"'"'"#))
        );
        assert_eq!(e["item"]["aggregated_output"], "not-login\np=yes\n");
    }
    assert_eq!(profile_reads(&home), 1);
}
