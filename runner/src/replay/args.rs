//! The command line of `rcodex replay`: which files, and which of its modes (verify, one
//! request's body, a per-turn summary), in human or JSON Lines form.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rcodex_core::replay::ForkPoint;

use super::fork::ForkTools;

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
    /// Print one JSON object per file per line (JSON Lines) instead of text; with --fork-at,
    /// the fork's events as `exec --json` prints them.
    #[arg(long)]
    pub json: bool,
    /// Fork the session at request TURN.REQUEST (TURN alone: the turn's first request): replay
    /// the recording up to there, then go on as a new thread — that request and the rest of the
    /// turn, then each later recorded prompt — against --live or --script. Takes one file; the
    /// new rollout goes to $CODEX_HOME/sessions/ and names its parent and the fork point.
    /// Exit status: 0 every turn completed; 1 one failed or was interrupted; 2 the recording
    /// cannot be forked there (or diverges before it), or setup failed.
    #[arg(long, value_name = "TURN[.REQUEST]", conflicts_with_all = ["summary", "request"])]
    pub fork_at: Option<ForkPoint>,
    /// With --fork-at: where tool calls get their answers. `auto`: from the recording when a
    /// recorded call has the same tool and arguments, else run for real; `recorded`: from the
    /// recording only (others get an error output); `run`: always run.
    #[arg(long, value_enum, default_value_t = ForkTools::Auto, requires = "fork_at")]
    pub tools: ForkTools,
    /// With --fork-at: go on against the configured model provider ($CODEX_HOME/config.toml).
    #[arg(long, requires = "fork_at", conflicts_with = "script")]
    pub live: bool,
    /// With --fork-at: go on against the built-in scripted server answering with this reply
    /// file (TOML `[[reply]]` tables, or JSON `{"replies": [...]}`), on 127.0.0.1.
    #[arg(long, value_name = "FILE", requires = "fork_at")]
    pub script: Option<PathBuf>,
    /// With --fork-at: the model from the fork on (default: the recorded one). Its tools are
    /// offered, plus any the recording called that it lacks.
    #[arg(short = 'm', long, requires = "fork_at")]
    pub model: Option<String>,
    /// With --fork-at: the directory tools run in (default: the current one).
    #[arg(short = 'C', long = "cd", value_name = "DIR", requires = "fork_at")]
    pub cd: Option<PathBuf>,
    /// With --fork-at: override a config value, `-c key.path=value` (as `exec`).
    #[arg(
        short = 'c',
        long = "config",
        value_name = "key=value",
        requires = "fork_at"
    )]
    pub config: Vec<String>,
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
