//! Runs one action under the agent's policy and turns whatever happens into a `JobResult`.
//!
//! Invariant: [`run_action`] always returns a result — an invalid action, a refusal by the
//! policy, a process that cannot start, a check that cannot connect, a timeout or a panic in
//! an executor all become a `failed` / `timeout` / `cancelled` result, never an error that
//! could take the agent down. Each operation is one module of [`ops`] behind
//! [`ops::Executor`].

pub mod allow;
pub mod globs;
pub mod ops;
pub mod output;
pub mod policy;
pub mod process;
pub mod shellwords;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use greenroom_proto::{Action, CheckResult, JobResult, Outcome, ResourceUsage};
use output::OutputPiece;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

pub use policy::Policy;

/// Default bytes kept of each output stream (head and tail halves): `execution.max_output_kb`.
pub const OUTPUT_CAP: usize = 1 << 20;
/// Time between SIGTERM and SIGKILL when a job's process group is stopped.
pub const KILL_GRACE: Duration = Duration::from_secs(2);

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
pub struct Finished {
    pub status: Outcome,
    pub exit_code: Option<i32>,
    pub output: String,
    pub error_output: String,
    pub truncated: bool,
    pub usage: ResourceUsage,
    pub checks: Vec<CheckResult>,
}

impl Finished {
    /// A failure before or instead of running anything.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            status: Outcome::Failed,
            exit_code: None,
            output: String::new(),
            error_output: message.into(),
            truncated: false,
            usage: ResourceUsage::default(),
            checks: Vec::new(),
        }
    }

    /// The result of a check job: `success` (exit 0) when every check passed, else `failed`
    /// (exit 1); `output` is a readable summary, one line per check.
    pub fn from_checks(checks: Vec<CheckResult>, notes: Vec<String>) -> Self {
        let passed = !checks.is_empty() && checks.iter().all(|c| c.passed);
        let mut output = String::new();
        for c in &checks {
            let mark = if c.passed { "PASS" } else { "FAIL" };
            output.push_str(&format!("{mark} {}: observed {}", c.name, c.observed));
            if !c.expected.is_empty() {
                output.push_str(&format!(", expected {}", c.expected));
            }
            output.push('\n');
        }
        let failed = checks.iter().filter(|c| !c.passed).count();
        output.push_str(&format!(
            "{} of {} checks passed\n",
            checks.len() - failed,
            checks.len()
        ));
        Self {
            status: if passed {
                Outcome::Success
            } else {
                Outcome::Failed
            },
            exit_code: Some(if passed { 0 } else { 1 }),
            output,
            error_output: notes.iter().map(|n| format!("[greenroom] {n}\n")).collect(),
            truncated: false,
            usage: ResourceUsage::default(),
            checks,
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
            checks: self.checks,
            request_id: None,
            sent_at: None,
        }
    }
}

/// Runs `action` to its end and reports how it went.
pub async fn run_action(action: &Action, policy: &Policy, ctl: JobControl) -> JobResult {
    let started_at = Utc::now();
    let clock = Instant::now();
    let finished = match action.validate() {
        Err(problems) => Finished::failed(format!("invalid action: {}", problems.join("; "))),
        Ok(()) => {
            // An executor that panics fails its job, not the agent.
            let action = action.clone();
            let policy = policy.clone();
            match tokio::spawn(async move { ops::execute(&action, &policy, ctl).await }).await {
                Ok(f) => f,
                Err(e) => Finished::failed(format!("[greenroom] the executor failed: {e}")),
            }
        }
    };
    finished.into_result(started_at, clock.elapsed())
}

/// Names of the agent's environment variables whose value is `secret`.
pub(crate) fn secret_env_names(secret: Option<&str>) -> Vec<String> {
    let Some(secret) = secret else {
        return Vec::new();
    };
    std::env::vars_os()
        .filter(|(_, v)| v.to_str() == Some(secret))
        .filter_map(|(k, _)| k.into_string().ok())
        .collect()
}

/// Resolves once `rx` turns true; never, if its sender is gone.
pub(crate) async fn cancelled(rx: &mut watch::Receiver<bool>) {
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
