//! Sub-agents of a session: Codex runs a spawned agent as its own thread with its own rollout
//! file, whose `session_meta` names the parent thread (`parent_thread_id`, and
//! `source.subagent.thread_spawn.parent_thread_id`). The session report looks for them beside
//! the parent's file and draws each under it, their own sub-agents included.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::session::{read_session, SessionView};

/// How deep spawned agents are followed (Codex's own limit is lower).
const MAX_DEPTH: usize = 4;

/// Attaches to `view` the sessions in its folder whose parent is its thread, recursively.
pub fn attach(view: &mut SessionView, fold: usize) {
    let Some(dir) = Path::new(&view.path).parent() else {
        return;
    };
    let candidates = rollouts_in(dir);
    attach_from(view, &candidates, fold, 0);
}

fn attach_from(
    view: &mut SessionView,
    candidates: &[(PathBuf, String)],
    fold: usize,
    depth: usize,
) {
    if depth >= MAX_DEPTH || view.summary.thread_id.is_empty() {
        return;
    }
    for (path, parent) in candidates {
        if *parent != view.summary.thread_id {
            continue;
        }
        // A child that cannot be read is left out; its parent's timeline still shows the call.
        if let Ok(mut child) = read_session(path, fold) {
            attach_from(&mut child, candidates, fold, depth + 1);
            view.sub_agents.push(child);
        }
    }
}

/// The rollout files in `dir` that belong to a sub-agent, with their parent's thread id.
fn rollouts_in(dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, String)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .filter_map(|p| parent_of(&p).map(|parent| (p, parent)))
        .collect();
    out.sort();
    out
}

/// The parent thread named by the first line of `path`, when it is a sub-agent's session_meta.
fn parent_of(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut first = String::new();
    std::io::BufReader::new(file).read_line(&mut first).ok()?;
    let line: Value = serde_json::from_str(&first).ok()?;
    let meta = &line["payload"];
    [
        "/parent_thread_id",
        "/source/subagent/thread_spawn/parent_thread_id",
    ]
    .iter()
    .find_map(|p| meta.pointer(p).and_then(Value::as_str))
    .map(str::to_string)
}
