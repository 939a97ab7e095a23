//! End-to-end tests of the unified exec manager against real shells: output format, exit codes,
//! workdir, merged stderr, PTYs, sessions, the output cap and that no process is left behind.

use std::path::Path;
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::json;

use super::*;

fn manager(dir: &Path) -> UnifiedExecManager {
    let mut config = ExecConfig::new(dir);
    config.login_default = false;
    UnifiedExecManager::new(config)
}

fn exec_args(value: serde_json::Value) -> ExecCommandArgs {
    serde_json::from_value(value).expect("valid exec args")
}

fn stdin_args(value: serde_json::Value) -> WriteStdinArgs {
    serde_json::from_value(value).expect("valid write_stdin args")
}

/// The part of the text after `Output:\n`.
fn output_of(text: &str) -> &str {
    let at = text.find("\nOutput:\n").expect("Output: line");
    &text[at + "\nOutput:\n".len()..]
}

/// Live (non-zombie) processes whose process group is `pgid`.
fn group_members(pgid: i32) -> Vec<i32> {
    let mut members = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return members;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // fields: state, ppid, pgrp, ...
        if fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string() {
            members.push(pid);
        }
    }
    members
}

fn is_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .map(|i| !stat[i + 2..].starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Polls until none of `pgids` has a live member (or 3 s pass); returns the survivors.
async fn survivors(pgids: &[i32]) -> Vec<i32> {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left: Vec<i32> = pgids.iter().flat_map(|g| group_members(*g)).collect();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn echo_hi_has_codex_format() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(exec_args(json!({"cmd": "echo hi"})), "6936f4".into())
        .await;
    let re = Regex::new(
        r"^Chunk ID: 6936f4\nWall time: \d+\.\d{4} seconds\nProcess exited with code 0\nOriginal token count: 1\nOutput:\nhi\n$",
    )
    .unwrap();
    assert!(re.is_match(&r.text), "{:?}", r.text);
    assert_eq!(r.exit_code, Some(0));
    assert_eq!(r.session_id, None);
    assert_eq!(r.aggregated_output, "hi\n");
    assert_eq!(r.command_display, "/bin/bash -c 'echo hi'");
    assert!(!r.is_error);
    assert!(r.wall_time < Duration::from_secs(2));
}

#[tokio::test]
async fn login_shell_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let m = UnifiedExecManager::new(ExecConfig::new(dir.path()));
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "shopt -q login_shell && echo login"})),
            "a".into(),
        )
        .await;
    assert_eq!(
        r.command_display,
        "/bin/bash -lc 'shopt -q login_shell && echo login'"
    );
    assert_eq!(output_of(&r.text), "login\n");
}

#[tokio::test]
async fn nonzero_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(exec_args(json!({"cmd": "echo oops; exit 3"})), "c".into())
        .await;
    assert!(
        r.text.contains("\nProcess exited with code 3\n"),
        "{}",
        r.text
    );
    assert_eq!(r.exit_code, Some(3));
    assert_eq!(output_of(&r.text), "oops\n");
}

#[tokio::test]
async fn workdir_relative_absolute_and_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "pwd", "workdir": "sub"})),
            "c".into(),
        )
        .await;
    let sub = dir.path().join("sub").canonicalize().unwrap();
    assert_eq!(output_of(&r.text), format!("{}\n", sub.display()));
    let r = m
        .exec_command(exec_args(json!({"cmd": "pwd", "workdir": "/"})), "c".into())
        .await;
    assert_eq!(output_of(&r.text), "/\n");
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "pwd", "workdir": "nope"})),
            "c".into(),
        )
        .await;
    assert!(r.is_error);
    assert!(
        r.text.starts_with(
            "exec_command failed: Failed to create unified exec process: No such file or directory"
        ),
        "{}",
        r.text
    );
    assert!(m.session_ids().is_empty());
}

#[tokio::test]
async fn stderr_is_merged_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "echo one; echo two >&2; echo three; echo four >&2"})),
            "c".into(),
        )
        .await;
    assert_eq!(output_of(&r.text), "one\ntwo\nthree\nfour\n");
}

#[tokio::test]
async fn tty_true_gives_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "tty; test -t 0 && test -t 1 && echo both-tty", "tty": true})),
            "c".into(),
        )
        .await;
    let out = output_of(&r.text);
    assert!(out.contains("/dev/pts/"), "{out:?}");
    assert!(out.contains("both-tty"), "{out:?}");
    assert_eq!(r.exit_code, Some(0));

    let r = m
        .exec_command(
            exec_args(json!({"cmd": "test -t 0 || test -t 1 || echo no-tty"})),
            "c".into(),
        )
        .await;
    assert_eq!(output_of(&r.text), "no-tty\n");
}

#[tokio::test]
async fn long_running_then_poll_until_exit() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "echo start; sleep 1; echo done", "yield_time_ms": 250})),
            "c1".into(),
        )
        .await;
    assert_eq!(r.session_id, Some(1000));
    assert_eq!(r.exit_code, None);
    assert!(
        r.text.contains("\nProcess running with session ID 1000\n"),
        "{}",
        r.text
    );
    assert_eq!(output_of(&r.text), "start\n");
    assert!(r.wall_time >= Duration::from_millis(240));
    assert_eq!(m.session_ids(), vec![1000]);

    let started = Instant::now();
    let p = m
        .write_stdin(stdin_args(json!({"session_id": 1000})), "c2".into())
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "poll returns at exit"
    );
    assert_eq!(p.exit_code, Some(0));
    assert_eq!(p.session_id, None);
    assert!(p.text.starts_with("Chunk ID: c2\n"));
    assert!(
        p.text.contains("\nProcess exited with code 0\n"),
        "{}",
        p.text
    );
    assert_eq!(output_of(&p.text), "done\n");
    assert_eq!(p.aggregated_output, "start\ndone\n");
    assert_eq!(p.command_display, r.command_display);
    assert!(m.session_ids().is_empty());

    let gone = m
        .write_stdin(stdin_args(json!({"session_id": 1000})), "c3".into())
        .await;
    assert!(gone.is_error);
    assert_eq!(gone.text, "write_stdin failed: Unknown process id 1000");
}

#[tokio::test]
async fn feed_stdin_to_cat_under_a_pty() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "cat", "tty": true, "yield_time_ms": 250})),
            "c".into(),
        )
        .await;
    let id = r.session_id.expect("cat keeps running");
    let fed = m
        .write_stdin(
            stdin_args(json!({"session_id": id, "chars": "hello cat\n", "yield_time_ms": 500})),
            "c".into(),
        )
        .await;
    assert_eq!(fed.session_id, Some(id));
    // The terminal echoes the line and cat prints it back.
    assert_eq!(
        output_of(&fed.text).matches("hello cat").count(),
        2,
        "{}",
        fed.text
    );

    // Ctrl-D ends cat's input.
    let end = m
        .write_stdin(
            stdin_args(json!({"session_id": id, "chars": "\u{4}", "yield_time_ms": 3000})),
            "c".into(),
        )
        .await;
    assert_eq!(end.exit_code, Some(0), "{}", end.text);
    assert!(m.session_ids().is_empty());
}

#[tokio::test]
async fn input_to_a_non_tty_session_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "echo $$; sleep 5", "yield_time_ms": 250})),
            "c".into(),
        )
        .await;
    let id = r.session_id.unwrap();
    let pgid: i32 = output_of(&r.text).trim().parse().unwrap();
    let w = m
        .write_stdin(
            stdin_args(json!({"session_id": id, "chars": "x"})),
            "c".into(),
        )
        .await;
    assert!(w.is_error);
    assert_eq!(
        w.text,
        "write_stdin failed: stdin is closed for this session; rerun exec_command with tty=true to keep stdin open"
    );
    assert!(m.terminate(id));
    assert!(!m.terminate(id));
    assert!(survivors(&[pgid]).await.is_empty());
}

#[tokio::test]
async fn random_session_ids_stay_in_codex_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ExecConfig::new(dir.path());
    config.login_default = false;
    config.session_ids = SessionIds::Random;
    let m = UnifiedExecManager::new(config);
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "sleep 5", "yield_time_ms": 250})),
            "c".into(),
        )
        .await;
    let id = r.session_id.unwrap();
    assert!((1000..100_000).contains(&id), "{id}");
    m.shutdown().await;
}

#[tokio::test]
async fn huge_output_is_capped_and_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "yes | head -c 50000000"})),
            "c".into(),
        )
        .await;
    assert_eq!(r.exit_code, Some(0));
    assert!(
        r.text
            .contains("\nOriginal token count: 12500000\nOutput:\n"),
        "{}",
        &r.text[..200]
    );
    let out = output_of(&r.text);
    assert!(out.starts_with(
        "Warning: truncated output (original token count: 12500000)\nTotal output lines: 25000000\n\ny\ny\n"
    ));
    assert!(out.contains("y\n…12490000 tokens truncated…y\n"), "marker");
    assert!(out.ends_with("y\ny\n"));
    // 10000 tokens = 40000 bytes kept, plus header and marker.
    assert!(out.len() < 40_200, "{}", out.len());
    // The transcript keeps 1 MiB (head + tail) plus the omission line.
    assert!(r.aggregated_output.len() <= DEFAULT_OUTPUT_CAP_BYTES + 64);
    assert!(r.aggregated_output.contains(" bytes omitted ...\n"));
}

#[tokio::test]
async fn max_output_tokens_limits_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "seq 1 2000", "max_output_tokens": 10})),
            "c".into(),
        )
        .await;
    let out = output_of(&r.text);
    // seq 1 2000 prints 8893 bytes.
    assert_eq!(
        out,
        "Warning: truncated output (original token count: 2224)\nTotal output lines: 2000\n\n\
         1\n2\n3\n4\n5\n6\n7\n8\n9\n10…2214 tokens truncated…1997\n1998\n1999\n2000\n"
    );
}

#[tokio::test]
async fn background_child_does_not_hold_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let started = Instant::now();
    let r = m
        .exec_command(exec_args(json!({"cmd": "sleep 100 & echo $!"})), "c".into())
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.exit_code, Some(0));
    let pid: i32 = output_of(&r.text).trim().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while is_alive(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !is_alive(pid),
        "background sleep {pid} was killed with its group"
    );
}

#[tokio::test]
async fn bad_json_and_missing_cmd() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let r = m.exec_command_json("{\"cmd\": ", "c".into()).await;
    assert!(r.is_error);
    assert_eq!(
        r.text,
        "failed to parse function arguments: EOF while parsing a value at line 1 column 8"
    );
    let r = m.exec_command_json("{\"workdir\":\"/\"}", "c".into()).await;
    assert_eq!(
        r.text,
        "failed to parse function arguments: missing field `cmd` at line 1 column 15"
    );
    let r = m
        .write_stdin_json("{\"session_id\":\"x\"}", "c".into())
        .await;
    assert!(r
        .text
        .starts_with("failed to parse function arguments: invalid type: string"));
}

#[tokio::test]
async fn session_ids_count_up_from_1000() {
    let dir = tempfile::tempdir().unwrap();
    let m = manager(dir.path());
    let slow = || exec_args(json!({"cmd": "sleep 30", "yield_time_ms": 250}));
    let a = m.exec_command(slow(), "a".into()).await.session_id;
    let b = m.exec_command(slow(), "b".into()).await.session_id;
    assert_eq!((a, b), (Some(1000), Some(1001)));
    assert!(m.terminate(1000));
    let c = m.exec_command(slow(), "c".into()).await.session_id;
    assert_eq!(c, Some(1002));
    // A command that finishes in time frees its id at once.
    let quick = m
        .exec_command(exec_args(json!({"cmd": "true"})), "d".into())
        .await;
    assert_eq!(quick.exit_code, Some(0));
    assert_eq!(m.session_ids(), vec![1001, 1002]);
    m.shutdown().await;
    assert!(m.session_ids().is_empty());
    let after = m
        .exec_command(exec_args(json!({"cmd": "true"})), "e".into())
        .await;
    assert_eq!(after.text, "exec_command failed: unified exec is shut down");
}

#[tokio::test]
async fn hard_timeout_kills_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ExecConfig::new(dir.path());
    config.login_default = false;
    config.hard_timeout = Some(Duration::from_millis(300));
    let m = UnifiedExecManager::new(config);
    let r = m
        .exec_command(
            exec_args(json!({"cmd": "sleep 100 & echo $$; sleep 100", "yield_time_ms": 250})),
            "c".into(),
        )
        .await;
    let id = r.session_id.expect("still running at 250 ms");
    let pgid: i32 = output_of(&r.text).trim().parse().unwrap();
    let p = m
        .write_stdin(stdin_args(json!({"session_id": id})), "c".into())
        .await;
    assert_eq!(p.exit_code, Some(137), "{}", p.text);
    assert!(survivors(&[pgid]).await.is_empty());
}

#[tokio::test]
async fn shutdown_and_drop_leave_no_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let mut pgids = Vec::new();
    let cmd = json!({"cmd": "sleep 100 & echo $$; sleep 100", "yield_time_ms": 250});

    let m = manager(dir.path());
    for i in 0..10 {
        let r = m.exec_command(exec_args(cmd.clone()), format!("{i}")).await;
        assert!(r.session_id.is_some());
        let pgid: i32 = output_of(&r.text).trim().parse().unwrap();
        // bash execs the last `sleep 100` itself: that and the background sleep.
        assert_eq!(group_members(pgid).len(), 2);
        pgids.push(pgid);
    }
    m.shutdown().await;
    assert_eq!(survivors(&pgids).await, Vec::<i32>::new());

    let m = manager(dir.path());
    let mut dropped = Vec::new();
    for i in 0..10 {
        let r = m.exec_command(exec_args(cmd.clone()), format!("{i}")).await;
        dropped.push(output_of(&r.text).trim().parse::<i32>().unwrap());
    }
    drop(m);
    assert_eq!(survivors(&dropped).await, Vec::<i32>::new());
}

#[tokio::test]
async fn a_shell_snapshot_runs_login_commands_without_the_login_shell() {
    use crate::tools::shell_snapshot::{base_env, SnapshotSlot};
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".bash_profile"),
        "echo noise\nexport FROM_PROFILE=yes\n",
    )
    .unwrap();
    let mut config = ExecConfig::new(dir.path());
    config
        .env
        .insert("HOME".into(), home.path().display().to_string());
    let base = base_env(&CODEX_EXEC_ENV, &config.env);
    config.shell_snapshot = Some(std::sync::Arc::new(SnapshotSlot::new("/bin/bash", base)));
    let m = UnifiedExecManager::new(config);
    let probe = "shopt -q login_shell && echo login || echo not-login; echo $FROM_PROFILE $TERM";
    let run = |args: serde_json::Value| m.exec_command(exec_args(args), "a".into());

    let r = run(json!({ "cmd": probe })).await;
    assert_eq!(r.command_display, format!("/bin/bash -lc '{probe}'"));
    assert_eq!(output_of(&r.text), "not-login\nyes dumb\n");
    // Elsewhere than the session's directory, and when the model says so: as asked.
    let r = run(json!({ "cmd": probe, "workdir": "sub" })).await;
    assert_eq!(output_of(&r.text), "noise\nlogin\nyes dumb\n");
    let r = run(json!({ "cmd": probe, "login": false })).await;
    assert_eq!(output_of(&r.text), "not-login\ndumb\n");
}
