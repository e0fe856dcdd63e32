//! How server locks change: taken, extended, released (or force-released), expired, renewed
//! while their job runs, and whether a result still holds its lock (fencing). A store keeps
//! at most one active lock per server (a unique index) and assigns fencing tokens; every
//! status it writes comes from here.

use crate::model::{
    ExecutionControl, Job, LockMetadata, LockOwner, LockStatus, LockTiming, LockType, ServerLock,
    Timestamp,
};

/// Extensions a lock taken for a job may get while the job runs.
pub const JOB_LOCK_EXTENSIONS: u32 = 3;

/// Why a lock change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockRefusal {
    /// The server already has an active lock; who holds it.
    Busy { holder: String },
    /// The lock is no longer active (released, expired, force-released).
    NotActive { status: LockStatus },
    /// Every extension the lock allows has been used.
    ExtensionsUsed { max: u32 },
}

impl std::fmt::Display for LockRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Busy { holder } => write!(f, "it is already locked ({holder})"),
            Self::NotActive { status } => write!(f, "it is {}, not active", status.as_str()),
            Self::ExtensionsUsed { max } => write!(f, "it has used all {max} extensions"),
        }
    }
}

/// Whether the lock holds the server at `now`: active and not past its expiry. A lock past
/// its expiry is ended (`expire`) by whichever transaction meets it first.
pub fn is_live(l: &ServerLock, now: Timestamp) -> bool {
    l.status == LockStatus::Active && l.timing.expires_at > now
}

/// Whether the lock is still marked active but its time is up.
pub fn is_lapsed(l: &ServerLock, now: Timestamp) -> bool {
    l.status == LockStatus::Active && l.timing.expires_at <= now
}

/// Ends a lock whose time is up.
pub fn expire(l: &mut ServerLock, now: Timestamp) {
    l.status = LockStatus::Expired;
    l.timing.released_at = Some(now);
}

/// "execution exec_… of user@x" or "user@x (reason)": who holds a lock, for messages.
pub fn describe(l: &ServerLock) -> String {
    match &l.locked_by.execution_id {
        Some(e) => format!("execution {e} of {}", l.locked_by.user_id),
        None => format!(
            "{} lock by {} ({})",
            l.lock_type.as_str(),
            l.locked_by.user_id,
            l.lock_metadata.reason
        ),
    }
}

/// A new lock may be taken only when the server has no live one.
pub fn may_take(held: Option<&ServerLock>, now: Timestamp) -> Result<(), LockRefusal> {
    match held.filter(|l| is_live(l, now)) {
        Some(l) => Err(LockRefusal::Busy {
            holder: describe(l),
        }),
        None => Ok(()),
    }
}

/// Extends an active lock by `by`, within its allowance.
pub fn extend(l: &mut ServerLock, by: chrono::Duration, now: Timestamp) -> Result<(), LockRefusal> {
    if !is_live(l, now) {
        return Err(LockRefusal::NotActive {
            status: if is_lapsed(l, now) {
                LockStatus::Expired
            } else {
                l.status
            },
        });
    }
    if l.timing.current_extensions >= l.timing.max_extension_count {
        return Err(LockRefusal::ExtensionsUsed {
            max: l.timing.max_extension_count,
        });
    }
    l.timing.expires_at += by;
    l.timing.current_extensions += 1;
    Ok(())
}

/// Releases an active lock (`force`: an administrator ending someone else's).
pub fn release(
    l: &mut ServerLock,
    force: bool,
    by: &str,
    now: Timestamp,
) -> Result<(), LockRefusal> {
    if !is_live(l, now) {
        return Err(LockRefusal::NotActive {
            status: if is_lapsed(l, now) {
                LockStatus::Expired
            } else {
                l.status
            },
        });
    }
    l.status = if force {
        LockStatus::ForceReleased
    } else {
        LockStatus::Released
    };
    l.timing.released_at = Some(now);
    l.released_by = Some(by.to_string());
    Ok(())
}

/// The event a lock change emits, if any: an administrator ending someone else's lock
/// (`lock_forced`, which notifications can follow).
pub fn event(l: &ServerLock) -> Option<(crate::model::EventKind, serde_json::Value)> {
    (l.status == LockStatus::ForceReleased).then(|| {
        (
            crate::model::EventKind::LockForced,
            serde_json::json!({"server_id": l.server_id, "released_by": l.released_by, "reason": l.lock_metadata.reason}),
        )
    })
}

/// The lock a job of `ctl` takes on its server (its fencing token is assigned by the store).
pub fn for_job(
    ctl: &ExecutionControl,
    job: &Job,
    now: Timestamp,
    ttl: chrono::Duration,
) -> ServerLock {
    ServerLock {
        tenant_id: ctl.tenant_id.clone(),
        lock_id: format!("lock_{}", uuid::Uuid::new_v4().simple()),
        server_id: job.server_id.clone(),
        lock_type: LockType::Execution,
        locked_by: LockOwner {
            process_id: "greenroom-hub".into(),
            execution_id: Some(ctl.execution_id.clone()),
            user_id: ctl.initiated_by.clone(),
        },
        lock_metadata: LockMetadata {
            reason: format!("execution {}", ctl.execution_id),
            priority: ctl.priority_name().into(),
            estimated_duration_minutes: None,
        },
        timing: LockTiming {
            acquired_at: now,
            expires_at: now + ttl,
            max_extension_count: JOB_LOCK_EXTENSIONS,
            current_extensions: 0,
            released_at: None,
        },
        status: LockStatus::Active,
        fencing_token: 0,
        released_by: None,
    }
}

/// While its job runs, a job lock nearing expiry is extended by its original length, up to
/// its allowance. Returns whether it changed.
pub fn renew_for_job(l: &mut ServerLock, until: Timestamp) -> bool {
    if l.status != LockStatus::Active {
        return false;
    }
    let length =
        (l.timing.expires_at - l.timing.acquired_at) / (l.timing.current_extensions as i32 + 1);
    if l.timing.expires_at < until + length / 2
        && l.timing.current_extensions < l.timing.max_extension_count
    {
        l.timing.expires_at += length;
        l.timing.current_extensions += 1;
        return true;
    }
    false
}

/// Fencing: a result is accepted only while its job's lock is live with the same token.
pub fn still_holds(l: Option<&ServerLock>, token: u64, now: Timestamp) -> bool {
    l.is_some_and(|l| is_live(l, now) && l.fencing_token == token)
}

/// A job's end releases the lock it took for its execution (never someone's maintenance
/// lock it merely ran under).
pub fn release_on_job_end(l: &mut ServerLock, execution_id: &str, now: Timestamp) -> bool {
    if l.status == LockStatus::Active && l.locked_by.execution_id.as_deref() == Some(execution_id) {
        l.status = LockStatus::Released;
        l.timing.released_at = Some(now);
        l.released_by = Some(format!("execution {execution_id}"));
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    fn lock(minutes: i64, max_ext: u32) -> ServerLock {
        let now = Utc::now();
        ServerLock {
            tenant_id: "t".into(),
            lock_id: "l".into(),
            server_id: "s".into(),
            lock_type: LockType::Maintenance,
            locked_by: LockOwner {
                process_id: "api".into(),
                execution_id: None,
                user_id: "a@x".into(),
            },
            lock_metadata: LockMetadata {
                reason: "patching".into(),
                ..Default::default()
            },
            timing: LockTiming {
                acquired_at: now,
                expires_at: now + Duration::minutes(minutes),
                max_extension_count: max_ext,
                current_extensions: 0,
                released_at: None,
            },
            status: LockStatus::Active,
            fencing_token: 7,
            released_by: None,
        }
    }

    #[test]
    fn a_live_lock_refuses_another_and_a_lapsed_one_does_not() {
        let now = Utc::now();
        let l = lock(5, 1);
        assert!(matches!(
            may_take(Some(&l), now),
            Err(LockRefusal::Busy { .. })
        ));
        assert!(may_take(Some(&l), now + Duration::minutes(6)).is_ok());
        assert!(may_take(None, now).is_ok());
        assert!(is_lapsed(&l, now + Duration::minutes(6)));
    }

    #[test]
    fn extensions_are_bounded_and_ended_locks_stay_ended() {
        let now = Utc::now();
        let mut l = lock(5, 1);
        extend(&mut l, Duration::minutes(5), now).unwrap();
        assert_eq!(
            extend(&mut l, Duration::minutes(5), now),
            Err(LockRefusal::ExtensionsUsed { max: 1 })
        );
        release(&mut l, false, "a@x", now).unwrap();
        assert_eq!(
            release(&mut l, true, "b@x", now),
            Err(LockRefusal::NotActive {
                status: LockStatus::Released
            })
        );
        let mut old = lock(1, 3);
        assert_eq!(
            extend(&mut old, Duration::minutes(1), now + Duration::minutes(2)),
            Err(LockRefusal::NotActive {
                status: LockStatus::Expired
            })
        );
    }

    #[test]
    fn fencing_needs_the_same_token_on_a_live_lock() {
        let now = Utc::now();
        let l = lock(5, 1);
        assert!(still_holds(Some(&l), 7, now));
        assert!(!still_holds(Some(&l), 6, now));
        assert!(!still_holds(Some(&l), 7, now + Duration::minutes(6)));
        assert!(!still_holds(None, 7, now));
    }

    #[test]
    fn a_job_end_releases_only_its_executions_lock() {
        let now = Utc::now();
        let mut maintenance = lock(5, 1);
        assert!(!release_on_job_end(&mut maintenance, "exec_1", now));
        maintenance.locked_by.execution_id = Some("exec_1".into());
        assert!(release_on_job_end(&mut maintenance, "exec_1", now));
        assert_eq!(maintenance.status, LockStatus::Released);
    }
}
