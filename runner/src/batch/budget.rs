//! The run budget (`--max-tokens N`, `--max-cost USD`), spent over everything recorded in the
//! `--out` folder, resumed runs included. Once spent, no new scenario starts; runs in flight
//! finish and are recorded; unstarted ones are not written, so the same `--out` with a larger
//! budget runs exactly the rest.

use std::sync::{Mutex, MutexGuard};

use super::results::ResultLine;

/// Exit code of a batch stopped by its budget with scenarios left to run.
pub const EXIT_BUDGET: i32 = 3;

/// `--max-cost`: USD, above zero.
pub fn parse_usd(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) => Err(format!("must be an amount of USD above 0, got {v}")),
        Err(e) => Err(e.to_string()),
    }
}

/// `--max-tokens`: a count above zero.
pub fn parse_tokens(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be a number of tokens above 0".into()),
        Ok(v) => Ok(v),
        Err(e) => Err(format!("must be a number of tokens above 0 ({e})")),
    }
}

/// The summary's last lines when a budget stopped the batch.
pub fn stop_note(reason: &str, not_started: usize) -> String {
    let rest = if not_started > 0 {
        format!("{not_started} runs not started; run again with the same --out and a larger budget to finish them")
    } else {
        "every run had started".to_string()
    };
    format!("budget reached: {reason}; {rest}\n")
}

/// The budget and what has been spent of it.
#[derive(Debug, Default)]
pub struct Budget {
    pub max_tokens: Option<u64>,
    pub max_cost: Option<f64>,
    pub tokens: u64,
    pub cost: f64,
    reached: Option<String>,
}

/// Tokens a run counts against `--max-tokens` (and a scenario's `max_tokens`): input (cached
/// included) plus output, as billed.
pub fn tokens_of(line: &ResultLine) -> u64 {
    line.usage.input_tokens + line.usage.output_tokens
}

impl Budget {
    pub fn new(max_tokens: Option<u64>, max_cost: Option<f64>) -> Budget {
        Budget {
            max_tokens,
            max_cost,
            ..Budget::default()
        }
    }

    /// Whether any budget was given.
    pub fn is_set(&self) -> bool {
        self.max_tokens.is_some() || self.max_cost.is_some()
    }

    /// Counts one recorded run (cost from `line.cost_usd`, set before this).
    pub fn spend(&mut self, line: &ResultLine) {
        self.tokens += tokens_of(line);
        self.cost += line.cost_usd.unwrap_or(0.0);
        if self.reached.is_some() {
            return;
        }
        if let Some(max) = self.max_tokens.filter(|max| self.tokens >= *max) {
            self.reached = Some(format!("--max-tokens {max} (used {})", self.tokens));
        } else if let Some(max) = self.max_cost {
            if self.cost >= max {
                self.reached = Some(format!("--max-cost {max} (used ${:.6})", self.cost));
            } else if line.cost_usd.is_none() && tokens_of(line) > 0 {
                // Spending that cannot be priced cannot be kept under a cost budget.
                self.reached = Some(format!(
                    "--max-cost {max}: no price for model {} (add [batch.prices.\"{0}\"])",
                    line.model.as_deref().unwrap_or("?")
                ));
            }
        }
    }

    /// Which budget stopped the batch, and how much was used.
    pub fn reached(&self) -> Option<&str> {
        self.reached.as_deref()
    }
}

/// A budget shared by the scenario tasks: each spends before it frees its slot, so the next
/// scenario sees the spending of the one it replaces (deterministic with `-j 1`).
#[derive(Debug, Default)]
pub struct SharedBudget(Mutex<Budget>);

impl SharedBudget {
    pub fn new(budget: Budget) -> SharedBudget {
        SharedBudget(Mutex::new(budget))
    }

    pub fn lock(&self) -> MutexGuard<'_, Budget> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a new scenario may start.
    pub fn open(&self) -> bool {
        self.lock().reached.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(input: u64, output: u64, cost: Option<f64>) -> ResultLine {
        let mut l: ResultLine = serde_json::from_value(serde_json::json!({
            "id": "a", "repeat": 0, "name": "a", "file": "a.toml", "status": "pass",
            "duration_ms": 1, "model": "m"
        }))
        .unwrap();
        l.usage.input_tokens = input;
        l.usage.output_tokens = output;
        l.cost_usd = cost;
        l
    }

    #[test]
    fn a_token_budget_is_reached_at_its_value() {
        let mut b = Budget::new(Some(100), None);
        b.spend(&line(40, 10, None));
        assert_eq!(b.reached(), None);
        b.spend(&line(40, 10, None));
        assert_eq!(b.reached(), Some("--max-tokens 100 (used 100)"));
    }

    #[test]
    fn a_cost_budget_counts_cost_and_stops_on_an_unpriced_run() {
        let mut b = Budget::new(None, Some(0.01));
        b.spend(&line(10, 10, Some(0.004)));
        assert_eq!(b.reached(), None);
        b.spend(&line(10, 10, Some(0.007)));
        assert_eq!(b.reached(), Some("--max-cost 0.01 (used $0.011000)"));

        let mut b = Budget::new(None, Some(1.0));
        b.spend(&line(0, 0, None));
        assert_eq!(b.reached(), None, "a run that used nothing needs no price");
        b.spend(&line(5, 5, None));
        assert!(b.reached().unwrap().contains("no price for model m"));
    }

    #[test]
    fn flag_values_are_checked() {
        assert_eq!(parse_usd("2.5"), Ok(2.5));
        assert!(parse_usd("-1").is_err());
        assert!(parse_usd("0").is_err());
        assert!(parse_usd("NaN").is_err());
        assert_eq!(parse_tokens("10"), Ok(10));
        assert!(parse_tokens("0").is_err());
        assert!(parse_tokens("-5").is_err());
    }
}
