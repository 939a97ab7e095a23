//! Linux Landlock for shell commands under `read-only` and `workspace-write`: the ruleset is
//! built in the parent (allocations, path opens), and the child only makes two async-signal-safe
//! syscalls between fork and exec (`PR_SET_NO_NEW_PRIVS`, `landlock_restrict_self`).
//!
//! What it enforces: writes (create, write, truncate, remove, rename, link) only beneath the
//! writable paths. Reads and execution stay allowed everywhere. Where Codex cuts the network
//! (`read-only`, and `workspace-write` without `sandbox_workspace_write.network_access`), TCP
//! `connect` and `bind` are refused on kernels with Landlock ABI 4 or later (Landlock does not
//! cover UDP or Unix sockets); elsewhere the network is not restricted.
//! On kernels without Landlock, [`Ruleset::for_mode`] returns `None` and commands run unconfined
//! (the README says so).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rcodex_core::sandbox::SandboxMode;

const SYS_CREATE_RULESET: libc::c_long = 444;
const SYS_ADD_RULE: libc::c_long = 445;
const SYS_RESTRICT_SELF: libc::c_long = 446;
const CREATE_RULESET_VERSION: u32 = 1;
const RULE_PATH_BENEATH: libc::c_int = 1;

const WRITE_FILE: u64 = 1 << 1;
const REMOVE_DIR: u64 = 1 << 4;
const REMOVE_FILE: u64 = 1 << 5;
const MAKE_CHAR: u64 = 1 << 6;
const MAKE_DIR: u64 = 1 << 7;
const MAKE_REG: u64 = 1 << 8;
const MAKE_SOCK: u64 = 1 << 9;
const MAKE_FIFO: u64 = 1 << 10;
const MAKE_BLOCK: u64 = 1 << 11;
const MAKE_SYM: u64 = 1 << 12;
const REFER: u64 = 1 << 13;
const TRUNCATE: u64 = 1 << 14;

const NET_BIND_TCP: u64 = 1 << 0;
const NET_CONNECT_TCP: u64 = 1 << 1;
/// The first ABI that can restrict TCP.
const NET_ABI: u32 = 4;

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    /// Read by kernels of ABI 4 and later only (the size passed says whether it is there).
    handled_access_net: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// A prepared ruleset, applied in each child before exec.
#[derive(Debug)]
pub struct Ruleset {
    fd: OwnedFd,
}

/// The Landlock ABI version of this kernel, or `None` when unavailable.
pub fn abi_version() -> Option<u32> {
    // Asked once per process: the kernel's answer does not change, and a batch builds a ruleset
    // per session.
    static ABI: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *ABI.get_or_init(|| {
        // SAFETY: the VERSION query takes no pointer and returns a number or -1.
        let v = unsafe {
            libc::syscall(
                SYS_CREATE_RULESET,
                std::ptr::null::<RulesetAttr>(),
                0usize,
                CREATE_RULESET_VERSION,
            )
        };
        (v > 0).then_some(v as u32)
    })
}

fn write_rights(abi: u32) -> u64 {
    let mut rights = WRITE_FILE
        | REMOVE_DIR
        | REMOVE_FILE
        | MAKE_CHAR
        | MAKE_DIR
        | MAKE_REG
        | MAKE_SOCK
        | MAKE_FIFO
        | MAKE_BLOCK
        | MAKE_SYM;
    if abi >= 2 {
        rights |= REFER;
    }
    if abi >= 3 {
        rights |= TRUNCATE;
    }
    rights
}

/// What workspace-write lets commands write to, as Codex has it: the workspace roots, `/tmp`
/// and `$TMPDIR`.
pub fn workspace_write_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut writable = roots.to_vec();
    writable.push(PathBuf::from("/tmp"));
    if let Some(t) = std::env::var_os("TMPDIR") {
        writable.push(PathBuf::from(t));
    }
    writable
}

impl Ruleset {
    /// The ruleset for a sandbox mode: `None` for danger-full-access or without kernel support.
    /// The network is not restricted (see [`Ruleset::for_sandbox`]).
    pub fn for_mode(mode: SandboxMode, roots: &[PathBuf]) -> io::Result<Option<Ruleset>> {
        Self::for_sandbox(mode, roots, true)
    }

    /// [`Ruleset::for_mode`], refusing TCP connect and bind unless `network` (Codex cuts the
    /// network under `read-only`, and under `workspace-write` unless `network_access`).
    pub fn for_sandbox(
        mode: SandboxMode,
        roots: &[PathBuf],
        network: bool,
    ) -> io::Result<Option<Ruleset>> {
        if abi_version().is_none() {
            return Ok(None);
        }
        let writable: Vec<PathBuf> = match mode {
            SandboxMode::DangerFullAccess => return Ok(None),
            SandboxMode::ReadOnly => Vec::new(),
            SandboxMode::WorkspaceWrite => workspace_write_roots(roots),
        };
        Self::build(&writable, !network).map(Some)
    }

    /// A ruleset allowing writes beneath `writable` only (plus the null device and terminals).
    pub fn with_writable(writable: &[PathBuf]) -> io::Result<Ruleset> {
        Self::build(writable, false)
    }

    /// [`Ruleset::with_writable`], also refusing TCP connect and bind when `no_tcp` (on kernels
    /// that can).
    fn build(writable: &[PathBuf], no_tcp: bool) -> io::Result<Ruleset> {
        let abi = abi_version().ok_or_else(|| io::Error::other("landlock unavailable"))?;
        let rights = write_rights(abi);
        let net = abi >= NET_ABI;
        let attr = RulesetAttr {
            handled_access_fs: rights,
            handled_access_net: if net && no_tcp {
                NET_BIND_TCP | NET_CONNECT_TCP
            } else {
                0
            },
        };
        // Older kernels know the first field only.
        let size = if net {
            std::mem::size_of::<RulesetAttr>()
        } else {
            std::mem::size_of::<u64>()
        };
        // SAFETY: attr is a valid, initialised struct at least as large as the size passed.
        let fd =
            unsafe { libc::syscall(SYS_CREATE_RULESET, &attr as *const RulesetAttr, size, 0u32) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel just returned this descriptor to us.
        let ruleset = Ruleset {
            fd: unsafe { OwnedFd::from_raw_fd(fd as i32) },
        };
        for path in writable {
            ruleset.allow(path, rights)?;
        }
        // Terminals and the null device stay writable in every mode.
        for dev in [
            "/dev/null",
            "/dev/zero",
            "/dev/tty",
            "/dev/pts",
            "/dev/ptmx",
            "/dev/full",
        ] {
            ruleset.allow(
                Path::new(dev),
                WRITE_FILE | if abi >= 3 { TRUNCATE } else { 0 },
            )?;
        }
        Ok(ruleset)
    }

    fn allow(&self, path: &Path, rights: u64) -> io::Result<()> {
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
            return Ok(());
        };
        // SAFETY: c is a valid NUL-terminated path.
        let raw = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        if raw < 0 {
            // A writable root that does not exist grants nothing; skip it.
            return Ok(());
        }
        // SAFETY: open just returned this descriptor.
        let dir = unsafe { OwnedFd::from_raw_fd(raw) };
        let is_dir = path.is_dir();
        let allowed = if is_dir {
            rights
        } else {
            rights & (WRITE_FILE | TRUNCATE)
        };
        let attr = PathBeneathAttr {
            allowed_access: allowed,
            parent_fd: dir.as_raw_fd(),
        };
        // SAFETY: attr is valid for the duration of the call.
        let r = unsafe {
            libc::syscall(
                SYS_ADD_RULE,
                self.fd.as_raw_fd(),
                RULE_PATH_BENEATH,
                &attr as *const PathBeneathAttr,
                0u32,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Confines the calling process. Async-signal-safe: meant for `pre_exec`.
    pub fn restrict_self(&self) -> io::Result<()> {
        // SAFETY: plain syscalls with integer arguments.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::syscall(SYS_RESTRICT_SELF, self.fd.as_raw_fd(), 0u32) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    fn run_confined(ruleset: &Ruleset, script: &str) -> std::process::ExitStatus {
        run_confined_in("/bin/sh", ruleset, script)
    }

    fn run_confined_in(shell: &str, ruleset: &Ruleset, script: &str) -> std::process::ExitStatus {
        let fd = ruleset.fd.as_raw_fd();
        let mut cmd = Command::new(shell);
        cmd.args(["-c", script]);
        // SAFETY: the closure only makes the two syscalls of restrict_self.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::syscall(SYS_RESTRICT_SELF, fd, 0u32) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd.status().unwrap()
    }

    #[test]
    fn tcp_is_refused_unless_the_network_is_allowed() {
        if abi_version().is_none_or(|abi| abi < NET_ABI) {
            eprintln!("landlock cannot restrict TCP on this kernel; skipping");
            return;
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connect = format!("exec 3<>/dev/tcp/127.0.0.1/{port}");
        // `/dev/tcp` is bash's.
        let run = |rs: &Ruleset| run_confined_in("/bin/bash", rs, &connect).success();
        let root = [std::env::temp_dir()];
        for mode in [SandboxMode::ReadOnly, SandboxMode::WorkspaceWrite] {
            let closed = Ruleset::for_sandbox(mode, &root, false).unwrap().unwrap();
            assert!(!run(&closed), "{mode:?} without network connected");
        }
        let open = Ruleset::for_sandbox(SandboxMode::WorkspaceWrite, &root, true)
            .unwrap()
            .unwrap();
        assert!(
            run(&open),
            "workspace-write with network_access could not connect"
        );
    }

    #[test]
    fn workspace_write_allows_the_root_only_and_read_only_allows_nothing() {
        if abi_version().is_none() {
            eprintln!("landlock unavailable on this kernel; skipping");
            return;
        }
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        // The root alone: for_mode would add /tmp, where both temp dirs live.
        let rs = Ruleset::with_writable(&[root.path().to_path_buf()]).unwrap();
        let inside = format!("echo hi > {}/a.txt", root.path().display());
        assert!(run_confined(&rs, &inside).success());
        let escape = format!("echo hi > {}/b.txt", outside.path().display());
        assert!(!run_confined(&rs, &escape).success());
        assert!(!outside.path().join("b.txt").exists());
        assert!(
            run_confined(&rs, "cat /etc/hostname > /dev/null").success(),
            "reads stay allowed"
        );

        let ro = Ruleset::for_mode(SandboxMode::ReadOnly, &[root.path().to_path_buf()])
            .unwrap()
            .unwrap();
        let again = format!("echo hi > {}/c.txt", root.path().display());
        assert!(!run_confined(&ro, &again).success());
        assert!(run_confined(&ro, "echo ok > /dev/null").success());
        assert!(Ruleset::for_mode(SandboxMode::DangerFullAccess, &[])
            .unwrap()
            .is_none());
    }
}
