//! `results.jsonl`: one line per scenario × repeat, appended with a single write each, so a
//! crash or `kill -9` never loses a finished result; a torn last line (from a crash mid-write
//! on a full disk, say) is dropped on the next open rather than breaking the run (read with
//! [`crate::jsonl`], which says why).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::expect::CheckOutcome;
use crate::jsonl::{self, JsonlError};

/// Verdict of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every expectation held.
    Pass,
    /// The run finished but an expectation failed.
    Fail,
    /// The scenario could not run (bad file, setup failure).
    Error,
    /// Not run: no scripted replies and not `--live`.
    Skipped,
    /// The run went over its `timeout_s` and its turn was interrupted.
    Timeout,
}

/// Token usage of a run (all turns).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSummary {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

/// One line of results.jsonl.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultLine {
    pub id: String,
    pub repeat: u32,
    pub name: String,
    pub file: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub checks: Vec<CheckOutcome>,
    #[serde(default)]
    pub usage: UsageSummary,
    #[serde(default)]
    pub requests: usize,
    #[serde(default)]
    pub tool_calls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_message: Option<String>,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<String>,
    /// The scenario limit that stopped the run (`timeout_s`, `max_requests`, `max_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// The model the run used (the key of the price table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// What the run cost in USD, from the price table; absent when the model has no price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Milliseconds from sending the first request to the first output item or delta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<u64>,
    /// Runs before this one that ended in an infrastructure `error` (`--retry-errors`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
    /// The run's workspace, when it was kept (`--keep-workspaces`, or the run did not pass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// The thread's goal at the end of the run (Codex's `goal` object), if one was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<serde_json::Value>,
    /// The sub-agents the run spawned, in spawn order, each with its requests and tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<crate::agents::AgentSummary>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl ResultLine {
    /// A row with only who and what: every count zero, every optional field absent.
    pub fn new(id: &str, repeat: u32, name: &str, file: String, status: Status) -> ResultLine {
        ResultLine {
            id: id.to_string(),
            repeat,
            name: name.to_string(),
            file,
            status,
            error: None,
            checks: Vec::new(),
            usage: UsageSummary::default(),
            requests: 0,
            tool_calls: Vec::new(),
            final_message: None,
            duration_ms: 0,
            rollout: None,
            limit: None,
            model: None,
            cost_usd: None,
            ttft_ms: None,
            retries: 0,
            workspace: None,
            goal: None,
            agents: Vec::new(),
        }
    }

    /// The key a re-run uses to skip finished work.
    pub fn key(&self) -> (String, u32) {
        (self.id.clone(), self.repeat)
    }
}

/// The results file of an `--out` folder.
pub struct ResultsFile {
    file: File,
    path: PathBuf,
}

impl ResultsFile {
    /// Opens (creating) `dir/results.jsonl`, drops a torn last line, and returns what is done.
    pub fn open(dir: &Path) -> Result<(ResultsFile, Vec<ResultLine>), JsonlError> {
        let path = dir.join("results.jsonl");
        let io_error = |source| JsonlError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io_error)?;
        let (done, keep_bytes) = read_results(&path)?;
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        if file.metadata().map_err(io_error)?.len() != keep_bytes {
            file.set_len(keep_bytes).map_err(io_error)?;
        }
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io_error)?;
        Ok((ResultsFile { file, path }, done))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line with a single write.
    pub fn append(&mut self, line: &ResultLine) -> io::Result<()> {
        let mut buf = serde_json::to_vec(line)?;
        buf.push(b'\n');
        self.file.write_all(&buf)
    }
}

/// Reads results, keeping the last line per key; returns them and the length of the whole-line
/// prefix (a torn or unterminated last line is left out of both).
pub fn read_results(path: &Path) -> Result<(Vec<ResultLine>, u64), JsonlError> {
    let lines = match jsonl::read_file::<ResultLine>(path) {
        Ok(lines) => lines,
        Err(e) if e.is_not_found() => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let whole_len = lines.whole_len;
    let mut by_key: BTreeMap<(String, u32), ResultLine> = BTreeMap::new();
    for line in lines.into_whole_values() {
        by_key.insert(line.key(), line);
    }
    Ok((by_key.into_values().collect(), whole_len))
}

/// Where each run's last line is in a results.jsonl, sorted by key (id, repeat): the reports
/// read the rows through it one at a time, so what they hold does not grow with the rows' size.
pub struct ResultsIndex {
    file: Option<File>,
    path: PathBuf,
    entries: Vec<IndexEntry>,
}

struct IndexEntry {
    id: String,
    repeat: u32,
    offset: u64,
    len: usize,
}

/// The part of a line the index needs.
#[derive(Deserialize)]
struct LineKey {
    id: String,
    repeat: u32,
}

impl ResultsIndex {
    /// Indexes `path` (none: empty). A line that is not a result is an error at its line; an
    /// unterminated last line (torn) is left out, as [`read_results`] leaves it.
    pub fn build(path: &Path) -> Result<ResultsIndex, String> {
        use std::io::BufRead;
        let shown = path.display();
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(ResultsIndex {
                    file: None,
                    path: path.to_path_buf(),
                    entries: Vec::new(),
                })
            }
            Err(e) => return Err(format!("{shown}: {e}")),
        };
        let mut reader = io::BufReader::new(&file);
        let (mut entries, mut offset, mut line, mut number) = (Vec::new(), 0u64, Vec::new(), 0);
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| format!("{shown}: {e}"))?;
            number += 1;
            if read == 0 || line.last() != Some(&b'\n') {
                break;
            }
            if !line.iter().all(u8::is_ascii_whitespace) {
                let key: LineKey =
                    serde_json::from_slice(&line).map_err(|e| format!("{shown}:{number}: {e}"))?;
                entries.push(IndexEntry {
                    id: key.id,
                    repeat: key.repeat,
                    offset,
                    len: read,
                });
            }
            offset += read as u64;
        }
        // The last line of a key wins: sorted by key, the latest first, then the rest dropped.
        entries.sort_by(|a, b| {
            (&a.id, a.repeat)
                .cmp(&(&b.id, b.repeat))
                .then(b.offset.cmp(&a.offset))
        });
        entries.dedup_by(|later, first| later.id == first.id && later.repeat == first.repeat);
        Ok(ResultsIndex {
            file: Some(file),
            path: path.to_path_buf(),
            entries,
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reads each indexed row in key order and hands it to `f`.
    pub fn for_each(&self, mut f: impl FnMut(&ResultLine)) -> Result<(), String> {
        use std::os::unix::fs::FileExt;
        let Some(file) = &self.file else {
            return Ok(());
        };
        let mut buf = Vec::new();
        for e in &self.entries {
            buf.resize(e.len, 0);
            file.read_exact_at(&mut buf, e.offset)
                .map_err(|err| format!("{}: {err}", self.path.display()))?;
            let line: ResultLine = serde_json::from_slice(&buf)
                .map_err(|err| format!("{}: {} #{}: {err}", self.path.display(), e.id, e.repeat))?;
            f(&line);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, status: Status) -> ResultLine {
        ResultLine {
            requests: 1,
            duration_ms: 3,
            ..ResultLine::new(id, 0, id, format!("{id}.toml"), status)
        }
    }

    #[test]
    fn torn_last_line_is_dropped_and_appends_continue() {
        let dir = tempfile::tempdir().unwrap();
        let (mut f, done) = ResultsFile::open(dir.path()).unwrap();
        assert!(done.is_empty());
        f.append(&line("a", Status::Pass)).unwrap();
        f.append(&line("b", Status::Fail)).unwrap();
        drop(f);
        let path = dir.path().join("results.jsonl");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"id\":\"c\",\"rep");
        std::fs::write(&path, &text).unwrap();
        let (mut f, done) = ResultsFile::open(dir.path()).unwrap();
        assert_eq!(
            done.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        f.append(&line("c", Status::Pass)).unwrap();
        drop(f);
        let (done, _) = read_results(&path).unwrap();
        assert_eq!(done.len(), 3);
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .all(|l| serde_json::from_str::<ResultLine>(l).is_ok()));
    }

    #[test]
    fn an_unterminated_last_line_is_cut_so_its_scenario_runs_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let a = serde_json::to_string(&line("a", Status::Pass)).unwrap();
        let b = serde_json::to_string(&line("b", Status::Pass)).unwrap();
        std::fs::write(&path, format!("{a}\n{b}")).unwrap();
        let (_, done) = ResultsFile::open(dir.path()).unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{a}\n"));
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let good = serde_json::to_string(&line("a", Status::Pass)).unwrap();
        std::fs::write(&path, format!("{good}\nnot json\n{good}\n")).unwrap();
        let err = read_results(&path).unwrap_err().to_string();
        assert!(err.contains("results.jsonl:2: expected"), "{err}");
    }

    #[test]
    fn the_index_reads_the_last_line_of_each_key_in_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let (mut f, _) = ResultsFile::open(dir.path()).unwrap();
        f.append(&line("b", Status::Error)).unwrap();
        f.append(&line("a", Status::Pass)).unwrap();
        f.append(&line("b", Status::Pass)).unwrap();
        drop(f);
        let path = dir.path().join("results.jsonl");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"id\":\"c\""); // torn: left out
        std::fs::write(&path, text).unwrap();
        let index = ResultsIndex::build(&path).unwrap();
        let mut seen = Vec::new();
        index
            .for_each(|r| seen.push((r.id.clone(), r.status)))
            .unwrap();
        assert_eq!(
            seen,
            [
                ("a".to_string(), Status::Pass),
                ("b".to_string(), Status::Pass)
            ]
        );
        let (all, _) = read_results(&path).unwrap();
        assert_eq!(all.len(), index.len());
        std::fs::write(&path, "{\"id\":\"a\",\"repeat\":0}\nnot json\n").unwrap();
        let e = ResultsIndex::build(&path).err().unwrap();
        assert!(e.contains("results.jsonl:2: "), "{e}");
        assert!(ResultsIndex::build(&dir.path().join("none"))
            .unwrap()
            .is_empty());
    }
}
