//! Server locks in the SQLite store: taking, extending, releasing, expiring, and the helpers
//! the job transactions use (take for a job, renew while it runs, fencing check, release).

use super::{SqliteStore, ms};
use crate::error::{Error, Result};
use crate::model::{
    EventKind, Execution, Job, LockMetadata, LockOwner, LockStatus, LockTiming, LockType,
    ServerLock, Timestamp,
};
use rusqlite::{OptionalExtension, Transaction, params};

/// Extensions a lock taken for a job may get while the job runs.
const JOB_LOCK_EXTENSIONS: u32 = 3;

fn read(tx: &Transaction<'_>, sql: &str, p: impl rusqlite::Params) -> Result<Option<ServerLock>> {
    let row: Option<(String, String)> = tx
        .query_row(sql, p, |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(tenant, doc)| {
        let mut l: ServerLock = serde_json::from_str(&doc)?;
        l.tenant_id = tenant;
        Ok(l)
    })
    .transpose()
}

fn write(tx: &Transaction<'_>, l: &ServerLock) -> Result<()> {
    tx.execute(
        "INSERT INTO server_locks(id, server_id, tenant_id, status, expires_at, owner_execution, fencing_token, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(id) DO UPDATE SET status = ?4, expires_at = ?5, doc = ?8",
        params![
            l.lock_id,
            l.server_id,
            l.tenant_id,
            l.status.as_str(),
            ms(l.timing.expires_at),
            l.locked_by.execution_id,
            l.fencing_token as i64,
            serde_json::to_string(l)?
        ],
    )?;
    Ok(())
}

fn next_fencing_token(tx: &Transaction<'_>) -> Result<u64> {
    let t: i64 = tx.query_row(
        "UPDATE fencing SET next = next + 1 WHERE id = 1 RETURNING next - 1",
        [],
        |r| r.get(0),
    )?;
    Ok(t as u64)
}

/// The lock on a server that is active now, if any (expired ones are ended first).
fn active_on(tx: &Transaction<'_>, server_id: &str, now: Timestamp) -> Result<Option<ServerLock>> {
    expire_in(tx, Some(server_id), now)?;
    read(
        tx,
        "SELECT tenant_id, doc FROM server_locks WHERE server_id = ?1 AND status = 'active'",
        [server_id],
    )
}

fn expire_in(
    tx: &Transaction<'_>,
    server_id: Option<&str>,
    now: Timestamp,
) -> Result<Vec<ServerLock>> {
    let ids: Vec<String> = {
        let mut st = tx.prepare("SELECT id FROM server_locks WHERE status = 'active' AND expires_at <= ?1 AND (?2 IS NULL OR server_id = ?2)")?;
        st.query_map(params![ms(now), server_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::new();
    for id in ids {
        if let Some(mut l) = read(
            tx,
            "SELECT tenant_id, doc FROM server_locks WHERE id = ?1",
            [&id],
        )? {
            l.status = LockStatus::Expired;
            l.timing.released_at = Some(now);
            write(tx, &l)?;
            out.push(l);
        }
    }
    Ok(out)
}

fn insert_new(tx: &Transaction<'_>, mut lock: ServerLock, now: Timestamp) -> Result<ServerLock> {
    if let Some(held) = active_on(tx, &lock.server_id, now)? {
        return Err(Error::Conflict(format!(
            "server {} is already locked ({})",
            lock.server_id,
            describe(&held)
        )));
    }
    lock.fencing_token = next_fencing_token(tx)?;
    lock.status = LockStatus::Active;
    write(tx, &lock)?;
    Ok(lock)
}

/// "execution exec_… by user@x" — who holds a lock, for messages.
pub(super) fn describe(l: &ServerLock) -> String {
    match &l.locked_by.execution_id {
        Some(e) => format!("execution {e} of {}", l.locked_by.user_id),
        None => format!("{} ({})", l.locked_by.user_id, l.lock_metadata.reason),
    }
}

/// What a job found when it needed its server's lock.
pub(super) enum Take {
    Held(Box<ServerLock>),
    Busy(String),
}

pub(super) fn take_for_job(
    tx: &Transaction<'_>,
    e: &Execution,
    job: &Job,
    now: Timestamp,
    ttl: chrono::Duration,
) -> Result<Take> {
    if let Some(held) = active_on(tx, &job.server_id, now)? {
        return Ok(
            if held.locked_by.execution_id.as_deref() == Some(e.execution_id.as_str()) {
                Take::Held(Box::new(held))
            } else {
                Take::Busy(describe(&held))
            },
        );
    }
    let lock = ServerLock {
        tenant_id: e.tenant_id.clone(),
        lock_id: format!("lock_{}", uuid::Uuid::new_v4().simple()),
        server_id: job.server_id.clone(),
        lock_type: LockType::Execution,
        locked_by: LockOwner {
            process_id: "greenroom-hub".into(),
            execution_id: Some(e.execution_id.clone()),
            user_id: e.initiated_by.clone(),
        },
        lock_metadata: LockMetadata {
            reason: format!("execution {}", e.execution_id),
            priority: format!("{:?}", e.priority).to_lowercase(),
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
    };
    Ok(Take::Held(Box::new(insert_new(tx, lock, now)?)))
}

/// While its job runs, a job lock nearing expiry is extended by its original length, up to
/// its extension allowance.
pub(super) fn renew_for_job(
    tx: &Transaction<'_>,
    lock_id: &str,
    now_plus_lease: Timestamp,
) -> Result<()> {
    let Some(mut l) = read(
        tx,
        "SELECT tenant_id, doc FROM server_locks WHERE id = ?1 AND status = 'active'",
        [lock_id],
    )?
    else {
        return Ok(());
    };
    let length = l.timing.expires_at - l.timing.acquired_at;
    let length = length / (l.timing.current_extensions as i32 + 1);
    if l.timing.expires_at < now_plus_lease + length / 2
        && l.timing.current_extensions < l.timing.max_extension_count
    {
        l.timing.expires_at += length;
        l.timing.current_extensions += 1;
        write(tx, &l)?;
    }
    Ok(())
}

/// Whether the lock is still active, unexpired and at this fencing token.
pub(super) fn still_holds(
    tx: &Transaction<'_>,
    lock_id: &str,
    token: u64,
    now: Timestamp,
) -> Result<bool> {
    let l = read(
        tx,
        "SELECT tenant_id, doc FROM server_locks WHERE id = ?1",
        [lock_id],
    )?;
    Ok(l.is_some_and(|l| {
        l.status == LockStatus::Active && l.timing.expires_at > now && l.fencing_token == token
    }))
}

pub(super) fn release_for_job(
    tx: &Transaction<'_>,
    lock_id: &str,
    execution_id: &str,
    now: Timestamp,
) -> Result<()> {
    if let Some(mut l) = read(
        tx,
        "SELECT tenant_id, doc FROM server_locks WHERE id = ?1 AND status = 'active'",
        [lock_id],
    )? && l.locked_by.execution_id.as_deref() == Some(execution_id)
    {
        l.status = LockStatus::Released;
        l.timing.released_at = Some(now);
        l.released_by = Some(format!("execution {execution_id}"));
        write(tx, &l)?;
    }
    Ok(())
}

pub(super) async fn acquire_lock(
    st: &SqliteStore,
    lock: &ServerLock,
    now: Timestamp,
) -> Result<ServerLock> {
    let lock = lock.clone();
    st.with(move |c| {
        let tx = c.transaction()?;
        let l = insert_new(&tx, lock, now)?;
        tx.commit()?;
        Ok(l)
    })
    .await
}

pub(super) async fn get_lock(
    st: &SqliteStore,
    tenant: &str,
    id: &str,
) -> Result<Option<ServerLock>> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        let tx = c.transaction()?;
        read(
            &tx,
            "SELECT tenant_id, doc FROM server_locks WHERE id = ?1 AND tenant_id = ?2",
            params![id, tenant],
        )
    })
    .await
}

pub(super) async fn list_locks(
    st: &SqliteStore,
    tenant: &str,
    active_only: bool,
) -> Result<Vec<ServerLock>> {
    let tenant = tenant.to_string();
    st.with(move |c| {
        let mut stmt = c.prepare(
            "SELECT doc FROM server_locks WHERE tenant_id = ?1 AND (?2 = 0 OR status = 'active') ORDER BY status = 'active' DESC, rowid DESC LIMIT 500",
        )?;
        let rows = stmt.query_map(params![tenant, active_only], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for d in rows {
            let mut l: ServerLock = serde_json::from_str(&d?)?;
            l.tenant_id = tenant.clone();
            out.push(l);
        }
        Ok(out)
    })
    .await
}

pub(super) async fn extend_lock(
    st: &SqliteStore,
    tenant: &str,
    id: &str,
    by: chrono::Duration,
    now: Timestamp,
) -> Result<ServerLock> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        let tx = c.transaction()?;
        expire_in(&tx, None, now)?;
        let mut l = read(
            &tx,
            "SELECT tenant_id, doc FROM server_locks WHERE id = ?1 AND tenant_id = ?2",
            params![id, tenant],
        )?
        .ok_or_else(|| Error::NotFound(format!("lock {id} not found")))?;
        if l.status != LockStatus::Active {
            return Err(Error::Conflict(format!(
                "lock {id} is {}, not active",
                l.status.as_str()
            )));
        }
        if l.timing.current_extensions >= l.timing.max_extension_count {
            return Err(Error::Conflict(format!(
                "lock {id} has used all {} extensions",
                l.timing.max_extension_count
            )));
        }
        l.timing.expires_at += by;
        l.timing.current_extensions += 1;
        write(&tx, &l)?;
        tx.commit()?;
        Ok(l)
    })
    .await
}

pub(super) async fn release_lock(
    st: &SqliteStore,
    tenant: &str,
    id: &str,
    force: bool,
    by: &str,
    now: Timestamp,
) -> Result<Option<ServerLock>> {
    let (tenant, id, by) = (tenant.to_string(), id.to_string(), by.to_string());
    st.with(move |c| {
        let tx = c.transaction()?;
        expire_in(&tx, None, now)?;
        let Some(mut l) = read(
            &tx,
            "SELECT tenant_id, doc FROM server_locks WHERE id = ?1 AND tenant_id = ?2",
            params![id, tenant],
        )?
        else {
            return Ok(None);
        };
        if l.status != LockStatus::Active {
            return Err(Error::Conflict(format!(
                "lock {id} is already {}",
                l.status.as_str()
            )));
        }
        l.status = if force {
            LockStatus::ForceReleased
        } else {
            LockStatus::Released
        };
        l.timing.released_at = Some(now);
        l.released_by = Some(by);
        write(&tx, &l)?;
        if force {
            let details = serde_json::json!({"server_id": l.server_id, "released_by": l.released_by, "reason": l.lock_metadata.reason});
            super::notify::record_in(&tx, &l.tenant_id, EventKind::LockForced, &l.lock_id, &details, now)?;
        }
        tx.commit()?;
        Ok(Some(l))
    })
    .await
}

pub(super) async fn expire_locks(st: &SqliteStore, now: Timestamp) -> Result<Vec<ServerLock>> {
    st.with(move |c| {
        let tx = c.transaction()?;
        let out = expire_in(&tx, None, now)?;
        tx.commit()?;
        Ok(out)
    })
    .await
}
