//! Whether a server may take a pending job now, and what leasing it changes.
//!
//! Rate control and locks are decided here, over the execution's control record (its live
//! job counts) and the server's live lock, never by counting rows. A lock held by someone
//! else — a maintenance or emergency lock of another user, or another execution's lock —
//! keeps every other execution off the server, whatever that execution asked: under
//! `lock_policy: wait` its job waits until the lock ends; under `fail` it is skipped with
//! the reason. A maintenance or emergency lock lets its owner's own executions through.
//! `requires_lock` means the execution itself takes an execution lock for each job.

use super::locks::{describe, is_live};
use crate::model::{ExecutionControl, Job, JobState, LockPolicy, ServerLock, Timestamp};

/// Which lock a leased job runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockUse {
    /// None: the execution does not require one.
    None,
    /// A new execution lock, taken in the same commit as the lease.
    Take,
    /// The live lock already on the server (the owner's maintenance lock, or this
    /// execution's own lock): the job runs under it and is fenced by its token.
    Hold { lock_id: String, fencing_token: u64 },
}

/// What to do with a pending job now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseDecision {
    Lease(LockUse),
    /// Not now: not due yet, its execution is not live or has no free slot, or the server is
    /// locked by someone else and the execution waits for locks.
    Wait,
    /// Never on this server: it is locked by someone else and the execution does not wait.
    Skip(String),
}

/// Decides whether `job` may be leased at `now`. `held` is the server's active lock, if any
/// (a lapsed one counts as none).
pub fn decide(
    job: &Job,
    ctl: &ExecutionControl,
    held: Option<&ServerLock>,
    now: Timestamp,
) -> LeaseDecision {
    if !super::can_lease(job.state) || job.not_before.is_some_and(|t| t > now) {
        return LeaseDecision::Wait;
    }
    if ctl.cancelled || ctl.state.is_final() {
        return LeaseDecision::Wait;
    }
    if ctl
        .max_concurrency
        .is_some_and(|max| ctl.counts.active() >= max)
    {
        return LeaseDecision::Wait;
    }
    let Some(lock) = held.filter(|l| is_live(l, now)) else {
        return LeaseDecision::Lease(if ctl.requires_lock {
            LockUse::Take
        } else {
            LockUse::None
        });
    };
    let own_execution = lock.locked_by.execution_id.as_deref() == Some(ctl.execution_id.as_str());
    let owners_manual_lock =
        lock.locked_by.execution_id.is_none() && lock.locked_by.user_id == ctl.initiated_by;
    if own_execution || owners_manual_lock {
        let hold = LockUse::Hold {
            lock_id: lock.lock_id.clone(),
            fencing_token: lock.fencing_token,
        };
        return LeaseDecision::Lease(if ctl.requires_lock || own_execution {
            hold
        } else {
            LockUse::None
        });
    }
    match ctl.lock_policy {
        LockPolicy::Wait => LeaseDecision::Wait,
        LockPolicy::Fail => LeaseDecision::Skip(format!(
            "server {} is locked by {}; this execution does not wait for locks",
            job.server_id,
            describe(lock)
        )),
    }
}

/// Leases `job` until `until` under `lock` (its id and fencing token, when it runs under
/// one), and counts it in its execution's control record.
pub fn apply(
    job: &mut Job,
    ctl: &mut ExecutionControl,
    lock: Option<(&str, u64)>,
    now: Timestamp,
    until: Timestamp,
) {
    let from = job.state;
    job.state = JobState::Leased;
    job.attempt += 1;
    job.lease_expires_at = Some(until);
    job.not_before = None;
    job.started_at = Some(now);
    job.lock_id = lock.map(|(id, _)| id.to_string());
    job.fencing_token = lock.map(|(_, t)| t);
    ctl.counts.moved(from, JobState::Leased);
}

/// Skips `job` (the server is locked by someone else and the execution does not wait).
pub fn skip(job: &mut Job, ctl: &mut ExecutionControl, reason: String, now: Timestamp) {
    let from = job.state;
    job.state = JobState::Skipped;
    job.error = Some(reason);
    job.finished_at = Some(now);
    ctl.counts.moved(from, JobState::Skipped);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{JobCounts, LockOwner, LockStatus, LockTiming, LockType};
    use chrono::{Duration, Utc};

    fn ctl(max: Option<u32>, requires_lock: bool, policy: LockPolicy) -> ExecutionControl {
        let (e, jobs) = crate::store::contract::execution("t", "exec_1", &["s1", "s2"]);
        let mut c = ExecutionControl::of(&e, &jobs);
        c.initiated_by = "op@x".into();
        c.max_concurrency = max;
        c.requires_lock = requires_lock;
        c.lock_policy = policy;
        c
    }

    fn job() -> Job {
        crate::store::contract::execution("t", "exec_1", &["s1"])
            .1
            .remove(0)
    }

    fn lock(user: &str, execution: Option<&str>) -> ServerLock {
        let now = Utc::now();
        ServerLock {
            tenant_id: "t".into(),
            lock_id: "lock_1".into(),
            server_id: "s1".into(),
            lock_type: LockType::Maintenance,
            locked_by: LockOwner {
                process_id: "api".into(),
                execution_id: execution.map(str::to_string),
                user_id: user.into(),
            },
            lock_metadata: Default::default(),
            timing: LockTiming {
                acquired_at: now,
                expires_at: now + Duration::minutes(5),
                max_extension_count: 0,
                current_extensions: 0,
                released_at: None,
            },
            status: LockStatus::Active,
            fencing_token: 9,
            released_by: None,
        }
    }

    #[test]
    fn rate_control_counts_active_jobs() {
        let now = Utc::now();
        let mut c = ctl(Some(1), false, LockPolicy::Wait);
        assert_eq!(
            decide(&job(), &c, None, now),
            LeaseDecision::Lease(LockUse::None)
        );
        c.counts = JobCounts {
            leased: 1,
            pending: 1,
            ..Default::default()
        };
        assert_eq!(decide(&job(), &c, None, now), LeaseDecision::Wait);
        c.cancelled = true;
        c.counts.leased = 0;
        assert_eq!(decide(&job(), &c, None, now), LeaseDecision::Wait);
    }

    #[test]
    fn another_users_lock_keeps_every_execution_off_the_server() {
        let now = Utc::now();
        let held = lock("admin@x", None);
        // Whatever the execution asked, another user's maintenance lock holds it back...
        let waits = ctl(None, false, LockPolicy::Wait);
        assert_eq!(
            decide(&job(), &waits, Some(&held), now),
            LeaseDecision::Wait
        );
        // ...or skips it with the reason.
        let fails = ctl(None, false, LockPolicy::Fail);
        match decide(&job(), &fails, Some(&held), now) {
            LeaseDecision::Skip(why) => assert!(why.contains("admin@x"), "{why}"),
            other => panic!("{other:?}"),
        }
        // The owner's own executions run; with requires_lock they run under that lock.
        let own = lock("op@x", None);
        assert_eq!(
            decide(&job(), &waits, Some(&own), now),
            LeaseDecision::Lease(LockUse::None)
        );
        let needs = ctl(None, true, LockPolicy::Wait);
        assert_eq!(
            decide(&job(), &needs, Some(&own), now),
            LeaseDecision::Lease(LockUse::Hold {
                lock_id: "lock_1".into(),
                fencing_token: 9
            })
        );
        // Another execution's lock keeps this one out too.
        let theirs = lock("op@x", Some("exec_2"));
        assert_eq!(
            decide(&job(), &waits, Some(&theirs), now),
            LeaseDecision::Wait
        );
        // A lapsed lock holds nothing.
        assert_eq!(
            decide(&job(), &needs, Some(&held), now + Duration::minutes(6)),
            LeaseDecision::Lease(LockUse::Take)
        );
    }

    #[test]
    fn leasing_moves_the_job_and_its_count() {
        let now = Utc::now();
        let mut c = ctl(None, false, LockPolicy::Wait);
        let mut j = job();
        apply(
            &mut j,
            &mut c,
            Some(("lock_1", 4)),
            now,
            now + Duration::seconds(30),
        );
        assert_eq!(
            (j.state, j.attempt, j.fencing_token),
            (JobState::Leased, 1, Some(4))
        );
        assert_eq!((c.counts.pending, c.counts.leased), (1, 1));
    }
}
