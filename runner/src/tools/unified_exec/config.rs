//! How the unified exec manager starts processes: shell, login default, cwd, environment,
//! output cap, optional hard timeout and how session ids are chosen.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Output kept per process (head + tail), as Codex's 1 MiB buffer.
pub const DEFAULT_OUTPUT_CAP_BYTES: usize = 1024 * 1024;

/// Variables Codex sets for every unified exec process (before the configured overrides).
pub const CODEX_EXEC_ENV: [(&str, &str); 10] = [
    ("NO_COLOR", "1"),
    ("TERM", "dumb"),
    ("LANG", "C.UTF-8"),
    ("LC_CTYPE", "C.UTF-8"),
    ("LC_ALL", "C.UTF-8"),
    ("COLORTERM", ""),
    ("PAGER", "cat"),
    ("GIT_PAGER", "cat"),
    ("GH_PAGER", "cat"),
    ("CODEX_CI", "1"),
];

/// How session ids for long-running processes are picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionIds {
    /// 1000, 1001, …: the lowest id above every id in use (Codex's deterministic mode).
    Sequential,
    /// Uniform in 1000..100000, not in use (what Codex does in production).
    Random,
}

/// Settings for [`super::UnifiedExecManager`].
#[derive(Debug, Clone)]
pub struct ExecConfig {
    /// Shell used when the model names none, e.g. `/bin/bash`.
    pub default_shell: String,
    /// Whether commands run in a login shell (`-lc`) when the model does not say.
    pub login_default: bool,
    /// Working directory for commands and base for relative `workdir`s.
    pub cwd: PathBuf,
    /// Environment overrides applied after the inherited environment and [`CODEX_EXEC_ENV`].
    pub env: BTreeMap<String, String>,
    /// Bytes of output kept per process and per call: half head, half tail.
    pub output_cap_bytes: usize,
    /// Kill a process group that has run this long (Codex has no such limit: `None`).
    pub hard_timeout: Option<Duration>,
    /// How session ids are chosen.
    pub session_ids: SessionIds,
    /// Landlock ruleset applied to every command (`None`: unconfined).
    pub sandbox: Option<std::sync::Arc<crate::tools::landlock::Ruleset>>,
    /// The login environment captured once, used instead of `-lc` where it applies (`None`:
    /// every login command runs `-lc`). See [`crate::tools::shell_snapshot`].
    pub shell_snapshot: Option<std::sync::Arc<crate::tools::shell_snapshot::SnapshotSlot>>,
}

impl ExecConfig {
    /// Codex's defaults (`/bin/bash`, login shell, 1 MiB cap, sequential ids) in `cwd`.
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        ExecConfig {
            default_shell: "/bin/bash".to_string(),
            login_default: true,
            cwd: cwd.into(),
            env: BTreeMap::new(),
            output_cap_bytes: DEFAULT_OUTPUT_CAP_BYTES,
            hard_timeout: None,
            session_ids: SessionIds::Sequential,
            sandbox: None,
            shell_snapshot: None,
        }
    }
}
