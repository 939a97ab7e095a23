//! Codex's unified exec tools, `exec_command` and `write_stdin`: shell commands run in their
//! own process groups, stay alive as numbered sessions when they outlast the yield time, and
//! answer in Codex 0.169.0's exact text format (see `rcodex_core::truncation`).

mod args;
mod command_line;
mod config;
mod errors;
mod manager;
mod output_buffer;
mod process;

#[cfg(test)]
mod bench;
#[cfg(test)]
mod tests;

pub use args::{
    ArgsError, ExecCommandArgs, WriteStdinArgs, DEFAULT_EXEC_YIELD_TIME_MS,
    DEFAULT_WRITE_STDIN_YIELD_TIME_MS,
};
pub use command_line::{command_argv, display_command};
pub use config::{ExecConfig, SessionIds, CODEX_EXEC_ENV, DEFAULT_OUTPUT_CAP_BYTES};
pub use errors::UnifiedExecError;
pub use manager::{
    random_chunk_id, ExecResult, UnifiedExecManager, MAX_EMPTY_YIELD_TIME_MS, MAX_SESSIONS,
    MAX_YIELD_TIME_MS, MIN_EMPTY_YIELD_TIME_MS, MIN_YIELD_TIME_MS,
};
/// Also caps the output of a batch's setup and grader commands.
pub(crate) use output_buffer::OutputBuffer;
