//! Benchmark: SSE decode throughput on a 10 MB stream of small `response.output_text.delta`
//! frames fed in 8 KiB chunks; decode only, and decode + event parsing. Best of 5.
//!
//!     cargo run --release -p rcodex-core --example sse_bench

use std::time::Instant;

use rcodex_core::protocol::ResponseEvent;
use rcodex_core::sse::SseDecoder;

fn stream(target: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target + 256);
    let mut i = 0u64;
    while out.len() < target {
        let frame = format!(
            "event: response.output_text.delta\ndata: {{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"token {i} \"}}\n\n"
        );
        out.extend_from_slice(frame.as_bytes());
        i += 1;
    }
    out
}

fn run(bytes: &[u8], parse: bool) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut frames = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let mut d = SseDecoder::new();
        let mut n = 0;
        for chunk in bytes.chunks(8192) {
            d.feed(chunk);
            while let Some(f) = d.next_frame() {
                if parse {
                    let ev = ResponseEvent::from_json(&f.data).expect("valid event");
                    std::hint::black_box(ev);
                }
                n += 1;
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
        frames = n;
    }
    (best, frames)
}

fn main() {
    let bytes = stream(10 * 1024 * 1024);
    let mb = bytes.len() as f64 / (1024.0 * 1024.0);
    println!("| stage | MB | frames | seconds | MB/s |");
    println!("|---|---:|---:|---:|---:|");
    for (name, parse) in [("decode", false), ("decode + parse", true)] {
        let (secs, frames) = run(&bytes, parse);
        println!(
            "| {name} | {mb:.1} | {frames} | {secs:.4} | {:.0} |",
            mb / secs
        );
    }
}
