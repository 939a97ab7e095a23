//! The price table that turns a run's tokens into `cost_usd`: per model, USD per million input,
//! cached input and output tokens. It lives in `config.toml` beside the rest of the provider
//! settings (`[batch.prices."MODEL"]`), read from `$CODEX_HOME` for `--live`, or from any file
//! with the same tables given as `--prices FILE` (which also prices scripted runs).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::results::{ResultLine, UsageSummary};
use crate::config::from_toml_str;

/// USD per million tokens for one model.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    #[serde(deserialize_with = "usd")]
    pub input: f64,
    /// Cached input tokens; the input price when absent.
    #[serde(default, deserialize_with = "optional_usd")]
    pub cached_input: Option<f64>,
    #[serde(deserialize_with = "usd")]
    pub output: f64,
}

impl Price {
    /// What `usage` costs: uncached input, cached input and output (reasoning tokens are part
    /// of the output tokens, as the Responses API counts them).
    pub fn cost(&self, usage: &UsageSummary) -> f64 {
        let cached = usage.cached_input_tokens.min(usage.input_tokens);
        let uncached = usage.input_tokens - cached;
        (uncached as f64 * self.input
            + cached as f64 * self.cached_input.unwrap_or(self.input)
            + usage.output_tokens as f64 * self.output)
            / 1_000_000.0
    }
}

fn usd<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "must be USD per million tokens, 0 or more, got {v}"
        )))
    }
}

fn optional_usd<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    usd(d).map(Some)
}

/// Model name → price.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prices(pub BTreeMap<String, Price>);

/// The part of a config file the table lives in; every other key is left to the config loader.
#[derive(Deserialize)]
struct File {
    #[serde(default)]
    batch: Section,
}

#[derive(Default, Deserialize)]
struct Section {
    #[serde(default)]
    prices: BTreeMap<String, Price>,
}

impl Prices {
    /// Reads `[batch.prices.*]` from a TOML file; a missing table is an empty one. Errors name
    /// `file:line: field: what`.
    pub fn load(path: &Path) -> Result<Prices, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Prices::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Prices, String> {
        let file: File = from_toml_str(text)
            .map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.field_and_message()))?;
        Ok(Prices(file.batch.prices))
    }

    /// The table for this batch: `--prices FILE` if given, else `$CODEX_HOME/config.toml` with
    /// `--live` (absent file: no prices), else none.
    pub fn for_batch(prices: Option<&Path>, live_home: Option<&Path>) -> Result<Prices, String> {
        if let Some(path) = prices {
            return Prices::load(path);
        }
        match live_home.map(|home| home.join("config.toml")) {
            Some(path) if path.exists() => Prices::load(&path),
            _ => Ok(Prices::default()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sets `line.cost_usd` from its model's price; leaves it absent when the model has none.
    pub fn apply(&self, line: &mut ResultLine) {
        line.cost_usd = line
            .model
            .as_ref()
            .and_then(|m| self.0.get(m))
            .map(|p| p.cost(&line.usage));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Prices, String> {
        Prices::parse(text, Path::new("config.toml"))
    }

    #[test]
    fn cost_splits_cached_input_from_the_rest() {
        let p = parse(
            "model = \"m\"\n[batch.prices.m]\ninput = 2.0\ncached_input = 0.5\noutput = 8.0\n",
        )
        .unwrap();
        let usage = UsageSummary {
            input_tokens: 1_000_000,
            cached_input_tokens: 400_000,
            output_tokens: 500_000,
            reasoning_output_tokens: 100_000,
        };
        // 600k × 2 + 400k × 0.5 + 500k × 8 per million.
        let cost = p.0["m"].cost(&usage);
        assert!((cost - (1.2 + 0.2 + 4.0)).abs() < 1e-9, "{cost}");
        let no_cache_price = Price {
            cached_input: None,
            ..p.0["m"]
        };
        assert!((no_cache_price.cost(&usage) - (2.0 + 4.0)).abs() < 1e-9);
    }

    #[test]
    fn a_model_without_a_price_has_no_cost() {
        let p = parse("[batch.prices.\"gpt-5.5\"]\ninput = 1\noutput = 1\n").unwrap();
        let mut line: ResultLine = serde_json::from_value(serde_json::json!({
            "id": "a", "repeat": 0, "name": "a", "file": "a.toml", "status": "pass",
            "duration_ms": 1, "model": "other", "usage": { "input_tokens": 5,
            "cached_input_tokens": 0, "output_tokens": 5, "reasoning_output_tokens": 0 }
        }))
        .unwrap();
        p.apply(&mut line);
        assert_eq!(line.cost_usd, None);
        line.model = Some("gpt-5.5".into());
        p.apply(&mut line);
        assert!((line.cost_usd.unwrap() - 10.0 / 1e6).abs() < 1e-12);
    }

    #[test]
    fn bad_prices_name_file_line_and_field() {
        let e = parse("[batch.prices.m]\ninput = -1\noutput = 1\n").unwrap_err();
        assert!(
            e.starts_with("config.toml:2: batch.prices.m.input: must be USD per million"),
            "{e}"
        );
        let e = parse("[batch.prices.m]\ninput = 1\noutput = \"x\"\n").unwrap_err();
        assert!(
            e.starts_with("config.toml:3: batch.prices.m.output:"),
            "{e}"
        );
        let e = parse("[batch.prices.m]\ninput = 1\noutput = 1\ncache = 1\n").unwrap_err();
        assert!(
            e.contains("config.toml:4: batch.prices.m.cache: unknown field"),
            "{e}"
        );
        // Other config keys are none of its business.
        assert!(parse("model = \"x\"\n[tools]\nfoo = 1\n")
            .unwrap()
            .is_empty());
    }
}
