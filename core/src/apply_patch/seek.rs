//! Finds a run of patch lines inside a file's lines, with Codex's tolerance ladder.
//!
//! Each pass scans every candidate position before the next, looser pass starts: exact,
//! then ignoring trailing whitespace, then ignoring surrounding whitespace, then also folding
//! typographic dashes, quotes and odd spaces to ASCII. With `at_end`, only the position that
//! ends at the last line is tried.

/// Returns the first index `i >= start` where `pattern` matches `lines[i..]`, or `None`.
///
/// An empty pattern matches at `start`. With `at_end`, the only candidate is
/// `lines.len() - pattern.len()`, and it must not lie before `start`.
pub fn seek_sequence(
    lines: &[String],
    pattern: &[String],
    start: usize,
    at_end: bool,
) -> Option<usize> {
    if pattern.is_empty() {
        return Some(start);
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let last = lines.len() - pattern.len();
    let first = if at_end { last } else { start };
    if first > last || first < start {
        return None;
    }
    let passes: [fn(&str, &str) -> bool; 4] = [
        |a, b| a == b,
        |a, b| a.trim_end() == b.trim_end(),
        |a, b| a.trim() == b.trim(),
        |a, b| folded(a).eq(folded(b)),
    ];
    passes.iter().find_map(|same| {
        (first..=last).find(|&i| {
            lines[i..i + pattern.len()]
                .iter()
                .zip(pattern)
                .all(|(line, pat)| same(line, pat))
        })
    })
}

/// The trimmed text with look-alike punctuation mapped to ASCII.
fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
    s.trim().chars().map(|c| match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{2018}'..='\u{201B}' => '\'',
        '\u{201C}'..='\u{201F}' => '"',
        '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::seek_sequence;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_match() {
        assert_eq!(
            seek_sequence(&v(&["foo", "bar", "baz"]), &v(&["bar", "baz"]), 0, false),
            Some(1)
        );
    }

    #[test]
    fn exact_beats_earlier_fuzzy_match() {
        let lines = v(&["x  ", "x"]);
        assert_eq!(seek_sequence(&lines, &v(&["x"]), 0, false), Some(1));
    }

    #[test]
    fn trailing_whitespace_ignored() {
        assert_eq!(
            seek_sequence(&v(&["foo   ", "bar\t\t"]), &v(&["foo", "bar"]), 0, false),
            Some(0)
        );
    }

    #[test]
    fn surrounding_whitespace_ignored() {
        assert_eq!(
            seek_sequence(
                &v(&["    foo   ", "   bar\t"]),
                &v(&["foo", "bar"]),
                0,
                false
            ),
            Some(0)
        );
    }

    #[test]
    fn unicode_punctuation_folded() {
        let lines = v(&["import asyncio  # local import \u{2013} avoids top\u{2011}level dep"]);
        let pattern = v(&["import asyncio  # local import - avoids top-level dep"]);
        assert_eq!(seek_sequence(&lines, &pattern, 0, false), Some(0));
    }

    #[test]
    fn respects_start_and_length() {
        assert_eq!(
            seek_sequence(&v(&["a", "b", "a"]), &v(&["a"]), 1, false),
            Some(2)
        );
        assert_eq!(
            seek_sequence(&v(&["one"]), &v(&["too", "many"]), 0, false),
            None
        );
        assert_eq!(seek_sequence(&v(&["a"]), &v(&["a"]), 5, false), None);
        assert_eq!(seek_sequence(&v(&["a"]), &[], 3, false), Some(3));
    }

    #[test]
    fn at_end_only_tries_the_tail() {
        let lines = v(&["a", "b", "a"]);
        assert_eq!(seek_sequence(&lines, &v(&["a"]), 0, true), Some(2));
        assert_eq!(seek_sequence(&lines, &v(&["b"]), 0, true), None);
        assert_eq!(seek_sequence(&lines, &v(&["a"]), 3, true), None);
    }
}
