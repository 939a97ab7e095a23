//! Throughput of the replay reader (`read_recorded`) on large rollouts, per layout generation:
//! each fixture's turns are repeated after its session meta until the file reaches the target
//! size, then the file is read a few times and the best and median rates printed as a table.
//! For today's layout, reference rows show where the time goes: JSON syntax alone, a generic
//! `Value` tree, and the typed lines parsed but not kept.
//!
//! `cargo run --release -p rcodex-runner --example read_recorded_throughput [-- MB [RUNS]]`
//! (default 50 MB, 5 runs). One core: the reader is single-threaded per file.

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rcodex_core::protocol::RolloutLine;
use rcodex_runner::jsonl;
use rcodex_runner::rollout::read_recorded;
use serde::de::IgnoredAny;
use serde_json::Value;

const FIXTURES: [&str; 4] = [
    "codex-0.169.0-shell-resumed.jsonl",
    "codex-0.107.0-shell-resumed.jsonl",
    "codex-0.59.0-shell-resumed.jsonl",
    "codex-0.29.0-shell.jsonl",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/rollouts")
        .join(name)
}

/// The fixture's first line, then its other lines again and again until `target` bytes.
fn grow(name: &str, target: usize, out: &Path) -> usize {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture");
    let (meta, turns) = text.split_once('\n').expect("more than one line");
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).expect("create"));
    writeln!(file, "{meta}").expect("write");
    let mut size = meta.len() + 1;
    while size < target {
        file.write_all(turns.as_bytes()).expect("write");
        size += turns.len();
    }
    file.flush().expect("flush");
    size
}

/// Times `read` `runs` times over `bytes`; returns (lines, best MB/s, median MB/s).
fn rates(bytes: usize, runs: usize, mut read: impl FnMut() -> usize) -> (usize, f64, f64) {
    let mut secs = Vec::new();
    let mut lines = 0;
    for _ in 0..runs {
        let start = Instant::now();
        lines = read();
        secs.push(start.elapsed().as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    let mb = bytes as f64 / 1e6;
    (lines, mb / secs[0], mb / secs[secs.len() / 2])
}

fn row(name: &str, what: &str, (lines, best, median): (usize, f64, f64)) {
    println!("| {name} | {lines} | {what} | {best:.0} | {median:.0} |");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let target_mb: usize = args.next().map_or(50, |a| a.parse().expect("MB"));
    let runs: usize = args.next().map_or(5, |a| a.parse().expect("RUNS"));
    let dir = tempfile::tempdir().expect("tempdir");
    println!(
        "| rollout (grown to {target_mb} MB) | lines | what is timed | best MB/s | median MB/s |"
    );
    println!("|---|---:|---|---:|---:|");
    for name in FIXTURES {
        let path = dir.path().join(name);
        let bytes = grow(name, target_mb * 1_000_000, &path);
        let read = rates(bytes, runs, || {
            let r = read_recorded(&path).expect("reads");
            assert!(r.warnings.is_empty());
            r.lines.len()
        });
        row(name, "read_recorded: file, parse, normalise", read);
        if !name.starts_with("codex-0.169") {
            continue;
        }
        let data = std::fs::read(&path).expect("read");
        let whole = |l: &&[u8]| !l.is_empty();
        let lines = || data.split(|&b| b == b'\n').filter(whole);
        let syntax = rates(bytes, runs, || {
            lines()
                .inspect(|l| {
                    black_box(serde_json::from_slice::<IgnoredAny>(l).expect("json"));
                })
                .count()
        });
        row(name, "reference: JSON syntax only (IgnoredAny)", syntax);
        let tree = rates(bytes, runs, || {
            jsonl::parse::<Value>(&data, "bench")
                .expect("json")
                .records
                .len()
        });
        row(name, "reference: every line as a Value, kept", tree);
        let typed = rates(bytes, runs, || {
            lines()
                .inspect(|l| {
                    black_box(serde_json::from_slice::<RolloutLine>(l).expect("line"));
                })
                .count()
        });
        row(
            name,
            "reference: every line as a RolloutLine, not kept",
            typed,
        );
    }
}
