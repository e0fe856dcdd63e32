//! The one owner of execution, job and lock status transitions: pure functions over
//! documents a store has loaded. A store loads, asks these, and commits what they changed in
//! one transaction (or a guarded write); nothing else decides a status, a count, a fencing
//! outcome or which event a change emits. Both stores call the same functions, so they
//! cannot disagree.
//!
//! Jobs: pending → leased → running → success | failed | timeout | cancelled | skipped |
//! unreachable. Executions: pending → running → completed | failed | cancelled.
//!
//! `lease` decides whether a server may take a job now (rate control, locks held by others),
//! `locks` how locks change, `settle` what a job's result, a cancellation, a lapsed lease, a
//! job never delivered or the error threshold do to a job and its execution, `redact` what of a job may be stored,
//! `servers` when a silent server becomes unreachable.

pub mod lease;
pub mod locks;
pub mod redact;
pub mod servers;
pub mod settle;

use crate::model::{ExecutionState, JobCounts, JobState, LostJobPolicy, SuccessCriteria};
use greenroom_proto::{JobResult, Outcome};

/// A job may be leased only while pending.
pub fn can_lease(state: JobState) -> bool {
    state == JobState::Pending
}

/// The state a job enters when leased.
pub fn on_lease(state: JobState) -> Option<JobState> {
    can_lease(state).then_some(JobState::Leased)
}

/// Output arriving for a leased job, or its agent's heartbeat naming it, means it is running.
pub fn on_output(state: JobState) -> JobState {
    if state == JobState::Leased {
        JobState::Running
    } else {
        state
    }
}

/// What a result does to a job.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultDecision {
    /// The job is settled in this state (with the reason when the criteria failed it).
    Final(JobState, Option<String>),
    /// The attempt failed and attempts remain: the job goes back to pending after the delay.
    Retry { reason: String },
}

/// The decision for a job given the agent's result, the execution's success criteria and
/// the attempts left. `None` when the job was already final (a repeated delivery changes
/// nothing). A cancelled job is never retried.
pub fn on_result(
    state: JobState,
    result: &JobResult,
    criteria: Option<&SuccessCriteria>,
    attempt: u32,
    max_attempts: u32,
) -> Option<ResultDecision> {
    if state.is_final() {
        return None;
    }
    let (next, why) = match result.status {
        Outcome::Timeout => (JobState::Timeout, None),
        Outcome::Cancelled => (JobState::Cancelled, None),
        // A template that expects another exit code (`success_criteria.exit_code: 3`) is
        // judged by its criteria: the agent only knows that the command exited non-zero.
        Outcome::Failed
            if !criteria.is_some_and(|c| c.exit_code.is_some() && result.exit_code.is_some()) =>
        {
            (JobState::Failed, None)
        }
        Outcome::Failed | Outcome::Success => {
            match criteria.and_then(|c| unmet_criterion(c, result)) {
                Some(why) => (JobState::Failed, Some(why)),
                None => (JobState::Success, None),
            }
        }
    };
    if matches!(next, JobState::Failed | JobState::Timeout) && attempt < max_attempts {
        let what = why
            .clone()
            .unwrap_or_else(|| match (next, result.exit_code) {
                (JobState::Timeout, _) => "timed out".to_string(),
                (_, Some(code)) => format!("exit code {code}"),
                _ => "failed".to_string(),
            });
        return Some(ResultDecision::Retry {
            reason: format!("attempt {attempt} of {max_attempts} {what}"),
        });
    }
    Some(ResultDecision::Final(next, why))
}

/// A user cancels: a pending job is cancelled at once; a leased or running one is asked to
/// stop (`Signal`) and settles when its agent reports; a final one is left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelAction {
    Now(JobState),
    Signal,
    Nothing,
}

pub fn on_cancel(state: JobState) -> CancelAction {
    match state {
        JobState::Pending => CancelAction::Now(JobState::Cancelled),
        JobState::Leased | JobState::Running => CancelAction::Signal,
        _ => CancelAction::Nothing,
    }
}

/// The error threshold was reached: jobs that have not started are skipped.
pub fn on_threshold(state: JobState) -> Option<JobState> {
    (state == JobState::Pending).then_some(JobState::Skipped)
}

/// A job whose lease lapsed: its agent stopped reporting. A job being cancelled is
/// cancelled; otherwise the lost-job policy decides: `Fail` records it unreachable (never
/// silently run twice), `Requeue` offers it again while attempts remain.
pub fn on_lease_lapsed(
    state: JobState,
    cancel_requested: bool,
    policy: LostJobPolicy,
    attempt: u32,
    max_attempts: u32,
) -> Option<JobState> {
    if !matches!(state, JobState::Leased | JobState::Running) {
        return None;
    }
    Some(if cancel_requested {
        JobState::Cancelled
    } else if policy == LostJobPolicy::Requeue && attempt < max_attempts {
        JobState::Pending
    } else {
        JobState::Unreachable
    })
}

/// A job no agent took (its delivery timed out, or its server was deregistered): a pending
/// job is recorded unreachable, so its execution ends; one already taken is left to its
/// lease.
pub fn on_undelivered(state: JobState) -> Option<JobState> {
    (state == JobState::Pending).then_some(JobState::Unreachable)
}

/// An execution's state from its jobs' states; `cancelled` once a user cancelled it.
pub fn execution_state(jobs: &[JobState], cancelled: bool) -> ExecutionState {
    state_of(&JobCounts::of(jobs.iter().copied()), cancelled)
}

/// An execution's state from how many of its jobs are in each state.
pub fn state_of(c: &JobCounts, cancelled: bool) -> ExecutionState {
    let total = c.total();
    if total == 0 {
        return ExecutionState::Completed;
    }
    if c.done() < total {
        return if c.pending == total {
            ExecutionState::Pending
        } else {
            ExecutionState::Running
        };
    }
    if cancelled || c.cancelled == total {
        ExecutionState::Cancelled
    } else if c.success + c.skipped == total {
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
    use ResultDecision::*;
    use chrono::Utc;

    fn result(status: Outcome, code: Option<i32>, out: &str) -> JobResult {
        // Built from JSON so fields the protocol adds later (with defaults) need no edit here.
        serde_json::from_value(serde_json::json!({
            "status": status, "exit_code": code, "output": out, "error_output": "",
            "execution_time": 1.0, "started_at": Utc::now(), "finished_at": Utc::now(),
        }))
        .unwrap()
    }

    #[test]
    fn results_settle_once() {
        let r = result(Outcome::Success, Some(0), "ok");
        assert_eq!(
            on_result(JobState::Running, &r, None, 1, 1),
            Some(Final(JobState::Success, None))
        );
        assert_eq!(
            on_result(JobState::Leased, &r, None, 1, 1),
            Some(Final(JobState::Success, None))
        );
        assert_eq!(on_result(JobState::Success, &r, None, 1, 1), None);
        assert_eq!(on_result(JobState::Unreachable, &r, None, 1, 1), None);
        let t = result(Outcome::Timeout, None, "");
        assert_eq!(
            on_result(JobState::Running, &t, None, 1, 1),
            Some(Final(JobState::Timeout, None))
        );
    }

    #[test]
    fn failures_retry_while_attempts_remain_but_cancels_never() {
        let f = result(Outcome::Failed, Some(3), "");
        match on_result(JobState::Running, &f, None, 1, 3) {
            Some(Retry { reason }) => assert_eq!(reason, "attempt 1 of 3 exit code 3"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            on_result(JobState::Running, &f, None, 3, 3),
            Some(Final(JobState::Failed, None))
        );
        let c = result(Outcome::Cancelled, None, "");
        assert_eq!(
            on_result(JobState::Running, &c, None, 1, 3),
            Some(Final(JobState::Cancelled, None))
        );
        let t = result(Outcome::Timeout, None, "");
        assert!(matches!(
            on_result(JobState::Running, &t, None, 1, 2),
            Some(Retry { .. })
        ));
    }

    #[test]
    fn success_criteria_can_fail_a_clean_exit() {
        let c = SuccessCriteria {
            output_contains: vec!["VALIDATION_PASSED".into()],
            output_not_contains: vec!["ERROR".into()],
            ..Default::default()
        };
        let ok = on_result(
            JobState::Running,
            &result(Outcome::Success, Some(0), "VALIDATION_PASSED"),
            Some(&c),
            1,
            1,
        );
        assert_eq!(ok, Some(Final(JobState::Success, None)));
        match on_result(
            JobState::Running,
            &result(Outcome::Success, Some(0), "VALIDATION_PASSED ERROR"),
            Some(&c),
            1,
            1,
        ) {
            Some(Final(JobState::Failed, Some(why))) => assert!(why.contains("ERROR")),
            other => panic!("{other:?}"),
        }
        let slow = SuccessCriteria {
            execution_time_max: Some(0.5),
            ..Default::default()
        };
        assert!(matches!(
            on_result(
                JobState::Running,
                &result(Outcome::Success, Some(0), ""),
                Some(&slow),
                1,
                1
            ),
            Some(Final(JobState::Failed, Some(_)))
        ));
    }

    #[test]
    fn an_expected_exit_code_other_than_zero_is_success() {
        let c = SuccessCriteria {
            exit_code: Some(3),
            ..Default::default()
        };
        let judged =
            |status, code| on_result(JobState::Running, &result(status, code, ""), Some(&c), 1, 1);
        // The agent reports a non-zero exit as failed; the template's criterion decides.
        assert_eq!(
            judged(Outcome::Failed, Some(3)),
            Some(Final(JobState::Success, None))
        );
        match judged(Outcome::Success, Some(0)) {
            Some(Final(JobState::Failed, Some(why))) => {
                assert!(why.contains("expected 3"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            judged(Outcome::Failed, Some(1)),
            Some(Final(JobState::Failed, Some(_)))
        ));
        // No exit code at all (it could not start) or a timeout is never a success.
        assert_eq!(
            judged(Outcome::Failed, None),
            Some(Final(JobState::Failed, None))
        );
        assert_eq!(
            judged(Outcome::Timeout, Some(3)),
            Some(Final(JobState::Timeout, None))
        );
    }

    #[test]
    fn execution_state_follows_its_jobs() {
        use JobState::*;
        assert_eq!(
            execution_state(&[Pending, Pending], false),
            ExecutionState::Pending
        );
        assert_eq!(
            execution_state(&[Leased, Pending], false),
            ExecutionState::Running
        );
        assert_eq!(
            execution_state(&[Success, Running], false),
            ExecutionState::Running
        );
        assert_eq!(
            execution_state(&[Success, Success, Skipped], false),
            ExecutionState::Completed
        );
        assert_eq!(
            execution_state(&[Success, Timeout], false),
            ExecutionState::Failed
        );
        assert_eq!(
            execution_state(&[Cancelled, Cancelled], false),
            ExecutionState::Cancelled
        );
        assert_eq!(
            execution_state(&[Success, Cancelled], false),
            ExecutionState::Failed
        );
        assert_eq!(
            execution_state(&[Success, Cancelled], true),
            ExecutionState::Cancelled
        );
        assert_eq!(
            execution_state(&[Success, Running], true),
            ExecutionState::Running
        );
    }

    #[test]
    fn cancels_thresholds_and_lapses() {
        assert_eq!(
            on_cancel(JobState::Pending),
            CancelAction::Now(JobState::Cancelled)
        );
        assert_eq!(on_cancel(JobState::Running), CancelAction::Signal);
        assert_eq!(on_cancel(JobState::Success), CancelAction::Nothing);
        // Only a job still waiting for its agent can be "never delivered".
        assert_eq!(
            on_undelivered(JobState::Pending),
            Some(JobState::Unreachable)
        );
        for taken in [JobState::Leased, JobState::Running, JobState::Success] {
            assert_eq!(on_undelivered(taken), None, "{taken:?}");
        }
        assert_eq!(on_threshold(JobState::Pending), Some(JobState::Skipped));
        assert_eq!(on_threshold(JobState::Running), None);
        assert_eq!(on_lease(JobState::Pending), Some(JobState::Leased));
        assert_eq!(on_lease(JobState::Leased), None);
        assert_eq!(
            on_lease_lapsed(JobState::Running, false, LostJobPolicy::Fail, 1, 3),
            Some(JobState::Unreachable)
        );
        assert_eq!(
            on_lease_lapsed(JobState::Running, false, LostJobPolicy::Requeue, 1, 3),
            Some(JobState::Pending)
        );
        assert_eq!(
            on_lease_lapsed(JobState::Running, false, LostJobPolicy::Requeue, 3, 3),
            Some(JobState::Unreachable)
        );
        assert_eq!(
            on_lease_lapsed(JobState::Running, true, LostJobPolicy::Fail, 1, 1),
            Some(JobState::Cancelled)
        );
        assert_eq!(
            on_lease_lapsed(JobState::Success, false, LostJobPolicy::Fail, 1, 1),
            None
        );
        assert_eq!(on_output(JobState::Leased), JobState::Running);
    }
}
