//! Why an exec tool call failed; the Display strings are what Codex tells the model.

/// A failure of `exec_command` or `write_stdin` that is reported to the model as text.
#[derive(Debug, thiserror::Error)]
pub enum UnifiedExecError {
    /// The process could not be started (bad workdir, missing shell, no PTY…).
    #[error("Failed to create unified exec process: {0}")]
    CreateProcess(String),
    /// No live session has this id (never existed, exited and was reported, or pruned).
    #[error("Unknown process id {0}")]
    UnknownProcessId(i32),
    /// Writing to the terminal failed.
    #[error("failed to write to stdin")]
    WriteToStdin,
    /// Input was sent to a process started without `tty: true`.
    #[error(
        "stdin is closed for this session; rerun exec_command with tty=true to keep stdin open"
    )]
    StdinClosed,
    /// The manager was shut down.
    #[error("unified exec is shut down")]
    ShutDown,
}
