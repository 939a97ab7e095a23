//! The `rcodex` binary: parses the command line, loads `$CODEX_HOME/.env` before any thread
//! starts, then runs the chosen job on a tokio runtime and exits with its code.

use clap::Parser;
use rcodex_runner::cli::{Cli, Command};

/// mimalloc rather than glibc's malloc: replay allocates and frees in small pieces all the way
/// (history items, request bodies), and glibc spent a third of its time there. Built without
/// transparent huge pages so its arena does not raise peak RSS (bench/replay.sh measures both).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    let codex_home = rcodex_runner::config::codex_home_from_env();
    // Environment changes are only sound before other threads exist.
    for (key, value) in rcodex_runner::config::load_dotenv(&codex_home) {
        if std::env::var_os(&key).is_none() {
            std::env::set_var(key, value);
        }
    }
    let code = match cli.command {
        Command::Exec(args) => current_thread().block_on(rcodex_runner::exec::run_exec(args)),
        Command::Batch(args) => multi_thread().block_on(rcodex_runner::batch::run_batch(args)),
        Command::Replay(args) => rcodex_runner::replay::run_replay(args),
        Command::Align(args) => current_thread().block_on(rcodex_runner::align::run_align(args)),
        Command::Doctor(args) => current_thread().block_on(rcodex_runner::doctor::run_doctor(args)),
        Command::Schema(args) => rcodex_runner::schema::run_schema(args),
        Command::Report(args) => rcodex_runner::report::run_report(args),
        Command::Mock(args) => {
            current_thread().block_on(rcodex_runner::mock::run_cli_command(args))
        }
    };
    std::process::exit(code);
}

/// One thread is plenty for one session; it keeps start-up and memory small.
fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Many sessions at once: one worker per core.
fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}
