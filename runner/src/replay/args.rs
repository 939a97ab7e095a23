//! The command line of `rcodex replay`: which files, and which of its modes (verify, one
//! request's body, a per-turn summary), in human or JSON Lines form.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Args, Clone)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReplayArgs {
    #[command(subcommand)]
    pub command: Option<ReplayCommand>,
    /// Rollout files, or folders walked for rollouts (`rollout-*.jsonl`, and every `*.jsonl` in a
    /// folder named `rollouts`, as `rcodex batch --out` writes them).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print the body of request N (1-based) as the session sent it; takes one file.
    #[arg(long, value_name = "N", conflicts_with = "summary")]
    pub request: Option<usize>,
    /// With --request: pretty-print the body.
    #[arg(long, requires = "request")]
    pub pretty: bool,
    /// Explain each session turn by turn from its recorded lines: requests, retries, tool calls,
    /// tokens, time to first token, duration, outcome.
    #[arg(long)]
    pub summary: bool,
    /// Print one JSON object per file per line (JSON Lines) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand, Clone)]
pub enum ReplayCommand {
    /// Compare two recorded sessions turn by turn: requests, tool calls, tokens, duration and
    /// outcome side by side, then the first place their histories part (ids, chunk ids and wall
    /// times aside).
    ///
    /// Exit status: 0 the sessions agree; 1 they part; 2 a file is unreadable.
    Diff(DiffArgs),
}

#[derive(Debug, Args, Clone)]
pub struct DiffArgs {
    /// The first session's rollout (A).
    pub a: PathBuf,
    /// The second session's rollout (B).
    pub b: PathBuf,
    /// Print one JSON object (turns, divergence) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What the user asked `replay` to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Drive each file back through the machine and report `ok` or the first divergence.
    Verify,
    /// Print one rebuilt request's body (1-based index).
    Request { index: usize, pretty: bool },
    /// Per-turn table from the recorded lines alone.
    Summary,
}

impl ReplayArgs {
    pub fn mode(&self) -> Mode {
        match (self.request, self.summary) {
            (Some(index), _) => Mode::Request {
                index,
                pretty: self.pretty,
            },
            (None, true) => Mode::Summary,
            (None, false) => Mode::Verify,
        }
    }
}
