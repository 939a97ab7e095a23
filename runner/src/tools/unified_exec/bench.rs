//! Ignored benchmarks that print a table: the cost of `exec_command` over spawning the shell
//! directly, and peak memory while a command prints 1 GB. Run with
//! `cargo test -p rcodex-runner --release unified_exec::bench -- --ignored --nocapture --test-threads=1`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

const RUNS: usize = 200;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; prints numbers"]
async fn bench_exec_overhead_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ExecConfig::new(dir.path());
    config.login_default = false;
    let m = UnifiedExecManager::new(config);
    let args = || -> ExecCommandArgs { serde_json::from_value(json!({"cmd": "true"})).unwrap() };

    // Warm up both paths.
    for _ in 0..10 {
        m.exec_command(args(), "w".into()).await;
        std::process::Command::new("/bin/bash")
            .args(["-c", "true"])
            .status()
            .unwrap();
    }
    let mut direct = Vec::with_capacity(RUNS);
    let mut via_tool = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        std::process::Command::new("/bin/bash")
            .args(["-c", "true"])
            .status()
            .unwrap();
        direct.push(t.elapsed());
        let t = Instant::now();
        let r = m.exec_command(args(), "b".into()).await;
        via_tool.push(t.elapsed());
        assert_eq!(r.exit_code, Some(0));
    }
    let (d, v) = (median(direct), median(via_tool));
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| `/bin/bash -c true` spawned directly, median of {RUNS} | {:.3} ms |",
        d.as_secs_f64() * 1e3
    );
    println!(
        "| exec_command `true` (bash -c), median of {RUNS} | {:.3} ms |",
        v.as_secs_f64() * 1e3
    );
    println!(
        "| overhead of exec_command | {:.3} ms |",
        (v.as_secs_f64() - d.as_secs_f64()) * 1e3
    );

    let rss_before = status_kib("VmRSS:");
    let peak = Arc::new(AtomicU64::new(rss_before));
    let sampler = tokio::spawn({
        let peak = Arc::clone(&peak);
        async move {
            loop {
                peak.fetch_max(status_kib("VmRSS:"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    });
    let t = Instant::now();
    let r = m
        .exec_command(
            serde_json::from_value(
                json!({"cmd": "yes | head -c 1000000000", "yield_time_ms": 30000}),
            )
            .unwrap(),
            "g".into(),
        )
        .await;
    let elapsed = t.elapsed();
    sampler.abort();
    let peak_sampled = peak.load(Ordering::Relaxed);
    assert_eq!(r.exit_code, Some(0), "1 GB finished within 30 s");
    println!(
        "| 1 GB of output: wall time | {:.2} s ({:.0} MB/s) |",
        elapsed.as_secs_f64(),
        1000.0 / elapsed.as_secs_f64()
    );
    println!(
        "| RSS before / sampled peak during the 1 GB command | {} / {} KiB |",
        rss_before, peak_sampled
    );
    println!(
        "| VmHWM (peak RSS of the whole test process) | {} KiB |",
        status_kib("VmHWM:")
    );
    println!("| text returned to the model | {} bytes |", r.text.len());
    assert!(r.text.contains("Original token count: 250000000"));
}
