//! A file's text as lines that remember their own line ending, so CRLF files stay CRLF.
//!
//! New lines take the file's preferred ending (that of its first line break, LF if it has
//! none). After an update every line ends with a line break, as Codex writes it.

/// A replacement of `old_len` lines at `start` by `new_lines`, in original line numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Replacement {
    pub start: usize,
    pub old_len: usize,
    pub new_lines: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Lf,
    CrLf,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Ending::Lf => "\n",
            Ending::CrLf => "\r\n",
        }
    }
}

#[derive(Debug, Clone)]
struct Line {
    text: String,
    ending: Option<Ending>,
}

/// File contents split into lines with endings.
#[derive(Debug, Clone)]
pub(super) struct TextLines {
    lines: Vec<Line>,
    preferred: Ending,
}

impl TextLines {
    pub fn parse(contents: &str) -> Self {
        let mut lines = Vec::new();
        let mut preferred = None;
        let mut rest = contents;
        while let Some(pos) = rest.find('\n') {
            let raw = &rest[..pos];
            let (text, ending) = match raw.strip_suffix('\r') {
                Some(text) => (text, Ending::CrLf),
                None => (raw, Ending::Lf),
            };
            preferred.get_or_insert(ending);
            lines.push(Line {
                text: text.to_string(),
                ending: Some(ending),
            });
            rest = &rest[pos + 1..];
        }
        if !rest.is_empty() {
            lines.push(Line {
                text: rest.to_string(),
                ending: None,
            });
        }
        TextLines {
            lines,
            preferred: preferred.unwrap_or(Ending::Lf),
        }
    }

    /// The line texts without endings, for matching.
    pub fn texts(&self) -> Vec<String> {
        self.lines.iter().map(|l| l.text.clone()).collect()
    }

    /// Applies sorted, non-overlapping replacements and gives every line an ending.
    /// Returns `None` if the replacements overlap or run past the end.
    pub fn apply(&mut self, replacements: &[Replacement]) -> Option<()> {
        let mut old = std::mem::take(&mut self.lines).into_iter();
        let mut out = Vec::new();
        let mut consumed = 0;
        for r in replacements {
            let keep = r.start.checked_sub(consumed)?;
            for _ in 0..keep {
                out.push(old.next()?);
            }
            for _ in 0..r.old_len {
                old.next()?;
            }
            out.extend(r.new_lines.iter().map(|text| Line {
                text: text.clone(),
                ending: Some(self.preferred),
            }));
            consumed = r.start + r.old_len;
        }
        out.extend(old);
        for line in &mut out {
            line.ending.get_or_insert(self.preferred);
        }
        self.lines = out;
        Some(())
    }

    pub fn into_string(self) -> String {
        let mut s = String::new();
        for line in self.lines {
            s.push_str(&line.text);
            if let Some(ending) = line.ending {
                s.push_str(ending.as_str());
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(start: usize, old_len: usize, new: &[&str]) -> Replacement {
        Replacement {
            start,
            old_len,
            new_lines: new.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn round_trip_keeps_bytes() {
        for s in ["", "a", "a\n", "a\r\nb\n", "a\nb", "\n\n"] {
            assert_eq!(TextLines::parse(s).into_string(), s);
        }
    }

    #[test]
    fn crlf_kept_and_new_lines_use_first_ending() {
        let mut t = TextLines::parse("a\r\nb\nc");
        assert_eq!(t.texts(), vec!["a", "b", "c"]);
        t.apply(&[rep(1, 1, &["B1", "B2"])]).unwrap();
        assert_eq!(t.into_string(), "a\r\nB1\r\nB2\r\nc\r\n");
    }

    #[test]
    fn overlapping_replacements_rejected() {
        let mut t = TextLines::parse("a\nb\nc\n");
        assert!(t.apply(&[rep(1, 2, &[]), rep(2, 1, &[])]).is_none());
        let mut t = TextLines::parse("a\n");
        assert!(t.apply(&[rep(0, 2, &[])]).is_none());
    }
}
