//! Server locks in the SQLite store: at most one active lock per server (a partial unique
//! index), fencing tokens from one counter that only grows, and every status change decided
//! by `crate::lifecycle::locks`.

use super::super::codec::Codec;
use super::super::{StoreError, StoreResult};
use super::{docs, ms};
use crate::lifecycle::locks::{self as rules, LockRefusal};
use crate::model::{ServerLock, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

pub(super) fn write(tx: &Transaction<'_>, codec: &Codec, l: &ServerLock) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO server_locks(id, server_id, tenant_id, status, expires_at, owner_execution, fencing_token, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(id) DO UPDATE SET status = ?4, expires_at = ?5, doc = ?8",
    )?
    .execute(params![
        l.lock_id,
        l.server_id,
        l.tenant_id,
        l.status.as_str(),
        ms(l.timing.expires_at),
        l.locked_by.execution_id,
        l.fencing_token as i64,
        codec.lock(l)?.to_string()
    ])
    .map_err(|e| {
        if super::is_duplicate(&e) {
            StoreError::Duplicate { what: "active_lock" }
        } else {
            e.into()
        }
    })?;
    Ok(())
}

fn one(
    c: &Connection,
    codec: &Codec,
    sql: &str,
    p: impl rusqlite::Params,
) -> StoreResult<Option<ServerLock>> {
    let d: Option<String> = c
        .prepare_cached(sql)?
        .query_row(p, |r| r.get(0))
        .optional()?;
    d.map(|d| codec.lock_from(super::doc(&d)?)).transpose()
}

pub(super) fn get(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<ServerLock>> {
    one(
        c,
        codec,
        "SELECT doc FROM server_locks WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant],
    )
}

pub(super) fn by_id(c: &Connection, codec: &Codec, id: &str) -> StoreResult<Option<ServerLock>> {
    one(c, codec, "SELECT doc FROM server_locks WHERE id = ?1", [id])
}

/// The lock marked active on a server (it may have lapsed: see `current`).
fn marked_active(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    server: &str,
) -> StoreResult<Option<ServerLock>> {
    one(
        c,
        codec,
        "SELECT doc FROM server_locks WHERE tenant_id = ?1 AND server_id = ?2 AND status = 'active'",
        params![tenant, server],
    )
}

/// Ends a lapsed lock, with its `lock_expired` audit entry in the same transaction.
fn expire(
    tx: &Transaction<'_>,
    codec: &Codec,
    l: &mut ServerLock,
    now: Timestamp,
) -> StoreResult<()> {
    rules::expire(l, now);
    write(tx, codec, l)?;
    super::audit::append(tx, &crate::audit::lock_expired(l, now))?;
    Ok(())
}

/// The server's live lock inside a write: one that lapsed is ended here first.
pub(super) fn current(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    server: &str,
    now: Timestamp,
) -> StoreResult<Option<ServerLock>> {
    match marked_active(tx, codec, tenant, server)? {
        Some(mut l) if rules::is_lapsed(&l, now) => {
            expire(tx, codec, &mut l, now)?;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// The server's live lock, for a reader.
pub(super) fn live(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    server: &str,
    now: Timestamp,
) -> StoreResult<Option<ServerLock>> {
    Ok(marked_active(c, codec, tenant, server)?.filter(|l| rules::is_live(l, now)))
}

fn next_fencing_token(tx: &Transaction<'_>) -> StoreResult<u64> {
    let t: i64 = tx.query_row(
        "UPDATE fencing SET next = next + 1 WHERE id = 1 RETURNING next - 1",
        [],
        |r| r.get(0),
    )?;
    Ok(t as u64)
}

/// Takes `lock` on its server unless another is live; assigns its fencing token.
pub(super) fn take(
    tx: &Transaction<'_>,
    codec: &Codec,
    mut lock: ServerLock,
    now: Timestamp,
) -> StoreResult<Result<ServerLock, LockRefusal>> {
    let held = current(tx, codec, &lock.tenant_id, &lock.server_id, now)?;
    if let Err(refusal) = rules::may_take(held.as_ref(), now) {
        return Ok(Err(refusal));
    }
    lock.fencing_token = next_fencing_token(tx)?;
    write(tx, codec, &lock)?;
    Ok(Ok(lock))
}

/// Applies `change` to the tenant's lock `id` (lapsed ones are expired first).
pub(super) fn change(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    id: &str,
    now: Timestamp,
    change: impl FnOnce(&mut ServerLock) -> Result<(), LockRefusal>,
) -> StoreResult<Option<Result<ServerLock, LockRefusal>>> {
    let Some(mut l) = get(tx, codec, tenant, id)? else {
        return Ok(None);
    };
    if rules::is_lapsed(&l, now) {
        expire(tx, codec, &mut l, now)?;
    }
    if let Err(r) = change(&mut l) {
        return Ok(Some(Err(r)));
    }
    write(tx, codec, &l)?;
    if let Some((kind, details)) = rules::event(&l) {
        super::audit::record_event(tx, &l.tenant_id, kind, &l.lock_id, &details, now)?;
    }
    Ok(Some(Ok(l)))
}

/// Renews a running job's lock (within its allowance).
pub(super) fn renew_for_job(
    tx: &Transaction<'_>,
    codec: &Codec,
    id: &str,
    until: Timestamp,
) -> StoreResult<()> {
    if let Some(mut l) = by_id(tx, codec, id)?
        && rules::renew_for_job(&mut l, until)
    {
        write(tx, codec, &l)?;
    }
    Ok(())
}

/// Releases the lock a finished job took for its execution.
pub(super) fn release_for_job(
    tx: &Transaction<'_>,
    codec: &Codec,
    id: &str,
    execution_id: &str,
    now: Timestamp,
) -> StoreResult<()> {
    if let Some(mut l) = by_id(tx, codec, id)?
        && rules::release_on_job_end(&mut l, execution_id, now)
    {
        write(tx, codec, &l)?;
    }
    Ok(())
}

pub(super) fn list(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    active_only: bool,
) -> StoreResult<Vec<ServerLock>> {
    docs(
        c,
        "SELECT doc FROM server_locks WHERE tenant_id = ?1 AND (?2 = 0 OR status = 'active')
         ORDER BY status = 'active' DESC, rowid DESC LIMIT 500",
        params![tenant, active_only],
    )?
    .into_iter()
    .map(|d| codec.lock_from(d))
    .collect()
}

pub(super) fn expire_all(
    tx: &Transaction<'_>,
    codec: &Codec,
    now: Timestamp,
) -> StoreResult<Vec<ServerLock>> {
    let lapsed = docs(
        tx,
        "SELECT doc FROM server_locks WHERE status = 'active' AND expires_at <= ?1",
        [ms(now)],
    )?;
    let mut out = Vec::new();
    for d in lapsed {
        let mut l = codec.lock_from(d)?;
        expire(tx, codec, &mut l, now)?;
        out.push(l);
    }
    Ok(out)
}
