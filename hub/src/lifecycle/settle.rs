//! What happens to a job and its execution after leasing: output marks it running, a
//! result settles or retries it (refused when its lock was lost: fencing), a user cancels
//! it, its lease lapses, no agent takes it in time, the error threshold skips the rest; and
//! the execution's own state follows its job counts. Each function changes the loaded job and the execution's control
//! record together, so a store commits both or neither.

use super::locks::still_holds;
use super::{CancelAction, ResultDecision};
use crate::model::{
    EventKind, Execution, ExecutionControl, ExecutionState, Job, JobState, ServerLock, Timestamp,
};
use greenroom_proto::JobResult;

/// Moves `job` to `to`, keeping its execution's counts.
fn set_state(job: &mut Job, ctl: &mut ExecutionControl, to: JobState) {
    ctl.counts.moved(job.state, to);
    job.state = to;
}

/// Output arriving for a leased job (or its agent's heartbeat naming it) means it is
/// running. Returns whether the job changed.
pub fn on_output(job: &mut Job, ctl: &mut ExecutionControl) -> bool {
    let next = super::on_output(job.state);
    let changed = next != job.state;
    set_state(job, ctl, next);
    changed
}

/// What a result did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    /// The job is settled.
    Stored,
    /// The attempt failed and the job waits for its next attempt.
    Retrying,
    /// The job ran under a lock it no longer holds: the result is refused and the job failed.
    Fenced,
}

/// Applies an agent's result to `job`. `lock` is the job's lock as it is now (when it ran
/// under one). None when the job was already final (a repeated delivery changes nothing).
pub fn on_result(
    job: &mut Job,
    ctl: &mut ExecutionControl,
    lock: Option<&ServerLock>,
    r: &JobResult,
    now: Timestamp,
) -> Option<ResultKind> {
    let decision = super::on_result(
        job.state,
        r,
        ctl.success_criteria.as_ref(),
        job.attempt,
        job.max_attempts,
    )?;
    let fenced = match (&job.lock_id, job.fencing_token) {
        (Some(_), Some(token)) => !still_holds(lock, token, now),
        _ => false,
    };
    job.exit_code = r.exit_code;
    job.output = super::redact::text(job, &r.output);
    job.error_output = super::redact::text(job, &r.error_output);
    job.execution_time = r.execution_time;
    job.resource_usage = r.resource_usage.clone();
    job.truncated = r.truncated;
    let (started_at, finished_at) = on_hub_clock(r, now);
    job.started_at = Some(started_at);
    job.lease_expires_at = None;
    if fenced {
        set_state(job, ctl, JobState::Failed);
        job.error = Some(format!(
            "result refused: the server lock (fencing token {}) expired or was taken over before the result arrived",
            job.fencing_token.unwrap_or_default()
        ));
        job.finished_at = Some(now);
        return Some(ResultKind::Fenced);
    }
    Some(match decision {
        ResultDecision::Final(state, why) => {
            set_state(job, ctl, state);
            job.error = why.map(|w| super::redact::text(job, &w));
            job.finished_at = Some(finished_at);
            ResultKind::Stored
        }
        ResultDecision::Retry { reason } => {
            set_state(job, ctl, JobState::Pending);
            job.error = Some(format!(
                "{reason}; retrying in {} s",
                ctl.retry_delay_seconds
            ));
            job.not_before = Some(now + chrono::Duration::seconds(ctl.retry_delay_seconds as i64));
            ResultKind::Retrying
        }
    })
}

/// A result's start and end on the hub's clock: the agent's times moved by how far its clock
/// was from the hub's as it sent the result (`sent_at`), and never later than now. An agent
/// five minutes off records its jobs when they really ran.
pub fn on_hub_clock(r: &JobResult, now: Timestamp) -> (Timestamp, Timestamp) {
    let shift = r
        .sent_at
        .map_or_else(chrono::Duration::zero, |sent| now - sent);
    let finished = (r.finished_at + shift).min(now);
    let started = (r.started_at + shift).min(finished);
    (started, finished)
}

/// A user cancels the execution: every job's fate, and whether its agent must be told.
pub fn cancel(job: &mut Job, ctl: &mut ExecutionControl, now: Timestamp) -> CancelAction {
    let action = super::on_cancel(job.state);
    match action {
        CancelAction::Now(state) => {
            set_state(job, ctl, state);
            job.error = Some("cancelled before it started".into());
            job.finished_at = Some(now);
        }
        CancelAction::Signal => job.cancel_requested = true,
        CancelAction::Nothing => {}
    }
    action
}

/// Records who cancelled the execution (the first one).
pub fn mark_cancelled(ctl: &mut ExecutionControl, e: &mut Execution, by: &str) {
    ctl.cancelled = true;
    e.cancelled_by.get_or_insert_with(|| by.to_string());
}

/// How long before a cancellation is sent to the agent again.
pub const CANCEL_RESEND_SECS: i64 = 10;

/// Whether the agent must be told (again) to stop this job; marks it sent.
pub fn cancel_due(job: &mut Job, now: Timestamp) -> bool {
    if !job.cancel_requested || !matches!(job.state, JobState::Leased | JobState::Running) {
        return false;
    }
    if job
        .cancel_sent_at
        .is_some_and(|t| (now - t).num_seconds() < CANCEL_RESEND_SECS)
    {
        return false;
    }
    job.cancel_sent_at = Some(now);
    true
}

/// A heartbeat naming a job it runs extends the lease (and marks it running); false when the
/// job is no longer this server's to run (its agent must stop it).
pub fn keep_lease(
    job: &mut Job,
    ctl: &mut ExecutionControl,
    server_id: &str,
    until: Timestamp,
) -> bool {
    if job.server_id != server_id || job.state.is_final() || job.cancel_requested {
        return false;
    }
    job.lease_expires_at = Some(until);
    on_output(job, ctl);
    true
}

/// A job whose lease lapsed: `Some(requeued)` when it changed.
pub fn on_lapse(job: &mut Job, ctl: &mut ExecutionControl, now: Timestamp) -> Option<bool> {
    let next = super::on_lease_lapsed(
        job.state,
        job.cancel_requested,
        ctl.lost_job_policy,
        job.attempt,
        job.max_attempts,
    )?;
    set_state(job, ctl, next);
    job.lease_expires_at = None;
    let requeued = next == JobState::Pending;
    if requeued {
        // Due again from now: its delivery timeout counts from here, not from when it was
        // first queued.
        job.not_before = Some(now);
        job.error = Some(format!(
            "attempt {} lost: the agent stopped reporting; offered again",
            job.attempt
        ));
    } else {
        job.error = Some("lease expired: the agent stopped reporting this job".into());
        job.finished_at = Some(now);
    }
    Some(requeued)
}

/// Why a pending job was never delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undelivered {
    /// No agent took it within `execution.delivery_timeout_seconds` (the value).
    TimedOut(u64),
    /// Its server was deregistered.
    ServerRemoved,
}

/// A pending job that will not be delivered ends unreachable, with the reason; false when
/// the job was no longer pending (taken or settled meanwhile).
pub fn on_undelivered(
    job: &mut Job,
    ctl: &mut ExecutionControl,
    why: Undelivered,
    now: Timestamp,
) -> bool {
    let Some(next) = super::on_undelivered(job.state) else {
        return false;
    };
    set_state(job, ctl, next);
    job.error = Some(match why {
        Undelivered::TimedOut(secs) => format!(
            "not delivered: the server's agent did not take this job within {secs} s (execution.delivery_timeout_seconds)"
        ),
        Undelivered::ServerRemoved => {
            "not delivered: the server was deregistered before its agent took this job".into()
        }
    });
    job.finished_at = Some(now);
    true
}

/// The reason the rest of the execution is skipped, once its failures reach the error
/// threshold while jobs are still waiting; None otherwise.
pub fn threshold_reached(ctl: &ExecutionControl) -> Option<String> {
    let limit = ctl.error_threshold?;
    let failures = ctl.counts.failures();
    (failures >= limit && ctl.counts.pending > 0).then(|| {
        format!(
            "error threshold reached: {failures} failed (threshold {limit}); remaining targets skipped"
        )
    })
}

/// Skips a job that had not started, because the error threshold was reached.
pub fn skip_for_threshold(job: &mut Job, ctl: &mut ExecutionControl, reason: &str, now: Timestamp) {
    if let Some(next) = super::on_threshold(job.state) {
        set_state(job, ctl, next);
        job.error = Some(reason.to_string());
        job.finished_at = Some(now);
    }
}

/// The execution's state from its counts, when it differs from the recorded one.
pub fn next_state(ctl: &ExecutionControl) -> Option<ExecutionState> {
    let next = super::state_of(&ctl.counts, ctl.cancelled);
    (next != ctl.state).then_some(next)
}

/// Moves the execution (control record and document) to `next`: its start and end times,
/// and the event a final state writes to the outbox.
pub fn enter_state(
    ctl: &mut ExecutionControl,
    e: &mut Execution,
    next: ExecutionState,
    now: Timestamp,
) -> Option<EventKind> {
    ctl.state = next;
    e.state = next;
    if next != ExecutionState::Pending && e.started_at.is_none() {
        e.started_at = Some(now);
    }
    if !next.is_final() {
        return None;
    }
    e.completed_at = Some(now);
    Some(match next {
        ExecutionState::Failed => EventKind::ExecutionFailed,
        ExecutionState::Cancelled => EventKind::ExecutionCancelled,
        _ => EventKind::ExecutionCompleted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use greenroom_proto::Outcome;

    fn setup(
        targets: &[&str],
        extra: serde_json::Value,
    ) -> (Execution, Vec<Job>, ExecutionControl) {
        let (e, jobs) = crate::store::contract::execution_with("t", "exec_1", targets, extra);
        let ctl = ExecutionControl::of(&e, &jobs);
        (e, jobs, ctl)
    }

    fn result(status: Outcome, code: i32) -> JobResult {
        serde_json::from_value(serde_json::json!({
            "status": status, "exit_code": code, "output": "out", "error_output": "",
            "execution_time": 1.0, "started_at": Utc::now(), "finished_at": Utc::now(),
        }))
        .unwrap()
    }

    #[test]
    fn counts_follow_every_transition_and_the_execution_follows_its_counts() {
        let now = Utc::now();
        let (mut e, mut jobs, mut ctl) = setup(&["a", "b"], serde_json::json!({}));
        for j in &mut jobs {
            super::super::lease::apply(j, &mut ctl, None, now, now);
        }
        assert_eq!(next_state(&ctl), Some(ExecutionState::Running));
        assert_eq!(
            enter_state(&mut ctl, &mut e, ExecutionState::Running, now),
            None
        );
        on_output(&mut jobs[0], &mut ctl);
        assert_eq!((ctl.counts.leased, ctl.counts.running), (1, 1));
        on_result(
            &mut jobs[0],
            &mut ctl,
            None,
            &result(Outcome::Success, 0),
            now,
        );
        on_result(
            &mut jobs[1],
            &mut ctl,
            None,
            &result(Outcome::Failed, 2),
            now,
        );
        assert_eq!(next_state(&ctl), Some(ExecutionState::Failed));
        assert_eq!(
            enter_state(&mut ctl, &mut e, ExecutionState::Failed, now),
            Some(EventKind::ExecutionFailed)
        );
        assert!(e.completed_at.is_some());
        // A repeated delivery changes nothing.
        assert_eq!(
            on_result(
                &mut jobs[1],
                &mut ctl,
                None,
                &result(Outcome::Success, 0),
                now
            ),
            None
        );
        assert_eq!((ctl.counts.success, ctl.counts.failed), (1, 1));
    }

    #[test]
    fn the_threshold_is_reached_once_failures_meet_it_with_jobs_waiting() {
        let now = Utc::now();
        let (_, mut jobs, mut ctl) =
            setup(&["a", "b", "c"], serde_json::json!({"error_threshold": 1}));
        assert_eq!(threshold_reached(&ctl), None);
        super::super::lease::apply(&mut jobs[0], &mut ctl, None, now, now);
        on_result(
            &mut jobs[0],
            &mut ctl,
            None,
            &result(Outcome::Failed, 1),
            now,
        );
        let why = threshold_reached(&ctl).expect("reached");
        for j in &mut jobs[1..] {
            skip_for_threshold(j, &mut ctl, &why, now);
        }
        assert_eq!(ctl.counts.skipped, 2);
        assert_eq!(threshold_reached(&ctl), None, "nothing left to skip");
    }

    #[test]
    fn cancellation_stops_pending_jobs_and_signals_running_ones_once_per_resend() {
        let now = Utc::now();
        let (mut e, mut jobs, mut ctl) = setup(&["a", "b"], serde_json::json!({}));
        super::super::lease::apply(&mut jobs[0], &mut ctl, None, now, now);
        assert_eq!(cancel(&mut jobs[0], &mut ctl, now), CancelAction::Signal);
        assert_eq!(
            cancel(&mut jobs[1], &mut ctl, now),
            CancelAction::Now(JobState::Cancelled)
        );
        mark_cancelled(&mut ctl, &mut e, "op@x");
        assert!(cancel_due(&mut jobs[0], now));
        assert!(!cancel_due(&mut jobs[0], now), "not re-sent at once");
        assert!(cancel_due(
            &mut jobs[0],
            now + chrono::Duration::seconds(CANCEL_RESEND_SECS)
        ));
        assert_eq!(e.cancelled_by.as_deref(), Some("op@x"));
    }

    #[test]
    fn a_skewed_agent_clock_is_moved_onto_the_hubs() {
        let now = Utc::now();
        let mut r = result(Outcome::Success, 0);
        // Five minutes ahead: started 3 s and finished 1 s before it sent, by its clock.
        let ahead = now + chrono::Duration::minutes(5);
        r.sent_at = Some(ahead);
        r.started_at = ahead - chrono::Duration::seconds(3);
        r.finished_at = ahead - chrono::Duration::seconds(1);
        let (started, finished) = on_hub_clock(&r, now);
        assert_eq!(started, now - chrono::Duration::seconds(3));
        assert_eq!(finished, now - chrono::Duration::seconds(1));
        // Five minutes behind, sent from the outbox an hour after it ran.
        let behind = now - chrono::Duration::minutes(5);
        r.sent_at = Some(behind);
        r.started_at = behind - chrono::Duration::minutes(61);
        r.finished_at = behind - chrono::Duration::minutes(60);
        let (started, finished) = on_hub_clock(&r, now);
        assert_eq!(started, now - chrono::Duration::minutes(61));
        assert_eq!(finished, now - chrono::Duration::minutes(60));
        // An older agent (no sent_at) ahead of the hub: kept out of the future.
        r.sent_at = None;
        r.started_at = now + chrono::Duration::minutes(4);
        r.finished_at = now + chrono::Duration::minutes(5);
        assert_eq!(on_hub_clock(&r, now), (now, now));
    }
}
