//! `rcodex batch`: runs a folder of prompt scenarios headless, many at once in one process, and
//! writes results.jsonl, junit.xml and a summary table. Resumable, shardable, Ctrl-C safe.

pub mod accounting;
pub mod at_line;
pub mod budget;
pub mod command;
pub mod compare;
pub mod discover;
pub mod expect;
pub mod git_source;
pub mod grader;
pub mod infra;
pub mod junit;
pub mod limits;
pub mod prices;
mod progress;
pub mod record;
pub mod reports;
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
use tokio::task::JoinSet;

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
    /// With --live: write each scenario's run into DIR (same relative id) as a scripted
    /// scenario: the file as written, with the model's answers as received (output items raw,
    /// usage) as its `[[model.reply]]` entries, so `rcodex batch DIR` replays it with no key.
    /// With --repeat, the first repeat is recorded. A file already there is an error.
    #[arg(long, value_name = "DIR", requires = "live")]
    pub record: Option<PathBuf>,
    /// Send upstream Codex text from DIR (written by `rcodex align --import-text`) instead of
    /// rcodex's own base instructions, permissions text and tool descriptions.
    #[arg(long, value_name = "DIR")]
    pub upstream_text: Option<PathBuf>,
    /// Token budget of the whole run (input + output, over every result in --out): once spent,
    /// no new scenario starts, running ones finish, and the batch exits 3; the same --out with a
    /// larger budget runs the rest.
    #[arg(long, value_name = "N", value_parser = budget::parse_tokens)]
    pub max_tokens: Option<u64>,
    /// Cost budget in USD, like --max-tokens; needs a price table (see --prices).
    #[arg(long, value_name = "USD", value_parser = budget::parse_usd)]
    pub max_cost: Option<f64>,
    /// Price table: a TOML file with `[batch.prices."MODEL"]` tables of `input`,
    /// `cached_input` and `output` USD per million tokens. Default with --live: the same tables
    /// in $CODEX_HOME/config.toml.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Run rows that ended in an `error` (transport or HTTP failure after the client's own
    /// retries, a scenario that could not start) again, up to N more times; also re-runs the
    /// `error` rows already in --out. `fail` rows are never re-run.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retry_errors: u32,
    /// Keep every run's workspace (a temp folder) and write its path into results.jsonl
    /// (`workspace`). Runs that fail or error keep theirs anyway.
    #[arg(long)]
    pub keep_workspaces: bool,
    /// The API the scripted server is reached through: `responses`, or `chat` to run the
    /// scenarios through the chat-completions adapter (`wire_api = "chat"`).
    #[arg(long, value_name = "WIRE", default_value = "responses", value_parser = ["responses", "chat"], conflicts_with = "live")]
    pub scripted_wire: String,
    /// Also write report.html beside results.jsonl: one self-contained page (summary, a table
    /// that sorts and filters, each run's checks, tool calls, patches and session); the same
    /// page as `rcodex report OUT -o OUT/report.html`.
    #[arg(long)]
    pub report: bool,
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Merge the results of several shard folders into one.
    ///
    /// Exit status: 0 every merged run passed (or was skipped); 1 one failed, errored or timed
    /// out; 2 usage, a shard folder missing or its results.jsonl unreadable, or --out unwritable.
    Merge {
        /// Shard result folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the merged results.jsonl, junit.xml and summary.
        #[arg(long)]
        out: PathBuf,
    },
    /// Compare two result folders scenario by scenario (exit 1 on a regression).
    ///
    /// RUN_A is the baseline, RUN_B the run to judge: regressions (passed in A, not in B),
    /// fixes, new and missing scenarios, token, cost and time deltas, pass@k with --repeat.
    /// Markdown for a pull-request comment, or --json. Exit 1 on any regression, 0
    /// otherwise, 2 when a folder or results file cannot be read.
    Compare {
        /// The baseline run's --out folder.
        run_a: PathBuf,
        /// The run to judge against it.
        run_b: PathBuf,
        /// Print the comparison as JSON instead of markdown.
        #[arg(long)]
        json: bool,
        /// Markdown: list at most N changed scenarios (regressions first), count the rest
        /// (a pull-request comment holds 65,536 characters).
        #[arg(long, value_name = "N", default_value_t = 100)]
        max_rows: usize,
    },
}

/// Exit code: 0 all pass, 1 any fail, error or timeout, 2 usage or config error (3: stopped by
/// --max-tokens/--max-cost with runs left, 130: interrupted; both decided in `run`).
fn exit_code(results: &[ResultLine]) -> i32 {
    i32::from(
        results
            .iter()
            .any(|r| matches!(r.status, Status::Fail | Status::Error | Status::Timeout)),
    )
}

fn write_reports(out: &std::path::Path, results: &[ResultLine]) -> std::io::Result<String> {
    std::fs::write(out.join("junit.xml"), junit::render(results))?;
    let table = summary::render(results);
    std::fs::write(out.join("summary.txt"), &table)?;
    Ok(table)
}

/// Adds `note` to the end of `out/summary.txt`.
fn append_summary(out: &std::path::Path, note: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(out.join("summary.txt"))?;
    f.write_all(note.as_bytes())
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
        // A missing folder (a typo, a shard's lost artifact) must not merge as "0 runs, all passed".
        if !d.is_dir() {
            return Err(format!("{}: no such shard folder", d.display()));
        }
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
    if let Some(BatchCommand::Compare {
        run_a,
        run_b,
        json,
        max_rows,
    }) = &args.command
    {
        return compare::run_compare(run_a, run_b, *json, *max_rows);
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
    let live_home = args.live.then(crate::config::codex_home_from_env);
    let prices = prices::Prices::for_batch(args.prices.as_deref(), live_home.as_deref())?;
    if args.max_cost.is_some() && prices.is_empty() {
        return Err("--max-cost needs a price table: --prices FILE, or [batch.prices.\"MODEL\"] in $CODEX_HOME/config.toml with --live".into());
    }
    let (mut results_file, previous) = ResultsFile::open(&out).map_err(|e| e.to_string())?;
    let done: HashSet<(String, u32)> = previous
        .iter()
        .filter(|l| args.retry_errors == 0 || !infra::retryable(l))
        .map(ResultLine::key)
        .collect();
    let mut spent = budget::Budget::new(args.max_tokens, args.max_cost);
    previous.iter().for_each(|l| spent.spend(l));
    let budget = Arc::new(budget::SharedBudget::new(spent));
    let prices = Arc::new(prices);
    let retry_errors = args.retry_errors;
    let mode = if args.live {
        ModelMode::Live {
            codex_home: crate::config::codex_home_from_env(),
        }
    } else if args.scripted_wire == "chat" {
        ModelMode::ScriptedChat
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
    if let Some(dir) = &args.record {
        record::check_free(
            dir,
            jobs.iter()
                .filter(|(_, r)| *r == 0)
                .map(|(f, _)| f.id.as_str()),
        )?;
    }
    let record_dir = Arc::new(args.record.clone());
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
    // The feeder starts a scenario only when a slot is free, so at most `-j` runs (and their
    // futures, which are large) exist at once: memory stays flat in the number of scenarios.
    // A slot frees only after its run spent its budget, so a spent budget starts nothing new.
    let feeder_stop = stop_rx.clone();
    let keep_workspaces = args.keep_workspaces;
    let (feeder_store, feeder_budget) = (store.clone(), budget.clone());
    let feeder = tokio::spawn(async move {
        let store = feeder_store;
        let mut running = JoinSet::new();
        for (found, repeat) in jobs {
            let Ok(permit) = limit.clone().acquire_owned().await else {
                break;
            };
            if *feeder_stop.borrow() || !feeder_budget.open() {
                break;
            }
            let record_dir = record_dir.clone();
            let (budget, prices) = (feeder_budget.clone(), prices.clone());
            let (live_limit, tx, stop, rollout_dir, mode, store, upstream_text) = (
                live_limit.clone(),
                tx.clone(),
                stop_rx.clone(),
                rollout_dir.clone(),
                mode.clone(),
                store.clone(),
                upstream_text.clone(),
            );
            running.spawn(async move {
                let _permit = permit;
                let _live = match *mode {
                    ModelMode::Live { .. } => live_limit.acquire_owned().await.ok(),
                    ModelMode::Scripted | ModelMode::ScriptedChat => None,
                };
                if *stop.borrow() || !budget.open() {
                    return;
                }
                let mut tally = Tally::default();
                let mut line = match load_scenario(&found.path) {
                    Err(e) => error_line(&found, repeat, e.to_string()),
                    Ok(s) => {
                        let mut retries = 0;
                        loop {
                            let mut attempt_stop = stop.clone();
                            let mut stop_fut = Box::pin(async move {
                                let _ = attempt_stop.wait_for(|v| *v).await;
                            });
                            let ctx = RunContext {
                                mode: &mode,
                                rollout_dir: &rollout_dir,
                                upstream_text: upstream_text.as_deref(),
                                stop: &mut stop_fut,
                                record: record_dir.as_deref(),
                            };
                            let mut line = match run_scenario(&s, &found.id, repeat, ctx).await {
                                Ok(run) => {
                                    let mut line = run.line;
                                    if let (Some(store), Some(capture)) = (&*store, &run.capture) {
                                        tally = snapshots::check(store, &mut line, capture);
                                    }
                                    workspace::settle(run.workspace, &mut line, keep_workspaces);
                                    line
                                }
                                Err(run_one::Stopped) => return,
                            };
                            // --retry-errors: an infrastructure error runs again, a fail never.
                            if infra::retryable(&line) && retries < retry_errors && !*stop.borrow()
                            {
                                retries += 1;
                                continue;
                            }
                            line.retries = retries;
                            break line;
                        }
                    }
                };
                // Spent before this run frees its slot, so the next one sees it (see budget.rs).
                prices.apply(&mut line);
                budget.lock().spend(&line);
                let _ = tx.send((line, tally));
            });
            // Finished runs are reaped as the loop goes, so their handles do not pile up.
            while running.try_join_next().is_some() {}
        }
        drop(tx);
        while running.join_next().await.is_some() {}
    });
    let mut progress = progress::Progress::new(total as u64);
    let mut tally = Tally::default();
    let mut finished = 0usize;
    let mut interrupted = false;
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    loop {
        tokio::select! {
            line = rx.recv() => {
                let Some((line, snapshots)) = line else { break };
                tally.add(snapshots);
                results_file.append(&line).map_err(|e| format!("{}: {e}", results_file.path().display()))?;
                progress.finished(&line);
                finished += 1;
            }
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                let _ = stop_tx.send(true);
                progress.note("stopping: finishing results in flight, the rest can be resumed");
            }
        }
    }
    let _ = feeder.await;
    progress.done();
    // The reports read results.jsonl a row at a time: memory stays flat in the number of runs.
    let index = results::ResultsIndex::build(results_file.path())?;
    let rows_code = {
        let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
        let code = reports::write(&out, &index, &mut stdout)?;
        std::io::Write::flush(&mut stdout).map_err(|e| format!("stdout: {e}"))?;
        code
    };
    let not_started = total - finished;
    let budget_stop = budget.lock().reached().map(str::to_string);
    if let Some(reason) = &budget_stop {
        let note = budget::stop_note(reason, not_started);
        append_summary(&out, &note).map_err(|e| e.to_string())?;
        print!("{note}");
    }
    if let Some(store) = &*store {
        println!("snapshots in {}: {tally}", store.root.display());
        if tally.drifted + tally.not_produced > 0 {
            println!(
                "review the .snap.new files (`cargo insta review` inside a Cargo project), or accept them all with --snapshots-update"
            );
        }
    }
    if args.report {
        let page = crate::report::write_batch_report(&out)?;
        println!("results: {} · report: {}", out.display(), page.display());
    } else {
        println!("results: {}", out.display());
    }
    if interrupted {
        let mut cmd: Vec<String> = std::env::args().collect();
        if args.out.is_none() {
            cmd.push("--out".into());
            cmd.push(out.display().to_string());
        }
        eprintln!("interrupted; resume with:\n  {}", cmd.join(" "));
        return Ok(130);
    }
    if budget_stop.is_some() && not_started > 0 {
        return Ok(budget::EXIT_BUDGET);
    }
    Ok(rows_code)
}

fn error_line(found: &discover::Found, repeat: u32, error: String) -> ResultLine {
    ResultLine {
        error: Some(error),
        ..ResultLine::new(
            &found.id,
            repeat,
            &found.id,
            found.path.display().to_string(),
            Status::Error,
        )
    }
}
