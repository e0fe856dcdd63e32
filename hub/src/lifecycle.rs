//! The one owner of execution and job status transitions. Stores call these pure functions
//! inside their transactions; nothing else decides a status.
//!
//! Jobs: pending → leased → running → success | failed | timeout | cancelled | skipped |
//! unreachable. Executions: pending → running → completed | failed | cancelled.

use crate::model::{ExecutionState, JobState, SuccessCriteria};
use greenroom_proto::{JobResult, Outcome};

/// A job may be leased only while pending.
pub fn can_lease(state: JobState) -> bool {
    state == JobState::Pending
}

/// The state a job enters when leased.
pub fn on_lease(state: JobState) -> Option<JobState> {
    can_lease(state).then_some(JobState::Leased)
}

/// Output arriving for a leased job means it is running.
pub fn on_output(state: JobState) -> JobState {
    if state == JobState::Leased {
        JobState::Running
    } else {
        state
    }
}

/// The final state of a job given the agent's result and the execution's success criteria,
/// with the reason when the criteria turned a clean exit into a failure. `None` when the job
/// was already final (a repeated delivery changes nothing).
pub fn on_result(
    state: JobState,
    result: &JobResult,
    criteria: Option<&SuccessCriteria>,
) -> Option<(JobState, Option<String>)> {
    if state.is_final() {
        return None;
    }
    Some(match result.status {
        Outcome::Timeout => (JobState::Timeout, None),
        Outcome::Cancelled => (JobState::Cancelled, None),
        Outcome::Failed => (JobState::Failed, None),
        Outcome::Success => match criteria.and_then(|c| unmet_criterion(c, result)) {
            Some(why) => (JobState::Failed, Some(why)),
            None => (JobState::Success, None),
        },
    })
}

/// A job whose lease lapsed: its agent stopped reporting. The job is recorded as unreachable,
/// never silently re-run (a command may not be safe to run twice).
pub fn on_lease_lapsed(state: JobState) -> Option<JobState> {
    matches!(state, JobState::Leased | JobState::Running).then_some(JobState::Unreachable)
}

/// An execution's state from its jobs' states.
pub fn execution_state(jobs: &[JobState]) -> ExecutionState {
    if jobs.is_empty() {
        return ExecutionState::Completed;
    }
    if jobs.iter().any(|s| !s.is_final()) {
        return if jobs.iter().all(|s| *s == JobState::Pending) {
            ExecutionState::Pending
        } else {
            ExecutionState::Running
        };
    }
    if jobs.iter().all(|s| *s == JobState::Cancelled) {
        ExecutionState::Cancelled
    } else if jobs
        .iter()
        .all(|s| matches!(s, JobState::Success | JobState::Skipped))
    {
        ExecutionState::Completed
    } else {
        ExecutionState::Failed
    }
}

fn unmet_criterion(c: &SuccessCriteria, r: &JobResult) -> Option<String> {
    let code = c.exit_code.unwrap_or(0);
    if r.exit_code != Some(code) {
        return Some(format!("exit code {:?}, expected {code}", r.exit_code));
    }
    if let Some(s) = c
        .output_contains
        .iter()
        .find(|s| !r.output.contains(s.as_str()))
    {
        return Some(format!("output does not contain {s:?}"));
    }
    if let Some(s) = c
        .output_not_contains
        .iter()
        .find(|s| r.output.contains(s.as_str()))
    {
        return Some(format!("output contains {s:?}"));
    }
    if let Some(max) = c.execution_time_max
        && r.execution_time > max
    {
        return Some(format!(
            "took {:.1} s, more than the {max} s allowed",
            r.execution_time
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn result(status: Outcome, code: Option<i32>, out: &str) -> JobResult {
        JobResult {
            status,
            exit_code: code,
            output: out.into(),
            error_output: String::new(),
            execution_time: 1.0,
            resource_usage: Default::default(),
            truncated: false,
            started_at: Utc::now(),
            finished_at: Utc::now(),
        }
    }

    #[test]
    fn results_settle_once() {
        let r = result(Outcome::Success, Some(0), "ok");
        assert_eq!(
            on_result(JobState::Running, &r, None),
            Some((JobState::Success, None))
        );
        assert_eq!(
            on_result(JobState::Leased, &r, None),
            Some((JobState::Success, None))
        );
        assert_eq!(on_result(JobState::Success, &r, None), None);
        assert_eq!(on_result(JobState::Unreachable, &r, None), None);
        let t = result(Outcome::Timeout, None, "");
        assert_eq!(
            on_result(JobState::Running, &t, None),
            Some((JobState::Timeout, None))
        );
    }

    #[test]
    fn success_criteria_can_fail_a_clean_exit() {
        let c = SuccessCriteria {
            output_contains: vec!["VALIDATION_PASSED".into()],
            output_not_contains: vec!["ERROR".into()],
            ..Default::default()
        };
        let (s, why) = on_result(
            JobState::Running,
            &result(Outcome::Success, Some(0), "VALIDATION_PASSED"),
            Some(&c),
        )
        .unwrap();
        assert_eq!((s, why), (JobState::Success, None));
        let (s, why) = on_result(
            JobState::Running,
            &result(Outcome::Success, Some(0), "VALIDATION_PASSED ERROR"),
            Some(&c),
        )
        .unwrap();
        assert_eq!(s, JobState::Failed);
        assert!(why.unwrap().contains("ERROR"));
        let (s, _) = on_result(
            JobState::Running,
            &result(Outcome::Success, Some(0), "nothing"),
            Some(&c),
        )
        .unwrap();
        assert_eq!(s, JobState::Failed);
    }

    #[test]
    fn execution_state_follows_its_jobs() {
        use JobState::*;
        assert_eq!(
            execution_state(&[Pending, Pending]),
            ExecutionState::Pending
        );
        assert_eq!(execution_state(&[Leased, Pending]), ExecutionState::Running);
        assert_eq!(
            execution_state(&[Success, Running]),
            ExecutionState::Running
        );
        assert_eq!(
            execution_state(&[Success, Success, Skipped]),
            ExecutionState::Completed
        );
        assert_eq!(execution_state(&[Success, Timeout]), ExecutionState::Failed);
        assert_eq!(
            execution_state(&[Cancelled, Cancelled]),
            ExecutionState::Cancelled
        );
        assert_eq!(
            execution_state(&[Success, Cancelled]),
            ExecutionState::Failed
        );
    }

    #[test]
    fn only_pending_jobs_lease_and_only_live_ones_lapse() {
        assert_eq!(on_lease(JobState::Pending), Some(JobState::Leased));
        assert_eq!(on_lease(JobState::Leased), None);
        assert_eq!(
            on_lease_lapsed(JobState::Running),
            Some(JobState::Unreachable)
        );
        assert_eq!(on_lease_lapsed(JobState::Success), None);
        assert_eq!(on_output(JobState::Leased), JobState::Running);
    }
}
