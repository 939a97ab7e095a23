//! One running command: spawned in its own session and process group (setsid), stdout and stderr
//! on one pipe (or a real PTY with `tty: true`), a task pumping output into capped buffers, a
//! task waiting for the exit code, and SIGKILL to the whole group to end it.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::unix::AsyncFd;
use tokio::process::{Child, Command};
use tokio::sync::Notify;

use super::output_buffer::{OutputBuffer, OutputText};

/// Longest a write into a terminal may block (the process is not reading).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes read from the pipe or PTY at a time.
const READ_CHUNK: usize = 64 * 1024;

/// What to start.
pub struct SpawnRequest<'a> {
    /// Program and arguments.
    pub argv: &'a [String],
    /// Working directory.
    pub cwd: &'a Path,
    /// Variables set on top of the inherited environment, in order.
    pub env: Vec<(&'a str, &'a str)>,
    /// Variables set after `env` (a shell snapshot's), in order.
    pub env_after: &'a [(std::ffi::OsString, std::ffi::OsString)],
    /// Variables removed last (a shell snapshot's).
    pub env_remove: &'a [std::ffi::OsString],
    /// Use a pseudo-terminal for stdin, stdout and stderr.
    pub tty: bool,
    /// Output cap in bytes, per buffer.
    pub output_cap_bytes: usize,
    /// Kill the group after this long.
    pub hard_timeout: Option<Duration>,
    /// Landlock ruleset the child confines itself with before exec.
    pub sandbox: Option<Arc<crate::tools::landlock::Ruleset>>,
}

/// A started command. Dropping it kills its process group.
pub struct Process {
    pgid: libc::pid_t,
    tty: bool,
    terminal: Option<Arc<AsyncFd<OwnedFd>>>,
    shared: Arc<Shared>,
    killed: AtomicBool,
}

/// State shared with the output pump and the exit watcher.
struct Shared {
    state: Mutex<State>,
    /// Fires when the process exits or its output closes.
    status_changed: Notify,
}

struct State {
    /// Output not yet returned by a tool call.
    pending: OutputBuffer,
    /// All output since the start (capped), for `aggregated_output`.
    transcript: OutputBuffer,
    /// The pipe or PTY reached EOF: nobody holds the write side any more.
    closed: bool,
    exit_code: Option<i32>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Process {
    /// Starts `req.argv` in a new session and process group.
    pub fn spawn(req: &SpawnRequest<'_>) -> io::Result<Process> {
        let program = req
            .argv
            .first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command line"))?;
        let mut cmd = Command::new(program);
        cmd.args(&req.argv[1..]).current_dir(req.cwd);
        for (key, value) in &req.env {
            cmd.env(key, value);
        }
        for (key, value) in req.env_after {
            cmd.env(key, value);
        }
        for key in req.env_remove {
            cmd.env_remove(key);
        }
        let (reader, terminal) = if req.tty {
            let (master, slave) = open_pty()?;
            cmd.stdin(Stdio::from(slave.try_clone()?))
                .stdout(Stdio::from(slave.try_clone()?))
                .stderr(Stdio::from(slave));
            let sandbox = req.sandbox.clone();
            // SAFETY: only async-signal-safe calls (setsid, ioctl, prctl, landlock) run between
            // fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    if libc::setsid() == -1 {
                        return Err(io::Error::last_os_error());
                    }
                    if libc::ioctl(0, libc::TIOCSCTTY as _, 0) == -1 {
                        return Err(io::Error::last_os_error());
                    }
                    if let Some(ruleset) = &sandbox {
                        ruleset.restrict_self()?;
                    }
                    Ok(())
                });
            }
            let master = Arc::new(register(master)?);
            (Arc::clone(&master), Some(master))
        } else {
            let (read_end, write_end) = pipe()?;
            cmd.stdin(Stdio::null())
                .stdout(Stdio::from(write_end.try_clone()?))
                .stderr(Stdio::from(write_end));
            let sandbox = req.sandbox.clone();
            // SAFETY: only async-signal-safe calls (setsid, prctl, landlock) run between fork and
            // exec.
            unsafe {
                cmd.pre_exec(move || {
                    if libc::setsid() == -1 {
                        return Err(io::Error::last_os_error());
                    }
                    if let Some(ruleset) = &sandbox {
                        ruleset.restrict_self()?;
                    }
                    Ok(())
                });
            }
            (Arc::new(register(read_end)?), None)
        };
        let child = cmd.spawn()?;
        // The parent's copies of the child's ends close here, so EOF means the group is done.
        drop(cmd);
        let pgid = child
            .id()
            .and_then(|id| libc::pid_t::try_from(id).ok())
            .ok_or_else(|| io::Error::other("child has no pid"))?;

        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                pending: OutputBuffer::new(req.output_cap_bytes),
                transcript: OutputBuffer::new(req.output_cap_bytes),
                closed: false,
                exit_code: None,
            }),
            status_changed: Notify::new(),
        });
        tokio::spawn(pump_output(reader, Arc::clone(&shared)));
        tokio::spawn(watch_exit(
            child,
            pgid,
            Arc::clone(&shared),
            req.hard_timeout,
        ));
        Ok(Process {
            pgid,
            tty: req.tty,
            terminal,
            shared,
            killed: AtomicBool::new(false),
        })
    }

    /// Whether the process has a terminal that accepts input.
    pub fn is_tty(&self) -> bool {
        self.tty
    }

    /// The exit code, once the shell has exited.
    pub fn exit_code(&self) -> Option<i32> {
        self.shared.lock().exit_code
    }

    /// Takes the output produced since the last call.
    pub fn take_pending(&self) -> OutputText {
        self.shared.lock().pending.take().to_text()
    }

    /// All output so far (capped), with an omission line where the middle was dropped.
    pub fn transcript(&self) -> String {
        self.shared.lock().transcript.to_text().joined_with_marker()
    }

    /// Waits until `deadline`, returning early once the shell has exited and its output has
    /// closed. A background child that keeps the output open after the shell exited delays
    /// the return by at most 50 ms.
    pub async fn wait_for_output(&self, deadline: tokio::time::Instant) {
        const AFTER_EXIT_CLOSE_WAIT: Duration = Duration::from_millis(50);
        let mut close_deadline = None;
        loop {
            let notified = self.shared.status_changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (exited, closed) = {
                let state = self.shared.lock();
                (state.exit_code.is_some(), state.closed)
            };
            if exited && closed {
                return;
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return;
            }
            let wake_at = if exited {
                let at = *close_deadline
                    .get_or_insert_with(|| now + (deadline - now).min(AFTER_EXIT_CLOSE_WAIT));
                if now >= at {
                    return;
                }
                at
            } else {
                deadline
            };
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(wake_at) => {}
            }
        }
    }

    /// Waits (at most `limit`) for the shell to exit; true if it did.
    pub async fn wait_exit(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.shared.status_changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.exit_code().is_some() {
                return true;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(deadline) => return self.exit_code().is_some(),
            }
        }
    }

    /// Types `bytes` into the terminal.
    pub async fn write_input(&self, bytes: &[u8]) -> io::Result<()> {
        let terminal = self
            .terminal
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "no terminal"))?;
        let write_all = async {
            let mut offset = 0;
            while offset < bytes.len() {
                let mut guard = terminal.writable().await?;
                match guard.try_io(|fd| write_fd(fd.get_ref(), &bytes[offset..])) {
                    Ok(Ok(n)) => offset += n,
                    Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                    Ok(Err(e)) => return Err(e),
                    Err(_would_block) => {}
                }
            }
            Ok(())
        };
        tokio::time::timeout(WRITE_TIMEOUT, write_all)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "terminal not reading"))?
    }

    /// Sends SIGKILL to the whole process group (once).
    pub fn kill_group(&self) {
        if !self.killed.swap(true, Ordering::SeqCst) {
            kill_group(self.pgid);
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill_group();
    }
}

fn kill_group(pgid: libc::pid_t) {
    if pgid > 1 {
        // SAFETY: plain syscall; a negative pid addresses the process group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

async fn pump_output(fd: Arc<AsyncFd<OwnedFd>>, shared: Arc<Shared>) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let Ok(mut guard) = fd.readable().await else {
            break;
        };
        match guard.try_io(|fd| read_fd(fd.get_ref(), &mut buf)) {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                let mut state = shared.lock();
                state.pending.push(&buf[..n]);
                state.transcript.push(&buf[..n]);
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            // EIO: every holder of the PTY's slave side is gone.
            Ok(Err(_)) => break,
            Err(_would_block) => {}
        }
    }
    shared.lock().closed = true;
    shared.status_changed.notify_waiters();
}

async fn watch_exit(
    mut child: Child,
    pgid: libc::pid_t,
    shared: Arc<Shared>,
    hard_timeout: Option<Duration>,
) {
    let status = match hard_timeout {
        Some(limit) => {
            tokio::select! {
                status = child.wait() => status,
                _ = tokio::time::sleep(limit) => {
                    kill_group(pgid);
                    child.wait().await
                }
            }
        }
        None => child.wait().await,
    };
    let code = match status {
        Ok(status) => status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        Err(_) => -1,
    };
    shared.lock().exit_code = Some(code);
    shared.status_changed.notify_waiters();
}

/// Registers an owned descriptor with the tokio reactor.
fn register(fd: OwnedFd) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: the `OwnedFd` moves into the `AsyncFd`, so it stays open exactly as long as the
    // registration and is closed by nobody else.
    Ok(unsafe { AsyncFd::register(fd) }?)
}

fn read_fd(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes and `fd` is open.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

fn write_fd(fd: &OwnedFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes and `fd` is open.
    let n = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// A close-on-exec pipe whose read end is non-blocking.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    set_nonblocking(&read_end)?;
    Ok((read_end, write_end))
}

/// A PTY pair (80x24), both ends close-on-exec, the master non-blocking.
fn open_pty() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut master = -1;
    let mut slave = -1;
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: out-pointers are valid; name and termios may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openpty succeeded, so both descriptors are open and ours.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    set_cloexec(&master)?;
    set_cloexec(&slave)?;
    set_nonblocking(&master)?;
    Ok((master, slave))
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: fcntl on an open descriptor.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        if flags == -1 || libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) == -1
        {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn set_cloexec(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: fcntl on an open descriptor.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Environment for a spawn: Codex's fixed variables, then the configured overrides.
pub fn exec_env<'a>(
    fixed: &'a [(&'a str, &'a str)],
    overrides: &'a BTreeMap<String, String>,
) -> Vec<(&'a str, &'a str)> {
    fixed
        .iter()
        .copied()
        .chain(overrides.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect()
}
