//! A byte buffer with a hard cap: it keeps the first half of the cap (head), a ring of the last
//! half (tail) and counts everything else, so a command that prints gigabytes costs a bounded
//! amount of memory while the model still sees how it started and how it ended.

use std::collections::VecDeque;

use rcodex_core::truncation::SplicedText;

/// Capped output: `head`, then `omitted` bytes, then `tail`.
#[derive(Debug, Clone)]
pub struct OutputBuffer {
    head_cap: usize,
    tail_cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    omitted: usize,
    newlines: usize,
    last_byte: Option<u8>,
}

/// Owned, UTF-8 (lossy) form of an [`OutputBuffer`], ready for truncation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputText {
    /// Start of the output.
    pub head: String,
    /// Bytes between head and tail that were not kept.
    pub omitted_bytes: usize,
    /// End of the output.
    pub tail: String,
    /// Lines in the whole output, as `str::lines` counts them.
    pub total_lines: usize,
}

impl OutputText {
    /// The view the pure truncation functions take.
    pub fn spliced(&self) -> SplicedText<'_> {
        SplicedText {
            head: &self.head,
            omitted_bytes: self.omitted_bytes,
            tail: &self.tail,
            total_lines: self.total_lines,
        }
    }

    /// Total byte length of the original output.
    pub fn total_bytes(&self) -> usize {
        self.head.len() + self.omitted_bytes + self.tail.len()
    }

    /// Head and tail joined, with Codex's `... N bytes omitted ...` line between them when
    /// something was dropped.
    pub fn joined_with_marker(&self) -> String {
        if self.omitted_bytes == 0 {
            return format!("{}{}", self.head, self.tail);
        }
        format!(
            "{}\n... {} bytes omitted ...\n{}",
            self.head, self.omitted_bytes, self.tail
        )
    }
}

impl OutputBuffer {
    /// An empty buffer keeping at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        let head_cap = cap / 2;
        OutputBuffer {
            head_cap,
            tail_cap: cap - head_cap,
            head: Vec::new(),
            tail: VecDeque::new(),
            omitted: 0,
            newlines: 0,
            last_byte: None,
        }
    }

    /// Appends bytes: first into the head until it is full, then into the tail ring.
    pub fn push(&mut self, mut bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.newlines += bytes.iter().filter(|b| **b == b'\n').count();
        self.last_byte = bytes.last().copied();
        if self.omitted == 0 && self.tail.is_empty() {
            let room = self.head_cap - self.head.len();
            let n = room.min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.len() >= self.tail_cap {
            self.omitted += self.tail.len() + bytes.len() - self.tail_cap;
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - self.tail_cap..]);
            return;
        }
        self.tail.extend(bytes);
        let excess = self.tail.len().saturating_sub(self.tail_cap);
        if excess > 0 {
            self.tail.drain(..excess);
            self.omitted += excess;
        }
    }

    /// Bytes pushed so far, kept or not.
    #[cfg(test)]
    pub fn total_bytes(&self) -> usize {
        self.head.len() + self.omitted + self.tail.len()
    }

    /// Bytes currently held in memory.
    #[cfg(test)]
    pub fn retained_bytes(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// The raw head and tail bytes.
    #[cfg(test)]
    pub fn raw(&self) -> (Vec<u8>, Vec<u8>) {
        (self.head.clone(), self.tail.iter().copied().collect())
    }

    /// Takes the contents out, leaving an empty buffer with the same cap.
    pub fn take(&mut self) -> OutputBuffer {
        let empty = OutputBuffer::new(self.head_cap + self.tail_cap);
        std::mem::replace(self, empty)
    }

    /// The contents as text. Bytes that are not UTF-8 become U+FFFD; a char cut in two by the
    /// gap is counted as omitted rather than shown as garbage.
    pub fn to_text(&self) -> OutputText {
        let total_lines = match self.last_byte {
            None => 0,
            Some(b'\n') => self.newlines,
            Some(_) => self.newlines + 1,
        };
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        if self.omitted == 0 {
            let mut all = self.head.clone();
            all.extend_from_slice(&tail);
            return OutputText {
                head: String::from_utf8_lossy(&all).into_owned(),
                omitted_bytes: 0,
                tail: String::new(),
                total_lines,
            };
        }
        let head_end = complete_prefix_len(&self.head);
        let tail_start = tail
            .iter()
            .take(3)
            .take_while(|b| is_continuation(**b))
            .count();
        OutputText {
            head: String::from_utf8_lossy(&self.head[..head_end]).into_owned(),
            omitted_bytes: self.omitted + (self.head.len() - head_end) + tail_start,
            tail: String::from_utf8_lossy(&tail[tail_start..]).into_owned(),
            total_lines,
        }
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Length of `bytes` without a trailing, incomplete UTF-8 sequence.
fn complete_prefix_len(bytes: &[u8]) -> usize {
    let len = bytes.len();
    // Find the start of the last char (at most 3 continuation bytes back).
    let mut i = len;
    let mut seen = 0;
    while i > 0 && seen < 4 {
        i -= 1;
        seen += 1;
        let b = bytes[i];
        if !is_continuation(b) {
            let want = match b {
                0x00..=0x7F => 1,
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => return len,
            };
            return if len - i < want { i } else { len };
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_output_is_kept_whole() {
        let mut b = OutputBuffer::new(16);
        b.push(b"hello\n");
        b.push(b"world");
        let t = b.to_text();
        assert_eq!(t.head, "hello\nworld");
        assert_eq!(t.omitted_bytes, 0);
        assert_eq!(t.total_lines, 2);
        assert_eq!(b.total_bytes(), 11);
    }

    #[test]
    fn overflow_keeps_head_and_latest_tail() {
        let mut b = OutputBuffer::new(8);
        for chunk in [&b"abc"[..], b"defg", b"hijklmn", b"op"] {
            b.push(chunk);
        }
        let t = b.to_text();
        assert_eq!(t.head, "abcd");
        assert_eq!(t.tail, "mnop");
        assert_eq!(t.omitted_bytes, 8);
        assert_eq!(b.total_bytes(), 16);
        assert_eq!(b.retained_bytes(), 8);
        assert_eq!(
            t.joined_with_marker(),
            "abcd\n... 8 bytes omitted ...\nmnop"
        );
    }

    #[test]
    fn one_huge_chunk() {
        let mut b = OutputBuffer::new(10);
        b.push(&[b'x'; 1000]);
        b.push(b"\nend");
        let t = b.to_text();
        assert_eq!(t.head, "xxxxx");
        assert_eq!(t.tail, "x\nend");
        assert_eq!(t.total_bytes(), 1004);
        assert_eq!(t.total_lines, 2);
    }

    #[test]
    fn chars_cut_by_the_gap_are_omitted() {
        let mut b = OutputBuffer::new(8);
        // 'é' is 2 bytes; the head (4 bytes) ends inside the second one.
        b.push("aéé".as_bytes());
        b.push(&[b'-'; 20]);
        b.push("ééz".as_bytes());
        let t = b.to_text();
        assert_eq!(t.head, "aé");
        // Tail keeps the last 4 bytes: the second byte of the first 'é', 'é', 'z'.
        assert_eq!(t.tail, "éz");
        assert_eq!(t.total_bytes(), b.total_bytes());
    }

    #[test]
    fn take_resets() {
        let mut b = OutputBuffer::new(8);
        b.push(b"abcdefghij");
        let taken = b.take();
        assert_eq!(taken.total_bytes(), 10);
        assert_eq!(b.total_bytes(), 0);
        b.push(b"xy");
        assert_eq!(b.to_text().head, "xy");
    }

    proptest::proptest! {
        #[test]
        fn keeps_exact_head_and_tail(
            chunks in proptest::collection::vec(proptest::collection::vec(0u8..=255, 0..50), 0..20),
            cap in 0usize..64,
        ) {
            let all: Vec<u8> = chunks.concat();
            let mut b = OutputBuffer::new(cap);
            for chunk in &chunks {
                b.push(chunk);
            }
            proptest::prop_assert_eq!(b.total_bytes(), all.len());
            proptest::prop_assert!(b.retained_bytes() <= cap);
            let (head, tail) = b.raw();
            if all.len() <= cap {
                proptest::prop_assert_eq!([head, tail].concat(), all.clone());
            } else {
                proptest::prop_assert_eq!(&head[..], &all[..cap / 2]);
                proptest::prop_assert_eq!(&tail[..], &all[all.len() - (cap - cap / 2)..]);
            }
            let text = b.to_text();
            proptest::prop_assert_eq!(text.total_bytes() >= all.len(), true);
            proptest::prop_assert_eq!(text.total_lines, String::from_utf8_lossy(&all).lines().count());
        }
    }

    #[test]
    fn complete_prefix() {
        assert_eq!(complete_prefix_len(b"ab"), 2);
        assert_eq!(complete_prefix_len("é".as_bytes()), 2);
        assert_eq!(complete_prefix_len(&"é".as_bytes()[..1]), 0);
        assert_eq!(complete_prefix_len(&"😀".as_bytes()[..3]), 0);
        assert_eq!(complete_prefix_len(b""), 0);
    }
}
