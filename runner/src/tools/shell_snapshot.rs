//! Shell snapshot: the environment a login shell (`bash -l`) builds, captured once and handed to
//! every later command, so a shell call runs as `bash -c` without paying for the profile scripts
//! each time (Codex 0.169's `shell_snapshot` feature; `features.shell_snapshot = false` turns it
//! off).
//!
//! What is captured: the exported variables at the end of `bash -l`'s start-up, as it starts from
//! exactly the environment a command would get (the inherited one plus the exec tool's fixed
//! variables and overrides). Handing those to `bash -c` gives a command the environment `bash -lc`
//! would have given it; like Codex's (which runs the command in a fresh non-login `bash -c` after
//! loading its snapshot), functions and aliases from the profile do not carry over.
//!
//! Where and how often: at the first command that can use it, in a new empty directory (removed
//! afterwards), once per process for each distinct (shell, starting environment) pair — once per
//! `exec` session, once per `batch` run — so two scenarios share a snapshot only when their shells
//! would have started from the same environment, and nothing of either workspace can be in it. A
//! profile whose result names the directory it ran in depends on the working directory; such a
//! snapshot is refused, as is one that fails, times out or is not bash: commands then run with
//! `bash -lc` as before.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::sync::OnceCell;

/// A login shell that has not printed its environment by then is killed and not used.
pub const CAPTURE_TIMEOUT: Duration = Duration::from_secs(10);

/// Printed (NUL-framed) before the variables, so anything a profile prints first is skipped.
const MARKER: &[u8] = b"\0rcodex-shell-snapshot\0";

/// Run by the login shell after its profile: the marker, then `NAME=value\0` per exported
/// variable. Builtins only, so the capture costs one process.
const CAPTURE_SCRIPT: &str = r#"printf '\0rcodex-shell-snapshot\0'
while IFS= read -r __rcodex_var; do
  printf '%s=%s\0' "$__rcodex_var" "${!__rcodex_var}"
done < <(compgen -e)
"#;

/// Variables that describe the shell process itself rather than the environment: a command keeps
/// the values it would have had without a snapshot.
const PER_PROCESS: [&str; 4] = ["_", "PWD", "OLDPWD", "SHLVL"];

/// The environment a login shell built, as differences from the environment it started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellSnapshot {
    /// The shell that was captured, e.g. `/bin/bash`.
    pub shell: String,
    /// Variables to set (new or changed by the profile), in name order.
    pub set: Vec<(OsString, OsString)>,
    /// Variables the profile removed.
    pub unset: Vec<OsString>,
}

impl ShellSnapshot {
    /// Whether a command line `[shell, "-lc", cmd]` run in `cwd` may use this snapshot instead:
    /// the same shell, a login shell asked for, and the session's own directory (a command in
    /// another `workdir` runs as a login shell there, as Codex does).
    pub fn applies_to(&self, argv: &[String], cwd: &Path, session_cwd: &Path) -> bool {
        argv.len() == 3 && argv[0] == self.shell && argv[1] == "-lc" && cwd == session_cwd
    }

    /// `argv` with the login flag dropped: `[shell, "-c", cmd]`.
    pub fn non_login_argv(argv: &[String]) -> Vec<String> {
        let mut argv = argv.to_vec();
        if argv.get(1).map(String::as_str) == Some("-lc") {
            argv[1] = "-c".to_string();
        }
        argv
    }
}

/// Why a snapshot could not be taken (commands then run with `-lc`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("shell snapshot: `{0}` is not bash")]
    NotBash(String),
    #[error("shell snapshot: cannot start `{shell}`: {message}")]
    Spawn { shell: String, message: String },
    #[error("shell snapshot: `{0} -l` did not finish in {1} s")]
    Timeout(String, u64),
    #[error("shell snapshot: `{0} -l` exited with {1}")]
    Failed(String, String),
    #[error("shell snapshot: `{0} -l` printed no environment")]
    NoOutput(String),
    #[error("shell snapshot: the login environment names the directory it was taken in ({0}), so it depends on the working directory")]
    DependsOnCwd(String),
}

/// Runs `shell -l` in `dir` starting from `base` (the complete environment a command would start
/// from) and returns what its profile changed.
pub async fn capture(
    shell: &str,
    dir: &Path,
    base: &[(OsString, OsString)],
) -> Result<ShellSnapshot, SnapshotError> {
    if Path::new(shell).file_name() != Some(OsStr::new("bash")) {
        return Err(SnapshotError::NotBash(shell.to_string()));
    }
    let mut cmd = tokio::process::Command::new(shell);
    cmd.arg("-lc")
        .arg(CAPTURE_SCRIPT)
        .current_dir(dir)
        .env_clear()
        .envs(base.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        // Never killed half-way through the profile (a login script killed mid-way can leave
        // state behind, such as pyenv's rehash lock, that stalls every later login shell): a
        // capture nobody waits for any more finishes on its own. Only a hung one is killed.
        .kill_on_drop(false);
    let mut child = cmd.spawn().map_err(|e| SnapshotError::Spawn {
        shell: shell.to_string(),
        message: e.to_string(),
    })?;
    let pgid = child.id().and_then(|p| libc::pid_t::try_from(p).ok());
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let run = async {
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        let mut status = None;
        // Read to EOF; once the shell has exited, a background process it left holding stdout
        // gets a short grace period, not the whole timeout.
        let grace = tokio::time::sleep(Duration::from_secs(3600));
        tokio::pin!(grace);
        loop {
            tokio::select! {
                n = stdout.read(&mut buf) => match n {
                    Ok(0) | Err(_) => break,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                },
                exited = child.wait(), if status.is_none() => {
                    status = Some(exited);
                    grace.as_mut().reset(tokio::time::Instant::now() + Duration::from_millis(50));
                }
                _ = &mut grace => break,
            }
        }
        let status = match status {
            Some(status) => status,
            None => child.wait().await,
        };
        (status, out)
    };
    let Ok((status, out)) = tokio::time::timeout(CAPTURE_TIMEOUT, run).await else {
        if let Some(pgid) = pgid {
            // SAFETY: kill(2) on the capture's own process group (started with
            // process_group(0)); nothing else is in it.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        return Err(SnapshotError::Timeout(
            shell.to_string(),
            CAPTURE_TIMEOUT.as_secs(),
        ));
    };
    let status = status.map_err(|e| SnapshotError::Failed(shell.to_string(), e.to_string()))?;
    if !status.success() {
        return Err(SnapshotError::Failed(shell.to_string(), status.to_string()));
    }
    let captured = parse_capture(&out).ok_or_else(|| SnapshotError::NoOutput(shell.to_string()))?;
    let dir_bytes = dir.as_os_str().as_bytes();
    if let Some((name, _)) = captured
        .iter()
        .find(|(name, value)| !is_per_process(name) && contains(value.as_bytes(), dir_bytes))
    {
        return Err(SnapshotError::DependsOnCwd(
            name.to_string_lossy().into_owned(),
        ));
    }
    Ok(diff(shell, base, captured))
}

/// The `NAME=value` records after the marker, or `None` when the marker is missing.
fn parse_capture(out: &[u8]) -> Option<BTreeMap<OsString, OsString>> {
    let start = find(out, MARKER)? + MARKER.len();
    let mut vars = BTreeMap::new();
    for record in out[start..].split(|b| *b == 0) {
        let Some(eq) = record.iter().position(|b| *b == b'=') else {
            continue;
        };
        let (name, value) = (&record[..eq], &record[eq + 1..]);
        if name.is_empty() {
            continue;
        }
        vars.insert(
            OsString::from_vec(name.to_vec()),
            OsString::from_vec(value.to_vec()),
        );
    }
    Some(vars)
}

/// What turns `base` into `captured`, leaving the per-process variables alone.
fn diff(
    shell: &str,
    base: &[(OsString, OsString)],
    captured: BTreeMap<OsString, OsString>,
) -> ShellSnapshot {
    let per_process = |name: &OsStr| is_per_process(name);
    let before: HashMap<&OsStr, &OsStr> = base
        .iter()
        .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
        .collect();
    let mut unset: Vec<OsString> = before
        .keys()
        .filter(|name| !per_process(name) && !captured.contains_key(**name))
        .map(|name| name.to_os_string())
        .collect();
    unset.sort();
    let set = captured
        .into_iter()
        .filter(|(name, value)| {
            !per_process(name) && before.get(name.as_os_str()) != Some(&value.as_os_str())
        })
        .collect();
    ShellSnapshot {
        shell: shell.to_string(),
        set,
        unset,
    }
}

fn is_per_process(name: &OsStr) -> bool {
    PER_PROCESS.iter().any(|p| OsStr::new(p) == name)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && find(haystack, needle).is_some()
}

/// The environment a command starts from: this process's, then `fixed`, then `overrides`.
pub fn base_env(
    fixed: &[(&str, &str)],
    overrides: &BTreeMap<String, String>,
) -> Vec<(OsString, OsString)> {
    let mut env: BTreeMap<OsString, OsString> = std::env::vars_os().collect();
    for (k, v) in fixed {
        env.insert(k.into(), v.into());
    }
    for (k, v) in overrides {
        env.insert(k.into(), v.into());
    }
    env.into_iter().collect()
}

/// One snapshot, taken on first use and then shared.
#[derive(Debug)]
pub struct SnapshotSlot {
    shell: String,
    base: Vec<(OsString, OsString)>,
    cell: OnceCell<Option<Arc<ShellSnapshot>>>,
}

impl SnapshotSlot {
    /// A slot that captures `shell -l` from `base` when first asked, in a new empty directory
    /// removed afterwards.
    pub fn new(shell: &str, base: Vec<(OsString, OsString)>) -> Self {
        SnapshotSlot {
            shell: shell.to_string(),
            base,
            cell: OnceCell::new(),
        }
    }

    /// The snapshot, captured now if nobody has yet; `None` when it cannot be taken (then the
    /// reason is printed to stderr once, and commands fall back to a login shell).
    pub async fn get(&self) -> Option<Arc<ShellSnapshot>> {
        self.cell
            .get_or_init(|| async {
                let dir = tempfile::Builder::new()
                    .prefix("rcodex-shell-snapshot-")
                    .tempdir_in(crate::temp::temp_root());
                let captured = match &dir {
                    Ok(dir) => capture(&self.shell, dir.path(), &self.base).await,
                    Err(e) => Err(SnapshotError::Spawn {
                        shell: self.shell.clone(),
                        message: format!("temp dir: {e}"),
                    }),
                };
                match captured {
                    Ok(snapshot) => Some(Arc::new(snapshot)),
                    Err(err) => {
                        if !matches!(err, SnapshotError::NotBash(_)) {
                            eprintln!("{err}; commands run in a login shell");
                        }
                        None
                    }
                }
            })
            .await
            .clone()
    }
}

/// A shell and the complete environment it starts from.
type SlotKey = (String, Vec<(OsString, OsString)>);

/// Every snapshot of this process, one per (shell, environment overrides): what makes a batch run
/// take one snapshot for all its scenarios, and two scenarios with different environments take two.
#[derive(Default)]
pub struct ShellSnapshots {
    slots: Mutex<HashMap<SlotKey, Arc<SnapshotSlot>>>,
}

impl ShellSnapshots {
    /// An empty registry.
    pub fn new() -> Self {
        ShellSnapshots::default()
    }

    /// This process's registry.
    pub fn global() -> &'static ShellSnapshots {
        static GLOBAL: OnceLock<ShellSnapshots> = OnceLock::new();
        GLOBAL.get_or_init(ShellSnapshots::new)
    }

    /// The slot for `shell` started from `base`, shared with every earlier caller that asked for
    /// the same pair.
    pub fn slot(&self, shell: &str, base: Vec<(OsString, OsString)>) -> Arc<SnapshotSlot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let key = (shell.to_string(), base);
        if let Some(slot) = slots.get(&key) {
            return Arc::clone(slot);
        }
        let slot = Arc::new(SnapshotSlot::new(shell, key.1.clone()));
        slots.insert(key, Arc::clone(&slot));
        slot
    }

    /// How many distinct snapshots were asked for.
    pub fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no snapshot was asked for.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The process-wide slot for `config`'s default shell and environment. Its capture starts with
/// the first command that can use it (a session that runs no login shell starts none).
pub fn slot_for(config: &crate::tools::unified_exec::ExecConfig) -> Arc<SnapshotSlot> {
    let base = base_env(&crate::tools::unified_exec::CODEX_EXEC_ENV, &config.env);
    ShellSnapshots::global().slot(&config.default_shell, base)
}

#[cfg(test)]
#[path = "shell_snapshot_tests.rs"]
mod tests;
