//! `rcodex align`: runs the real Codex CLI and rcodex on the same bundled scenarios against the
//! scripted server and compares what each sent, request by request. Every difference must be
//! one the allow-list explains; that is how we prove, on every change, that rcodex speaks Codex.

pub mod allow;
pub mod capture;
pub mod checks;
pub mod codex_bin;
pub mod json_diff;
pub mod normalize;
pub mod report;
pub mod short_diff;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use crate::batch::discover::discover;
use crate::batch::scenario::load_scenario;
use crate::upstream_text;
use allow::AllowList;
use capture::{run_client, Client};
use checks::{compare, Captured};
use report::{Explained, Outcome, ScenarioResult};

/// The allow-list read when `--allow` is not given.
pub const DEFAULT_ALLOW: &str = "align-allow.toml";
/// Where bundled scenarios live, and what ids are relative to.
const SCENARIOS: &str = "scenarios";

#[derive(Debug, Args)]
pub struct AlignArgs {
    /// Scenario files, folders or ids such as `tools/shell_then_answer` (default: scenarios/).
    pub scenarios: Vec<PathBuf>,
    /// The Codex CLI to compare with (default: $RCODEX_CODEX_BIN, else the one `cargo test`
    /// installs under target/codex-cli-0.169.0, else `codex` on PATH).
    #[arg(long, value_name = "PATH")]
    pub codex: Option<PathBuf>,
    /// One JSON object per scenario on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The allow-list of intended differences (default: align-allow.toml, if present).
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
    /// A `-c key=value` override for rcodex only: shows how a config change reads against Codex.
    #[arg(long = "rcodex-config", value_name = "key=value")]
    pub rcodex_config: Vec<String>,
    /// Run rcodex with the upstream text in DIR (see --import-text); the allow-list's
    /// `own-text` entries then explain nothing, so the texts must be equal.
    #[arg(long, value_name = "DIR")]
    pub upstream_text: Option<PathBuf>,
    /// First capture the Codex CLI's base instructions, permissions texts and tool descriptions
    /// into --upstream-text DIR (default: $XDG_CACHE_HOME/rcodex/upstream/<codex version>/,
    /// outside any repository), then align with them.
    #[arg(long)]
    pub import_text: bool,
}

/// Runs `align`; the exit status: 0 every difference is allowed, 1 one is not, 2 usage or setup.
pub async fn run_align(args: AlignArgs) -> i32 {
    match align(args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("Error: {message}");
            2
        }
    }
}

async fn align(args: AlignArgs) -> Result<i32, String> {
    let mut allow = load_allow(args.allow.as_deref())?;
    let found = scenario_files(&args.scenarios)?;
    let codex = codex_bin::find_codex(args.codex.as_deref())?;
    eprintln!(
        "codex: {} ({}; from {})",
        codex.path.display(),
        codex.version,
        codex.source
    );
    if !codex.version.contains(codex_bin::PINNED_VERSION) {
        eprintln!(
            "warning: rcodex aligns to Codex {}; differences may come from the version",
            codex_bin::PINNED_VERSION
        );
    }
    let upstream_text = upstream_text_for(&args, &codex).await?;
    allow.upstream_text = upstream_text.is_some();
    let rcodex = std::env::current_exe().map_err(|e| format!("the rcodex binary: {e}"))?;
    let clients = Clients {
        codex: Client::Codex(codex.path.clone()),
        rcodex: Client::Rcodex {
            bin: rcodex,
            config: args.rcodex_config.clone(),
            upstream_text,
        },
    };
    let mut results = Vec::new();
    let (total, tty) = (found.len(), std::io::stderr().is_terminal());
    for (n, (id, path)) in found.into_iter().enumerate() {
        if tty {
            eprintln!("[{}/{total}] {id}", n + 1);
        }
        let started = Instant::now();
        let outcome = align_one(&id, &path, &clients, &allow).await;
        let result = ScenarioResult {
            id,
            file: path.display().to_string(),
            outcome,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        if args.json {
            println!("{}", report::json_object(&result, &allow));
        }
        results.push(result);
    }
    if !args.json {
        print!("{}", report::table(&results));
        let unexplained = report::unexplained(&results);
        if !unexplained.is_empty() {
            println!("\nDifferences the allow-list does not explain:\n{unexplained}");
        }
    }
    let seconds = results.iter().map(|r| r.duration_ms).sum::<u64>() as f64 / 1000.0;
    eprintln!("{} scenarios in {seconds:.1} s", results.len());
    summarize_allowed(&results, &allow, args.scenarios.is_empty());
    let error = results
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Error(_)));
    Ok(if error {
        2
    } else {
        i32::from(results.iter().any(ScenarioResult::differs))
    })
}

/// The upstream-text folder rcodex runs with: imported first with `--import-text`, checked
/// (loaded) either way so a bad folder is a setup error before any scenario runs.
async fn upstream_text_for(
    args: &AlignArgs,
    codex: &codex_bin::CodexBin,
) -> Result<Option<PathBuf>, String> {
    let dir = match (&args.upstream_text, args.import_text) {
        (None, false) => return Ok(None),
        (Some(dir), _) => {
            std::path::absolute(dir).map_err(|e| format!("{}: {e}", dir.display()))?
        }
        (None, true) => upstream_text::default_dir(&codex_bin::version_number(&codex.version)),
    };
    if args.import_text {
        let started = Instant::now();
        let imported = upstream_text::import::import(
            &codex.path,
            &codex_bin::version_number(&codex.version),
            &dir,
        )
        .await?;
        eprintln!(
            "imported {} upstream files into {} in {:.1} s",
            imported.files.len(),
            imported.dir.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let text = upstream_text::UpstreamText::load(&dir)?;
    if let Some(m) = &text.manifest {
        eprintln!(
            "upstream text: {} (Codex {}, imported {})",
            dir.display(),
            m.codex_version,
            m.imported_at
        );
    }
    Ok(Some(dir))
}

/// The two clients compared.
struct Clients {
    codex: Client,
    rcodex: Client,
}

/// Runs both clients on one scenario and explains what differs.
async fn align_one(id: &str, path: &Path, clients: &Clients, allow: &AllowList) -> Outcome {
    let scenario = match load_scenario(path) {
        Ok(s) => s,
        Err(e) => return Outcome::Error(e.to_string()),
    };
    if scenario.model.reply.is_empty() {
        return Outcome::Skipped("no scripted replies".into());
    }
    let codex = match run_client(&clients.codex, &scenario).await {
        Ok(run) => run,
        Err(e) => return Outcome::Error(e),
    };
    let rcodex = match run_client(&clients.rcodex, &scenario).await {
        Ok(run) => run,
        Err(e) => return Outcome::Error(e),
    };
    if let Some(e) = codex
        .nothing_sent(clients.codex.name())
        .or_else(|| rcodex.nothing_sent(clients.rcodex.name()))
    {
        return Outcome::Error(e);
    }
    let findings = compare(
        &Captured {
            requests: &codex.requests,
            paths: &codex.paths,
        },
        &Captured {
            requests: &rcodex.requests,
            paths: &rcodex.paths,
        },
    );
    Outcome::Compared {
        codex_requests: codex.requests.len(),
        rcodex_requests: rcodex.requests.len(),
        findings: findings
            .into_iter()
            .map(|finding| Explained {
                allowed_by: allow.explain(id, &finding),
                finding,
            })
            .collect(),
    }
}

/// `--allow FILE` must exist; without it `align-allow.toml` is read when present.
fn load_allow(flag: Option<&Path>) -> Result<AllowList, String> {
    match flag {
        Some(path) => AllowList::load(path),
        None if Path::new(DEFAULT_ALLOW).is_file() => AllowList::load(Path::new(DEFAULT_ALLOW)),
        None => {
            eprintln!("note: no {DEFAULT_ALLOW} here: every difference counts");
            Ok(AllowList::default())
        }
    }
}

/// The scenarios to run, as (id, file). An argument that is not a file or folder is looked up
/// as an id under scenarios/. Files under scenarios/ keep their id there (`tools/x`).
fn scenario_files(args: &[PathBuf]) -> Result<Vec<(String, PathBuf)>, String> {
    let root = Path::new(SCENARIOS);
    let mut paths = Vec::new();
    for arg in args {
        let as_id = root.join(arg).with_extension("toml");
        if arg.exists() {
            paths.push(arg.clone());
        } else if as_id.is_file() {
            paths.push(as_id);
        } else {
            return Err(format!(
                "{}: no such file, folder or scenario id",
                arg.display()
            ));
        }
    }
    if paths.is_empty() {
        paths.push(root.to_path_buf());
    }
    let canonical_root = root.canonicalize().ok();
    let mut found: Vec<(String, PathBuf)> = discover(&paths)?
        .into_iter()
        .map(|f| {
            let under_root = canonical_root.as_ref().and_then(|r| {
                let p = f.path.canonicalize().ok()?;
                let rel = p.strip_prefix(r).ok()?.with_extension("");
                Some(rel.to_string_lossy().into_owned())
            });
            (under_root.unwrap_or(f.id), f.path)
        })
        .collect();
    found.sort();
    found.dedup();
    Ok(found)
}

/// On stderr: how many differences the allow-list explained, and, for a run over every
/// scenario, the entries that explained nothing (candidates to delete).
fn summarize_allowed(results: &[ScenarioResult], allow: &AllowList, all_scenarios: bool) {
    let counts = report::allowed_counts(results);
    let total: usize = counts.values().sum();
    eprintln!(
        "{total} differences explained by {} of {} allow-list entries",
        counts.len(),
        allow.entries.len()
    );
    if all_scenarios {
        for (i, entry) in allow.entries.iter().enumerate() {
            if !counts.contains_key(&i) && allow.applies(entry) {
                eprintln!(
                    "note: allow[{i}] ({} {}) explained nothing",
                    entry.check, entry.pointer.text
                );
            }
        }
    }
}
