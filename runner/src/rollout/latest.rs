//! Which thread `exec resume --last` continues: as Codex 0.169 does, the most recently updated
//! rollout whose session was started in the same working directory (`--all` drops the
//! directory filter). Captured with the real CLI: two threads in A and B, `resume --last` from
//! A took A's thread although B's was newer; after resuming A's older thread by id, `--last`
//! from A took that one (newest by update, not by start); from a directory with no thread it
//! started a new one.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

/// The first line's fields that say where the session ran (`{type, payload: {cwd}}`).
#[derive(Deserialize)]
struct FirstLine {
    #[serde(rename = "type")]
    kind: String,
    payload: Option<MetaCwd>,
}

#[derive(Deserialize)]
struct MetaCwd {
    cwd: Option<PathBuf>,
}

/// The working directory recorded in a rollout's `session_meta`, if the file has one.
pub fn rollout_cwd(path: &Path) -> Option<PathBuf> {
    let file = std::fs::File::open(path).ok()?;
    let mut first = Vec::new();
    BufReader::new(file).read_until(b'\n', &mut first).ok()?;
    let line: FirstLine = serde_json::from_slice(&first).ok()?;
    if line.kind != "session_meta" {
        return None;
    }
    line.payload?.cwd
}

/// The most recently updated rollout under `$CODEX_HOME/sessions` (newest modification time;
/// on a tie the greater file name, whose UUIDv7 thread id is the later), among those started in
/// `cwd` when given.
pub fn find_latest_rollout(codex_home: &Path, cwd: Option<&Path>) -> Option<PathBuf> {
    let root = codex_home.join("sessions");
    let mut best: Option<(SystemTime, std::ffi::OsString, PathBuf)> = None;
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if !entry.file_type().is_file()
            || !text.starts_with("rollout-")
            || !text.ends_with(".jsonl")
        {
            continue;
        }
        let updated = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let newer = best
            .as_ref()
            .is_none_or(|(t, n, _)| (updated, name) > (*t, n.as_os_str()));
        if !newer {
            continue;
        }
        if let Some(want) = cwd {
            if rollout_cwd(entry.path()).as_deref() != Some(want) {
                continue;
            }
        }
        best = Some((updated, name.to_os_string(), entry.into_path()));
    }
    best.map(|(_, _, path)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a rollout whose session ran in `cwd` and sets its modification time.
    fn rollout(home: &Path, id: &str, cwd: &str, modified_s: u64) -> PathBuf {
        let dir = home.join("sessions/2026/12/04");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("rollout-2026-12-04T10-00-00-{id}.jsonl"));
        let meta = serde_json::json!({"timestamp": "t", "ordinal": 0, "type": "session_meta",
            "payload": {"session_id": id, "id": id, "cwd": cwd}});
        std::fs::write(&path, format!("{meta}\n{{\"type\":\"event_msg\"}}\n")).unwrap();
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(modified_s);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(at)
            .unwrap();
        path
    }

    #[test]
    fn last_is_the_newest_thread_of_the_directory_and_all_drops_the_filter() {
        let home = tempfile::tempdir().unwrap();
        let a_old = rollout(home.path(), "a-old", "/w/a", 1_000);
        let a_new = rollout(home.path(), "a-new", "/w/a", 2_000);
        let b = rollout(home.path(), "b", "/w/b", 3_000);
        assert_eq!(
            find_latest_rollout(home.path(), Some(Path::new("/w/a"))),
            Some(a_new)
        );
        assert_eq!(
            find_latest_rollout(home.path(), Some(Path::new("/w/b"))),
            Some(b.clone())
        );
        assert_eq!(find_latest_rollout(home.path(), None), Some(b));
        assert_eq!(
            find_latest_rollout(home.path(), Some(Path::new("/w/c"))),
            None
        );
        // Resuming the older thread updates it: it becomes the last of its directory.
        assert_eq!(rollout(home.path(), "a-old", "/w/a", 4_000), a_old);
        assert_eq!(
            find_latest_rollout(home.path(), Some(Path::new("/w/a"))),
            Some(a_old)
        );
    }

    #[test]
    fn the_cwd_is_read_from_the_session_meta_line_only() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("rollout-x.jsonl");
        std::fs::write(
            &path,
            "{\"type\":\"event_msg\",\"payload\":{\"cwd\":\"/w\"}}\n",
        )
        .unwrap();
        assert_eq!(rollout_cwd(&path), None);
        std::fs::write(&path, "not json\n").unwrap();
        assert_eq!(rollout_cwd(&path), None);
        let path = rollout(home.path(), "m", "/w/m", 1);
        assert_eq!(rollout_cwd(&path), Some(PathBuf::from("/w/m")));
    }
}
