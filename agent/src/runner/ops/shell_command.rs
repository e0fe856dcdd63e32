//! `shell_command`: a command line run by `/bin/sh -c` (or split into argv with
//! `shell: false`) in its own process group, under the policy: checked before it starts,
//! `RLIMIT_AS` / `RLIMIT_CPU` on the process, a watchdog on the group's memory, killed whole
//! on timeout or cancel (SIGTERM, then SIGKILL). Output is streamed live and kept, capped
//! (head and tail), for the result, with the child's CPU seconds and peak memory.

use super::Executor;
use crate::runner::output::{self, Pumped, pump};
use crate::runner::{Finished, JobControl, Policy, cancelled, process};
use greenroom_proto::{Outcome, ResourceUsage, ShellCommand};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// How long output may keep flowing after the job's main process exited.
const DRAIN_GRACE: Duration = Duration::from_secs(2);
/// How often the memory watchdog looks at the job's process group.
const WATCH_PERIOD: Duration = Duration::from_millis(250);

impl Executor for ShellCommand {
    async fn execute(&self, policy: &Policy, ctl: JobControl) -> Finished {
        run_shell(self, policy, ctl).await
    }
}

enum End {
    Exited(std::io::Result<process::ExitInfo>),
    TimedOut,
    Cancelled,
    OverMemory(f64),
}

async fn run_shell(cmd: &ShellCommand, policy: &Policy, mut ctl: JobControl) -> Finished {
    let argv = if cmd.shell {
        vec!["/bin/sh".to_string(), "-c".to_string(), cmd.command.clone()]
    } else {
        match shlex::split(&cmd.command) {
            Some(words) if !words.is_empty() => words,
            _ => {
                return Finished::failed(
                    "command could not be split into words (unbalanced quotes?); use shell: true to run it with /bin/sh",
                );
            }
        }
    };
    let default_dir = if policy.default_working_dir.is_dir() {
        policy.default_working_dir.clone()
    } else {
        PathBuf::from("/")
    };
    let cwd = match &cmd.working_directory {
        Some(d) => {
            let p = default_dir.join(d);
            if !p.is_dir() {
                return Finished::failed(format!(
                    "working_directory {d} does not exist or is not a directory"
                ));
            }
            p
        }
        None => default_dir,
    };
    let path_var = cmd.environment_vars.get("PATH").map(String::as_str);
    let argv_words = (!cmd.shell).then_some(argv.as_slice());
    if let Err(refusal) = policy
        .check_command(&cmd.command, argv_words, &cwd, path_var)
        .and_then(|()| policy.check_parameters(&cmd.environment_vars, &cwd))
    {
        return Finished::failed(refusal.to_string());
    }
    let timeout = policy.timeout_for(cmd.timeout);
    let spec = process::Spawn {
        argv: &argv,
        cwd: &cwd,
        env: &cmd.environment_vars,
        env_remove: &policy.env_remove,
        address_space_limit: policy.memory_mb.map(|mb| mb.saturating_mul(1024 * 1024)),
        cpu_seconds_limit: policy.cpu_seconds_for(timeout),
    };
    let started = match process::spawn(&spec) {
        Ok(s) => s,
        Err(e) => return Finished::failed(format!("could not start {}: {e}", argv[0])),
    };
    let pid = started.pid;
    tracing::debug!(pid, timeout, "process started");

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut pumps = tokio::spawn(pump(
        started.stdout,
        started.stderr,
        policy.output_cap,
        ctl.live.take(),
        stop_rx,
    ));
    let mut exit = started.exit;
    let memory_limit = policy.memory_mb;

    let end = tokio::select! {
        r = &mut exit => End::Exited(r.map_err(|e| std::io::Error::other(e.to_string())).and_then(|r| r)),
        _ = tokio::time::sleep(Duration::from_secs(timeout)) => End::TimedOut,
        _ = cancelled(&mut ctl.cancel) => End::Cancelled,
        seen = memory_watchdog(pid, memory_limit) => End::OverMemory(seen),
    };
    let mut notes = Vec::new();
    let (status, info) = match end {
        End::Exited(info) => (None, info),
        End::TimedOut => {
            notes.push(format!(
                "timed out after {timeout} s; the job's process group was killed"
            ));
            (
                Some(Outcome::Timeout),
                process::terminate_group(pid, &mut exit, policy.kill_grace).await,
            )
        }
        End::Cancelled => {
            notes.push("cancelled; the job's process group was killed".to_string());
            (
                Some(Outcome::Cancelled),
                process::terminate_group(pid, &mut exit, policy.kill_grace).await,
            )
        }
        End::OverMemory(seen) => {
            notes.push(format!(
                "killed: the job used {seen:.0} MB, over security.resource_limits.memory_mb ({} MB)",
                memory_limit.unwrap_or_default()
            ));
            process::signal_group(pid, nix::sys::signal::Signal::SIGKILL);
            (
                Some(Outcome::Failed),
                process::terminate_group(pid, &mut exit, Duration::ZERO).await,
            )
        }
    };

    // Output may still be in the pipes, or held open by processes the job left behind.
    let cap = policy.output_cap;
    let mut pumped = None;
    let drained = async {
        pumped = Some(collect((&mut pumps).await, cap));
    };
    if tokio::time::timeout(DRAIN_GRACE, drained).await.is_err() {
        if process::group_alive(pid) {
            process::signal_group(pid, nix::sys::signal::Signal::SIGKILL);
            notes.push(
                "processes the job left behind kept its output open; they were killed".to_string(),
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = stop_tx.send(true);
    }
    let (stdout, stderr) = match pumped {
        Some(p) => p,
        None => collect(pumps.await, cap),
    };
    if stdout.not_streamed + stderr.not_streamed > 0 {
        tracing::warn!(
            bytes = stdout.not_streamed + stderr.not_streamed,
            "some live output was not streamed (the hub is slow); the result has it"
        );
    }

    let (status, exit_code, usage) = match (status, info) {
        (Some(s), info) => (s, None, usage_of(info.as_ref().ok())),
        (None, Ok(i)) => {
            let (status, code) = match (i.code, i.signal) {
                (Some(0), _) => (Outcome::Success, Some(0)),
                (Some(c), _) => (Outcome::Failed, Some(c)),
                (None, Some(sig)) => {
                    let why = match sig {
                        libc::SIGXCPU => {
                            " (security.resource_limits.cpu_percent: CPU time limit reached)"
                        }
                        libc::SIGKILL if policy.cpu_percent.is_some() => {
                            " (possibly the CPU time limit of security.resource_limits.cpu_percent)"
                        }
                        _ => "",
                    };
                    notes.push(format!(
                        "process killed by signal {}{why}",
                        process::signal_name(sig)
                    ));
                    (Outcome::Failed, None)
                }
                (None, None) => (Outcome::Failed, None),
            };
            (status, code, usage_of(Some(&i)))
        }
        (None, Err(e)) => {
            notes.push(format!("could not wait for the process: {e}"));
            (Outcome::Failed, None, ResourceUsage::default())
        }
    };
    let truncated = stdout.kept.truncated() || stderr.kept.truncated();
    let mut error_output = stderr.kept.finish();
    for note in notes {
        notes_push(&mut error_output, &note);
    }
    if truncated {
        notes_push(
            &mut error_output,
            &format!(
                "output truncated to the first and last {} KB of each stream (execution.max_output_kb)",
                cap / 2048
            ),
        );
    }
    Finished {
        status,
        exit_code,
        output: stdout.kept.finish(),
        error_output,
        truncated,
        usage,
        checks: Vec::new(),
    }
}

fn notes_push(error_output: &mut String, note: &str) {
    if !error_output.is_empty() && !error_output.ends_with('\n') {
        error_output.push('\n');
    }
    error_output.push_str("[greenroom] ");
    error_output.push_str(note);
    error_output.push('\n');
}

/// Resolves (with the observed MB) once the resident memory of group `pgid` exceeds
/// `limit_mb`; never without a limit. `RLIMIT_AS` bounds each process; this bounds the group.
async fn memory_watchdog(pgid: i32, limit_mb: Option<u64>) -> f64 {
    let Some(limit) = limit_mb else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(WATCH_PERIOD).await;
        let rss = tokio::task::spawn_blocking(move || process::group_rss_mb(pgid))
            .await
            .unwrap_or(0.0);
        if rss > limit as f64 {
            return rss;
        }
    }
}

fn collect(
    joined: Result<(Pumped, Pumped), tokio::task::JoinError>,
    cap: usize,
) -> (Pumped, Pumped) {
    joined.unwrap_or_else(|e| {
        tracing::error!(error = %e, "the output reader failed");
        let empty = || Pumped {
            kept: output::CappedBuffer::new(cap),
            not_streamed: 0,
        };
        (empty(), empty())
    })
}

fn usage_of(info: Option<&process::ExitInfo>) -> ResourceUsage {
    info.map_or_else(ResourceUsage::default, |i| ResourceUsage {
        cpu_seconds: (i.cpu_seconds * 1000.0).round() / 1000.0,
        memory_mb: (i.max_rss_mb * 10.0).round() / 10.0,
    })
}
