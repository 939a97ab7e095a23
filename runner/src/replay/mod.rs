//! `rcodex replay PATH...`: recorded sessions back through the machine. Verify (the default)
//! replays each rollout and reports `ok` or its first divergence; `--request N` prints one
//! rebuilt request; `--summary` explains a session turn by turn. Many files run in parallel
//! (rayon) and report in a fixed order; `--json` prints one JSON object per file per line.

mod agent_links;
mod args;
mod compare;
mod diff;
mod family;
mod fork;
mod ordered;
mod progress;
pub mod report;
pub mod summary;
mod summary_table;
mod totals;
mod walk;

use std::path::Path;
use std::time::Instant;

use rcodex_core::replay::{replay, ReplayError};

use crate::rollout::{read_recorded, RecordedRollout};
pub use args::{DiffArgs, Mode, ReplayArgs, ReplayCommand};
pub use fork::ForkTools;
use progress::Progress;
use report::{FileFacts, FileReport, WriterInfo};
use totals::Totals;
use walk::Target;

/// Runs `rcodex replay`; returns the exit status: 0 every file replays, 1 a divergence, 2 an
/// unreadable file or a usage error.
pub fn run_replay(args: ReplayArgs) -> i32 {
    if let Some(ReplayCommand::Diff(diff)) = &args.command {
        return compare::run_diff(diff);
    }
    if let Some(at) = args.fork_at {
        return match args.paths.as_slice() {
            [path] if path.is_file() => fork::run_fork(fork::ForkRequest {
                path,
                at,
                tools: args.tools,
                live: args.live,
                script: args.script.as_deref(),
                model: args.model.clone(),
                cd: args.cd.as_deref(),
                config: args.config.clone(),
                json: args.json,
            }),
            _ => {
                eprintln!("error: --fork-at takes one rollout file");
                2
            }
        };
    }
    let started = Instant::now();
    let mode = args.mode();
    let targets = walk::targets(&args.paths);
    if matches!(mode, Mode::Request { .. }) && targets.len() != 1 {
        eprintln!(
            "error: --request takes one rollout file; the paths given hold {}",
            targets.len()
        );
        return 2;
    }
    let progress = Progress::new(targets.len() as u64);
    let mut totals = Totals::default();
    ordered::for_each_in_order(
        &targets,
        |target| replay_one(target, mode),
        |report| {
            totals.add(report.tally());
            progress.advance(report_path(&report));
            print_report(&report, args.json, &progress);
        },
    );
    progress.done();
    if !matches!(mode, Mode::Request { .. }) {
        let line = totals.render(mode, started.elapsed());
        // With --json, stdout holds only the per-file objects.
        progress.print(&line, !args.json);
    }
    totals.exit_code()
}

fn print_report(report: &FileReport, json: bool, progress: &Progress) {
    if json {
        // A report is strings, numbers and JSON values: serialising it cannot fail.
        let line = serde_json::to_string(report).unwrap_or_default();
        progress.print(&format!("{line}\n"), true);
        return;
    }
    let text = report.to_text();
    progress.print(&text.out, true);
    for note in text.notes {
        progress.print(&format!("{note}\n"), false);
    }
}

fn report_path(report: &FileReport) -> &str {
    match report {
        FileReport::Ok { file, .. }
        | FileReport::Divergence { file, .. }
        | FileReport::Summary { file, .. }
        | FileReport::Request { file, .. } => &file.path,
        FileReport::Error { path, .. } => path,
    }
}

/// Reads one file and does what `mode` asks; the file's lines are dropped on return.
fn replay_one(target: &Target, mode: Mode) -> FileReport {
    let path = match target {
        Target::File(path) => path,
        Target::Unlistable { path, message } => {
            return FileReport::Error {
                path: path.display().to_string(),
                error: format!("{}: {message}", path.display()),
            }
        }
    };
    let rollout = match read_recorded(path) {
        Ok(rollout) => rollout,
        Err(e) => return error(path, e.to_string()),
    };
    let mut file = facts(&rollout);
    file.agents = family::check_children(path, mode);
    match mode {
        Mode::Summary => FileReport::Summary {
            summary: summary::summarize(&rollout.lines),
            file,
        },
        Mode::Verify => match replay(&rollout.lines) {
            Ok(replayed) => {
                let turns = replayed.requests.iter().map(|r| r.turn).max().unwrap_or(0);
                let requests = replayed.requests.len();
                match replayed.divergence {
                    None => FileReport::Ok {
                        file,
                        turns,
                        requests,
                    },
                    Some(divergence) => FileReport::Divergence {
                        file,
                        turns,
                        requests,
                        divergence,
                    },
                }
            }
            Err(e) => error(path, replay_error(path, &e)),
        },
        Mode::Request { index, pretty } => match replay(&rollout.lines) {
            Ok(replayed) => {
                let count = replayed.requests.len();
                match index.checked_sub(1).and_then(|i| replayed.requests.get(i)) {
                    Some(rebuilt) => FileReport::Request {
                        request: index,
                        turn: rebuilt.turn,
                        body: if pretty {
                            pretty_body(&rebuilt.body)
                        } else {
                            rebuilt.body.clone()
                        },
                        file,
                    },
                    None => error(
                        path,
                        format!(
                            "{}: --request {index} is out of range: the session sent {count} {} (1 to {count})",
                            path.display(),
                            report::plural(count, "request")
                        ),
                    ),
                }
            }
            Err(e) => error(path, replay_error(path, &e)),
        },
    }
}

fn error(path: &Path, message: String) -> FileReport {
    FileReport::Error {
        path: path.display().to_string(),
        error: message,
    }
}

/// `file:line: what` when the machine names a line, else `file: what`.
fn replay_error(path: &Path, e: &ReplayError) -> String {
    match e {
        ReplayError::Unsupported { line, message } if *line > 0 => {
            format!("{}:{line}: {message}", path.display())
        }
        ReplayError::Unsupported { message, .. } => format!("{}: {message}", path.display()),
        other => format!("{}: {other}", path.display()),
    }
}

fn facts(rollout: &RecordedRollout) -> FileFacts {
    FileFacts {
        path: rollout.path.display().to_string(),
        writer: WriterInfo {
            originator: rollout.writer.originator.clone(),
            cli_version: rollout.writer.cli_version.clone(),
        },
        bytes: rollout.bytes,
        warnings: rollout.warnings.clone(),
        agents: Vec::new(),
    }
}

/// The body re-indented; key order kept (`preserve_order`). A body that is not JSON stays as is.
fn pretty_body(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_string())
}
