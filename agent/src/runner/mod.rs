//! Runs one action under the agent's policy and turns whatever happens into a `JobResult`.
//!
//! Invariant: [`run_action`] always returns a result — an invalid action, a refused program,
//! a process that cannot start or a wait that fails all become a `failed` result, never an
//! error that could take the agent down. A `shell_command` runs in its own process group,
//! which is killed whole on timeout or cancel; its output is streamed live (best effort) and
//! kept, capped, for the result.

pub mod allow;
pub mod output;
pub mod process;

#[cfg(test)]
mod tests;

use crate::config::AgentConfig;
use chrono::{DateTime, Utc};
use greenroom_proto::{Action, JobResult, Outcome, ResourceUsage, ShellCommand, Stream};
use output::{OutputPiece, Pumped, pump};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Most bytes of each stream kept in a result (head and tail halves).
pub const OUTPUT_CAP: usize = 1 << 20;
/// Time between SIGTERM and SIGKILL when a job's process group is stopped.
pub const KILL_GRACE: Duration = Duration::from_secs(2);
/// How long output may keep flowing after the job's main process exited.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The policy every job runs under, from `execution` and `security` in the config.
#[derive(Debug, Clone)]
pub struct Policy {
    pub default_timeout: u64,
    /// `security.resource_limits.execution_time`: caps every timeout.
    pub max_execution_time: Option<u64>,
    pub memory_mb: Option<u64>,
    pub allowed_commands: Vec<String>,
    /// Working directory of jobs that name none (`execution.temp_directory`).
    pub default_working_dir: PathBuf,
    pub output_cap: usize,
    pub kill_grace: Duration,
    /// Variables of the agent's environment that jobs must not inherit (those holding the
    /// enrollment token).
    pub env_remove: Vec<String>,
}

impl Policy {
    pub fn from_config(cfg: &AgentConfig) -> Self {
        Self {
            default_timeout: cfg.execution.default_timeout,
            max_execution_time: cfg.security.resource_limits.execution_time,
            memory_mb: cfg.security.resource_limits.memory_mb,
            allowed_commands: cfg.security.allowed_commands.clone(),
            default_working_dir: cfg.execution.temp_directory.clone(),
            output_cap: OUTPUT_CAP,
            kill_grace: KILL_GRACE,
            env_remove: secret_env_names(cfg.auth_token()),
        }
    }

    /// Seconds a job may run: what it asks for (or the default), capped by the policy.
    pub fn timeout_for(&self, asked: Option<u64>) -> u64 {
        let t = asked.unwrap_or(self.default_timeout).max(1);
        self.max_execution_time.map_or(t, |cap| t.min(cap.max(1)))
    }
}

/// How the daemon steers one running job.
pub struct JobControl {
    /// Turns true when the job must be cancelled.
    pub cancel: watch::Receiver<bool>,
    /// Where live output goes (never waited on: a slow hub does not slow the job).
    pub live: Option<mpsc::Sender<OutputPiece>>,
}

impl JobControl {
    /// Never cancelled, no live output.
    pub fn detached() -> Self {
        let (_tx, cancel) = watch::channel(false);
        Self { cancel, live: None }
    }
}

/// The end of a job, before timing is attached.
#[derive(Debug)]
struct Finished {
    status: Outcome,
    exit_code: Option<i32>,
    output: String,
    error_output: String,
    truncated: bool,
    usage: ResourceUsage,
}

impl Finished {
    fn failed(message: impl Into<String>) -> Self {
        Self {
            status: Outcome::Failed,
            exit_code: None,
            output: String::new(),
            error_output: message.into(),
            truncated: false,
            usage: ResourceUsage::default(),
        }
    }

    fn into_result(self, started_at: DateTime<Utc>, wall: Duration) -> JobResult {
        JobResult {
            status: self.status,
            exit_code: self.exit_code,
            output: self.output,
            error_output: self.error_output,
            execution_time: (wall.as_secs_f64() * 1000.0).round() / 1000.0,
            resource_usage: self.usage,
            truncated: self.truncated,
            started_at,
            finished_at: Utc::now(),
        }
    }
}

/// Runs `action` to its end and reports how it went.
pub async fn run_action(action: &Action, policy: &Policy, ctl: JobControl) -> JobResult {
    let started_at = Utc::now();
    let clock = Instant::now();
    let finished = match action.validate() {
        Err(problems) => Finished::failed(format!("invalid action: {}", problems.join("; "))),
        Ok(()) => match action {
            Action::ShellCommand(cmd) => run_shell(cmd, policy, ctl).await,
            other => Finished::failed(format!(
                "operation {} is not supported by this agent version yet",
                other.kind()
            )),
        },
    };
    finished.into_result(started_at, clock.elapsed())
}

enum End {
    Exited(std::io::Result<process::ExitInfo>),
    TimedOut,
    Cancelled,
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
    let program = if cmd.shell {
        allow::first_word(&cmd.command).unwrap_or_default()
    } else {
        argv[0].clone()
    };
    let path_var = cmd.environment_vars.get("PATH").map(String::as_str);
    if let Err(refusal) = allow::check(&program, &policy.allowed_commands, &cwd, path_var) {
        return Finished::failed(refusal.to_string());
    }
    let timeout = policy.timeout_for(cmd.timeout);
    let spec = process::Spawn {
        argv: &argv,
        cwd: &cwd,
        env: &cmd.environment_vars,
        env_remove: &policy.env_remove,
        address_space_limit: policy.memory_mb.map(|mb| mb.saturating_mul(1024 * 1024)),
    };
    let started = match process::spawn(&spec) {
        Ok(s) => s,
        Err(e) => return Finished::failed(format!("could not start {}: {e}", argv[0])),
    };
    let pid = started.pid;
    tracing::debug!(pid, timeout, "process started");

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut out_task = tokio::spawn(pump(
        started.stdout,
        Stream::Stdout,
        policy.output_cap,
        ctl.live.clone(),
        stop_rx.clone(),
    ));
    let mut err_task = tokio::spawn(pump(
        started.stderr,
        Stream::Stderr,
        policy.output_cap,
        ctl.live.take(),
        stop_rx,
    ));
    let mut exit = started.exit;

    let end = tokio::select! {
        r = &mut exit => End::Exited(r.map_err(|e| std::io::Error::other(e.to_string())).and_then(|r| r)),
        _ = tokio::time::sleep(Duration::from_secs(timeout)) => End::TimedOut,
        _ = cancelled(&mut ctl.cancel) => End::Cancelled,
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
    };

    // Output may still be in the pipes, or held open by processes the job left behind.
    let cap = policy.output_cap;
    let mut stdout = None;
    let mut stderr = None;
    let drained = async {
        stdout = Some(collect((&mut out_task).await, cap));
        stderr = Some(collect((&mut err_task).await, cap));
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
    let stdout = match stdout {
        Some(p) => p,
        None => collect(out_task.await, cap),
    };
    let stderr = match stderr {
        Some(p) => p,
        None => collect(err_task.await, cap),
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
                    notes.push(format!(
                        "process killed by signal {}",
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
        if !error_output.is_empty() && !error_output.ends_with('\n') {
            error_output.push('\n');
        }
        error_output.push_str("[greenroom] ");
        error_output.push_str(&note);
        error_output.push('\n');
    }
    Finished {
        status,
        exit_code,
        output: stdout.kept.finish(),
        error_output,
        truncated,
        usage,
    }
}

fn collect(joined: Result<Pumped, tokio::task::JoinError>, cap: usize) -> Pumped {
    joined.unwrap_or_else(|e| {
        tracing::error!(error = %e, "an output reader failed");
        Pumped {
            kept: output::CappedBuffer::new(cap),
            not_streamed: 0,
        }
    })
}

fn usage_of(info: Option<&process::ExitInfo>) -> ResourceUsage {
    info.map_or_else(ResourceUsage::default, |i| ResourceUsage {
        cpu_seconds: (i.cpu_seconds * 1000.0).round() / 1000.0,
        memory_mb: (i.max_rss_mb * 10.0).round() / 10.0,
    })
}

/// Names of the agent's environment variables whose value is `secret`.
fn secret_env_names(secret: Option<&str>) -> Vec<String> {
    let Some(secret) = secret else {
        return Vec::new();
    };
    std::env::vars_os()
        .filter(|(_, v)| v.to_str() == Some(secret))
        .filter_map(|(k, _)| k.into_string().ok())
        .collect()
}

/// Resolves once `rx` turns true; never, if its sender is gone.
async fn cancelled(rx: &mut watch::Receiver<bool>) {
    if rx.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Creates the scratch directory jobs run in by default (0700); best effort.
pub fn prepare_working_dir(dir: &Path) {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return;
    }
    if let Err(e) = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot create execution.temp_directory; jobs without a working_directory will run in /");
    }
}
