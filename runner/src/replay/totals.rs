//! The closing line of `rcodex replay`: how many files, turns and requests, what went wrong, and
//! how fast the rollouts were read (MB and MB/s of rollout).

use std::time::Duration;

use super::args::Mode;
use super::report::{plural, Tally};

/// Everything the per-file reports added up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub files: usize,
    pub tally: Tally,
}

impl Totals {
    pub fn add(&mut self, tally: Tally) {
        self.files += 1;
        let t = &mut self.tally;
        t.turns += tally.turns;
        t.requests += tally.requests;
        t.divergences += tally.divergences;
        t.errors += tally.errors;
        t.warnings += tally.warnings;
        t.bytes += tally.bytes;
    }

    /// 0 every file replays, 1 a divergence, 2 an unreadable file (the worst wins).
    pub fn exit_code(&self) -> i32 {
        if self.tally.errors > 0 {
            2
        } else if self.tally.divergences > 0 {
            1
        } else {
            0
        }
    }

    /// One line, e.g. `18 files: 20 turns, 34 requests, 0 divergences, 0 unreadable,
    /// 1 warning; 0.71 MB in 0.04 s, 17.8 MB/s`.
    pub fn render(&self, mode: Mode, elapsed: Duration) -> String {
        let t = &self.tally;
        let mb = t.bytes as f64 / 1e6;
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 { mb / secs } else { 0.0 };
        let divergences = match mode {
            Mode::Verify => format!(
                "{} {}, ",
                t.divergences,
                plural(t.divergences, "divergence")
            ),
            Mode::Summary | Mode::Request { .. } => String::new(),
        };
        format!(
            "{} {}: {} {}, {} {}, {divergences}{} unreadable, {} {}; {mb:.2} MB in {secs:.2} s, {rate:.1} MB/s\n",
            self.files,
            plural(self.files, "file"),
            t.turns,
            plural(t.turns, "turn"),
            t.requests,
            plural(t.requests, "request"),
            t.errors,
            t.warnings,
            plural(t.warnings, "warning"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_and_the_worst_file_sets_the_exit_code() {
        let mut totals = Totals::default();
        totals.add(Tally {
            turns: 2,
            requests: 3,
            bytes: 1_500_000,
            warnings: 1,
            ..Tally::default()
        });
        assert_eq!(totals.exit_code(), 0);
        totals.add(Tally {
            divergences: 1,
            turns: 1,
            requests: 1,
            bytes: 500_000,
            ..Tally::default()
        });
        assert_eq!(totals.exit_code(), 1);
        assert_eq!(
            totals.render(Mode::Verify, Duration::from_millis(500)),
            "2 files: 3 turns, 4 requests, 1 divergence, 0 unreadable, 1 warning; 2.00 MB in 0.50 s, 4.0 MB/s\n"
        );
        totals.add(Tally {
            errors: 1,
            ..Tally::default()
        });
        assert_eq!(totals.exit_code(), 2);
        assert!(totals
            .render(Mode::Summary, Duration::from_secs(1))
            .starts_with("3 files: 3 turns, 4 requests, 1 unreadable, 1 warning;"));
    }
}
