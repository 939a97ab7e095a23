use super::*;

fn os(s: &str) -> OsString {
    OsString::from(s)
}

/// A base environment whose HOME is `home` (so `bash -l` reads `home/.bash_profile`).
fn base_with_home(home: &Path) -> Vec<(OsString, OsString)> {
    let mut overrides = BTreeMap::new();
    overrides.insert("HOME".to_string(), home.display().to_string());
    overrides.insert("RCODEX_SNAPSHOT_GONE".to_string(), "x".to_string());
    base_env(&[("TERM", "dumb")], &overrides)
}

fn home_with_profile(profile: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".bash_profile"), profile).unwrap();
    home
}

#[test]
fn parse_skips_what_comes_before_the_marker() {
    let out = b"motd line\n\0rcodex-shell-snapshot\0A=1\0B=x=y\0EMPTY=\0";
    let vars = parse_capture(out).unwrap();
    assert_eq!(vars.get(&os("A")), Some(&os("1")));
    assert_eq!(vars.get(&os("B")), Some(&os("x=y")));
    assert_eq!(vars.get(&os("EMPTY")), Some(&os("")));
    assert_eq!(vars.len(), 3);
    assert_eq!(parse_capture(b"A=1\0"), None);
}

#[test]
fn diff_keeps_changes_and_removals_but_not_per_process_variables() {
    let base = vec![
        (os("KEEP"), os("same")),
        (os("CHANGED"), os("old")),
        (os("GONE"), os("x")),
        (os("SHLVL"), os("1")),
        (os("PWD"), os("/a")),
    ];
    let mut captured = BTreeMap::new();
    captured.insert(os("KEEP"), os("same"));
    captured.insert(os("CHANGED"), os("new"));
    captured.insert(os("ADDED"), os("1"));
    captured.insert(os("SHLVL"), os("2"));
    captured.insert(os("_"), os("/bin/bash"));
    let snap = diff("/bin/bash", &base, captured);
    assert_eq!(
        snap.set,
        vec![(os("ADDED"), os("1")), (os("CHANGED"), os("new"))]
    );
    assert_eq!(snap.unset, vec![os("GONE")]);
}

#[test]
fn applies_only_to_the_same_login_shell_in_the_session_directory() {
    let snap = ShellSnapshot {
        shell: "/bin/bash".into(),
        set: vec![],
        unset: vec![],
    };
    let argv = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let here = Path::new("/w");
    assert!(snap.applies_to(&argv(&["/bin/bash", "-lc", "ls"]), here, here));
    assert!(!snap.applies_to(&argv(&["/bin/bash", "-c", "ls"]), here, here));
    assert!(!snap.applies_to(&argv(&["/bin/sh", "-lc", "ls"]), here, here));
    assert!(!snap.applies_to(
        &argv(&["/bin/bash", "-lc", "ls"]),
        Path::new("/w/sub"),
        here
    ));
    assert_eq!(
        ShellSnapshot::non_login_argv(&argv(&["/bin/bash", "-lc", "ls"])),
        argv(&["/bin/bash", "-c", "ls"])
    );
}

#[tokio::test]
async fn captures_what_the_login_profile_exports_and_unsets() {
    let home = home_with_profile(
        "echo 'noise from the profile'\nexport FROM_PROFILE='a b\nc'\nunset RCODEX_SNAPSHOT_GONE\nmyfn() { :; }\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let snap = capture("/bin/bash", dir.path(), &base_with_home(home.path()))
        .await
        .unwrap();
    let get = |name: &str| {
        snap.set
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("FROM_PROFILE"), Some(os("a b\nc")));
    assert_eq!(get("TERM"), None, "unchanged variables are not repeated");
    assert_eq!(get("SHLVL"), None);
    assert!(snap.unset.contains(&os("RCODEX_SNAPSHOT_GONE")));
}

#[tokio::test]
async fn a_profile_that_depends_on_the_directory_is_refused() {
    let home = home_with_profile("export WHERE=\"$PWD/bin\"\n");
    let dir = tempfile::tempdir().unwrap();
    let err = capture("/bin/bash", dir.path(), &base_with_home(home.path()))
        .await
        .unwrap_err();
    assert_eq!(err, SnapshotError::DependsOnCwd("WHERE".into()));
}

#[tokio::test]
async fn a_failing_profile_or_another_shell_gives_no_snapshot() {
    let home = home_with_profile("exit 3\n");
    let dir = tempfile::tempdir().unwrap();
    let err = capture("/bin/bash", dir.path(), &base_with_home(home.path()))
        .await
        .unwrap_err();
    assert!(matches!(err, SnapshotError::Failed(_, _)), "{err:?}");
    let err = capture("/bin/sh", dir.path(), &base_with_home(home.path()))
        .await
        .unwrap_err();
    assert_eq!(err, SnapshotError::NotBash("/bin/sh".into()));
    let err = capture("/nonexistent/bash", dir.path(), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, SnapshotError::Spawn { .. }), "{err:?}");
}

#[tokio::test]
async fn one_slot_per_shell_and_environment() {
    let snapshots = ShellSnapshots::new();
    let home = home_with_profile("export N=1\n");
    let a = snapshots.slot("/bin/bash", base_with_home(home.path()));
    let b = snapshots.slot("/bin/bash", base_with_home(home.path()));
    assert!(Arc::ptr_eq(&a, &b));
    let other = home_with_profile("export N=2\n");
    let c = snapshots.slot("/bin/bash", base_with_home(other.path()));
    assert!(!Arc::ptr_eq(&a, &c));
    assert_eq!(snapshots.len(), 2);
    let n = |s: &ShellSnapshot| s.set.iter().find(|(k, _)| k == "N").map(|(_, v)| v.clone());
    assert_eq!(n(&a.get().await.unwrap()), Some(os("1")));
    assert_eq!(n(&c.get().await.unwrap()), Some(os("2")));
    assert!(Arc::ptr_eq(
        &a.get().await.unwrap(),
        &b.get().await.unwrap()
    ));
}
