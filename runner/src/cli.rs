//! The `rcodex` command line (clap): one binary, one subcommand per job.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use rcodex_core::sandbox::SandboxMode;

#[derive(Debug, Parser)]
#[command(
    name = "rcodex",
    version,
    about = "A headless Rust kernel of the Codex agent loop: exec, batch, replay, report, align, doctor, mock, schema."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one non-interactive turn, like `codex exec`.
    ///
    /// Config: $CODEX_HOME/config.toml (default ~/.codex), read like Codex. Exit status: 0 the
    /// turn completed; 1 it failed, or setup failed (bad config, missing key, an unknown thread
    /// id to resume, outside a git repository without --skip-git-repo-check); 2 usage error; 130
    /// interrupted by Ctrl-C (after recording the abort; a second Ctrl-C exits at once).
    /// SIGTERM ends it by the signal (143 in a shell), as Codex.
    Exec(ExecArgs),
    /// Run a folder of prompt scenarios (default scenarios/) against the scripted model, or --live.
    ///
    /// Writes results.jsonl, junit.xml and summary.txt to --out and prints the summary. Exit
    /// status: 0 every run passed (or was skipped); 1 a run failed, errored or timed out; 2 usage
    /// or config error; 3 a budget (--max-tokens, --max-cost) stopped it with runs left; 130
    /// interrupted (re-run with the same --out to resume, in both cases).
    Batch(crate::batch::BatchArgs),
    /// Drive recorded rollouts (Codex's or ours) back through the machine: verify them, print a
    /// rebuilt request (--request N), explain a session turn by turn (--summary), fork it from
    /// any request as a new thread (--fork-at), or compare two (diff).
    ///
    /// Exit status: 0 every file replays; 1 a divergence; 2 an unreadable file (missing, a bad
    /// line, not a rollout, cannot be replayed) or a usage error. --fork-at: 0 every turn
    /// completed, 1 one failed or was interrupted, 2 it cannot fork there.
    Replay(crate::replay::ReplayArgs),
    /// Run the real Codex CLI and rcodex on the same scenarios and compare their requests.
    ///
    /// Per scenario: the scripted server with its replies, the real Codex CLI, then rcodex,
    /// each in a temp workspace and CODEX_HOME; then headers, body, input items, tools and texts
    /// request by request. Exit status: 0 every difference is in the allow-list; 1 one is not;
    /// 2 usage or setup error (no Codex CLI, a bad allow-list or scenario).
    Align(crate::align::AlignArgs),
    /// Check the setup: config, profile, provider, model, key, the base_url's reachability
    /// (DNS, TCP, TLS, HTTP) and one live request.
    ///
    /// One line per check (`ok`, `warn`, `fail`, `skip`), each failure saying what to fix; the
    /// key is never shown. Exit status: 0 no check failed; 1 one failed; 2 usage.
    Doctor(crate::doctor::DoctorArgs),
    /// Serve a scripted model on loopback (for tests and for pointing real `codex exec` at it).
    /// Answers `POST …/responses` as the Responses API and `POST …/chat/completions` as a
    /// chat-completions server, from the same script.
    ///
    /// Prints its base URL and serves until Ctrl-C. Exit status: 0 stopped with Ctrl-C; 2 usage,
    /// a bad script, an unusable --log-dir or a port it cannot listen on.
    Mock(MockArgs),
    /// Print the JSON Schema (draft 2020-12) of a machine-readable output: `events` (exec
    /// --json), `results` (batch results.jsonl), `replay` (replay --json) or `replay-diff`
    /// (replay diff --json).
    ///
    /// Fields are only ever added within a schema version (the `$id` ends in it), so a reader
    /// should ignore fields it does not know. Exit status: 0 printed or written; 2 usage, or
    /// --out cannot be written.
    Schema(crate::schema::SchemaArgs),
    /// Write one self-contained HTML report: of a batch --out folder, of one rollout (ours or
    /// Codex's, any generation), or of two batch folders side by side (baseline first).
    ///
    /// The data is embedded as JSON with the page's own script and styles; the file fetches
    /// nothing and opens from file://. Exit status: 0 written; 2 a path cannot be read or the
    /// file cannot be written.
    Report(crate::report::ReportArgs),
}

/// Options shared by `exec` and `exec resume`.
#[derive(Debug, Args, Clone, Default)]
pub struct ExecArgs {
    /// The prompt; `-` or none reads it from stdin to EOF. With a prompt here, piped stdin is
    /// appended as a `<stdin>` block if its first byte (or EOF) arrives within 250 ms; else the
    /// run goes on without it and says so on stderr (see --stdin, --no-stdin).
    pub prompt: Option<String>,
    /// With a prompt on argv, wait for piped stdin to reach EOF however long it takes, and append
    /// it as a `<stdin>` block.
    #[arg(long, conflicts_with = "no_stdin")]
    pub stdin: bool,
    /// Never read stdin (the prompt must be on argv).
    #[arg(long)]
    pub no_stdin: bool,
    /// Print the `--json` event stream (JSONL) on stdout (`--experimental-json`, the name the
    /// Codex SDK passes, is the same flag).
    #[arg(long, visible_alias = "experimental-json", global = true)]
    pub json: bool,
    /// Write the last agent message to FILE (no trailing newline).
    #[arg(
        short = 'o',
        long = "output-last-message",
        value_name = "FILE",
        global = true
    )]
    pub output_last_message: Option<PathBuf>,
    /// A JSON Schema file the final answer must follow (sent as `text.format`, strict).
    #[arg(long, value_name = "FILE", global = true)]
    pub output_schema: Option<PathBuf>,
    /// Model to use.
    #[arg(short = 'm', long, global = true)]
    pub model: Option<String>,
    /// Override a config value: `-c key.path=value` (value parsed as TOML, else a string).
    #[arg(short = 'c', long = "config", value_name = "key=value", global = true)]
    pub config: Vec<String>,
    /// Config profile: the settings of `$CODEX_HOME/PROFILE.config.toml` over config.toml (as Codex 0.169).
    #[arg(short = 'p', long)]
    pub profile: Option<String>,
    /// Working directory of the session.
    #[arg(short = 'C', long = "cd", value_name = "DIR")]
    pub cd: Option<PathBuf>,
    /// Sandbox mode for tools.
    #[arg(short = 's', long, value_enum)]
    pub sandbox: Option<SandboxArg>,
    /// Same as `--sandbox danger-full-access` (approvals are never asked in exec).
    #[arg(long, global = true)]
    pub dangerously_bypass_approvals_and_sandbox: bool,
    /// Run outside a git repository.
    #[arg(long, global = true)]
    pub skip_git_repo_check: bool,
    /// Do not write a rollout file.
    #[arg(long, global = true)]
    pub ephemeral: bool,
    /// Send upstream Codex text from DIR (written by `rcodex align --import-text`) instead of
    /// rcodex's own base instructions, permissions text and tool descriptions. Config key:
    /// `upstream_text`.
    #[arg(long, value_name = "DIR")]
    pub upstream_text: Option<PathBuf>,
    /// Enable a Codex feature (repeatable): `-c features.NAME=true`. rcodex acts on
    /// `shell_snapshot`; other names Codex 0.169 knows are accepted; an unknown name is an error.
    #[arg(long, value_name = "FEATURE", global = true)]
    pub enable: Vec<String>,
    /// Disable a Codex feature (repeatable): `-c features.NAME=false` (see --enable).
    #[arg(long, value_name = "FEATURE", global = true)]
    pub disable: Vec<String>,
    /// Refuse a config.toml with top-level keys neither rcodex nor the Codex SDK's keys name.
    #[arg(long, global = true)]
    pub strict_config: bool,
    /// Image file(s) to attach to the prompt, sent before it as Codex sends them (takes every
    /// following value: put the prompt first or end the list with `--`).
    #[arg(short = 'i', long = "image", value_name = "FILE", num_args = 1.., global = true)]
    pub images: Vec<PathBuf>,
    /// Use a local open-source provider (`--local-provider`, else ollama) through the
    /// chat-completions adapter.
    #[arg(long, global = true)]
    pub oss: bool,
    /// The local provider for --oss: `lmstudio` or `ollama`.
    #[arg(long, value_name = "OSS_PROVIDER", global = true)]
    pub local_provider: Option<String>,
    /// Accepted and ignored (rcodex never asks for approval in exec).
    #[arg(long, global = true)]
    pub approve_for_me: bool,
    /// Accepted and ignored (rcodex runs no hooks).
    #[arg(long, global = true)]
    pub dangerously_bypass_hook_trust: bool,
    /// Run in a new git worktree of the repository: `$CODEX_HOME/worktrees/NNNN/<repo>`,
    /// detached at HEAD and kept after the run.
    #[arg(long, global = true)]
    pub worktree: bool,
    /// An extra writable directory beside the workspace (repeatable): a workspace root in the
    /// context and writable in the workspace-write sandbox.
    #[arg(long = "add-dir", value_name = "DIR", global = true)]
    pub add_dir: Vec<PathBuf>,
    /// Source classification of a new thread: `thread_source` in the turn metadata and the
    /// rollout's `session_meta` (default `user`); a resumed thread keeps the one it recorded.
    #[arg(long, value_name = "SOURCE", global = true)]
    pub thread_source: Option<String>,
    /// Accepted and ignored (an OpenAI-side program rcodex does not request).
    #[arg(long, value_name = "PROGRAM", value_parser = ["standard", "daybreak_blue", "daybreak_red"], global = true)]
    pub cyber_access_program: Option<String>,
    /// Accepted and ignored (rcodex keeps no project trust and runs no MCP servers).
    #[arg(long, global = true)]
    pub trust: bool,
    /// Do not read `$CODEX_HOME/config.toml` (the key and CODEX_HOME's other files still count).
    #[arg(long, global = true)]
    pub ignore_user_config: bool,
    /// Accepted and ignored (rcodex loads no execpolicy `.rules` files).
    #[arg(long, global = true)]
    pub ignore_rules: bool,
    /// Colour of the human output: always, never or auto (auto: none; rcodex prints no colour).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, global = true)]
    pub color: ColorArg,
    #[command(subcommand)]
    pub resume: Option<ResumeCommand>,
}

#[derive(Debug, Subcommand, Clone)]
pub enum ResumeCommand {
    /// Continue an earlier thread: `resume ID [PROMPT]` or `resume --last [PROMPT]`; with
    /// `--compact`, summarize its history first (and stop there without a prompt).
    ///
    /// Appends to the thread's rollout. Exit status as exec's: 0 the turn completed (or, with
    /// --compact and no prompt, the compaction); 1 it failed, or setup failed (such as an unknown
    /// thread id); 2 usage error; 130 interrupted by Ctrl-C.
    Resume(ResumeArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ResumeArgs {
    /// Thread id to resume (omit with --last).
    pub session_id: Option<String>,
    /// The prompt for the resumed turn.
    pub prompt: Option<String>,
    /// Resume the most recently updated thread started in this directory (-C or the current
    /// one), as Codex does; with none there, start a new thread.
    #[arg(long)]
    pub last: bool,
    /// With --last, pick among the threads of every directory.
    #[arg(long, requires = "last")]
    pub all: bool,
    /// Compact the thread first: one summary request with no tools, then the history is
    /// replaced by the summary and the recent user messages. With no prompt, compact and exit.
    #[arg(long)]
    pub compact: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorArg {
    Always,
    Never,
    #[default]
    Auto,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SandboxArg {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
}

impl From<SandboxArg> for SandboxMode {
    fn from(s: SandboxArg) -> Self {
        match s {
            SandboxArg::ReadOnly => SandboxMode::ReadOnly,
            SandboxArg::WorkspaceWrite => SandboxMode::WorkspaceWrite,
            SandboxArg::DangerFullAccess => SandboxMode::DangerFullAccess,
        }
    }
}

#[derive(Debug, Args)]
pub struct MockArgs {
    /// Script file (TOML or JSON) with the replies, in order.
    #[arg(long)]
    pub script: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Write each request as request-NNN.json here.
    #[arg(long)]
    pub log_dir: Option<PathBuf>,
}
