//! Schedules (their secret values sealed) and their recorded occurrences in the SQLite
//! store. An occurrence is claimed by inserting its row: the primary key makes sure only one
//! replica fires it.

use super::super::StoreResult;
use super::super::codec::Codec;
use super::{docs, from_ms, ms};
use crate::model::{Schedule, ScheduleRun, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

pub(super) fn insert(tx: &Transaction<'_>, codec: &Codec, s: &Schedule) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO schedules(id, tenant_id, enabled, next_run_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![s.id, s.tenant_id, s.enabled, s.next_run_at.map(ms), codec.schedule(s)?.to_string()],
    )?;
    Ok(())
}

pub(super) fn put(tx: &Transaction<'_>, codec: &Codec, s: &Schedule) -> StoreResult<bool> {
    Ok(tx.execute(
        "UPDATE schedules SET enabled = ?3, next_run_at = ?4, doc = ?5 WHERE id = ?1 AND tenant_id = ?2",
        params![s.id, s.tenant_id, s.enabled, s.next_run_at.map(ms), codec.schedule(s)?.to_string()],
    )? > 0)
}

fn by_id(c: &Connection, codec: &Codec, id: &str) -> StoreResult<Option<Schedule>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM schedules WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    d.map(|d| codec.schedule_from(super::doc(&d)?)).transpose()
}

pub(super) fn get(
    c: &Connection,
    codec: &Codec,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<Schedule>> {
    Ok(by_id(c, codec, id)?.filter(|s| s.tenant_id == tenant))
}

pub(super) fn list(c: &Connection, codec: &Codec, tenant: &str) -> StoreResult<Vec<Schedule>> {
    docs(
        c,
        "SELECT doc FROM schedules WHERE tenant_id = ?1 ORDER BY json_extract(doc, '$.name'), id",
        [tenant],
    )?
    .into_iter()
    .map(|d| codec.schedule_from(d))
    .collect()
}

pub(super) fn delete(tx: &Transaction<'_>, tenant: &str, id: &str) -> StoreResult<bool> {
    Ok(tx.execute(
        "DELETE FROM schedules WHERE id = ?1 AND tenant_id = ?2",
        params![id, tenant],
    )? > 0)
}

pub(super) fn due(c: &Connection, codec: &Codec, now: Timestamp) -> StoreResult<Vec<Schedule>> {
    docs(
        c,
        "SELECT doc FROM schedules WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ?1",
        [ms(now)],
    )?
    .into_iter()
    .map(|d| codec.schedule_from(d))
    .collect()
}

pub(super) fn claim(tx: &Transaction<'_>, run: &ScheduleRun) -> StoreResult<bool> {
    Ok(tx.execute(
        "INSERT OR IGNORE INTO schedule_runs(schedule_id, occurrence_at, status, execution_id, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![run.schedule_id, ms(run.occurrence_at), run.status, run.execution_id, ms(run.recorded_at)],
    )? > 0)
}

pub(super) fn set_run(
    tx: &Transaction<'_>,
    id: &str,
    at: Timestamp,
    execution_id: Option<&str>,
    status: &str,
    detail: Option<&str>,
) -> StoreResult<()> {
    let status = match detail {
        Some(d) => format!("{status}: {d}"),
        None => status.to_string(),
    };
    tx.execute(
        "UPDATE schedule_runs SET execution_id = ?3, status = ?4 WHERE schedule_id = ?1 AND occurrence_at = ?2",
        params![id, ms(at), execution_id, status],
    )?;
    Ok(())
}

pub(super) fn advance(
    tx: &Transaction<'_>,
    codec: &Codec,
    id: &str,
    next: Option<Timestamp>,
    last: Option<Timestamp>,
) -> StoreResult<()> {
    if let Some(mut s) = by_id(tx, codec, id)? {
        s.next_run_at = next;
        if last.is_some() {
            s.last_run_at = last;
        }
        s.enabled = s.enabled && next.is_some();
        put(tx, codec, &s)?;
    }
    Ok(())
}

pub(super) fn runs(c: &Connection, id: &str, limit: u32) -> StoreResult<Vec<ScheduleRun>> {
    let mut stmt = c.prepare_cached(
        "SELECT schedule_id, occurrence_at, status, execution_id, recorded_at FROM schedule_runs WHERE schedule_id = ?1
         ORDER BY occurrence_at DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![id, limit], |r| {
        let status: String = r.get(2)?;
        let (status, detail) = match status.split_once(": ") {
            Some((s, d)) => (s.to_string(), Some(d.to_string())),
            None => (status, None),
        };
        Ok(ScheduleRun {
            schedule_id: r.get(0)?,
            occurrence_at: from_ms(r.get(1)?),
            status,
            execution_id: r.get(3)?,
            detail,
            recorded_at: from_ms(r.get(4)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
