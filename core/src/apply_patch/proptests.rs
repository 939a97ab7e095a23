//! Property tests: random files with random edits encoded as patches must apply to exactly
//! the expected text; corrupted patches and random input must error, never panic.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::{compute_changes, parse_patch, FileChangeKind};

/// One intended edit: at `start` remove `remove` lines and insert `insert`, showing
/// `before`/`after` lines of context.
#[derive(Debug, Clone)]
struct Edit {
    start: usize,
    remove: usize,
    insert: Vec<String>,
    before: usize,
    after: usize,
    use_header: bool,
    mark_eof: bool,
}

#[derive(Debug, Clone)]
struct Case {
    lines: Vec<String>,
    crlf: bool,
    trailing_newline: bool,
    edits: Vec<Edit>,
}

fn line_text() -> impl Strategy<Value = String> {
    // Leading/trailing blanks and a typographic dash make the fuzzy passes relevant.
    "[ ]{0,2}[a-z\u{2013}]{0,5}[ \t]{0,2}"
}

fn case() -> impl Strategy<Value = Case> {
    let lines = prop::collection::vec(line_text(), 1..25).prop_map(|texts| {
        texts
            .into_iter()
            .enumerate()
            .map(|(i, t)| format!("{t}#{i}"))
            .collect::<Vec<_>>()
    });
    let edit = (
        0usize..30,
        0usize..4,
        prop::collection::vec("[a-z +*@-]{0,8}", 0..4),
        0usize..3,
        0usize..3,
        any::<bool>(),
        any::<bool>(),
    );
    (
        lines,
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(edit, 0..5),
    )
        .prop_map(|(lines, crlf, trailing_newline, raw)| {
            let n = lines.len();
            let mut starts: Vec<_> = raw
                .into_iter()
                .map(
                    |(s, remove, insert, before, after, use_header, mark_eof)| Edit {
                        start: s % (n + 1),
                        remove,
                        insert: insert
                            .into_iter()
                            .enumerate()
                            .map(|(k, t)| format!("new {t} {k}"))
                            .collect(),
                        before,
                        after,
                        use_header,
                        mark_eof,
                    },
                )
                .collect();
            starts.sort_by_key(|e| e.start);
            // Keep edits whose spans (context included) do not overlap and name some old line.
            let mut edits: Vec<Edit> = Vec::new();
            let mut span_end = 0;
            for mut e in starts {
                e.remove = e.remove.min(n - e.start.min(n));
                e.before = e.before.min(e.start - span_end.min(e.start));
                if e.start < span_end {
                    continue;
                }
                e.after = e.after.min(n - e.start - e.remove);
                if e.before + e.remove + e.after == 0 {
                    if e.start + e.remove < n {
                        e.after = 1;
                    } else if e.start > span_end {
                        e.before = 1;
                    } else {
                        continue;
                    }
                }
                span_end = e.start + e.remove + e.after;
                edits.push(e);
            }
            Case {
                lines,
                crlf,
                trailing_newline,
                edits,
            }
        })
}

impl Case {
    fn file_text(&self) -> String {
        let nl = if self.crlf { "\r\n" } else { "\n" };
        let mut s = self.lines.join(nl);
        if self.trailing_newline {
            s.push_str(nl);
        }
        s
    }

    fn patch_text(&self) -> String {
        let mut p = String::from("*** Begin Patch\n*** Update File: f.txt\n");
        let mut prev_end = 0;
        for e in &self.edits {
            let span_start = e.start - e.before;
            // A header names a line between the previous span and this one, if there is one.
            if e.use_header && span_start > prev_end {
                p.push_str(&format!("@@ {}\n", self.lines[span_start - 1]));
            } else {
                p.push_str("@@\n");
            }
            for l in &self.lines[span_start..e.start] {
                p.push_str(&format!(" {l}\n"));
            }
            for l in &self.lines[e.start..e.start + e.remove] {
                p.push_str(&format!("-{l}\n"));
            }
            for l in &e.insert {
                p.push_str(&format!("+{l}\n"));
            }
            let end = e.start + e.remove + e.after;
            for l in &self.lines[e.start + e.remove..end] {
                p.push_str(&format!(" {l}\n"));
            }
            if e.mark_eof && end == self.lines.len() {
                p.push_str("*** End of File\n");
            }
            prev_end = end;
        }
        p.push_str("*** End Patch\n");
        p
    }

    fn expected(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut i = 0;
        for e in &self.edits {
            out.extend_from_slice(&self.lines[i..e.start]);
            out.extend(e.insert.iter().cloned());
            i = e.start + e.remove;
        }
        out.extend_from_slice(&self.lines[i..]);
        let has_break = self.lines.len() > 1 || self.trailing_newline;
        let nl = if self.crlf && has_break { "\r\n" } else { "\n" };
        out.iter().map(|l| format!("{l}{nl}")).collect()
    }
}

fn apply(patch: &str, file: &str) -> Result<String, String> {
    let patch = parse_patch(patch).map_err(|e| e.to_string())?;
    let cwd = Path::new("/w");
    let files: HashMap<PathBuf, Vec<u8>> =
        HashMap::from([(cwd.join("f.txt"), file.as_bytes().to_vec())]);
    let changes = compute_changes(&patch, cwd, &mut |p: &Path| {
        files
            .get(p)
            .cloned()
            .ok_or_else(|| io::Error::from_raw_os_error(2))
    })
    .map_err(|e| e.to_string())?;
    match changes.last().map(|c| &c.kind) {
        Some(FileChangeKind::Update { new_content, .. }) => Ok(new_content.clone()),
        Some(FileChangeKind::Add { content }) => Ok(content.clone()),
        _ => Ok(String::new()),
    }
}

#[derive(Debug, Clone)]
enum Corruption {
    DropLine(usize),
    DuplicateLine(usize),
    ReplaceFirstChar(usize, char),
    InsertLine(usize, String),
    Truncate(usize),
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        any::<usize>().prop_map(Corruption::DropLine),
        any::<usize>().prop_map(Corruption::DuplicateLine),
        (
            any::<usize>(),
            prop::sample::select(vec![' ', '+', '-', '@', '*', 'x', '\t'])
        )
            .prop_map(|(i, c)| Corruption::ReplaceFirstChar(i, c)),
        (any::<usize>(), ".{0,20}").prop_map(|(i, s)| Corruption::InsertLine(i, s)),
        any::<usize>().prop_map(Corruption::Truncate),
    ]
}

fn corrupt(patch: &str, how: &Corruption) -> String {
    let mut lines: Vec<String> = patch.lines().map(str::to_string).collect();
    let n = lines.len().max(1);
    match how {
        Corruption::DropLine(i) => {
            if !lines.is_empty() {
                lines.remove(i % n);
            }
        }
        Corruption::DuplicateLine(i) => {
            if !lines.is_empty() {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
        }
        Corruption::ReplaceFirstChar(i, c) => {
            if let Some(line) = lines.get_mut(i % n) {
                let rest: String = line.chars().skip(1).collect();
                *line = format!("{c}{rest}");
            }
        }
        Corruption::InsertLine(i, s) => lines.insert(i % (lines.len() + 1), s.clone()),
        Corruption::Truncate(i) => lines.truncate(i % n),
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_patches_apply_exactly(case in case()) {
        let got = apply(&case.patch_text(), &case.file_text());
        if case.edits.is_empty() {
            // An update without chunks is a parse error, as in Codex.
            prop_assert!(got.is_err());
        } else {
            prop_assert_eq!(got, Ok(case.expected()), "patch:\n{}", case.patch_text());
        }
    }

    #[test]
    fn corrupted_patches_never_panic(case in case(), how in prop::collection::vec(corruption(), 1..4)) {
        let mut patch = case.patch_text();
        for c in &how {
            patch = corrupt(&patch, c);
        }
        let _ = apply(&patch, &case.file_text());
    }

    #[test]
    fn changed_files_never_panic(case in case(), victim in any::<usize>(), text in line_text()) {
        let mut changed = case.clone();
        let i = victim % changed.lines.len();
        changed.lines[i] = text;
        let _ = apply(&case.patch_text(), &changed.file_text());
    }

    #[test]
    fn arbitrary_text_never_panics(body in prop::collection::vec("[ +*@-]?.{0,12}", 0..12)) {
        let text = format!("*** Begin Patch\n{}\n*** End Patch", body.join("\n"));
        let _ = apply(&text, "a\nb\n");
        let _ = parse_patch(&body.join("\n"));
    }
}
