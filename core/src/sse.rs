//! Incremental Server-Sent Events frame decoder (pure; the runner feeds it bytes).
//!
//! Linear in the bytes fed: each byte is scanned once (a scan offset survives across feeds) and
//! consumed bytes are dropped in bulk. Lines may end in `\n`, `\r\n` or `\r`, split anywhere,
//! including inside a UTF-8 character. Per the SSE spec an event is dispatched at a blank line;
//! a last event without its terminating blank line is never dispatched: when the stream ends
//! it is discarded, as the SSE standard says and as Codex 0.169 does, so a stream cut mid-event
//! never yields a half-received event.

use std::collections::VecDeque;

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseFrame {
    /// The `event:` field, when the event had one (the Responses API repeats the `type` here).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n` (the JSON payload for the Responses API).
    pub data: String,
    /// The `id:` field of this event, when it had one.
    pub id: Option<String>,
    /// The `retry:` field in milliseconds, when the server sent a valid one.
    pub retry: Option<u64>,
}

/// The decoder state.
#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    /// Start of the first unconsumed line in `buf`.
    start: usize,
    /// Bytes before this offset (from `start`) are known to hold no line end.
    scanned: usize,
    /// The previous line ended in `\r`: a leading `\n` belongs to it.
    skip_lf: bool,
    current: SseFrame,
    has_data: bool,
    ready: VecDeque<SseFrame>,
}

impl SseDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        SseDecoder::default()
    }

    /// Adds bytes; complete events become available from [`SseDecoder::next_frame`].
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        self.scan();
    }

    fn scan(&mut self) {
        loop {
            if self.skip_lf && self.start < self.buf.len() {
                if self.buf[self.start] == b'\n' {
                    self.start += 1;
                }
                self.skip_lf = false;
                self.scanned = self.scanned.max(self.start);
            }
            let from = self.scanned.max(self.start);
            let Some(rel) = self.buf[from..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
            else {
                self.scanned = self.buf.len();
                return;
            };
            let end = from + rel;
            let line = String::from_utf8_lossy(&self.buf[self.start..end]).into_owned();
            if self.buf[end] == b'\r' {
                self.skip_lf = true;
            }
            self.start = end + 1;
            self.scanned = self.start;
            self.line(&line);
        }
    }

    fn line(&mut self, line: &str) {
        if line.is_empty() {
            self.dispatch();
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line, ""),
        };
        match field {
            "event" => self.current.event = Some(value.to_string()),
            "data" => {
                if self.has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.current.id = Some(value.to_string()),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    self.current.retry = Some(ms);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        let frame = std::mem::take(&mut self.current);
        if self.has_data || frame.event.is_some() {
            self.ready.push_back(frame);
        }
        self.has_data = false;
    }

    /// The next complete event, if any.
    pub fn next_frame(&mut self) -> Option<SseFrame> {
        self.ready.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(chunks: &[&[u8]]) -> Vec<SseFrame> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c);
            while let Some(f) = d.next_frame() {
                out.push(f);
            }
        }
        out
    }

    #[test]
    fn decodes_events_data_and_comments() {
        let s = b": hi\nevent: response.created\ndata: {\"a\":1}\n\ndata: x\ndata: y\r\n\r\nid: 7\nretry: 30\ndata:z\r\r";
        let frames = decode_all(&[s]);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].event.as_deref(), Some("response.created"));
        assert_eq!(frames[0].data, "{\"a\":1}");
        assert_eq!(frames[1].data, "x\ny");
        assert_eq!(frames[2].id.as_deref(), Some("7"));
        assert_eq!(frames[2].retry, Some(30));
        assert_eq!(frames[2].data, "z");
    }

    #[test]
    fn utf8_split_across_chunks_survives() {
        let s = "data: héllo ✓\n\n".as_bytes();
        let at = s.iter().position(|&b| b == 0xc3).unwrap() + 1;
        let frames = decode_all(&[&s[..at], &s[at..]]);
        assert_eq!(frames[0].data, "héllo ✓");
    }

    #[test]
    fn last_event_without_its_blank_line_is_discarded() {
        let frames = decode_all(&[b"data: first\n\nevent: response.completed\ndata: last\n"]);
        assert_eq!(frames.len(), 1, "only the terminated event: {frames:?}");
        assert_eq!(frames[0].data, "first");
        let frames = decode_all(&[b"data: first\n\ndata: last"]);
        assert_eq!(
            frames.len(),
            1,
            "a last line without its end too: {frames:?}"
        );
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_frames(
            events in proptest::collection::vec(("[a-z.]{0,12}", "[ -~é✓]{0,40}", 0usize..3), 0..20),
            cuts in proptest::collection::vec(0usize..2000, 0..12),
        ) {
            let mut stream = Vec::new();
            for (ev, data, ending) in &events {
                let nl = ["\n", "\r\n", "\r"][*ending];
                if !ev.is_empty() {
                    stream.extend_from_slice(format!("event: {ev}{nl}").as_bytes());
                }
                stream.extend_from_slice(format!("data: {data}{nl}{nl}").as_bytes());
            }
            let whole = decode_all(&[&stream]);
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
            points.sort_unstable();
            let mut chunks = Vec::new();
            let mut prev = 0;
            for p in points {
                chunks.push(&stream[prev..p]);
                prev = p;
            }
            chunks.push(&stream[prev..]);
            prop_assert_eq!(decode_all(&chunks), whole.clone());
            prop_assert_eq!(whole.len(), events.len());
        }
    }
}
