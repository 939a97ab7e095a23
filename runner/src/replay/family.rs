//! A parent rollout replayed with its children. A session that spawned sub-agents left one
//! rollout per child beside its own (same sessions tree); replaying the parent alone would
//! check half of what happened. So each child the parent names (`CollabAgentToolCall` items,
//! `spawn_agent` outputs) is looked up by its thread id, replayed like a top-level session, and
//! checked against what the parent recorded of it: the child names the parent as its parent,
//! carries the nickname the spawn returned, and ended a turn with each message a wait, a close
//! or a notification reported. A child that cannot be found is reported by thread id and the
//! folder searched, never a crash.

use std::path::{Path, PathBuf};

use rcodex_core::replay::replay;
use serde::Serialize;
use serde_json::Value;

use super::agent_links::{read_links, AgentLinks, Child, Reported, TurnEnd};
use super::args::Mode;
use super::report::{plural, WriterInfo};
use super::summary::{summarize, SessionSummary};
use crate::rollout::read_recorded;

/// Only a parent that mentions this is read a second time for its children.
const SPAWN_MARKER: &[u8] = b"CollabAgentToolCall";

/// One child of a replayed parent.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentReport {
    /// The child's thread id (the parent's `agent_id` for it).
    pub thread_id: String,
    /// The nickname the parent recorded for it.
    pub nickname: Option<String>,
    /// The child's rollout, when found.
    pub path: Option<String>,
    /// Who wrote the child's rollout, when read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writer: Option<WriterInfo>,
    pub status: AgentStatus,
    /// Turns and requests of the child's replay (verify), or of its summary.
    pub turns: usize,
    pub requests: usize,
    /// What is wrong, one line each, `file:line: what`.
    pub problems: Vec<String>,
    /// `--summary`: the child turn by turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<SessionSummary>,
}

/// How a child fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Found, replays, and agrees with the parent.
    Ok,
    /// Its replay diverged from its recording.
    Divergence,
    /// It replays, but disagrees with what the parent recorded of it.
    Inconsistent,
    /// No rollout with its thread id beside the parent.
    Missing,
    /// Its rollout could not be read or replayed.
    Error,
}

/// The children of the rollout at `path` (none for a rollout that spawned none), each found,
/// replayed (`Mode::Verify`) or summarised (`Mode::Summary`), and checked against the parent.
pub fn check_children(path: &Path, mode: Mode) -> Vec<AgentReport> {
    if matches!(mode, Mode::Request { .. }) {
        return Vec::new();
    }
    let spawned =
        std::fs::read(path).is_ok_and(|bytes| memchr::memmem::find(&bytes, SPAWN_MARKER).is_some());
    let Some(parent) = spawned.then(|| links_of(path)).flatten() else {
        return Vec::new();
    };
    if parent.children.is_empty() {
        return Vec::new();
    }
    let root = sessions_root(path);
    let index = RolloutIndex::new(&root);
    parent
        .children
        .iter()
        .map(|child| check_child(path, &parent, child, &index, mode))
        .collect()
}

fn check_child(
    parent_path: &Path,
    parent: &AgentLinks,
    child: &Child,
    index: &RolloutIndex,
    mode: Mode,
) -> AgentReport {
    let mut report = AgentReport {
        thread_id: child.thread_id.clone(),
        nickname: child.nickname.clone(),
        path: None,
        writer: None,
        status: AgentStatus::Ok,
        turns: 0,
        requests: 0,
        problems: Vec::new(),
        summary: None,
    };
    let Some(child_path) = index.find(&child.thread_id) else {
        report.status = AgentStatus::Missing;
        report.problems.push(format!(
            "{}:{}: child thread {}{}: no rollout of it under {}",
            parent_path.display(),
            child.line,
            child.thread_id,
            nickname_note(child.nickname.as_deref()),
            index.root.display()
        ));
        return report;
    };
    let shown = child_path.display().to_string();
    report.path = Some(shown.clone());
    let rollout = match read_recorded(&child_path) {
        Ok(r) => r,
        Err(e) => {
            report.status = AgentStatus::Error;
            report.problems.push(e.to_string());
            return report;
        }
    };
    report.writer = Some(WriterInfo {
        originator: rollout.writer.originator.clone(),
        cli_version: rollout.writer.cli_version.clone(),
    });
    match mode {
        Mode::Summary => {
            let summary = summarize(&rollout.lines);
            report.turns = summary.turns.len();
            report.requests = summary.turns.iter().map(|t| t.requests).sum();
            report.summary = Some(summary);
        }
        _ => match replay(&rollout.lines) {
            Ok(replayed) => {
                report.turns = replayed.requests.iter().map(|r| r.turn).max().unwrap_or(0);
                report.requests = replayed.requests.len();
                if let Some(d) = replayed.divergence {
                    report.status = AgentStatus::Divergence;
                    report.problems.push(format!(
                        "{shown}:{}: request {}: {}",
                        d.line, d.request, d.what
                    ));
                }
            }
            Err(e) => {
                report.status = AgentStatus::Error;
                report.problems.push(format!("{shown}: {e}"));
            }
        },
    }
    let Some(own) = links_of(&child_path) else {
        report.status = AgentStatus::Error;
        report
            .problems
            .push(format!("{shown}: cannot read its lines again"));
        return report;
    };
    let inconsistencies = compare(parent_path, parent, child, &shown, &own);
    if !inconsistencies.is_empty() && report.status == AgentStatus::Ok {
        report.status = AgentStatus::Inconsistent;
    }
    report.problems.extend(inconsistencies);
    report
}

/// What the parent recorded of `child` against the child's own rollout.
fn compare(
    parent_path: &Path,
    parent: &AgentLinks,
    child: &Child,
    child_path: &str,
    own: &AgentLinks,
) -> Vec<String> {
    let mut problems = Vec::new();
    if own.thread_id != child.thread_id {
        problems.push(format!(
            "{child_path}:1: session_meta.id: {}, the parent spawned {}",
            own.thread_id, child.thread_id
        ));
    }
    if own.parent_thread_id.as_deref() != Some(parent.thread_id.as_str()) {
        problems.push(format!(
            "{child_path}:1: session_meta.parent_thread_id: {}, the parent is {}",
            own.parent_thread_id.as_deref().unwrap_or("absent"),
            parent.thread_id
        ));
    }
    if let (Some(said), Some(own_name)) = (&child.nickname, &own.nickname) {
        if said != own_name {
            problems.push(format!(
                "{child_path}:1: session_meta.agent_nickname: {own_name:?}, the parent calls it {said:?}"
            ));
        }
    }
    let ends: Vec<&str> = own
        .turn_ends
        .iter()
        .filter_map(|t| t.message.as_deref())
        .collect();
    for reported in parent
        .reported
        .iter()
        .filter(|r| r.child == child.thread_id)
    {
        let problem = match turn_reported(own, reported) {
            Some(end) if end.message.as_deref() == Some(reported.message.as_str()) => continue,
            Some(end) => format!(
                "the turn it had ended by then ({child_path}:{}) ended with {:?}",
                end.line,
                end.message.as_deref().unwrap_or("no message")
            ),
            None if ends.contains(&reported.message.as_str()) => continue,
            None => format!("its turns in {child_path} ended with {ends:?}"),
        };
        problems.push(format!(
            "{}:{}: {} reported agent {} completed with {:?}; {problem}",
            parent_path.display(),
            reported.line,
            reported.via,
            child.thread_id,
            reported.message,
        ));
    }
    problems
}

/// The child's last turn that had ended when the parent recorded `reported` (both lines
/// timed); `None` when the times do not tell (untimed lines, or no turn ended by then).
fn turn_reported<'a>(own: &'a AgentLinks, reported: &Reported) -> Option<&'a TurnEnd> {
    let at = reported.at_ms?;
    own.turn_ends
        .iter()
        .rfind(|t| t.at_ms.is_some_and(|t| t <= at))
}

fn nickname_note(nickname: Option<&str>) -> String {
    nickname.map(|n| format!(" ({n})")).unwrap_or_default()
}

/// The agent links of the rollout at `path`.
fn links_of(path: &Path) -> Option<AgentLinks> {
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<(usize, Value)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| serde_json::from_str(l).ok().map(|v| (i + 1, v)))
        .collect();
    Some(read_links(&lines))
}

/// The folder children are looked for in: the nearest `sessions` folder above the parent (Codex
/// files a child by its own start date, which may be another day's folder), else the parent's
/// own folder (`rcodex batch --out …/rollouts`).
fn sessions_root(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new("."));
    dir.ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "sessions"))
        .unwrap_or(dir)
        .to_path_buf()
}

/// The `.jsonl` files under a root, to find a thread's rollout by id: by file name
/// (`rollout-<time>-<thread id>.jsonl`), else by the id in its first line.
struct RolloutIndex {
    root: PathBuf,
    files: Vec<PathBuf>,
}

impl RolloutIndex {
    fn new(root: &Path) -> RolloutIndex {
        let files = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(walkdir::DirEntry::into_path)
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        RolloutIndex {
            root: root.to_path_buf(),
            files,
        }
    }

    fn find(&self, thread_id: &str) -> Option<PathBuf> {
        let by_name = self.files.iter().find(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .is_some_and(|s| s.ends_with(thread_id))
        });
        by_name
            .or_else(|| {
                self.files
                    .iter()
                    .find(|p| first_line_id(p).as_deref() == Some(thread_id))
            })
            .cloned()
    }
}

/// `payload.id` of the first line (a `session_meta`), read without reading the whole file.
fn first_line_id(path: &Path) -> Option<String> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).ok()?;
    let mut line = String::new();
    std::io::BufReader::new(file).read_line(&mut line).ok()?;
    let v: Value = serde_json::from_str(&line).ok()?;
    (v["type"] == "session_meta")
        .then(|| v["payload"]["id"].as_str().map(str::to_string))
        .flatten()
}

/// `  agent ID (Nick) ok (1 turn, 1 request): PATH`, then each problem indented.
pub fn agents_text(agents: &[AgentReport]) -> String {
    let mut out = String::new();
    for a in agents {
        let status = match a.status {
            AgentStatus::Ok => "ok",
            AgentStatus::Divergence => "divergence",
            AgentStatus::Inconsistent => "inconsistent",
            AgentStatus::Missing => "missing",
            AgentStatus::Error => "error",
        };
        out.push_str(&format!(
            "  agent {}{} {status} ({} {}, {} {}){}\n",
            a.thread_id,
            nickname_note(a.nickname.as_deref()),
            a.turns,
            plural(a.turns, "turn"),
            a.requests,
            plural(a.requests, "request"),
            a.path
                .as_deref()
                .map(|p| format!(": {p}"))
                .unwrap_or_default()
        ));
        for p in &a.problems {
            out.push_str(&format!("    {p}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sessions_folder_is_searched_else_the_parent_folder() {
        assert_eq!(
            sessions_root(Path::new("/h/sessions/2026/12/05/rollout-x.jsonl")),
            Path::new("/h/sessions")
        );
        assert_eq!(
            sessions_root(Path::new("/out/rollouts/a.jsonl")),
            Path::new("/out/rollouts")
        );
    }

    #[test]
    fn a_child_is_found_by_file_name_or_by_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let day = dir.path().join("2026/12/06");
        std::fs::create_dir_all(&day).unwrap();
        std::fs::write(day.join("rollout-2026-12-06T00-00-00-abc.jsonl"), "{}\n").unwrap();
        std::fs::write(
            dir.path().join("other.jsonl"),
            "{\"type\":\"session_meta\",\"payload\":{\"id\":\"xyz\"}}\n",
        )
        .unwrap();
        let index = RolloutIndex::new(dir.path());
        assert!(index
            .find("abc")
            .unwrap()
            .ends_with("2026/12/06/rollout-2026-12-06T00-00-00-abc.jsonl"));
        assert!(index.find("xyz").unwrap().ends_with("other.jsonl"));
        assert_eq!(index.find("nope"), None);
    }

    fn end(line: usize, at_ms: i64, message: &str) -> TurnEnd {
        TurnEnd {
            line,
            at_ms: Some(at_ms),
            message: Some(message.into()),
        }
    }

    fn told(message: &str, at_ms: Option<i64>) -> Reported {
        Reported {
            child: "C".into(),
            message: message.into(),
            via: "wait_agent",
            line: 9,
            at_ms,
        }
    }

    #[test]
    fn a_reported_message_is_the_one_of_the_turn_ended_by_then() {
        let parent = AgentLinks {
            thread_id: "P".into(),
            ..AgentLinks::default()
        };
        let own = AgentLinks {
            thread_id: "C".into(),
            parent_thread_id: Some("P".into()),
            turn_ends: vec![end(5, 1000, "first"), end(9, 2000, "second")],
            ..AgentLinks::default()
        };
        let child = Child {
            thread_id: "C".into(),
            nickname: None,
            line: 3,
        };
        let check = |reported: Reported| {
            let parent = AgentLinks {
                reported: vec![reported],
                ..parent.clone()
            };
            compare(Path::new("p.jsonl"), &parent, &child, "c.jsonl", &own)
        };
        assert!(check(told("first", Some(1500))).is_empty());
        assert!(check(told("second", Some(2000))).is_empty());
        // The right words, but from a turn that had not ended yet.
        assert_eq!(
            check(told("second", Some(1500))),
            ["p.jsonl:9: wait_agent reported agent C completed with \"second\"; the turn it had ended by then (c.jsonl:5) ended with \"first\""]
        );
        // Untimed: any turn's message will do; none matching is named with them all.
        assert!(check(told("first", None)).is_empty());
        assert_eq!(
            check(told("third", None)),
            ["p.jsonl:9: wait_agent reported agent C completed with \"third\"; its turns in c.jsonl ended with [\"first\", \"second\"]"]
        );
    }

    #[test]
    fn a_parent_without_children_has_no_agent_reports() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout-a.jsonl");
        std::fs::write(
            &path,
            "{\"type\":\"session_meta\",\"payload\":{\"id\":\"a\"}}\n",
        )
        .unwrap();
        assert!(check_children(&path, Mode::Verify).is_empty());
    }
}
