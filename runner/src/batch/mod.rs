//! `rcodex batch`: runs a folder of prompt scenarios headless, many at once in one process, and
//! writes results.jsonl, junit.xml and a summary table. Resumable, shardable, Ctrl-C safe.

pub mod at_line;
pub mod command;
pub mod discover;
pub mod expect;
pub mod git_source;
pub mod grader;
pub mod junit;
mod progress;
pub mod results;
pub mod run_one;
pub mod scenario;
pub mod snapshots;
pub mod summary;
pub mod workspace;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use tokio::sync::{mpsc, watch, Semaphore};

use discover::{discover, Shard};
use results::{read_results, ResultLine, ResultsFile, Status};
use run_one::{run_scenario, ModelMode, RunContext};
use scenario::load_scenario;
use snapshots::Tally;

use crate::snapshot::store::SnapshotStore;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BatchArgs {
    #[command(subcommand)]
    pub command: Option<BatchCommand>,
    /// Scenario files or folders (default: scenarios/).
    pub paths: Vec<PathBuf>,
    /// Scenarios run at once (default: the number of cores).
    #[arg(short = 'j', long)]
    pub jobs: Option<usize>,
    /// Run against the provider configured in $CODEX_HOME instead of the scripted replies.
    #[arg(long)]
    pub live: bool,
    /// With --live: requests in flight at once against the provider.
    #[arg(long, default_value_t = 4)]
    pub live_concurrency: usize,
    /// Run each scenario K times (pass@k); results are keyed by scenario and repeat index.
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// Only scenarios whose id matches this regex.
    #[arg(long)]
    pub filter: Option<String>,
    /// Only this shard, `i/n` (1-based), stable by scenario id: for CI matrices and indexed jobs.
    #[arg(long)]
    pub shard: Option<Shard>,
    /// Results folder; re-running with the same folder skips what is done.
    /// Default: rcodex-batch/run-<timestamp>.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Snapshot every run's request bodies and `--json` events (ids, times and paths redacted)
    /// into DIR/<scenario id>/ as insta .snap files, and compare with the ones stored there: a
    /// difference fails the run with a diff (the new version is left as .snap.new), a missing
    /// one is written as new. DIR defaults to snapshots/ beside the first PATH; give PATHs
    /// first or write --snapshots=DIR.
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub snapshots: Option<Option<PathBuf>>,
    /// Accept this run's snapshots as the stored ones (implies --snapshots).
    #[arg(long)]
    pub snapshots_update: bool,
    /// Send upstream Codex text from DIR (written by `rcodex align --import-text`) instead of
    /// rcodex's own base instructions, permissions text and tool descriptions.
    #[arg(long, value_name = "DIR")]
    pub upstream_text: Option<PathBuf>,
    /// Keep every run's workspace (a temp folder) and write its path into results.jsonl
    /// (`workspace`). Runs that fail or error keep theirs anyway.
    #[arg(long)]
    pub keep_workspaces: bool,
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Merge the results of several shard folders into one.
    Merge {
        /// Shard result folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the merged results.jsonl, junit.xml and summary.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Exit code: 0 all pass, 1 any fail or error, 2 usage or config error.
fn exit_code(results: &[ResultLine]) -> i32 {
    i32::from(
        results
            .iter()
            .any(|r| matches!(r.status, Status::Fail | Status::Error)),
    )
}

fn write_reports(out: &std::path::Path, results: &[ResultLine]) -> std::io::Result<String> {
    std::fs::write(out.join("junit.xml"), junit::render(results))?;
    let table = summary::render(results);
    std::fs::write(out.join("summary.txt"), &table)?;
    Ok(table)
}

/// Runs the batch command; returns the exit code.
pub async fn run_batch(args: BatchArgs) -> i32 {
    match run(args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("Error: {message}");
            2
        }
    }
}

async fn merge(dirs: Vec<PathBuf>, out: PathBuf) -> Result<i32, String> {
    let mut all = Vec::new();
    for d in &dirs {
        let (lines, _) = read_results(&d.join("results.jsonl")).map_err(|e| e.to_string())?;
        all.extend(lines);
    }
    all.sort_by_key(ResultLine::key);
    all.dedup_by(|a, b| a.key() == b.key());
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut text = String::new();
    for l in &all {
        text.push_str(&serde_json::to_string(l).map_err(|e| e.to_string())?);
        text.push('\n');
    }
    std::fs::write(out.join("results.jsonl"), text).map_err(|e| e.to_string())?;
    let table = write_reports(&out, &all).map_err(|e| e.to_string())?;
    print!("{table}");
    Ok(exit_code(&all))
}

async fn run(args: BatchArgs) -> Result<i32, String> {
    if let Some(BatchCommand::Merge { dirs, out }) = args.command {
        return merge(dirs, out).await;
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        args.paths.clone()
    };
    let filter = match &args.filter {
        Some(f) => Some(regex::Regex::new(f).map_err(|e| format!("--filter: {e}"))?),
        None => None,
    };
    if args.repeat == 0 {
        return Err("--repeat must be at least 1".into());
    }
    let found: Vec<_> = discover(&paths)?
        .into_iter()
        .filter(|f| filter.as_ref().is_none_or(|r| r.is_match(&f.id)))
        .filter(|f| args.shard.is_none_or(|s| s.contains(&f.id)))
        .collect();
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("rcodex-batch").join(format!(
            "run-{}",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        ))
    });
    let store = (args.snapshots.is_some() || args.snapshots_update).then(|| SnapshotStore {
        root: match &args.snapshots {
            Some(Some(dir)) => dir.clone(),
            _ => snapshots::default_dir(&paths[0]),
        },
        update: args.snapshots_update,
    });
    let upstream_text = match &args.upstream_text {
        Some(dir) => {
            let dir = std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            // Read once now, so a bad folder stops the batch instead of failing every scenario.
            crate::upstream_text::UpstreamText::load_cached(&dir)?;
            Some(dir)
        }
        None => None,
    };
    let (mut results_file, previous) = ResultsFile::open(&out).map_err(|e| e.to_string())?;
    let done: HashSet<(String, u32)> = previous.iter().map(ResultLine::key).collect();
    let mode = if args.live {
        ModelMode::Live {
            codex_home: crate::config::codex_home_from_env(),
        }
    } else {
        ModelMode::Scripted
    };
    let mut jobs = Vec::new();
    for f in &found {
        for repeat in 0..args.repeat {
            if !done.contains(&(f.id.clone(), repeat)) {
                jobs.push((f.clone(), repeat));
            }
        }
    }
    let total = jobs.len();
    if !done.is_empty() {
        eprintln!(
            "resuming {}: {} done, {total} to run",
            out.display(),
            done.len()
        );
    }
    let jobs_limit = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let limit = Arc::new(Semaphore::new(jobs_limit));
    let live_limit = Arc::new(Semaphore::new(args.live_concurrency.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (tx, mut rx) = mpsc::unbounded_channel::<(ResultLine, Tally)>();
    let rollout_dir = Arc::new(out.join("rollouts"));
    let mode = Arc::new(mode);
    let store = Arc::new(store);
    let upstream_text = Arc::new(upstream_text);
    let keep_workspaces = args.keep_workspaces;
    let mut handles = Vec::new();
    for (found, repeat) in jobs {
        let (limit, live_limit, tx, mut stop, rollout_dir, mode, store, upstream_text) = (
            limit.clone(),
            live_limit.clone(),
            tx.clone(),
            stop_rx.clone(),
            rollout_dir.clone(),
            mode.clone(),
            store.clone(),
            upstream_text.clone(),
        );
        handles.push(tokio::spawn(async move {
            let Ok(_permit) = limit.acquire_owned().await else {
                return;
            };
            let _live = match *mode {
                ModelMode::Live { .. } => live_limit.acquire_owned().await.ok(),
                ModelMode::Scripted => None,
            };
            if *stop.borrow() {
                return;
            }
            let mut tally = Tally::default();
            let line = match load_scenario(&found.path) {
                Err(e) => error_line(&found, repeat, e.to_string()),
                Ok(s) => {
                    let mut stop_fut = Box::pin(async move {
                        let _ = stop.wait_for(|v| *v).await;
                    });
                    let ctx = RunContext {
                        mode: &mode,
                        rollout_dir: &rollout_dir,
                        upstream_text: upstream_text.as_deref(),
                        stop: &mut stop_fut,
                    };
                    match run_scenario(&s, &found.id, repeat, ctx).await {
                        Ok(run) => {
                            let mut line = run.line;
                            if let (Some(store), Some(capture)) = (&*store, &run.capture) {
                                tally = snapshots::check(store, &mut line, capture);
                            }
                            workspace::settle(run.workspace, &mut line, keep_workspaces);
                            line
                        }
                        Err(run_one::Stopped) => return,
                    }
                }
            };
            let _ = tx.send((line, tally));
        }));
    }
    drop(tx);
    let mut progress = progress::Progress::new(total as u64);
    let mut new_results = Vec::new();
    let mut tally = Tally::default();
    let mut interrupted = false;
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    loop {
        tokio::select! {
            line = rx.recv() => {
                let Some((line, snapshots)) = line else { break };
                tally.add(snapshots);
                results_file.append(&line).map_err(|e| format!("{}: {e}", results_file.path().display()))?;
                progress.finished(&line);
                new_results.push(line);
            }
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                let _ = stop_tx.send(true);
                progress.note("stopping: finishing results in flight, the rest can be resumed");
            }
        }
    }
    for h in handles {
        let _ = h.await;
    }
    progress.done();
    let (all, _) = read_results(results_file.path()).map_err(|e| e.to_string())?;
    let table = write_reports(&out, &all).map_err(|e| e.to_string())?;
    print!("{table}");
    if let Some(store) = &*store {
        println!("snapshots in {}: {tally}", store.root.display());
        if tally.drifted + tally.not_produced > 0 {
            println!(
                "review the .snap.new files (`cargo insta review` inside a Cargo project), or accept them all with --snapshots-update"
            );
        }
    }
    println!("results: {}", out.display());
    if interrupted {
        let mut cmd: Vec<String> = std::env::args().collect();
        if args.out.is_none() {
            cmd.push("--out".into());
            cmd.push(out.display().to_string());
        }
        eprintln!("interrupted; resume with:\n  {}", cmd.join(" "));
        return Ok(130);
    }
    Ok(exit_code(&all))
}

fn error_line(found: &discover::Found, repeat: u32, error: String) -> ResultLine {
    ResultLine {
        id: found.id.clone(),
        repeat,
        name: found.id.clone(),
        file: found.path.display().to_string(),
        status: Status::Error,
        error: Some(error),
        checks: Vec::new(),
        usage: Default::default(),
        requests: 0,
        tool_calls: Vec::new(),
        final_message: None,
        duration_ms: 0,
        rollout: None,
        workspace: None,
    }
}
