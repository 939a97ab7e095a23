//! What a batch used: tokens, cost, wall time and time to first token, per run (the cells of
//! the summary table, the JUnit properties) and in total (the summary's total line).

use std::fmt::Write;

use super::results::ResultLine;

/// A run's cost as shown in tables: `$0.012340`, or `-` when no price is known.
pub fn cost_cell(cost: Option<f64>) -> String {
    cost.map_or_else(|| "-".to_string(), |c| format!("${c:.6}"))
}

/// A run's time to first token in ms, or `-`.
pub fn ttft_cell(ttft_ms: Option<u64>) -> String {
    ttft_ms.map_or_else(|| "-".to_string(), |t| t.to_string())
}

/// Sums over a set of runs.
#[derive(Debug, Default, PartialEq)]
pub struct Totals {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
    pub cost_usd: f64,
    /// Runs that used tokens but have no `cost_usd` (no price for their model).
    pub unpriced: usize,
    /// Wall time of the runs, summed.
    pub duration_ms: u64,
    /// Median time to first token over the runs that have one.
    pub ttft_median_ms: Option<u64>,
}

impl Totals {
    pub fn of(results: &[ResultLine]) -> Totals {
        let mut sum = TotalsSum::default();
        results.iter().for_each(|r| sum.add(r));
        sum.totals()
    }

    /// Input plus output tokens.
    pub fn tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }

    /// The summary's total line.
    pub fn line(&self) -> String {
        let mut out = format!(
            "total: {} tokens (input {}, cached {}, output {}, reasoning {}), cost ${:.6}",
            self.tokens(),
            self.input_tokens,
            self.cached_input_tokens,
            self.output_tokens,
            self.reasoning_output_tokens,
            self.cost_usd
        );
        if self.unpriced > 0 {
            let _ = write!(out, " ({} runs without a price)", self.unpriced);
        }
        let _ = write!(out, ", wall {} ms", self.duration_ms);
        if let Some(t) = self.ttft_median_ms {
            let _ = write!(out, ", median ttft {t} ms");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(input: u64, output: u64, cost: Option<f64>, ttft: Option<u64>) -> ResultLine {
        let mut l: ResultLine = serde_json::from_value(serde_json::json!({
            "id": "a", "repeat": 0, "name": "a", "file": "a.toml", "status": "pass",
            "duration_ms": 10
        }))
        .unwrap();
        l.usage.input_tokens = input;
        l.usage.cached_input_tokens = input / 2;
        l.usage.output_tokens = output;
        l.cost_usd = cost;
        l.ttft_ms = ttft;
        l
    }

    #[test]
    fn totals_sum_runs_and_count_the_unpriced() {
        let t = Totals::of(&[
            line(100, 10, Some(0.5), Some(30)),
            line(200, 20, None, Some(10)),
            line(0, 0, None, None),
            line(4, 2, Some(0.25), Some(20)),
        ]);
        assert_eq!(t.tokens(), 336);
        assert_eq!(t.cached_input_tokens, 152);
        assert_eq!(t.unpriced, 1);
        assert_eq!(t.duration_ms, 40);
        assert_eq!(t.ttft_median_ms, Some(20));
        assert_eq!(
            t.line(),
            "total: 336 tokens (input 304, cached 152, output 32, reasoning 0), cost $0.750000 (1 runs without a price), wall 40 ms, median ttft 20 ms"
        );
        assert_eq!(cost_cell(None), "-");
        assert_eq!(cost_cell(Some(0.01234)), "$0.012340");
    }
}

/// [`Totals`] gathered one run at a time (the reports read results one line at a time).
#[derive(Debug, Default)]
pub struct TotalsSum {
    totals: Totals,
    ttfts: Vec<u64>,
}

impl TotalsSum {
    pub fn add(&mut self, r: &ResultLine) {
        let t = &mut self.totals;
        t.input_tokens += r.usage.input_tokens;
        t.cached_input_tokens += r.usage.cached_input_tokens;
        t.output_tokens += r.usage.output_tokens;
        t.reasoning_output_tokens += r.usage.reasoning_output_tokens;
        match r.cost_usd {
            Some(c) => t.cost_usd += c,
            None if r.usage.input_tokens + r.usage.output_tokens > 0 => t.unpriced += 1,
            None => {}
        }
        t.duration_ms += r.duration_ms;
        self.ttfts.extend(r.ttft_ms);
    }

    pub fn totals(mut self) -> Totals {
        self.ttfts.sort_unstable();
        self.totals.ttft_median_ms = self
            .ttfts
            .get(self.ttfts.len().saturating_sub(1) / 2)
            .copied();
        self.totals
    }
}
