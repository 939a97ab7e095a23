//! Reads a run folder's results.jsonl for `batch compare`, leniently: only the fields a
//! comparison needs, each optional except id and status, and any other field ignored, so runs
//! written by older or newer versions (with or without `cost_usd`, `ttft_ms`, new statuses)
//! compare. Unlike a resume, a torn line is an error here: a comparison of a run cut short
//! would report its missing scenarios as removed.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::jsonl;

/// Token counts of one run of a scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Tokens {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

/// What compare reads of one results.jsonl line.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RunLine {
    pub id: String,
    #[serde(default)]
    pub repeat: u32,
    /// `pass`, `fail`, `error`, `skipped`, or any status a newer version writes.
    pub status: String,
    #[serde(default)]
    pub usage: Tokens,
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default)]
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub ttft_ms: Option<u64>,
}

impl RunLine {
    pub fn passed(&self) -> bool {
        self.status == "pass"
    }
}

/// Reads `dir/results.jsonl`: the last line per (id, repeat), grouped by id in id order, each
/// group in repeat order. Errors name the folder, or the file and line.
pub fn read_run(dir: &Path) -> Result<BTreeMap<String, Vec<RunLine>>, String> {
    if !dir.is_dir() {
        return Err(format!("{}: no such run folder", dir.display()));
    }
    let path = dir.join("results.jsonl");
    let lines = jsonl::read_file::<RunLine>(&path).map_err(|e| e.to_string())?;
    if let Some(torn) = &lines.torn {
        return Err(format!(
            "{}:{}: torn line (the run was cut off mid-write; resume it first): {}",
            path.display(),
            torn.line,
            torn.reason
        ));
    }
    let mut by_key: BTreeMap<(String, u32), RunLine> = BTreeMap::new();
    for record in lines.records {
        let l = record.value;
        by_key.insert((l.id.clone(), l.repeat), l);
    }
    let mut out: BTreeMap<String, Vec<RunLine>> = BTreeMap::new();
    for ((id, _), line) in by_key {
        out.entry(id).or_default().push(line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_statuses_are_read_and_new_fields_used() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("results.jsonl"),
            concat!(
                "{\"id\":\"b\",\"repeat\":1,\"status\":\"timeout\",\"duration_ms\":5,\"extra\":[1]}\n",
                "{\"id\":\"b\",\"repeat\":0,\"status\":\"pass\",\"cost_usd\":0.25,\"ttft_ms\":40,",
                "\"usage\":{\"input_tokens\":7}}\n",
                "{\"id\":\"a\",\"status\":\"fail\"}\n",
                "{\"id\":\"a\",\"status\":\"pass\"}\n",
            ),
        )
        .unwrap();
        let run = read_run(dir.path()).unwrap();
        assert_eq!(run.keys().collect::<Vec<_>>(), ["a", "b"]);
        // The later line for the same key wins (a resumed or retried run).
        assert!(run["a"][0].passed());
        assert_eq!(run["b"][0].cost_usd, Some(0.25));
        assert_eq!(run["b"][0].ttft_ms, Some(40));
        assert_eq!(run["b"][0].usage.input_tokens, 7);
        assert_eq!(run["b"][1].status, "timeout");
    }

    #[test]
    fn a_missing_folder_or_file_and_a_torn_line_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let e = read_run(&gone).unwrap_err();
        assert!(e.contains("gone: no such run folder"), "{e}");
        let e = read_run(dir.path()).unwrap_err();
        assert!(e.contains("results.jsonl: "), "{e}");
        std::fs::write(
            dir.path().join("results.jsonl"),
            "{\"id\":\"a\",\"status\":\"pass\"}\n{\"id\":\"b\",\"sta",
        )
        .unwrap();
        let e = read_run(dir.path()).unwrap_err();
        assert!(e.contains("results.jsonl:2: torn line"), "{e}");
        std::fs::write(
            dir.path().join("results.jsonl"),
            "{\"id\":\"a\"}\n{\"id\":\"b\",\"status\":\"pass\"}\n",
        )
        .unwrap();
        let e = read_run(dir.path()).unwrap_err();
        assert!(e.contains("results.jsonl:1: missing field `status`"), "{e}");
    }
}
