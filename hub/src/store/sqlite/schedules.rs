//! Schedules and their recorded occurrences in the SQLite store. An occurrence is claimed by
//! inserting its row: the primary key makes sure only one replica fires it.

use super::{SqliteStore, from_ms, ms};
use crate::error::Result;
use crate::model::{Schedule, ScheduleRun, Timestamp};
use rusqlite::{OptionalExtension, params};

fn to_schedule(tenant: String, doc: &str) -> Result<Schedule> {
    let mut s: Schedule = serde_json::from_str(doc)?;
    s.tenant_id = tenant;
    Ok(s)
}

pub(super) async fn insert_schedule(st: &SqliteStore, s: &Schedule) -> Result<()> {
    let doc = serde_json::to_string(s)?;
    let s = s.clone();
    st.with(move |c| {
        c.execute(
            "INSERT INTO schedules(id, tenant_id, enabled, next_run_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![s.id, s.tenant_id, s.enabled, s.next_run_at.map(ms), doc],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn get_schedule(
    st: &SqliteStore,
    tenant: &str,
    id: &str,
) -> Result<Option<Schedule>> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        let doc: Option<String> = c
            .query_row(
                "SELECT doc FROM schedules WHERE id = ?1 AND tenant_id = ?2",
                params![id, tenant],
                |r| r.get(0),
            )
            .optional()?;
        doc.map(|d| to_schedule(tenant, &d)).transpose()
    })
    .await
}

pub(super) async fn list_schedules(st: &SqliteStore, tenant: &str) -> Result<Vec<Schedule>> {
    let tenant = tenant.to_string();
    st.with(move |c| {
        let mut stmt = c.prepare(
            "SELECT doc FROM schedules WHERE tenant_id = ?1 ORDER BY json_extract(doc, '$.name')",
        )?;
        let rows = stmt.query_map([&tenant], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for d in rows {
            out.push(to_schedule(tenant.clone(), &d?)?);
        }
        Ok(out)
    })
    .await
}

pub(super) async fn delete_schedule(st: &SqliteStore, tenant: &str, id: &str) -> Result<bool> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        Ok(c.execute(
            "DELETE FROM schedules WHERE id = ?1 AND tenant_id = ?2",
            params![id, tenant],
        )? > 0)
    })
    .await
}

pub(super) async fn due_schedules(st: &SqliteStore, now: Timestamp) -> Result<Vec<Schedule>> {
    st.with(move |c| {
        let mut stmt = c.prepare("SELECT tenant_id, doc FROM schedules WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ?1")?;
        let rows = stmt.query_map([ms(now)], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (t, d) = row?;
            out.push(to_schedule(t, &d)?);
        }
        Ok(out)
    })
    .await
}

pub(super) async fn claim_schedule_run(st: &SqliteStore, run: &ScheduleRun) -> Result<bool> {
    let run = run.clone();
    st.with(move |c| {
        let n = c.execute(
            "INSERT OR IGNORE INTO schedule_runs(schedule_id, occurrence_at, status, execution_id, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run.schedule_id, ms(run.occurrence_at), run.status, run.execution_id, ms(run.recorded_at)],
        )?;
        Ok(n > 0)
    })
    .await
}

pub(super) async fn set_schedule_run_execution(
    st: &SqliteStore,
    id: &str,
    at: Timestamp,
    execution_id: Option<&str>,
    status: &str,
    detail: Option<&str>,
) -> Result<()> {
    let (id, execution_id, status) = (
        id.to_string(),
        execution_id.map(str::to_string),
        status.to_string(),
    );
    let status = match detail {
        Some(d) => format!("{status}: {d}"),
        None => status,
    };
    st.with(move |c| {
        c.execute(
            "UPDATE schedule_runs SET execution_id = ?3, status = ?4 WHERE schedule_id = ?1 AND occurrence_at = ?2",
            params![id, ms(at), execution_id, status],
        )?;
        Ok(())
    })
    .await
}

pub(super) async fn advance_schedule(
    st: &SqliteStore,
    id: &str,
    next: Option<Timestamp>,
    last: Option<Timestamp>,
) -> Result<()> {
    let id = id.to_string();
    st.with(move |c| {
        let tx = c.transaction()?;
        let row: Option<(String, String)> = tx
            .query_row(
                "SELECT tenant_id, doc FROM schedules WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((tenant, doc)) = row {
            let mut s = to_schedule(tenant, &doc)?;
            s.next_run_at = next;
            if last.is_some() {
                s.last_run_at = last;
            }
            s.enabled = s.enabled && next.is_some();
            tx.execute(
                "UPDATE schedules SET enabled = ?2, next_run_at = ?3, doc = ?4 WHERE id = ?1",
                params![id, s.enabled, next.map(ms), serde_json::to_string(&s)?],
            )?;
        }
        tx.commit()?;
        Ok(())
    })
    .await
}

pub(super) async fn schedule_runs(
    st: &SqliteStore,
    id: &str,
    limit: u32,
) -> Result<Vec<ScheduleRun>> {
    let id = id.to_string();
    st.with(move |c| {
        let mut stmt = c.prepare(
            "SELECT schedule_id, occurrence_at, status, execution_id, recorded_at FROM schedule_runs WHERE schedule_id = ?1
             ORDER BY occurrence_at DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![id, limit], |r| {
            let status: String = r.get(2)?;
            let (status, detail) = match status.split_once(": ") {
                Some((s, d)) => (s.to_string(), Some(d.to_string())),
                None => (status, None),
            };
            Ok(ScheduleRun { schedule_id: r.get(0)?, occurrence_at: from_ms(r.get(1)?), status, execution_id: r.get(3)?, detail, recorded_at: from_ms(r.get(4)?) })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
    .await
}
