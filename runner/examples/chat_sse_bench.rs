//! Benchmark: chat-completions stream decoding (`wire_api = "chat"`) on a 10 MB stream of small
//! `content` deltas, and on one of tool-call argument pieces of two calls interleaved by index,
//! fed in 8 KiB chunks: SSE framing plus the chat adapter's mapping to Responses events, one
//! core. Best of 5. Beside it, the same framing of the Responses stream `sse_bench` decodes.
//!
//!     cargo run --release -p rcodex-runner --example chat_sse_bench

use std::collections::BTreeSet;
use std::time::Instant;

use rcodex_core::sse::SseDecoder;
use rcodex_runner::client::chat::ChatStreamDecoder;

fn stream(target: usize, calls: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(target + 256);
    let mut i = 0u64;
    while out.len() < target {
        let frame = if calls {
            format!(
                "data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":{},\"function\":{{\"arguments\":\"token {i} \"}}}}]}},\"finish_reason\":null}}]}}\n\n",
                i % 2
            )
        } else {
            format!(
                "data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"token {i} \"}},\"finish_reason\":null}}]}}\n\n"
            )
        };
        out.extend_from_slice(frame.as_bytes());
        i += 1;
    }
    out.extend_from_slice(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
    out
}

fn run(bytes: &[u8]) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut events = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let mut sse = SseDecoder::new();
        let mut chat = ChatStreamDecoder::new(1, BTreeSet::new());
        let mut n = 0;
        for chunk in bytes.chunks(8192) {
            sse.feed(chunk);
            while let Some(f) = sse.next_frame() {
                let evs = chat.push(&f.data).expect("valid chunk");
                n += evs.len();
                std::hint::black_box(evs);
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
        events = n;
    }
    (best, events)
}

fn main() {
    println!("| chat stream | MB | events out | seconds | MB/s |");
    println!("|---|---:|---:|---:|---:|");
    for (name, calls) in [
        ("content deltas", false),
        ("two interleaved calls' argument pieces", true),
    ] {
        let bytes = stream(10 * 1024 * 1024, calls);
        let mb = bytes.len() as f64 / (1024.0 * 1024.0);
        let (secs, events) = run(&bytes);
        println!(
            "| {name} | {mb:.1} | {events} | {secs:.4} | {:.0} |",
            mb / secs
        );
    }
}
