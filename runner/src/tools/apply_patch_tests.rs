//! Tests of the apply_patch tool against real temp folders: outputs, atomicity, write scope.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rcodex_core::sandbox::SandboxMode;

use super::*;

/// Everything under `root`: relative path → file bytes, `dir`, or `link -> target`.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .map(|entry| {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(root).unwrap().to_path_buf();
            let ty = entry.file_type();
            let value = if ty.is_symlink() {
                format!("link -> {}", fs::read_link(entry.path()).unwrap().display()).into_bytes()
            } else if ty.is_dir() {
                b"dir".to_vec()
            } else {
                fs::read(entry.path()).unwrap()
            };
            (rel, value)
        })
        .collect()
}

fn workspace(root: &Path) -> WriteScope {
    WriteScope::new(SandboxMode::WorkspaceWrite, vec![root.to_path_buf()])
}

/// The output with the measured wall time replaced by 0, so slow machines do not flake.
fn masked(output: &str) -> String {
    let re = regex::Regex::new(r"(?m)^Wall time: [0-9.]+ seconds$").unwrap();
    re.replace(output, "Wall time: 0 seconds").into_owned()
}

fn wrap(body: &str) -> String {
    format!("*** Begin Patch\n{body}\n*** End Patch")
}

const OUTSIDE: &str =
    "patch rejected: writing outside of the project; rejected by user approval settings";

#[test]
fn add_update_delete_move_report_like_codex() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.txt"), "one\ntwo\n").unwrap();
    fs::write(root.join("gone.txt"), "bye\n").unwrap();
    fs::create_dir(root.join("old")).unwrap();
    fs::write(root.join("old/name.txt"), "line\n").unwrap();
    let patch = wrap(
        "*** Add File: hello.txt\n+Hello world\n*** Update File: a.txt\n@@\n one\n-two\n+TWO\n\
         *** Delete File: gone.txt\n*** Update File: old/name.txt\n*** Move to: renamed/dir/name.txt\n\
         @@\n-line\n+line2",
    );
    let run = run_apply_patch(&patch, root, &workspace(root));
    assert!(run.success, "{}", run.output);
    assert_eq!(
        masked(&run.output),
        "Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\n\
         A hello.txt\nM a.txt\nM renamed/dir/name.txt\nD gone.txt\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("hello.txt")).unwrap(),
        "Hello world\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("a.txt")).unwrap(),
        "one\nTWO\n"
    );
    assert!(!root.join("gone.txt").exists());
    assert!(!root.join("old/name.txt").exists());
    assert_eq!(
        fs::read_to_string(root.join("renamed/dir/name.txt")).unwrap(),
        "line2\n"
    );
    assert_eq!(run.changes.len(), 4);
    assert_eq!(run.changes[0].path, root.join("hello.txt"));
}

#[test]
fn crlf_file_stays_crlf() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("w.txt"), "a\r\nb\r\nc\r\n").unwrap();
    let run = run_apply_patch(
        &wrap("*** Update File: w.txt\n@@\n a\n-b\n+B\n+B2"),
        dir.path(),
        &workspace(dir.path()),
    );
    assert!(run.success, "{}", run.output);
    assert_eq!(
        fs::read(dir.path().join("w.txt")).unwrap(),
        b"a\r\nB\r\nB2\r\nc\r\n"
    );
}

#[test]
fn missing_context_leaves_tree_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.txt"), "x\ny\n").unwrap();
    fs::write(root.join("b.txt"), "keep\n").unwrap();
    let before = snapshot(root);
    // The first operations would succeed; the last one cannot.
    let patch = wrap(
        "*** Add File: new/n.txt\n+n\n*** Update File: b.txt\n@@\n-keep\n+changed\n\
         *** Update File: a.txt\n@@\n-nope\n+z",
    );
    let run = run_apply_patch(&patch, root, &workspace(root));
    assert!(!run.success);
    assert_eq!(
        run.output,
        format!(
            "apply_patch verification failed: Failed to find expected lines in {}:\nnope",
            root.join("a.txt").display()
        )
    );
    assert_eq!(snapshot(root), before);
}

#[test]
fn parse_errors_and_missing_files_are_verification_failures() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let run = run_apply_patch("*** Update File: a\n", root, &workspace(root));
    assert_eq!(
        run.output,
        "apply_patch verification failed: invalid patch: The first line of the patch must be '*** Begin Patch'"
    );
    let run = run_apply_patch(&wrap("*** Delete File: nope.txt"), root, &workspace(root));
    assert_eq!(
        run.output,
        format!(
            "apply_patch verification failed: Failed to read {}: No such file or directory (os error 2)",
            root.join("nope.txt").display()
        )
    );
    let run = run_apply_patch(
        &wrap("*** Update File: nope.txt\n@@\n-a\n+b"),
        root,
        &workspace(root),
    );
    assert_eq!(
        run.output,
        format!(
            "apply_patch verification failed: Failed to read file to update {}: No such file or directory (os error 2)",
            root.join("nope.txt").display()
        )
    );
}

#[test]
fn empty_patch_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_apply_patch(
        "*** Begin Patch\n*** End Patch",
        dir.path(),
        &workspace(dir.path()),
    );
    assert_eq!(run.output, "patch rejected: empty patch");
    assert!(!run.success);
}

#[test]
fn file_touched_twice_applies_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.txt"), "one\n").unwrap();
    let patch = wrap(
        "*** Update File: a.txt\n@@\n-one\n+two\n*** Update File: a.txt\n@@\n-two\n+three\n\
         *** Add File: tmp.txt\n+t\n*** Delete File: tmp.txt",
    );
    let run = run_apply_patch(&patch, root, &workspace(root));
    assert!(run.success, "{}", run.output);
    assert!(
        run.output
            .ends_with("A tmp.txt\nM a.txt\nM a.txt\nD tmp.txt\n"),
        "{}",
        run.output
    );
    assert_eq!(fs::read_to_string(root.join("a.txt")).unwrap(), "three\n");
    assert!(!root.join("tmp.txt").exists());
}

#[test]
fn binary_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("b.bin"), b"\x00\xff\xfe").unwrap();
    let before = snapshot(root);
    let run = run_apply_patch(
        &wrap("*** Update File: b.bin\n@@\n-x\n+y"),
        root,
        &workspace(root),
    );
    assert_eq!(
        run.output,
        format!(
            "apply_patch verification failed: Failed to read file to update {}: stream did not contain valid UTF-8",
            root.join("b.bin").display()
        )
    );
    assert_eq!(snapshot(root), before);
}

#[test]
fn read_only_rejects_with_codex_text() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.txt"), "a\n").unwrap();
    let before = snapshot(root);
    let scope = WriteScope::new(SandboxMode::ReadOnly, vec![root.to_path_buf()]);
    let run = run_apply_patch(
        &wrap("*** Add File: hello.txt\n+hi\n*** Update File: a.txt\n@@\n-a\n+b"),
        root,
        &scope,
    );
    assert_eq!(
        run.output,
        "patch rejected: writing is blocked by read-only sandbox; rejected by user approval settings"
    );
    assert!(!run.success);
    assert_eq!(run.changes.len(), 2);
    assert_eq!(snapshot(root), before);
}

#[test]
fn workspace_write_refuses_escapes() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    let elsewhere = outer.path().join("elsewhere");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&elsewhere).unwrap();
    fs::write(elsewhere.join("target.txt"), "secret\n").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&elsewhere, root.join("out")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("target.txt"), root.join("t.txt")).unwrap();
    }
    let before = snapshot(outer.path());
    let absolute = elsewhere.join("abs.txt");
    let mut attempts = vec![
        wrap("*** Add File: ../escape.txt\n+x"),
        wrap(&format!("*** Add File: {}\n+x", absolute.display())),
        wrap("*** Add File: inside.txt\n+x\n*** Add File: ../escape.txt\n+x"),
    ];
    if cfg!(unix) {
        attempts.push(wrap("*** Add File: out/new.txt\n+x"));
        attempts.push(wrap("*** Update File: t.txt\n@@\n-secret\n+leaked"));
        attempts.push(wrap(
            "*** Update File: out/target.txt\n@@\n-secret\n+leaked",
        ));
    }
    for patch in &attempts {
        let run = run_apply_patch(patch, &root, &workspace(&root));
        assert_eq!(run.output, OUTSIDE, "{patch}");
        assert!(!run.success);
    }
    assert_eq!(snapshot(outer.path()), before);

    // The same kinds of paths are fine under danger-full-access.
    let full = WriteScope::new(SandboxMode::DangerFullAccess, vec![]);
    let run = run_apply_patch(&wrap("*** Add File: ../escape.txt\n+x"), &root, &full);
    assert!(run.success, "{}", run.output);
    assert_eq!(
        fs::read_to_string(outer.path().join("escape.txt")).unwrap(),
        "x\n"
    );
    #[cfg(unix)]
    {
        let run = run_apply_patch(
            &wrap("*** Update File: t.txt\n@@\n-secret\n+shared"),
            &root,
            &full,
        );
        assert!(run.success, "{}", run.output);
        // Written through the link: the link stays a link.
        assert!(fs::symlink_metadata(root.join("t.txt"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_to_string(elsewhere.join("target.txt")).unwrap(),
            "shared\n"
        );
    }
}

#[test]
fn failed_commit_restores_everything() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.txt"), "one\n").unwrap();
    fs::write(root.join("gone.txt"), "bye\n").unwrap();
    fs::write(root.join("blocker"), "i am a file\n").unwrap();
    let before = snapshot(root);
    // Everything verifies, but `blocker/x.txt` cannot be written since `blocker` is a file.
    let patch = wrap(
        "*** Update File: a.txt\n@@\n-one\n+two\n*** Add File: deep/new/n.txt\n+n\n\
         *** Delete File: gone.txt\n*** Add File: blocker/x.txt\n+x",
    );
    let run = run_apply_patch(&patch, root, &workspace(root));
    assert!(!run.success);
    assert_eq!(
        masked(&run.output),
        format!(
            "Exit code: 1\nWall time: 0 seconds\nOutput:\nFailed to write file {}\n",
            root.join("blocker/x.txt").display()
        )
    );
    assert_eq!(snapshot(root), before);
}

#[cfg(unix)]
#[test]
fn permissions_survive_an_update() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("run.sh");
    fs::write(&script, "echo a\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let run = run_apply_patch(
        &wrap("*** Update File: run.sh\n@@\n-echo a\n+echo b"),
        dir.path(),
        &workspace(dir.path()),
    );
    assert!(run.success, "{}", run.output);
    assert_eq!(
        fs::metadata(&script).unwrap().permissions().mode() & 0o777,
        0o755
    );
}

#[test]
fn json_arguments() {
    assert_eq!(
        parse_json_args(r#"{"input":"*** Begin Patch"}"#),
        Ok("*** Begin Patch".into())
    );
    assert_eq!(
        parse_json_args("{}"),
        Err("failed to parse function arguments: Error(\"missing field `input`\", line: 1, column: 2)".into())
    );
}
