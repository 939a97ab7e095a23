//! A git repository to evaluate against, made by the test: a tiny Python project whose unit test
//! fails (`add` subtracts), in two commits. Used by the batch tests of real workspaces.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git in `cwd` with a fixed identity and branch name; panics with git's stderr on failure.
pub fn git(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=fixture",
            "-c",
            "user.email=fixture@example.invalid",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A tiny Python project whose unit test fails (`add` subtracts): commit 1, branch `first`;
/// commit 2 only bumps VERSION to 2. Returns the repository and commit 1's id.
pub fn fixture_repo(root: &Path) -> (PathBuf, String) {
    let repo = root.join("fixture-repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "--quiet"]);
    std::fs::write(repo.join("calc.py"), "def add(a, b):\n    return a - b\n").unwrap();
    std::fs::write(
        repo.join("test_calc.py"),
        "import unittest\nfrom calc import add\n\n\nclass AddTest(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n\nif __name__ == \"__main__\":\n    unittest.main()\n",
    )
    .unwrap();
    std::fs::write(repo.join("VERSION"), "1\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "--quiet", "-m", "calc with a bug"]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["branch", "first"]);
    std::fs::write(repo.join("VERSION"), "2\n").unwrap();
    git(&repo, &["commit", "--quiet", "-am", "version 2"]);
    (repo, first)
}
