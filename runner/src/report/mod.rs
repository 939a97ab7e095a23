//! `rcodex report PATH… -o FILE.html`: one self-contained HTML file a person opens to look at a
//! batch run (a batch `--out` folder), one session (a rollout, ours or Codex's, with its
//! sub-agents from their own rollout files beside it), or two batch runs side by side. CI
//! uploads it as an artifact; it needs no server and fetches nothing.

mod batch_view;
mod page;
mod session;
mod sub_agents;

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

pub use batch_view::{read_batch, BatchView};
pub use page::script_safe_json;
pub use session::{read_session, SessionView};

use crate::batch::compare::{compare, read_run, Comparison};

/// Text kept per timeline entry in a session report.
const SESSION_FOLD: usize = 20_000;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A batch --out folder, a rollout file (ours or Codex's, any generation; sub-agent
    /// rollouts in its folder are drawn under it), or two batch folders (baseline first) for a
    /// comparison.
    #[arg(required = true, num_args = 1..=2, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE.html")]
    pub output: PathBuf,
}

/// What a report shows; `kind` tells the page which view to draw.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReportData {
    Batch { batch: BatchView },
    Session { session: Box<SessionView> },
    Compare { compare: Comparison },
}

impl ReportData {
    /// Reads what `paths` name: one folder (batch), one file (session), two folders (compare).
    pub fn read(paths: &[PathBuf]) -> Result<ReportData, String> {
        match paths {
            [one] if one.is_dir() => Ok(ReportData::Batch {
                batch: read_batch(one)?,
            }),
            [one] if one.is_file() => {
                let mut session = read_session(one, SESSION_FOLD)?;
                sub_agents::attach(&mut session, SESSION_FOLD);
                Ok(ReportData::Session {
                    session: Box::new(session),
                })
            }
            [one] => Err(format!("{}: no such file or folder", one.display())),
            [a, b] => {
                let shown = |p: &Path| p.display().to_string();
                let (run_a, run_b) = (read_run(a)?, read_run(b)?);
                Ok(ReportData::Compare {
                    compare: compare(&shown(a), &run_a, &shown(b), &run_b),
                })
            }
            _ => Err("report takes one or two paths".into()),
        }
    }

    fn title(&self) -> String {
        match self {
            ReportData::Batch { batch } => format!("rcodex batch report: {}", batch.out),
            ReportData::Session { session } => format!("rcodex session: {}", session.path),
            ReportData::Compare { compare } => {
                format!("rcodex comparison: {} → {}", compare.a, compare.b)
            }
        }
    }
}

/// Writes the report of `data` to `output`.
pub fn write_report(data: &ReportData, output: &Path) -> Result<(), String> {
    let html = page::render(&data.title(), data).map_err(|e| format!("report data: {e}"))?;
    std::fs::write(output, html).map_err(|e| format!("{}: {e}", output.display()))
}

/// Runs `rcodex report`: 0 written, 2 a path cannot be read or the file cannot be written.
pub fn run_report(args: ReportArgs) -> i32 {
    let result = ReportData::read(&args.paths).and_then(|d| write_report(&d, &args.output));
    match result {
        Ok(()) => {
            println!("report: {}", args.output.display());
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// Writes `out/report.html` for the batch folder `out` (`batch --report`); returns its path.
pub fn write_batch_report(out: &Path) -> Result<PathBuf, String> {
    let path = out.join("report.html");
    let data = ReportData::Batch {
        batch: read_batch(out)?,
    };
    write_report(&data, &path)?;
    Ok(path)
}
