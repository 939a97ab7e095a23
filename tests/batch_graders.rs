//! `rcodex batch` on real workspaces, through the real binary: a fixture repository whose unit
//! test fails, a scripted patch that fixes it and a grader that runs the test (SWE-bench style);
//! `workspace.git` at a revision, `workspace.dir`, setup commands, kept workspaces, grader
//! deadlines, and bad values in every new field as `file:line: field:` error rows.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rcodex_tests::git_fixture::{fixture_repo, git};
use rcodex_tests::{batch_results as results, result_row as row};
use serde_json::Value;

/// Runs `rcodex batch` in `cwd`, which is also its temp folder: kept workspaces land there and
/// go when the test's folder does.
fn batch(args: &[&str], cwd: &Path) -> Output {
    Command::new(rcodex_tests::rcodex_bin())
        .arg("batch")
        .args(args)
        .current_dir(cwd)
        .env("TMPDIR", cwd)
        // Remote repositories are mirrored under here: never the user's cache.
        .env("XDG_CACHE_HOME", cwd.join("cache"))
        .stdin(Stdio::null())
        .output()
        .expect("run rcodex batch")
}

const FIX: &str = r#"[[model.reply]]
custom_tool_call = { name = "apply_patch", input = """*** Begin Patch
*** Update File: calc.py
@@
 def add(a, b):
-    return a - b
+    return a + b
*** End Patch""" }
"#;

/// The SWE-bench-style scenario on the fixture at `rev`, with or without the fixing patch.
fn swe_scenario(repo: &Path, rev: &str, patch: bool) -> String {
    format!(
        r#"name = "fix add"
prompt = "The unit test fails; fix calc.py."
setup = ["test -f calc.py", "echo prepared > .setup-ran"]

[workspace]
git = {{ repo = "{}", rev = "{rev}" }}

{}[[model.reply]]
message = "Done."

[expect]
final_message = "Done."
files = {{ "VERSION" = "1\n", ".setup-ran" = "prepared\n" }}

[[expect.command]]
run = "python3 -m unittest -v test_calc 2>&1"
stdout_contains = "OK"
timeout_s = 60
"#,
        repo.display(),
        if patch { FIX } else { "" }
    )
}

fn grader_check(line: &Value) -> &Value {
    line["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"].as_str().unwrap().starts_with("command[0] "))
        .unwrap_or_else(|| panic!("no grader check in {line}"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_patch_that_fixes_the_failing_test_passes_its_grader_and_no_patch_fails_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, first) = fixture_repo(tmp.path());
    let dir = tmp.path().join("sc");
    write(&dir, "fixed.toml", &swe_scenario(&repo, &first, true));
    write(&dir, "unfixed.toml", &swe_scenario(&repo, &first, false));
    let out = tmp.path().join("out");
    let o = batch(
        &[dir.to_str().unwrap(), "--out", out.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines = results(&out);

    let fixed = row(&lines, "fixed");
    assert_eq!(fixed["status"], "pass", "{fixed}");
    let check = grader_check(fixed);
    assert_eq!(check["passed"], true);
    assert_eq!(check["command"]["exit_code"], 0);
    assert!(check["command"]["stdout"]
        .as_str()
        .unwrap()
        .contains("test_add"));
    assert!(
        fixed.get("workspace").is_none(),
        "a pass is not kept: {fixed}"
    );

    let unfixed = row(&lines, "unfixed");
    assert_eq!(unfixed["status"], "fail", "{unfixed}");
    let check = grader_check(unfixed);
    assert_eq!(check["passed"], false);
    assert_eq!(check["command"]["exit_code"], 1);
    assert_eq!(
        check["detail"],
        "expected exit 0, got exit 1; stdout does not contain \"OK\""
    );
    let output = check["command"]["stdout"].as_str().unwrap();
    assert!(output.contains("AssertionError: -1 != 5"), "{output}");
    // Only the grader failed: the agent's own expectations held.
    let failed: Vec<&str> = unfixed["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");

    // A failed run keeps its workspace, as it was when graded.
    let kept = PathBuf::from(unfixed["workspace"].as_str().expect("kept workspace"));
    assert_eq!(
        std::fs::read_to_string(kept.join("calc.py")).unwrap(),
        "def add(a, b):\n    return a - b\n"
    );
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit
            .contains("<system-out>command[0] python3 -m unittest -v test_calc 2&gt;&amp;1: FAILED (exit 1)\n$ python3 -m unittest -v test_calc 2&gt;&amp;1\n--- stdout ---\n"),
        "{junit}"
    );
    assert!(junit.contains("AssertionError: -1 != 5"));
    assert!(junit.contains(&format!("workspace: {}", kept.display())));
    std::fs::remove_dir_all(kept).unwrap();
}

#[test]
fn git_workspaces_check_out_the_given_revision() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, first) = fixture_repo(tmp.path());
    let dir = tmp.path().join("sc");
    let scenario = |rev: Option<&str>, version: &str, head: &str| {
        let rev = rev.map_or(String::new(), |r| format!(", rev = \"{r}\""));
        format!(
            "name = \"rev\"\nprompt = \"p\"\n[workspace]\ngit = {{ repo = \"{}\"{rev} }}\n[[model.reply]]\nmessage = \"ok\"\n[expect]\nfiles = {{ \"VERSION\" = \"{version}\\n\" }}\n[[expect.command]]\nrun = \"git rev-parse HEAD\"\nstdout_contains = \"{head}\"\n",
            repo.display()
        )
    };
    let second = git(&repo, &["rev-parse", "HEAD"]);
    write(&dir, "by_commit.toml", &scenario(Some(&first), "1", &first));
    // `first` is a branch of the fixture, so only `origin/first` in the clone.
    write(
        &dir,
        "by_branch.toml",
        &scenario(Some("first"), "1", &first),
    );
    write(&dir, "default_branch.toml", &scenario(None, "2", &second));
    let missing = write(
        &dir,
        "missing_rev.toml",
        &scenario(Some("no-such-rev"), "1", &first),
    );
    let out = tmp.path().join("out");
    batch(
        &[dir.to_str().unwrap(), "--out", out.to_str().unwrap()],
        tmp.path(),
    );
    let lines = results(&out);
    for id in ["by_commit", "by_branch", "default_branch"] {
        assert_eq!(row(&lines, id)["status"], "pass", "{}", row(&lines, id));
    }
    let bad = row(&lines, "missing_rev");
    assert_eq!(bad["status"], "error");
    let err = bad["error"].as_str().unwrap();
    assert!(
        err.starts_with(&format!("{}:4: workspace.git.rev: ", missing.display())),
        "{err}"
    );
    assert!(
        err.ends_with("\"no-such-rev\" is not a commit, tag or branch there"),
        "{err}"
    );
    assert_eq!(bad["requests"], 0, "the agent never ran");
    let kept = Path::new(
        bad["workspace"]
            .as_str()
            .expect("an error keeps its workspace"),
    );
    assert!(kept.starts_with(tmp.path()));
}

#[test]
fn a_remote_repository_is_mirrored_once_and_refreshed_by_the_next_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, first) = fixture_repo(tmp.path());
    let url = format!("file://{}", repo.display());
    let dir = tmp.path().join("sc");
    let scenario = |rev: &str, version: &str| {
        format!(
            "name = \"remote\"\nprompt = \"p\"\n[workspace]\ngit = {{ repo = \"{url}\"{rev} }}\n[[model.reply]]\nmessage = \"ok\"\n[expect]\nfiles = {{ \"VERSION\" = \"{version}\\n\" }}\n[[expect.command]]\nrun = \"git remote get-url origin\"\nstdout_contains = \"{url}\"\n"
        )
    };
    write(&dir, "at_first.toml", &scenario(", rev = \"first\"", "1"));
    write(&dir, "at_default.toml", &scenario("", "2"));
    let out = tmp.path().join("out1");
    let o = batch(
        &[
            dir.to_str().unwrap(),
            "--repeat",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let mirrors: Vec<PathBuf> = std::fs::read_dir(tmp.path().join("cache/rcodex/git"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "git"))
        .collect();
    assert_eq!(mirrors.len(), 1, "{mirrors:?}");
    assert_eq!(git(&mirrors[0], &["rev-parse", "first"]), first);

    // A new commit upstream: the next batch fetches it into the mirror.
    std::fs::write(repo.join("VERSION"), "3\n").unwrap();
    git(&repo, &["commit", "--quiet", "-am", "version 3"]);
    write(&dir, "at_default.toml", &scenario("", "3"));
    let out = tmp.path().join("out2");
    let o = batch(
        &[dir.to_str().unwrap(), "--out", out.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn dir_workspaces_are_copied_with_files_on_top_and_kept_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    write(&dir, "project/src/lib.txt", "library\n");
    write(&dir, "project/notes.txt", "from the folder\n");
    write(
        &dir,
        "cases/copy.toml",
        "name = \"copy\"\nprompt = \"p\"\n[workspace]\ndir = \"../project\"\n[workspace.files]\n\"notes.txt\" = \"from the scenario\\n\"\n[[model.reply]]\nmessage = \"ok\"\n[expect]\nfiles = { \"src/lib.txt\" = \"library\\n\", \"notes.txt\" = \"from the scenario\\n\" }\n[[expect.command]]\nrun = \"echo changed > src/lib.txt\"\n",
    );
    let out = tmp.path().join("out");
    let o = batch(
        &[
            dir.join("cases").to_str().unwrap(),
            "--keep-workspaces",
            "--out",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let line = row(&results(&out), "copy").clone();
    assert_eq!(line["status"], "pass");
    let kept = PathBuf::from(line["workspace"].as_str().expect("--keep-workspaces"));
    assert_eq!(
        std::fs::read_to_string(kept.join("src/lib.txt")).unwrap(),
        "changed\n"
    );
    // The source folder is untouched: the run worked on its own copy.
    assert_eq!(
        std::fs::read_to_string(dir.join("project/src/lib.txt")).unwrap(),
        "library\n"
    );
    std::fs::remove_dir_all(kept).unwrap();
}

#[test]
fn a_failing_setup_is_an_error_row_with_its_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    let file = write(
        &dir,
        "setup.toml",
        "name = \"setup\"\nprompt = \"p\"\nsetup = [\n  \"echo fine\",\n  \"echo installing; echo missing-dependency >&2; exit 7\",\n  \"touch never\",\n]\n[[model.reply]]\nmessage = \"ok\"\n",
    );
    let out = tmp.path().join("out");
    let o = batch(
        &[dir.to_str().unwrap(), "--out", out.to_str().unwrap()],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let line = row(&results(&out), "setup").clone();
    assert_eq!(line["status"], "error", "{line}");
    assert_eq!(line["requests"], 0);
    let err = line["error"].as_str().unwrap();
    assert_eq!(
        err,
        format!(
            "{}:5: setup[1]: `echo installing; echo missing-dependency >&2; exit 7` failed: exit 7\n--- stdout ---\ninstalling\n--- stderr ---\nmissing-dependency\n",
            file.display()
        )
    );
    let kept = PathBuf::from(
        line["workspace"]
            .as_str()
            .expect("an error keeps its workspace"),
    );
    assert!(kept.starts_with(tmp.path()) && kept.is_dir());
    assert!(
        !kept.join("never").exists(),
        "setup stops at the first failure"
    );
    // The summary keeps one row per run: the error's first line.
    let summary = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(summary.contains("ERROR"), "{summary}");
    assert!(!summary.contains("--- stdout ---"), "{summary}");
    std::fs::remove_dir_all(kept).unwrap();
}

#[test]
fn a_grader_past_its_deadline_is_killed_and_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    write(
        &dir,
        "slow.toml",
        "name = \"slow\"\nprompt = \"p\"\n[[model.reply]]\nmessage = \"ok\"\n[[expect.command]]\nrun = \"echo started; sleep 60\"\ntimeout_s = 1\n",
    );
    let out = tmp.path().join("out");
    rcodex_tests::rcodex_bin(); // built before the clock starts
    let started = Instant::now();
    batch(
        &[dir.to_str().unwrap(), "--out", out.to_str().unwrap()],
        tmp.path(),
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let line = row(&results(&out), "slow").clone();
    assert_eq!(line["status"], "fail");
    let check = grader_check(&line);
    assert_eq!(check["detail"], "expected exit 0, got timed out after 1 s");
    assert_eq!(check["command"]["timed_out"], true);
    assert!(check["command"]["duration_ms"].as_u64().unwrap() < 10_000);
    assert_eq!(check["command"]["stdout"], "started\n");
    std::fs::remove_dir_all(line["workspace"].as_str().unwrap()).unwrap();
}

#[test]
fn bad_values_in_every_new_field_are_error_rows_naming_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sc");
    let head = "name = \"x\"\nprompt = \"p\"\n";
    let cases = [
        (
            "dir_missing",
            "[workspace]\ndir = \"nowhere\"\n",
            4,
            "workspace.dir: ",
        ),
        (
            "dir_type",
            "[workspace]\ndir = 3\n",
            4,
            "workspace.dir: invalid type",
        ),
        (
            "git_repo_missing",
            "[workspace]\ngit = { repo = \"./no-repo\" }\n",
            4,
            "workspace.git.repo: ",
        ),
        (
            "git_no_repo",
            "[workspace.git]\nrev = \"main\"\n",
            3,
            "workspace.git: missing field `repo`",
        ),
        (
            "git_rev",
            "[workspace.git]\nrepo = \"https://example.invalid/r\"\nrev = \"-x\"\n",
            5,
            "workspace.git.rev: ",
        ),
        (
            "setup_type",
            "setup = [\"make\", 2]\n",
            3,
            "setup[1]: invalid type",
        ),
        (
            "setup_empty",
            "setup = [\n  \"\",\n]\n",
            4,
            "setup[0]: must not be empty",
        ),
        (
            "run_missing",
            "[[expect.command]]\nexit = 0\n",
            3,
            "expect.command[0]: missing field `run`",
        ),
        (
            "run_empty",
            "[[expect.command]]\nrun = \"\"\n",
            4,
            "expect.command[0].run: must not be empty",
        ),
        (
            "exit_range",
            "[[expect.command]]\nrun = \"x\"\nexit = 300\n",
            5,
            "expect.command[0].exit: 300 is not an exit code",
        ),
        (
            "timeout_zero",
            "[[expect.command]]\nrun = \"x\"\ntimeout_s = 0\n",
            5,
            "expect.command[0].timeout_s: 0 is out of range",
        ),
        (
            "timeout_type",
            "[[expect.command]]\nrun = \"x\"\ntimeout_s = \"long\"\n",
            5,
            "expect.command[0].timeout_s: invalid type",
        ),
        (
            "contains_type",
            "[[expect.command]]\nrun = \"x\"\nstdout_contains = 1\n",
            5,
            "expect.command[0].stdout_contains: invalid type",
        ),
        (
            "command_unknown",
            "[[expect.command]]\nrun = \"x\"\nstderr_contains = \"y\"\n",
            5,
            "expect.command[0].stderr_contains: unknown field",
        ),
    ];
    for (id, tail, _, _) in &cases {
        write(
            &dir,
            &format!("{id}.toml"),
            &format!("{head}{tail}[[model.reply]]\nmessage = \"ok\"\n"),
        );
    }
    let out = tmp.path().join("out");
    batch(
        &[dir.to_str().unwrap(), "--out", out.to_str().unwrap()],
        tmp.path(),
    );
    let lines = results(&out);
    for (id, _, line, field) in cases {
        let r = row(&lines, id);
        assert_eq!(r["status"], "error", "{id}: {r}");
        let want = format!(
            "{}:{line}: {field}",
            dir.join(format!("{id}.toml")).display()
        );
        let err = r["error"].as_str().unwrap();
        assert!(
            err.starts_with(&want),
            "{id}: {err:?} should start with {want:?}"
        );
    }
}
