//! Waiting for piped stdin without hanging: with a prompt on argv, `exec` gives a non-TTY stdin a
//! short grace period to deliver its first byte (or EOF) before going on without it. A pipe that
//! never closes (a CI runner's stdin, `sleep 60 |`) no longer blocks the run forever.

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// How long `exec "PROMPT"` waits for piped stdin's first byte. Measured with
/// `bench/stdin_first_byte.sh` on a 2-core machine under load 9: `echo`, `cat` of 1 MB, `git
/// diff`, `git log -p` and `git status` deliver within 25 ms; `jq` within 91 ms; `node -e`
/// within 150 ms median, 275 ms p95; Python started through a pyenv shim takes 270-360 ms (pass
/// `--stdin` for producers that slow).
pub const STDIN_GRACE: Duration = Duration::from_millis(250);

/// Whether stdin has data or is at EOF within `limit`. Waits with `poll(2)` on fd 0, so nothing
/// spins; an interrupted wait resumes with the time left.
pub fn stdin_ready_within(stdin: &std::io::Stdin, limit: Duration) -> std::io::Result<bool> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut fd = libc::pollfd {
            fd: stdin.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let timeout_ms = left.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd, its count is 1.
        let n = unsafe { libc::poll(&mut fd, 1, timeout_ms) };
        if n > 0 {
            // POLLIN (data), POLLHUP (writer gone: EOF) or POLLERR/POLLNVAL: a read tells which.
            return Ok(true);
        }
        if n == 0 {
            return Ok(false);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}
