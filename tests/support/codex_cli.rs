//! The pinned real Codex CLI for the comparison tests, installed on first use.
//!
//! `cargo test --workspace` must prove what the README claims, so a comparison with Codex never
//! passes without Codex: the tests install `@openai/codex@0.169.0` with npm into
//! `<target>/codex-cli-0.169.0` once (a file lock keeps parallel tests and test binaries from
//! racing; a marker written after a complete, verified install makes later runs instant), and
//! fail with one clear line when that is impossible. `RCODEX_CODEX_BIN` points at a binary to use
//! instead; `RCODEX_SKIP_CODEX_CLI=1` skips these tests, and they say so in the test output.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The npm package spec the comparisons are pinned to.
pub const CODEX_PACKAGE: &str = "@openai/codex@0.169.0";
const CODEX_VERSION: &str = "0.169.0";
/// Set to `1` to skip the tests that need the real Codex CLI.
pub const SKIP_VAR: &str = "RCODEX_SKIP_CODEX_CLI";
/// A Codex binary to use instead of the one installed under target/.
pub const BIN_VAR: &str = "RCODEX_CODEX_BIN";
/// The native binary inside the npm install (the JS launcher in `.bin/` starts it).
const NATIVE_BIN: &str =
    "node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex";
const LAUNCHER_BIN: &str = "node_modules/.bin/codex";
/// Written last, only after npm succeeded and the binary reported the pinned version.
const MARKER: &str = ".rcodex-install-complete";
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

/// The pinned Codex CLI, installing it on first use; `None` only when the user asked to skip
/// (`RCODEX_SKIP_CODEX_CLI=1`), and then `skipped_test` is reported as skipped in the test
/// output. Panics with what failed and how to skip when the CLI cannot be had.
pub fn codex_bin(skipped_test: &str) -> Option<PathBuf> {
    if skip_requested() {
        // Straight to stderr: libtest captures `eprintln!` of passing tests, and a skip must show.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {skipped_test}: {SKIP_VAR} is set"
        );
        return None;
    }
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(locate) {
        Ok(bin) => Some(bin.clone()),
        Err(why) => panic!(
            "no real Codex CLI ({CODEX_PACKAGE}) to compare with: {why}. Fix that, set {BIN_VAR} \
             to a codex {CODEX_VERSION} binary, or set {SKIP_VAR}=1 to skip these comparisons"
        ),
    }
}

fn skip_requested() -> bool {
    std::env::var_os(SKIP_VAR).is_some_and(|v| !v.is_empty() && v != "0")
}

fn locate() -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os(BIN_VAR) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("{BIN_VAR}={} is not a file", bin.display()))
        };
    }
    let dir = target_dir()?.join(format!("codex-cli-{CODEX_VERSION}"));
    install(&dir, OsStr::new("npm"))
}

/// The cargo target folder of this test run: test binaries live in `<target>/<profile>/deps`.
fn target_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("test binary path: {e}"))?;
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("no target folder above {}", exe.display()))
}

/// Installs with `npm` into `dir` unless a complete install is there; returns the binary.
fn install(dir: &Path, npm: &OsStr) -> Result<PathBuf, String> {
    if let Some(bin) = installed(dir) {
        return Ok(bin);
    }
    let parent = dir.parent().ok_or("install folder has no parent")?;
    std::fs::create_dir_all(parent).map_err(|e| format!("create {}: {e}", parent.display()))?;
    let lock_path = dir.with_extension("lock");
    let lock = File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("lock {}: {e}", lock_path.display()))?;
    // Another test or test binary may have finished the install while we waited.
    if let Some(bin) = installed(dir) {
        return Ok(bin);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| format!("remove the partial install {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let _ = writeln!(
        std::io::stderr(),
        "installing {CODEX_PACKAGE} into {} (once)",
        dir.display()
    );
    run_npm(npm, dir)?;
    let bin = binary_in(dir).ok_or_else(|| {
        format!(
            "npm installed {CODEX_PACKAGE} into {} but no codex binary is there ({NATIVE_BIN})",
            dir.display()
        )
    })?;
    let version = binary_version(&bin)?;
    let marker = dir.join(MARKER);
    let partial = dir.join(format!("{MARKER}.partial"));
    std::fs::write(&partial, &version)
        .and_then(|()| std::fs::rename(&partial, &marker))
        .map_err(|e| format!("write {}: {e}", marker.display()))?;
    Ok(bin)
}

/// The binary of a complete install in `dir`, if there is one.
fn installed(dir: &Path) -> Option<PathBuf> {
    if dir.join(MARKER).is_file() {
        binary_in(dir)
    } else {
        None
    }
}

/// The native binary when this platform's package has it, else npm's launcher.
fn binary_in(dir: &Path) -> Option<PathBuf> {
    [NATIVE_BIN, LAUNCHER_BIN]
        .iter()
        .map(|rel| dir.join(rel))
        .find(|p| p.is_file())
}

fn run_npm(npm: &OsStr, dir: &Path) -> Result<(), String> {
    let shown = format!("npm install --prefix {} {CODEX_PACKAGE}", dir.display());
    let log_path = dir.join("npm-install.log");
    let log = File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    let mut child = Command::new(npm)
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .arg(CODEX_PACKAGE)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("`{shown}` could not start: {e}"))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > INSTALL_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{shown}` did not finish in {} s (log: {})",
                    INSTALL_TIMEOUT.as_secs(),
                    log_path.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(format!("`{shown}`: {e}")),
        }
    };
    if status.success() {
        return Ok(());
    }
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let last = output
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output");
    Err(format!(
        "`{shown}` failed ({status}): {} (log: {})",
        last.trim(),
        log_path.display()
    ))
}

/// Runs `bin --version` and checks it is the pinned version; returns what it printed.
fn binary_version(bin: &Path) -> Result<String, String> {
    let out = Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{} --version: {e}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && text.contains(CODEX_VERSION) {
        Ok(text)
    } else {
        Err(format!(
            "{} --version printed {text:?}, expected {CODEX_VERSION}",
            bin.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in for npm: counts its runs in `runs`, then installs a fake codex printing
    /// `version` (or fails like npm without a network when `version` is empty).
    fn fake_npm(dir: &Path, version: &str) -> PathBuf {
        let npm = dir.join("npm");
        let runs = dir.join("runs");
        let body = if version.is_empty() {
            "echo 'npm error code ENOTFOUND' >&2\nexit 1\n".to_string()
        } else {
            format!(
                "sleep 0.2\nbin=\"$5/{NATIVE_BIN}\"\nmkdir -p \"$(dirname \"$bin\")\"\n\
                 printf '#!/bin/sh\\necho codex-cli {version}\\n' > \"$bin\"\nchmod +x \"$bin\"\n"
            )
        };
        std::fs::write(
            &npm,
            format!("#!/bin/sh\necho run >> '{}'\n{body}", runs.display()),
        )
        .unwrap();
        std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
        npm
    }

    fn runs(dir: &Path) -> usize {
        std::fs::read_to_string(dir.join("runs")).map_or(0, |t| t.lines().count())
    }

    #[test]
    fn installs_once_under_a_lock_and_reuses_a_complete_install() {
        let tmp = tempfile::tempdir().unwrap();
        let npm = fake_npm(tmp.path(), CODEX_VERSION);
        let dir = tmp.path().join("target/codex-cli");
        let bins: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| install(&dir, npm.as_os_str())))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        assert_eq!(runs(tmp.path()), 1, "npm ran once for four racing callers");
        assert!(bins.iter().all(|b| b == &dir.join(NATIVE_BIN)), "{bins:?}");
        assert_eq!(
            std::fs::read_to_string(dir.join(MARKER)).unwrap(),
            format!("codex-cli {CODEX_VERSION}")
        );
        install(&dir, npm.as_os_str()).unwrap();
        assert_eq!(runs(tmp.path()), 1, "a complete install is reused");
    }

    #[test]
    fn a_partial_install_without_its_marker_is_redone() {
        let tmp = tempfile::tempdir().unwrap();
        let npm = fake_npm(tmp.path(), CODEX_VERSION);
        let dir = tmp.path().join("codex-cli");
        std::fs::create_dir_all(dir.join("node_modules")).unwrap();
        std::fs::write(dir.join("node_modules/half-written"), "x").unwrap();
        install(&dir, npm.as_os_str()).unwrap();
        assert_eq!(runs(tmp.path()), 1);
        assert!(!dir.join("node_modules/half-written").exists());
    }

    #[test]
    fn a_failed_npm_says_what_failed_and_leaves_no_marker() {
        let tmp = tempfile::tempdir().unwrap();
        let npm = fake_npm(tmp.path(), "");
        let dir = tmp.path().join("codex-cli");
        let err = install(&dir, npm.as_os_str()).unwrap_err();
        assert!(
            err.contains(&format!(
                "npm install --prefix {} {CODEX_PACKAGE}",
                dir.display()
            )),
            "{err}"
        );
        assert!(
            err.contains("failed") && err.contains("npm error code ENOTFOUND"),
            "{err}"
        );
        assert!(!dir.join(MARKER).exists());
        let err = install(&dir, OsStr::new("/nonexistent/npm")).unwrap_err();
        assert!(err.contains("could not start"), "{err}");
    }

    #[test]
    fn a_wrong_version_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let npm = fake_npm(tmp.path(), "0.1.0");
        let dir = tmp.path().join("codex-cli");
        let err = install(&dir, npm.as_os_str()).unwrap_err();
        assert!(err.contains("expected 0.169.0"), "{err}");
        assert!(!dir.join(MARKER).exists());
    }
}
