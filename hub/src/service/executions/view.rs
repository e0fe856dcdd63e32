//! An execution with its per-server jobs, as every API shows it.

use crate::model::{Execution, Job, JobState};
use chrono::Utc;
use serde_json::{Map, Value, json};

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

    /// The specification's `executions` document.
    pub fn to_json(&self) -> Value {
        let e = &self.execution;
        let per_server: Map<String, Value> = self
            .jobs
            .iter()
            .map(|j| {
                (
                    j.server_id.clone(),
                    json!({"status": j.state, "progress": j.state.progress()}),
                )
            })
            .collect();
        let details: Vec<Value> = self.jobs.iter().map(job_detail).collect();
        json!({
            "execution_id": e.execution_id,
            "batch_id": e.batch_id,
            "initiated_by": e.initiated_by,
            "execution_type": e.execution_type,
            "target_servers": e.target_servers,
            "action_template_id": e.action_template_id,
            "action": e.action,
            "parameters": e.parameters,
            "priority": e.priority,
            "selector": e.selector,
            "template_version": e.template_version,
            "rate_control": {
                "max_concurrency": e.max_concurrency_spec, "error_threshold": e.error_threshold_spec,
                "resolved_max_concurrency": e.max_concurrency, "resolved_error_threshold": e.error_threshold,
            },
            "execution_config": {
                "retry_count": e.retry_count, "retry_delay_seconds": e.retry_delay_seconds,
                "requires_lock": e.requires_lock, "lock_policy": e.lock_policy, "lost_job_policy": e.lost_job_policy,
            },
            "schedule_id": e.schedule_id,
            "cancelled_by": e.cancelled_by,
            "skipped_reason": e.skipped_reason,
            "status": {"overall": e.state, "per_server": per_server, "progress": self.progress_percent()},
            "timing": {
                "created_at": e.created_at,
                "started_at": e.started_at,
                "estimated_completion": self.eta(),
                "completed_at": e.completed_at,
                "duration_seconds": self.duration_seconds(),
            },
            "results": {
                "success_count": self.success_count(),
                "failure_count": self.failure_count(),
                "total_count": self.jobs.len(),
                "details": details,
            },
            "logs": {"url": format!("/api/v1/executions/{}/logs", e.execution_id)},
        })
    }
}

fn job_detail(j: &Job) -> Value {
    json!({
        "server_id": j.server_id,
        "job_id": j.job_id,
        "status": j.state,
        "exit_code": j.exit_code,
        "output": j.output,
        "error_output": j.error_output,
        "execution_time": j.execution_time,
        "resource_usage": j.resource_usage,
        "truncated": j.truncated,
        "error": j.error,
        "attempt": j.attempt,
        "started_at": j.started_at,
        "finished_at": j.finished_at,
    })
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
