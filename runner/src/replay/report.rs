//! What `rcodex replay` says about one file: the JSON Lines shape of `--json` (one [`FileReport`]
//! per file per line, `status` naming the variant) and the same report as text for people.

use rcodex_core::replay::Divergence;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::diff;
use super::family::{agents_text, AgentReport, AgentStatus};
use super::summary::SessionSummary;
use super::summary_table;

/// One file's result. With `--json` each is printed as one JSON object on one line; `status`
/// is `ok`, `divergence`, `summary`, `request` or `error`.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FileReport {
    /// Verify: the machine sent the same requests and made the same calls as the recording.
    Ok {
        #[serde(flatten)]
        file: FileFacts,
        /// Turns replayed.
        turns: usize,
        /// Requests rebuilt.
        requests: usize,
    },
    /// Verify: the first place where the machine acted differently from the recording.
    Divergence {
        #[serde(flatten)]
        file: FileFacts,
        /// Turns replayed up to the divergence.
        turns: usize,
        /// Requests rebuilt up to the divergence.
        requests: usize,
        /// `line` (rollout line), `request` (1-based), `item` (index in that request's
        /// history, or null), `pointer` (JSON pointer), `expected` (the recording), `actual`
        /// (the machine), `what` (one line).
        divergence: Divergence,
    },
    /// `--summary`: the session turn by turn, from its lines alone.
    Summary {
        #[serde(flatten)]
        file: FileFacts,
        /// `thread_id` and `turns`: each with `turn`, `turn_id`, `line`, `requests`, `retries`,
        /// `tool_calls` (`name`, `call_id`, `line`, `status`, `exit_code`, `duration_ms`),
        /// `tokens` (`input`, `cached`, `output`), `time_to_first_token_ms`, `duration_ms` and
        /// `outcome` (`{status: completed | failed | aborted | incomplete}`, with `message` for
        /// failed and `reason` for aborted).
        #[serde(flatten)]
        summary: SessionSummary,
    },
    /// `--request N`: the body of request N as rebuilt.
    Request {
        #[serde(flatten)]
        file: FileFacts,
        /// 1-based request index.
        request: usize,
        /// 1-based turn the request belongs to.
        turn: usize,
        /// The body as a JSON object (text mode prints it byte for byte as rebuilt).
        #[serde(serialize_with = "body_as_json")]
        body: String,
    },
    /// The file could not be read or replayed, or has no such request (exit status 2).
    Error {
        path: String,
        /// One line, naming `file:line` where there is one.
        error: String,
    },
}

/// What is known about any file that could be read.
#[derive(Clone, Debug, Serialize)]
pub struct FileFacts {
    pub path: String,
    /// Who wrote it, from `session_meta`.
    pub writer: WriterInfo,
    /// Size in bytes.
    pub bytes: u64,
    /// Lines skipped (a torn last line), each `path:line: reason`.
    pub warnings: Vec<String>,
    /// The sub-agents this session spawned, each found beside it and replayed (verify) or
    /// summarised (`--summary`) with it; absent when it spawned none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<AgentReport>,
}

/// `session_meta.originator` and `cli_version`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WriterInfo {
    pub originator: String,
    pub cli_version: String,
}

fn body_as_json<S: Serializer>(body: &str, s: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_str::<Value>(body) {
        Ok(value) => value.serialize(s),
        Err(_) => s.serialize_str(body),
    }
}

/// The counts a report adds to the closing totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub turns: usize,
    pub requests: usize,
    pub divergences: usize,
    pub errors: usize,
    pub warnings: usize,
    pub bytes: u64,
}

impl FileReport {
    pub fn tally(&self) -> Tally {
        let mut tally = self.own_tally();
        if let Some(file) = self.facts() {
            // A child's turns and requests count where its own file is replayed; a child that
            // fails counts against its parent too.
            let failing = file.agents.iter().filter(|a| a.status != AgentStatus::Ok);
            tally.divergences += failing.count();
        }
        tally
    }

    /// The file's facts, for every report but an error.
    fn facts(&self) -> Option<&FileFacts> {
        match self {
            FileReport::Ok { file, .. }
            | FileReport::Divergence { file, .. }
            | FileReport::Summary { file, .. }
            | FileReport::Request { file, .. } => Some(file),
            FileReport::Error { .. } => None,
        }
    }

    fn own_tally(&self) -> Tally {
        let facts = |file: &FileFacts| Tally {
            warnings: file.warnings.len(),
            bytes: file.bytes,
            ..Tally::default()
        };
        match self {
            FileReport::Ok {
                file,
                turns,
                requests,
            } => Tally {
                turns: *turns,
                requests: *requests,
                ..facts(file)
            },
            FileReport::Divergence {
                file,
                turns,
                requests,
                ..
            } => Tally {
                turns: *turns,
                requests: *requests,
                divergences: 1,
                ..facts(file)
            },
            FileReport::Summary { file, summary } => Tally {
                turns: summary.turns.len(),
                requests: summary.turns.iter().map(|t| t.requests).sum(),
                ..facts(file)
            },
            FileReport::Request { file, .. } => facts(file),
            FileReport::Error { .. } => Tally {
                errors: 1,
                ..Tally::default()
            },
        }
    }

    /// The report as text: what goes to stdout, and notes (warnings, errors) for stderr.
    pub fn to_text(&self) -> Text {
        let mut notes: Vec<String> = match self {
            FileReport::Ok { file, .. }
            | FileReport::Divergence { file, .. }
            | FileReport::Summary { file, .. }
            | FileReport::Request { file, .. } => file
                .warnings
                .iter()
                .map(|w| format!("warning: {w}"))
                .collect(),
            FileReport::Error { .. } => Vec::new(),
        };
        let out = match self {
            FileReport::Ok {
                file,
                turns,
                requests,
            } => format!(
                "{}: ok ({} {}, {} {})\n",
                file.path,
                turns,
                plural(*turns, "turn"),
                requests,
                plural(*requests, "request")
            ),
            FileReport::Divergence {
                file, divergence, ..
            } => divergence_text(&file.path, divergence),
            FileReport::Summary { file, summary } => summary_table::render(file, summary),
            FileReport::Request { body, .. } => format!("{body}\n"),
            FileReport::Error { error, .. } => {
                notes.push(format!("error: {error}"));
                String::new()
            }
        };
        let mut out = out;
        if let Some(file) = self.facts() {
            out.push_str(&agents_text(&file.agents));
            for agent in &file.agents {
                if let (Some(summary), Some(path)) = (&agent.summary, &agent.path) {
                    let child = FileFacts {
                        path: path.clone(),
                        writer: agent.writer.clone().unwrap_or(WriterInfo {
                            originator: String::new(),
                            cli_version: String::new(),
                        }),
                        bytes: 0,
                        warnings: Vec::new(),
                        agents: Vec::new(),
                    };
                    out.push_str(&summary_table::render(&child, summary));
                }
            }
        }
        Text { out, notes }
    }
}

/// A report as text.
pub struct Text {
    /// For stdout.
    pub out: String,
    /// For stderr, one line each.
    pub notes: Vec<String>,
}

/// `file:line: request N, item I, at POINTER: WHAT`, then the diff indented (no pointer when
/// the whole value differs, no diff when the values are equal and the difference is elsewhere,
/// e.g. a call the recording never answers).
fn divergence_text(path: &str, d: &Divergence) -> String {
    let item = d.item.map(|i| format!(", item {i}")).unwrap_or_default();
    let pointer = if d.pointer.is_empty() {
        String::new()
    } else {
        format!(", at {}", d.pointer)
    };
    let mut out = format!(
        "{path}:{}: request {}{item}{pointer}: {}\n",
        d.line, d.request, d.what
    );
    if d.expected != d.actual {
        for line in diff::render(&d.expected, &d.actual).lines() {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> FileFacts {
        FileFacts {
            path: "s/rollout-x.jsonl".into(),
            writer: WriterInfo {
                originator: "codex_exec".into(),
                cli_version: "0.169.0".into(),
            },
            bytes: 1234,
            warnings: vec!["s/rollout-x.jsonl:9: skipped a torn last line (EOF)".into()],
            agents: Vec::new(),
        }
    }

    fn divergence() -> Divergence {
        Divergence {
            line: 12,
            request: 2,
            item: Some(5),
            pointer: "/input/5/output".into(),
            expected: json!("a\nb"),
            actual: json!("a\nc"),
            what: "tool output differs".into(),
        }
    }

    #[test]
    fn a_divergence_names_file_line_request_item_pointer_then_diffs() {
        let report = FileReport::Divergence {
            file: facts(),
            turns: 1,
            requests: 2,
            divergence: divergence(),
        };
        let text = report.to_text();
        assert_eq!(
            text.out,
            "s/rollout-x.jsonl:12: request 2, item 5, at /input/5/output: tool output differs\n    --- recorded\n    +++ replayed\n     a\n    -b\n    +c\n"
        );
        assert_eq!(
            text.notes,
            ["warning: s/rollout-x.jsonl:9: skipped a torn last line (EOF)"]
        );
        assert_eq!(
            report.tally(),
            Tally {
                turns: 1,
                requests: 2,
                divergences: 1,
                errors: 0,
                warnings: 1,
                bytes: 1234
            }
        );
    }

    #[test]
    fn a_divergence_about_the_whole_value_has_no_pointer_and_equal_values_no_diff() {
        let report = FileReport::Divergence {
            file: facts(),
            turns: 1,
            requests: 1,
            divergence: Divergence {
                line: 14,
                request: 1,
                item: None,
                pointer: String::new(),
                expected: Value::Null,
                actual: Value::Null,
                what: "the recording has no output for call c1".into(),
            },
        };
        assert_eq!(
            report.to_text().out,
            "s/rollout-x.jsonl:14: request 1: the recording has no output for call c1\n"
        );
    }

    #[test]
    fn json_shape_is_flat_with_a_status() {
        let ok = FileReport::Ok {
            file: facts(),
            turns: 2,
            requests: 3,
        };
        let v = serde_json::to_value(&ok).unwrap();
        assert_eq!(v["status"], "ok");
        assert_eq!(v["path"], "s/rollout-x.jsonl");
        assert_eq!(v["writer"]["originator"], "codex_exec");
        assert_eq!(
            (v["turns"].clone(), v["requests"].clone()),
            (json!(2), json!(3))
        );
        let d = serde_json::to_value(FileReport::Divergence {
            file: facts(),
            turns: 1,
            requests: 2,
            divergence: divergence(),
        })
        .unwrap();
        assert_eq!(d["status"], "divergence");
        assert_eq!(d["divergence"]["pointer"], "/input/5/output");
        assert_eq!(d["divergence"]["item"], 5);
        let r = serde_json::to_value(FileReport::Request {
            file: facts(),
            request: 1,
            turn: 1,
            body: "{\"model\":\"gpt-5.5\"}".into(),
        })
        .unwrap();
        assert_eq!(r["body"]["model"], "gpt-5.5");
        let e = serde_json::to_value(FileReport::Error {
            path: "p".into(),
            error: "p:3: bad".into(),
        })
        .unwrap();
        assert_eq!(
            e,
            json!({"status": "error", "path": "p", "error": "p:3: bad"})
        );
    }

    #[test]
    fn a_request_prints_its_body_byte_for_byte() {
        let body = "{\"model\":\"gpt-5.5\",\"input\":[]}";
        let text = FileReport::Request {
            file: facts(),
            request: 1,
            turn: 1,
            body: body.into(),
        }
        .to_text();
        assert_eq!(text.out, format!("{body}\n"));
    }
}
