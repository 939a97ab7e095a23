//! Ctrl-C during `exec`: the first one interrupts the turn (the machine records the abort and the
//! run exits 130); a second one while shutting down exits 130 at once.

use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};

/// Exit status of an `exec` run ended by Ctrl-C (SIGINT), as a shell reports a death by SIGINT.
pub const INTERRUPTED_EXIT_CODE: i32 = 130;

/// Resolves on the first Ctrl-C, after arming the second: from then on another Ctrl-C ends the
/// process with [`INTERRUPTED_EXIT_CODE`] without waiting for the shutdown to finish. The second
/// listener is registered before this returns, so no SIGINT after the first can slip past it.
pub async fn first_ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handler could be installed: never interrupt rather than interrupt at once.
        std::future::pending::<()>().await;
    }
    if let Ok(mut again) = signal(SignalKind::interrupt()) {
        tokio::spawn(async move {
            if again.recv().await.is_some() {
                eprintln!("rcodex: interrupted again; exiting without waiting");
                std::process::exit(INTERRUPTED_EXIT_CODE);
            }
        });
    }
}

/// Test-only: with `RCODEX_TEST_SHUTDOWN_PAUSE_MS=N` in the environment, an interrupted run
/// waits N ms before exiting, so a test can send the second Ctrl-C during a shutdown that is
/// still going on. Inert otherwise; documented nowhere else.
pub async fn test_shutdown_pause() {
    let pause = std::env::var("RCODEX_TEST_SHUTDOWN_PAUSE_MS")
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok());
    if let Some(ms) = pause {
        eprintln!("rcodex: shutting down (test pause {ms} ms)");
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}
