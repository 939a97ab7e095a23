//! Which real Codex CLI `rcodex align` runs: `--codex PATH`, else `$RCODEX_CODEX_BIN`, else the
//! one the tests install under `target/codex-cli-0.169.0`, else `codex` on PATH. The facts rcodex
//! aligns to are pinned to one version, so the version is printed and a different one warned of.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Codex version rcodex's facts are taken from.
pub const PINNED_VERSION: &str = "0.169.0";
/// The environment variable the tests use for a Codex binary too.
pub const BIN_VAR: &str = "RCODEX_CODEX_BIN";

/// A Codex binary and what `--version` printed.
#[derive(Clone, Debug)]
pub struct CodexBin {
    pub path: PathBuf,
    pub version: String,
    /// Where the path came from (`--codex`, `$RCODEX_CODEX_BIN`, …), for the header line.
    pub source: &'static str,
}

/// The version number in what `--version` printed (`codex-cli 0.169.0` → `0.169.0`): the last
/// word that starts with a digit, else the whole text.
pub fn version_number(printed: &str) -> String {
    printed
        .split_whitespace()
        .rev()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(printed)
        .to_string()
}

/// Finds the binary and asks its version; an error is one line for the user.
pub fn find_codex(flag: Option<&Path>) -> Result<CodexBin, String> {
    let (path, source) = locate(flag, std::env::var_os(BIN_VAR).map(PathBuf::from))?;
    let out = Command::new(&path)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: cannot run it: {e}", path.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} --version failed ({}): {}",
            path.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(CodexBin {
        path,
        version,
        source,
    })
}

fn locate(flag: Option<&Path>, env: Option<PathBuf>) -> Result<(PathBuf, &'static str), String> {
    if let Some(p) = flag {
        return existing(p, "--codex");
    }
    if let Some(p) = env.filter(|p| !p.as_os_str().is_empty()) {
        return existing(&p, "$RCODEX_CODEX_BIN");
    }
    if let Some(p) = test_installed() {
        return Ok((p, "the test install"));
    }
    if let Some(p) = on_path("codex") {
        return Ok((p, "PATH"));
    }
    Err(format!(
        "no Codex CLI found: give --codex PATH, set {BIN_VAR}, run `cargo test` once (it installs \
         @openai/codex@{PINNED_VERSION} under target/), or put `codex` on PATH"
    ))
}

fn existing(p: &Path, source: &'static str) -> Result<(PathBuf, &'static str), String> {
    if p.is_file() {
        Ok((p.to_path_buf(), source))
    } else {
        Err(format!("{source} {}: no such file", p.display()))
    }
}

/// `target/codex-cli-<pinned>/…/vendor/*/bin/codex`, looked for under the target folder this
/// binary was built into and under `./target`.
fn test_installed() -> Option<PathBuf> {
    let from_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(2).map(Path::to_path_buf));
    let targets = from_exe.into_iter().chain([PathBuf::from("target")]);
    targets
        .map(|t| {
            t.join(format!("codex-cli-{PINNED_VERSION}"))
                .join("node_modules/@openai/codex-linux-x64/vendor")
        })
        .find_map(|vendor| native_in(&vendor))
}

fn native_in(vendor: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(vendor)
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin/codex"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.into_iter().next()
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_version_number_is_the_last_word_starting_with_a_digit() {
        assert_eq!(version_number("codex-cli 0.169.0"), "0.169.0");
        assert_eq!(
            version_number("codex-cli 0.170.0-alpha.1 (abc)"),
            "0.170.0-alpha.1"
        );
        assert_eq!(version_number("weird"), "weird");
    }

    use super::*;

    #[test]
    fn the_flag_wins_over_the_environment_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let flag = dir.path().join("codex-a");
        let env = dir.path().join("codex-b");
        std::fs::write(&flag, "").unwrap();
        std::fs::write(&env, "").unwrap();
        let (p, source) = locate(Some(&flag), Some(env.clone())).unwrap();
        assert_eq!((p, source), (flag.clone(), "--codex"));
        let (p, source) = locate(None, Some(env.clone())).unwrap();
        assert_eq!((p, source), (env, "$RCODEX_CODEX_BIN"));
        let missing = dir.path().join("nope");
        let e = locate(Some(&missing), None).unwrap_err();
        assert_eq!(e, format!("--codex {}: no such file", missing.display()));
    }

    #[test]
    fn the_native_binary_is_found_under_any_vendor_triple() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("x86_64-unknown-linux-musl/bin/codex");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::write(&bin, "").unwrap();
        assert_eq!(native_in(dir.path()), Some(bin));
        assert_eq!(native_in(&dir.path().join("missing")), None);
    }
}
