//! Progress while `rcodex replay` reads many files: an indicatif bar on a terminal, nothing
//! otherwise (logs get the per-file report and the closing totals instead).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `total` files when stderr is a terminal and there is more than one file.
    pub fn new(total: u64) -> Self {
        let bar = (total > 1 && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed_precise} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Progress { bar }
    }

    /// One more file done.
    pub fn advance(&self, path: &str) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(path.to_string());
        }
    }

    /// Prints `text` without tearing the bar: stdout when `to_stdout`, else stderr.
    pub fn print(&self, text: &str, to_stdout: bool) {
        let write = || {
            if to_stdout {
                print!("{text}");
            } else {
                eprint!("{text}");
            }
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
