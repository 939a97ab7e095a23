//! Snapshots of what a scenario run sent and emitted: every request body and the `exec --json`
//! event stream, redacted (`redaction`), in insta's `.snap` file format, one folder per scenario.
//! Our own tests write them with insta (`tests/request_snapshots.rs`); `rcodex batch --snapshots`
//! writes and checks users' (`store`). Both name and redact them through this module, so the two
//! agree file for file.

pub mod redaction;
pub mod selector;
pub mod snap_file;
pub mod store;

use std::path::PathBuf;

use serde_json::Value;

use redaction::{request_view, Rule, EVENT_RULES, REQUEST_RULES};

/// One snapshot of a run: its file stem in the run's folder, the value, and its redactions.
#[derive(Clone, Debug)]
pub struct Entry {
    /// `request-1`, `request-2`, …, `events`.
    pub name: String,
    pub value: Value,
    pub rules: &'static [Rule],
}

/// The snapshots of a run that sent `requests` and emitted `events`: one per request body (shown
/// through [`request_view`]), then the event list.
pub fn entries(requests: &[Value], events: &[Value]) -> Vec<Entry> {
    let mut out: Vec<Entry> = requests
        .iter()
        .enumerate()
        .map(|(i, body)| Entry {
            name: format!("request-{}", i + 1),
            value: request_view(body),
            rules: REQUEST_RULES,
        })
        .collect();
    out.push(Entry {
        name: "events".into(),
        value: Value::Array(events.to_vec()),
        rules: EVENT_RULES,
    });
    out
}

/// The folder of one run's snapshots, relative to the snapshot root: the scenario id, and for a
/// repeat after the first (`--repeat`), `repeat-K` below it.
pub fn run_folder(scenario_id: &str, repeat: u32) -> PathBuf {
    let mut dir: PathBuf = scenario_id.split('/').collect();
    if repeat > 0 {
        dir.push(format!("repeat-{repeat}"));
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    #[test]
    fn a_run_has_a_snapshot_per_request_then_its_events_in_its_scenarios_folder() {
        let names: Vec<String> = entries(&[json!({}), json!({})], &[json!({"type": "x"})])
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["request-1", "request-2", "events"]);
        assert_eq!(run_folder("tools/shell", 0), Path::new("tools/shell"));
        assert_eq!(
            run_folder("tools/shell", 2),
            Path::new("tools/shell/repeat-2")
        );
    }
}
