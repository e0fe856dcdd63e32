//! Starting a job's process in its own process group, waiting for it with `wait4` (so its
//! resource usage is its own, whatever else runs), and killing the whole group.

use std::collections::BTreeMap;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// How the process ended, and what it used.
#[derive(Debug, Clone, PartialEq)]
pub struct ExitInfo {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub cpu_seconds: f64,
    pub max_rss_mb: f64,
}

/// A started job process: its pid (= its process group id) and its output pipes.
pub struct Started {
    pub pid: i32,
    pub stdout: tokio::process::ChildStdout,
    pub stderr: tokio::process::ChildStderr,
    /// Resolves when the process has exited and been reaped.
    pub exit: tokio::task::JoinHandle<io::Result<ExitInfo>>,
}

/// What to start.
pub struct Spawn<'a> {
    pub argv: &'a [String],
    pub cwd: &'a Path,
    pub env: &'a BTreeMap<String, String>,
    /// Inherited variables to drop (before `env` is applied).
    pub env_remove: &'a [String],
    /// `RLIMIT_AS` in bytes.
    pub address_space_limit: Option<u64>,
    /// `RLIMIT_CPU` in seconds (SIGXCPU at the limit, SIGKILL a second later).
    pub cpu_seconds_limit: Option<u64>,
}

/// Starts the process with stdin from /dev/null, piped stdout and stderr, in a new process
/// group. Must be called within a tokio runtime.
pub fn spawn(spec: &Spawn<'_>) -> io::Result<Started> {
    let Some((program, args)) = spec.argv.split_first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty command"));
    };
    let mut cmd = std::process::Command::new(program);
    for name in spec.env_remove {
        cmd.env_remove(name);
    }
    cmd.args(args)
        .current_dir(spec.cwd)
        .envs(spec.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let limits: Vec<(libc::__rlimit_resource_t, libc::rlimit)> = [
        spec.address_space_limit.map(|b| (libc::RLIMIT_AS, b, b)),
        spec.cpu_seconds_limit
            .map(|c| (libc::RLIMIT_CPU, c, c.saturating_add(1))),
    ]
    .into_iter()
    .flatten()
    .map(|(res, soft, hard)| {
        (
            res,
            libc::rlimit {
                rlim_cur: soft as libc::rlim_t,
                rlim_max: hard as libc::rlim_t,
            },
        )
    })
    .collect();
    if !limits.is_empty() {
        // SAFETY: the closure runs in the forked child before exec. It only calls
        // `setrlimit` (async-signal-safe) on values prepared before the fork (the Vec is
        // only read), and builds an `io::Error` from the raw errno, which does not allocate.
        unsafe {
            cmd.pre_exec(move || {
                for (res, rlim) in &limits {
                    if libc::setrlimit(*res, rlim) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn()?;
    let pid = i32::try_from(child.id()).map_err(|_| io::Error::other("pid out of range"))?;
    let pipes = (child.stdout.take(), child.stderr.take());
    // From here on the pid is reaped by `wait4` below, never by `std::process::Child`
    // (dropping a `Child` neither waits nor kills).
    drop(child);
    let exit = tokio::task::spawn_blocking(move || wait4(pid));
    let pipes = match pipes {
        (Some(out), Some(err)) => tokio::process::ChildStdout::from_std(out)
            .and_then(|o| Ok((o, tokio::process::ChildStderr::from_std(err)?))),
        _ => Err(io::Error::other("child pipes missing")),
    };
    match pipes {
        Ok((stdout, stderr)) => Ok(Started {
            pid,
            stdout,
            stderr,
            exit,
        }),
        Err(e) => {
            // Nobody would read its output: do not leave it running.
            signal_group(pid, Signal::SIGKILL);
            Err(e)
        }
    }
}

/// Blocks until `pid` exits; returns its status and rusage.
fn wait4(pid: i32) -> io::Result<ExitInfo> {
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; `pid` is our own child, reaped only here.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    Ok(ExitInfo {
        code,
        signal,
        cpu_seconds: tv(usage.ru_utime) + tv(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_mb: usage.ru_maxrss as f64 / 1024.0,
    })
}

/// Sends `signal` to every process of group `pgid`; a group that is gone is not an error.
pub fn signal_group(pgid: i32, signal: Signal) {
    match killpg(Pid::from_raw(pgid), signal) {
        Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
        Err(e) => tracing::warn!(pgid, %signal, error = %e, "could not signal process group"),
    }
}

/// Whether any process (zombies included) is still in group `pgid`.
pub fn group_alive(pgid: i32) -> bool {
    killpg(Pid::from_raw(pgid), None::<Signal>).is_ok()
}

/// Stops group `pgid`: SIGTERM, then SIGKILL once `grace` has passed with any member left.
/// Returns when the group leader has been reaped.
pub async fn terminate_group(
    pgid: i32,
    exit: &mut tokio::task::JoinHandle<io::Result<ExitInfo>>,
    grace: Duration,
) -> io::Result<ExitInfo> {
    signal_group(pgid, Signal::SIGTERM);
    let deadline = tokio::time::Instant::now() + grace;
    let mut leader: Option<io::Result<ExitInfo>> = None;
    while tokio::time::Instant::now() < deadline {
        if leader.is_none() {
            tokio::select! {
                r = &mut *exit => leader = Some(joined(r)),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        } else if group_has_live_members(pgid) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        } else {
            break;
        }
    }
    signal_group(pgid, Signal::SIGKILL);
    match leader {
        Some(r) => r,
        None => joined(exit.await),
    }
}

fn joined(r: Result<io::Result<ExitInfo>, tokio::task::JoinError>) -> io::Result<ExitInfo> {
    r.map_err(|e| io::Error::other(format!("waiting for the process failed: {e}")))?
}

/// Whether group `pgid` has a member that is not a zombie. Zombies of re-parented
/// processes may never be reaped where PID 1 does not reap, so they must not count.
fn group_has_live_members(pgid: i32) -> bool {
    if !group_alive(pgid) {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|e| {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            return false;
        };
        proc_stat(pid).is_some_and(|(state, pg)| pg == pgid && state != 'Z' && state != 'X')
    })
}

/// `(state, pgrp)` from `/proc/<pid>/stat`.
pub fn proc_stat(pid: i32) -> Option<(char, i32)> {
    proc_stat_full(pid).map(|s| (s.state, s.pgrp))
}

/// The fields of `/proc/<pid>/stat` the agent uses.
pub struct ProcStat {
    pub state: char,
    pub pgrp: i32,
    /// Resident set size, pages.
    pub rss_pages: u64,
}

pub fn proc_stat_full(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces; fields follow the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state) of proc(5); rss is field 24.
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        pgrp: fields.get(2)?.parse().ok()?,
        rss_pages: fields.get(21)?.parse().ok()?,
    })
}

/// Total resident memory of the processes in group `pgid`, MiB.
pub fn group_rss_mb(pgid: i32) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as f64;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let pages: u64 = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter_map(proc_stat_full)
        .filter(|s| s.pgrp == pgid)
        .map(|s| s.rss_pages)
        .sum();
    pages as f64 * page / (1024.0 * 1024.0)
}

/// The conventional name of a signal number, e.g. `SIGKILL`.
pub fn signal_name(sig: i32) -> String {
    Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {sig}"))
}
