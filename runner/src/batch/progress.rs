//! Progress while a batch runs: an indicatif bar on a terminal, one plain line per finished
//! scenario otherwise (CI logs).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use super::results::{ResultLine, Status};

pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    finished: u64,
}

impl Progress {
    pub fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed_precise} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            total,
            finished: 0,
        }
    }

    pub fn finished(&mut self, line: &ResultLine) {
        self.finished += 1;
        let status = match line.status {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
            Status::Skipped => "skipped",
            Status::Timeout => "TIMEOUT",
        };
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(format!("{status} {}", line.id));
            }
            None => eprintln!(
                "[{}/{}] {status} {}#{} ({} ms)",
                self.finished, self.total, line.id, line.repeat, line.duration_ms
            ),
        }
    }

    pub fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
