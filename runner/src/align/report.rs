//! What `rcodex align` prints: the table scenario × check (equal / allowed / DIFFERS), then each
//! difference the allow-list does not explain with a short diff; or, with `--json`, one object
//! per scenario.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};

use super::allow::AllowList;
use super::checks::{Check, Finding};
use super::short_diff;

/// A difference and the allow-list entry that explains it, if one does.
#[derive(Clone, Debug)]
pub struct Explained {
    pub finding: Finding,
    pub allowed_by: Option<usize>,
}

/// How one scenario came out.
#[derive(Clone, Debug)]
pub enum Outcome {
    Compared {
        codex_requests: usize,
        rcodex_requests: usize,
        findings: Vec<Explained>,
    },
    /// Nothing to compare (a scenario without scripted replies).
    Skipped(String),
    /// The scenario could not be read or run.
    Error(String),
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    pub id: String,
    pub file: String,
    pub outcome: Outcome,
    /// Wall time of both clients' runs and the comparison.
    pub duration_ms: u64,
}

/// A cell of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Equal,
    Allowed,
    Differs,
}

impl Cell {
    fn word(self) -> &'static str {
        match self {
            Cell::Equal => "equal",
            Cell::Allowed => "allowed",
            Cell::Differs => "DIFFERS",
        }
    }
}

impl ScenarioResult {
    /// The cell of `check`; `None` when the scenario was not compared.
    pub fn cell(&self, check: Check) -> Option<Cell> {
        let Outcome::Compared { findings, .. } = &self.outcome else {
            return None;
        };
        let mine = findings.iter().filter(|e| e.finding.check == check);
        Some(
            mine.fold(Cell::Equal, |cell, e| match (cell, e.allowed_by) {
                (Cell::Differs, _) | (_, None) => Cell::Differs,
                _ => Cell::Allowed,
            }),
        )
    }

    /// Whether any difference is left unexplained.
    pub fn differs(&self) -> bool {
        Check::ALL
            .iter()
            .any(|&c| self.cell(c) == Some(Cell::Differs))
    }

    fn status(&self) -> &'static str {
        match &self.outcome {
            Outcome::Skipped(_) => "skipped",
            Outcome::Error(_) => "error",
            Outcome::Compared { .. } => Check::ALL
                .iter()
                .filter_map(|&c| self.cell(c))
                .max_by_key(|c| *c as u8)
                .unwrap_or(Cell::Equal)
                .word(),
        }
    }
}

/// The table, one row per scenario.
pub fn table(results: &[ScenarioResult]) -> String {
    let width = results.iter().map(|r| r.id.len()).max().unwrap_or(0).max(8);
    let mut out = format!("{:<width$}", "scenario");
    for c in Check::ALL {
        let _ = write!(out, "  {:<8}", c.name());
    }
    out = out.trim_end().to_string();
    out.push('\n');
    for r in results {
        let mut line = format!("{:<width$}", r.id);
        match &r.outcome {
            Outcome::Compared { .. } => {
                for c in Check::ALL {
                    let cell = r.cell(c).map_or("", Cell::word);
                    let _ = write!(line, "  {cell:<8}");
                }
            }
            Outcome::Skipped(why) => {
                let _ = write!(line, "  skipped: {why}");
            }
            Outcome::Error(e) => {
                let _ = write!(line, "  error: {e}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Every unexplained difference, the same one in several requests shown once.
pub fn unexplained(results: &[ScenarioResult]) -> String {
    let mut out = String::new();
    for r in results {
        let Outcome::Compared { findings, .. } = &r.outcome else {
            continue;
        };
        // (check, pointer, diff) -> request numbers, in first-seen order.
        let mut seen: Vec<((Check, String, String), Vec<usize>)> = Vec::new();
        for e in findings.iter().filter(|e| e.allowed_by.is_none()) {
            let f = &e.finding;
            let key = (
                f.check,
                f.difference.pointer.clone(),
                short_diff::render(&f.difference.change),
            );
            match seen.iter_mut().find(|(k, _)| *k == key) {
                Some((_, requests)) => requests.push(f.request),
                None => seen.push((key, vec![f.request])),
            }
        }
        for ((check, pointer, diff), requests) in seen {
            let list: Vec<String> = requests.iter().map(usize::to_string).collect();
            let _ = writeln!(
                out,
                "{}  {check}  {pointer}  (request {})",
                r.id,
                list.join(", ")
            );
            for line in diff.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

/// How many differences each allow-list entry explained, by entry index.
pub fn allowed_counts(results: &[ScenarioResult]) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    for r in results {
        if let Outcome::Compared { findings, .. } = &r.outcome {
            for i in findings.iter().filter_map(|e| e.allowed_by) {
                *counts.entry(i).or_default() += 1;
            }
        }
    }
    counts
}

/// `--json`: `{scenario, file, status, requests: {codex, rcodex}, checks: {check: cell},
/// differences: [{request, check, pointer, change, diff, allowed: {kind, why, pointer} | null}],
/// error, duration_ms}`.
pub fn json_object(r: &ScenarioResult, allow: &AllowList) -> Value {
    let (requests, checks, differences, error) = match &r.outcome {
        Outcome::Compared {
            codex_requests,
            rcodex_requests,
            findings,
        } => {
            let checks: serde_json::Map<String, Value> = Check::ALL
                .iter()
                .filter_map(|&c| {
                    r.cell(c)
                        .map(|cell| (c.name().to_string(), json!(cell.word().to_lowercase())))
                })
                .collect();
            let differences: Vec<Value> =
                findings.iter().map(|e| difference_json(e, allow)).collect();
            (
                json!({"codex": codex_requests, "rcodex": rcodex_requests}),
                Value::Object(checks),
                differences,
                Value::Null,
            )
        }
        Outcome::Skipped(why) => (Value::Null, json!({}), Vec::new(), json!(why)),
        Outcome::Error(e) => (Value::Null, json!({}), Vec::new(), json!(e)),
    };
    json!({
        "scenario": r.id,
        "file": r.file,
        "status": r.status().to_lowercase(),
        "requests": requests,
        "checks": checks,
        "differences": differences,
        "error": error,
        "duration_ms": r.duration_ms,
    })
}

fn difference_json(e: &Explained, allow: &AllowList) -> Value {
    let f = &e.finding;
    let change = serde_json::to_value(&f.difference.change).unwrap_or(Value::Null);
    let allowed = e
        .allowed_by
        .and_then(|i| allow.entries.get(i))
        .map(|entry| json!({"kind": entry.kind, "why": entry.why, "pointer": entry.pointer.text}));
    json!({
        "request": f.request,
        "check": f.check,
        "pointer": f.difference.pointer,
        "change": change["change"],
        "diff": short_diff::render(&f.difference.change),
        "allowed": allowed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::align::json_diff::{Change, Difference};

    fn explained(
        check: Check,
        pointer: &str,
        request: usize,
        allowed_by: Option<usize>,
    ) -> Explained {
        Explained {
            finding: Finding {
                request,
                check,
                difference: Difference {
                    pointer: pointer.into(),
                    change: Change::Value {
                        codex: json!("gpt-5.5"),
                        rcodex: json!("gpt-5.4"),
                    },
                },
            },
            allowed_by,
        }
    }

    fn results() -> Vec<ScenarioResult> {
        vec![
            ScenarioResult {
                id: "a/equal".into(),
                file: "a/equal.toml".into(),
                outcome: Outcome::Compared {
                    codex_requests: 1,
                    rcodex_requests: 1,
                    findings: vec![],
                },
                duration_ms: 1,
            },
            ScenarioResult {
                id: "b/mixed".into(),
                file: "b/mixed.toml".into(),
                outcome: Outcome::Compared {
                    codex_requests: 2,
                    rcodex_requests: 2,
                    findings: vec![
                        explained(Check::Headers, "/originator", 1, Some(0)),
                        explained(Check::Body, "/model", 1, None),
                        explained(Check::Body, "/model", 2, None),
                    ],
                },
                duration_ms: 2,
            },
            ScenarioResult {
                id: "c/broken".into(),
                file: "c/broken.toml".into(),
                outcome: Outcome::Error("c/broken.toml:3: prompt: missing".into()),
                duration_ms: 3,
            },
        ]
    }

    #[test]
    fn the_table_has_a_cell_per_check_and_says_why_a_row_has_none() {
        let got = table(&results());
        let lines: Vec<&str> = got.lines().collect();
        assert_eq!(
            lines[0],
            "scenario  requests  headers   body      input     tools     texts"
        );
        assert_eq!(
            lines[1],
            "a/equal   equal     equal     equal     equal     equal     equal"
        );
        assert_eq!(
            lines[2],
            "b/mixed   equal     allowed   DIFFERS   equal     equal     equal"
        );
        assert_eq!(
            lines[3],
            "c/broken  error: c/broken.toml:3: prompt: missing"
        );
    }

    #[test]
    fn an_unexplained_difference_is_listed_once_with_its_requests() {
        let got = unexplained(&results());
        assert_eq!(
            got,
            "b/mixed  body  /model  (request 1, 2)\n    - gpt-5.5\n    + gpt-5.4\n"
        );
        let r = results();
        assert!(!r[0].differs() && r[1].differs());
        assert_eq!(allowed_counts(&r), BTreeMap::from([(0, 1)]));
    }

    #[test]
    fn json_names_status_cells_and_each_difference() {
        let r = &results()[1];
        let v = json_object(r, &AllowList::default());
        assert_eq!(v["scenario"], "b/mixed");
        assert_eq!(v["status"], "differs");
        assert_eq!(v["requests"], json!({"codex": 2, "rcodex": 2}));
        assert_eq!(v["checks"]["headers"], "allowed");
        assert_eq!(v["checks"]["body"], "differs");
        assert_eq!(v["differences"][1]["pointer"], "/model");
        assert_eq!(v["differences"][1]["change"], "value");
        assert_eq!(v["differences"][1]["allowed"], Value::Null);
        assert_eq!(v["duration_ms"], 2);
        let e = json_object(&results()[2], &AllowList::default());
        assert_eq!(e["status"], "error");
        assert_eq!(e["error"], "c/broken.toml:3: prompt: missing");
    }
}
