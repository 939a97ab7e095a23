//! The end of a batch: junit.xml, summary.txt and the same table on stdout, written from
//! results.jsonl one row at a time through a [`ResultsIndex`] (two passes: the counts the
//! headers need, then the rows). Only each run's key and place are held, so a batch of 10,000
//! scenarios reports in about the memory of a few hundred.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::junit::{self, SuiteCounts};
use super::results::{ResultsIndex, Status};
use super::summary::{self, Tail};

/// Writes the reports of `index` into `out` and the table to `table`; returns the exit status
/// the rows give (0 all pass, 1 any fail, error or timeout).
pub fn write(out: &Path, index: &ResultsIndex, table: &mut dyn Write) -> Result<i32, String> {
    let (mut counts, mut longest, mut bad) = (SuiteCounts::default(), 0, false);
    index.for_each(|r| {
        counts.add(r);
        longest = longest.max(r.id.len());
        bad |= matches!(r.status, Status::Fail | Status::Error | Status::Timeout);
    })?;
    let width = summary::width(if index.is_empty() { 8 } else { longest });
    let create = |name: &str| {
        let path = out.join(name);
        File::create(&path)
            .map(BufWriter::new)
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    let (mut junit_file, mut summary_file) = (create("junit.xml")?, create("summary.txt")?);
    let mut failed: Option<std::io::Error> = None;
    let mut both = |text: &str, junit_text: Option<&str>| {
        let mut write_all = || -> std::io::Result<()> {
            summary_file.write_all(text.as_bytes())?;
            table.write_all(text.as_bytes())?;
            if let Some(j) = junit_text {
                junit_file.write_all(j.as_bytes())?;
            }
            Ok(())
        };
        if failed.is_none() {
            failed = write_all().err();
        }
    };
    both(&summary::header(width), Some(&junit::header(&counts)));
    let mut tail = Tail::default();
    index.for_each(|r| {
        both(&summary::row(r, width), Some(&junit::case(r)));
        tail.add(r);
    })?;
    both(&tail.render(), Some(junit::FOOTER));
    if let Some(e) = failed {
        return Err(format!("{}: {e}", out.display()));
    }
    for (file, name) in [(junit_file, "junit.xml"), (summary_file, "summary.txt")] {
        file.into_inner()
            .map_err(|e| format!("{}: {}", out.join(name).display(), e.error()))?;
    }
    Ok(i32::from(bad))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::results::{ResultLine, ResultsFile};

    #[test]
    fn streamed_reports_equal_the_ones_rendered_from_all_rows() {
        let dir = tempfile::tempdir().unwrap();
        let (mut f, _) = ResultsFile::open(dir.path()).unwrap();
        let row = |id: &str, repeat, status| ResultLine {
            requests: 2,
            duration_ms: 40,
            error: (status == Status::Error).then(|| "setup[0] failed\nits output".to_string()),
            ..ResultLine::new(id, repeat, id, format!("{id}.toml"), status)
        };
        for r in [
            row("tools/b", 0, Status::Fail),
            row("a-long-scenario-id", 1, Status::Pass),
            row("a-long-scenario-id", 0, Status::Error),
            row("tools/b", 0, Status::Pass),
            row("c", 0, Status::Timeout),
        ] {
            f.append(&r).unwrap();
        }
        drop(f);
        let path = dir.path().join("results.jsonl");
        let (all, _) = crate::batch::results::read_results(&path).unwrap();
        let mut shown = Vec::new();
        let code = write(dir.path(), &ResultsIndex::build(&path).unwrap(), &mut shown).unwrap();
        let table = summary::render(&all);
        assert_eq!(String::from_utf8(shown).unwrap(), table);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("summary.txt")).unwrap(),
            table
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("junit.xml")).unwrap(),
            junit::render(&all)
        );
        assert_eq!(code, 1);
        assert!(table.contains("pass@k: 2/3"), "{table}");
    }
}
