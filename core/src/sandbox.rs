//! Sandbox modes as Codex names them; shared by context assembly, tools and the runner.

use serde::{Deserialize, Serialize};

/// How much a turn's tools may touch, Codex's `-s/--sandbox` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Read anything, write nothing.
    #[default]
    ReadOnly,
    /// Write inside the workspace roots (and temp dirs), read anything.
    WorkspaceWrite,
    /// No restriction at all.
    DangerFullAccess,
}

impl SandboxMode {
    /// The spelling Codex uses on the command line and in config.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::WorkspaceWrite => "workspace-write",
            SandboxMode::DangerFullAccess => "danger-full-access",
        }
    }
}
