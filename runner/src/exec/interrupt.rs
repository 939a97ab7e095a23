//! Ctrl-C during `exec`: the first one interrupts the turn (the machine records the abort and the
//! run exits 130); a second one while shutting down exits 130 at once.

/// Exit status of an `exec` run ended by Ctrl-C (SIGINT), as a shell reports a death by SIGINT.
pub const INTERRUPTED_EXIT_CODE: i32 = 130;

/// Resolves on the first Ctrl-C, after arming the second: from then on another Ctrl-C ends the
/// process with [`INTERRUPTED_EXIT_CODE`] without waiting for the shutdown to finish.
pub async fn first_ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handler could be installed: never interrupt rather than interrupt at once.
        std::future::pending::<()>().await;
    }
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("rcodex: interrupted again; exiting without waiting");
            std::process::exit(INTERRUPTED_EXIT_CODE);
        }
    });
}
