//! An execution with its per-server jobs, as every API shows it.

use crate::model::{
    Execution, ExecutionState, Job, JobState, LockPolicy, LostJobPolicy, Priority, ServerSelector,
    Timestamp,
};
use chrono::Utc;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// An execution with its jobs: what every API shows.
#[derive(Debug, Clone)]
pub struct ExecutionView {
    pub execution: Execution,
    pub jobs: Vec<Job>,
}

impl ExecutionView {
    pub fn success_count(&self) -> usize {
        self.jobs
            .iter()
            .filter(|j| j.state == JobState::Success)
            .count()
    }
    pub fn failure_count(&self) -> usize {
        self.failed_servers().count()
    }
    /// The servers whose job ended without success (skipped ones are not failures).
    pub fn failed_servers(&self) -> impl Iterator<Item = &str> {
        self.jobs
            .iter()
            .filter(|j| {
                j.state.is_final() && !matches!(j.state, JobState::Success | JobState::Skipped)
            })
            .map(|j| j.server_id.as_str())
    }
    /// Overall progress, 0–100: the share of targets finished. A running job counts for
    /// nothing yet (how far along it is cannot be known), so six running jobs read 0 %, as
    /// "0 of 6 done" does, not a half-full bar.
    pub fn progress_percent(&self) -> f64 {
        if self.jobs.is_empty() {
            return 100.0;
        }
        let done = self.jobs.iter().filter(|j| j.state.is_final()).count();
        (done as f64 / self.jobs.len() as f64 * 1000.0).round() / 10.0
    }

    /// When the remaining targets should be done, from the mean duration of finished ones
    /// and the concurrency; None before any finished or once all have.
    pub fn eta(&self) -> Option<crate::model::Timestamp> {
        if self.execution.state.is_final() {
            return None;
        }
        let done: Vec<f64> = self
            .jobs
            .iter()
            .filter(|j| j.state.is_final() && j.finished_at.is_some() && j.execution_time > 0.0)
            .map(|j| j.execution_time)
            .collect();
        if done.is_empty() {
            return None;
        }
        let mean = done.iter().sum::<f64>() / done.len() as f64;
        let remaining = self.jobs.iter().filter(|j| !j.state.is_final()).count();
        let lanes = self
            .execution
            .max_concurrency
            .map(|c| c as usize)
            .unwrap_or(remaining)
            .max(1);
        let waves = remaining.div_ceil(lanes) as f64;
        Some(Utc::now() + chrono::Duration::milliseconds((mean * waves * 1000.0) as i64))
    }

    pub fn duration_seconds(&self) -> Option<f64> {
        let e = &self.execution;
        Some((e.completed_at? - e.started_at?).num_milliseconds() as f64 / 1000.0)
    }

    /// The specification's `executions` document, with `logs` saying only where its output
    /// is (`url`).
    pub fn doc(&self) -> ExecutionDoc<'_, LogsUrl> {
        self.doc_with_logs(LogsUrl {
            url: logs_url(&self.execution.execution_id),
        })
    }

    /// The document with `logs` as given (a single execution's answer says more about them).
    /// It borrows the view and is written straight to the response by `serde`: a history page
    /// of large executions built as a `Value` tree took ~50k allocations and was the largest
    /// live item in a soak's heap profile.
    pub fn doc_with_logs<L: Serialize>(&self, logs: L) -> ExecutionDoc<'_, L> {
        let e = &self.execution;
        ExecutionDoc {
            execution_id: &e.execution_id,
            batch_id: &e.batch_id,
            initiated_by: &e.initiated_by,
            execution_type: &e.execution_type,
            target_servers: &e.target_servers,
            action_template_id: &e.action_template_id,
            action: &e.action,
            parameters: &e.parameters,
            priority: &e.priority,
            selector: &e.selector,
            template_version: &e.template_version,
            rate_control: RateControl {
                max_concurrency: &e.max_concurrency_spec,
                error_threshold: &e.error_threshold_spec,
                resolved_max_concurrency: e.max_concurrency,
                resolved_error_threshold: e.error_threshold,
            },
            execution_config: ExecutionConfig {
                retry_count: e.retry_count,
                retry_delay_seconds: e.retry_delay_seconds,
                requires_lock: e.requires_lock,
                lock_policy: &e.lock_policy,
                lost_job_policy: &e.lost_job_policy,
            },
            schedule_id: &e.schedule_id,
            cancelled_by: &e.cancelled_by,
            skipped_reason: &e.skipped_reason,
            status: Status {
                overall: &e.state,
                per_server: PerServer(&self.jobs),
                progress: self.progress_percent(),
            },
            timing: Timing {
                created_at: &e.created_at,
                started_at: &e.started_at,
                estimated_completion: self.eta(),
                completed_at: &e.completed_at,
                duration_seconds: self.duration_seconds(),
            },
            results: Results {
                success_count: self.success_count(),
                failure_count: self.failure_count(),
                total_count: self.jobs.len(),
                details: self.jobs.iter().map(JobDetail).collect(),
            },
            logs,
        }
    }
}

/// Where an execution's output is read.
pub fn logs_url(execution_id: &str) -> String {
    format!("/api/v1/executions/{execution_id}/logs")
}

/// `logs` in an execution's document as lists show it.
#[derive(Serialize)]
pub struct LogsUrl {
    pub url: String,
}

/// The specification's `executions` document (described for the API reference by
/// `api::rest::schemas::ExecutionDoc`).
#[derive(Serialize)]
pub struct ExecutionDoc<'a, L> {
    execution_id: &'a str,
    batch_id: &'a Option<String>,
    initiated_by: &'a str,
    execution_type: &'a str,
    target_servers: &'a [String],
    action_template_id: &'a Option<String>,
    action: &'a Value,
    parameters: &'a Value,
    priority: &'a Priority,
    selector: &'a Option<ServerSelector>,
    template_version: &'a Option<String>,
    rate_control: RateControl<'a>,
    execution_config: ExecutionConfig<'a>,
    schedule_id: &'a Option<String>,
    cancelled_by: &'a Option<String>,
    skipped_reason: &'a Option<String>,
    status: Status<'a>,
    timing: Timing<'a>,
    results: Results<'a>,
    logs: L,
}

#[derive(Serialize)]
struct RateControl<'a> {
    max_concurrency: &'a Option<String>,
    error_threshold: &'a Option<String>,
    resolved_max_concurrency: Option<u32>,
    resolved_error_threshold: Option<u32>,
}

#[derive(Serialize)]
struct ExecutionConfig<'a> {
    retry_count: u32,
    retry_delay_seconds: u64,
    requires_lock: bool,
    lock_policy: &'a LockPolicy,
    lost_job_policy: &'a LostJobPolicy,
}

#[derive(Serialize)]
struct Status<'a> {
    overall: &'a ExecutionState,
    per_server: PerServer<'a>,
    progress: f64,
}

/// By server id: `{"status": <job state>, "progress": 0-100}`.
struct PerServer<'a>(&'a [Job]);

impl Serialize for PerServer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct One<'a> {
            status: &'a JobState,
            progress: u8,
        }
        s.collect_map(self.0.iter().map(|j| {
            (
                &j.server_id,
                One {
                    status: &j.state,
                    progress: j.state.progress(),
                },
            )
        }))
    }
}

#[derive(Serialize)]
struct Timing<'a> {
    created_at: &'a Timestamp,
    started_at: &'a Option<Timestamp>,
    estimated_completion: Option<Timestamp>,
    completed_at: &'a Option<Timestamp>,
    duration_seconds: Option<f64>,
}

#[derive(Serialize)]
struct Results<'a> {
    success_count: usize,
    failure_count: usize,
    total_count: usize,
    details: Vec<JobDetail<'a>>,
}

/// One target's job.
struct JobDetail<'a>(&'a Job);

impl Serialize for JobDetail<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let j = self.0;
        let mut m = s.serialize_struct("JobDetail", 13)?;
        m.serialize_field("server_id", &j.server_id)?;
        m.serialize_field("job_id", &j.job_id)?;
        m.serialize_field("status", &j.state)?;
        m.serialize_field("exit_code", &j.exit_code)?;
        m.serialize_field("output", &j.output)?;
        m.serialize_field("error_output", &j.error_output)?;
        m.serialize_field("execution_time", &j.execution_time)?;
        m.serialize_field("resource_usage", &j.resource_usage)?;
        m.serialize_field("truncated", &j.truncated)?;
        m.serialize_field("error", &j.error)?;
        m.serialize_field("attempt", &j.attempt)?;
        m.serialize_field("started_at", &j.started_at)?;
        m.serialize_field("finished_at", &j.finished_at)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_the_share_of_targets_finished() {
        let (execution, jobs) = crate::store::contract::execution("t", "e", &["a", "b", "c", "d"]);
        let mut view = ExecutionView { execution, jobs };
        let set = |view: &mut ExecutionView, states: [JobState; 4]| {
            for (j, s) in view.jobs.iter_mut().zip(states) {
                j.state = s;
            }
            view.progress_percent()
        };
        use JobState::*;
        assert_eq!(set(&mut view, [Pending; 4]), 0.0);
        assert_eq!(
            set(&mut view, [Running; 4]),
            0.0,
            "running jobs are not half done"
        );
        assert_eq!(set(&mut view, [Success, Failed, Running, Leased]), 50.0);
        assert_eq!(
            set(&mut view, [Success, Skipped, Unreachable, Running]),
            75.0
        );
        assert_eq!(set(&mut view, [Success, Success, Success, Failed]), 100.0);
    }
}
