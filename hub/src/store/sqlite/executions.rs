//! Executions, their control records and their per-server jobs in the SQLite store: reading
//! and writing them, and settling an execution's state after its jobs changed (decided by
//! `crate::lifecycle::settle`).

use super::super::codec::Codec;
use super::super::{StoreError, StoreResult};
use super::{docs, ms, page_of};
use crate::lifecycle::{redact, settle};
use crate::model::{
    Execution, ExecutionControl, ExecutionFilter, ExecutionOrder, ExecutionOrderField, Job, Page,
    PageRequest, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

const JOB_COLUMNS: &str = "job_id, tenant_id, execution_id, server_id, state, priority, queued_at, not_before, lease_expires_at, cancel_requested, doc";

/// Inserts a job into `table` (`jobs`; `jobs_v4` while migration 4 copies into it).
pub(super) fn insert_job_in(
    tx: &Transaction<'_>,
    codec: &Codec,
    table: &str,
    j: &Job,
) -> StoreResult<()> {
    tx.prepare_cached(&format!(
        "INSERT INTO {table}({JOB_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(params![
        j.job_id,
        j.tenant_id,
        j.execution_id,
        j.server_id,
        j.state.as_str(),
        j.priority.rank(),
        ms(j.queued_at),
        j.not_before.map(ms),
        j.lease_expires_at.map(ms),
        j.cancel_requested,
        codec.job(j)?.to_string()
    ])?;
    Ok(())
}

/// Writes a job back; a final job is scrubbed of its secrets first.
pub(super) fn write_job(tx: &Transaction<'_>, codec: &Codec, job: &Job) -> StoreResult<()> {
    let mut job = std::borrow::Cow::Borrowed(job);
    if job.state.is_final() && !job.secrets.is_empty() {
        redact::scrub(job.to_mut());
    }
    tx.prepare_cached(
        "UPDATE jobs SET state = ?2, not_before = ?3, lease_expires_at = ?4, cancel_requested = ?5, doc = ?6 WHERE job_id = ?1",
    )?
    .execute(params![
        job.job_id,
        job.state.as_str(),
        job.not_before.map(ms),
        job.lease_expires_at.map(ms),
        job.cancel_requested,
        codec.job(&job)?.to_string()
    ])?;
    Ok(())
}

pub(super) fn read_job(c: &Connection, codec: &Codec, job_id: &str) -> StoreResult<Option<Job>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM jobs WHERE job_id = ?1")?
        .query_row([job_id], |r| r.get(0))
        .optional()?;
    d.map(|d| codec.job_from(super::doc(&d)?)).transpose()
}

pub(super) fn jobs_where(
    c: &Connection,
    codec: &Codec,
    sql_where: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<Job>> {
    docs(
        c,
        &format!("SELECT doc FROM jobs WHERE {sql_where}"),
        params,
    )?
    .into_iter()
    .map(|d| codec.job_from(d))
    .collect()
}

pub(super) fn jobs_of(c: &Connection, codec: &Codec, execution_id: &str) -> StoreResult<Vec<Job>> {
    jobs_where(
        c,
        codec,
        "execution_id = ?1 ORDER BY server_id",
        [execution_id],
    )
}

pub(super) fn jobs_of_many(c: &Connection, codec: &Codec, ids: &[String]) -> StoreResult<Vec<Job>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    jobs_where(
        c,
        codec,
        &format!("execution_id IN ({marks}) ORDER BY execution_id, server_id"),
        params_from_iter(ids.iter()),
    )
}

pub(super) fn insert_control(tx: &Transaction<'_>, ctl: &ExecutionControl) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO execution_control(execution_id, tenant_id, state, doc) VALUES (?1, ?2, ?3, ?4)",
        params![ctl.execution_id, ctl.tenant_id, ctl.state.as_str(), serde_json::to_string(ctl)?],
    )?;
    Ok(())
}

pub(super) fn read_control(
    c: &Connection,
    execution_id: &str,
) -> StoreResult<Option<ExecutionControl>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM execution_control WHERE execution_id = ?1")?
        .query_row([execution_id], |r| r.get(0))
        .optional()?;
    Ok(d.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub(super) fn write_control(tx: &Transaction<'_>, ctl: &ExecutionControl) -> StoreResult<()> {
    tx.prepare_cached("UPDATE execution_control SET state = ?2, doc = ?3 WHERE execution_id = ?1")?
        .execute(params![
            ctl.execution_id,
            ctl.state.as_str(),
            serde_json::to_string(ctl)?
        ])?;
    Ok(())
}

pub(super) fn read_execution(c: &Connection, id: &str) -> StoreResult<Option<Execution>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM executions WHERE execution_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(d.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub(super) fn write_execution(tx: &Transaction<'_>, e: &Execution) -> StoreResult<()> {
    tx.prepare_cached(
        "UPDATE executions SET state = ?2, cancelled = ?3, doc = ?4 WHERE execution_id = ?1",
    )?
    .execute(params![
        e.execution_id,
        e.state.as_str(),
        e.cancelled_by.is_some(),
        serde_json::to_string(e)?
    ])?;
    Ok(())
}

/// Writes the control record, and, when its counts moved the execution to another state,
/// the execution too (with the outbox event a final state writes). Returns whether the
/// execution's state changed.
pub(super) fn commit_control(
    tx: &Transaction<'_>,
    ctl: &mut ExecutionControl,
    now: Timestamp,
) -> StoreResult<bool> {
    let Some(next) = settle::next_state(ctl) else {
        write_control(tx, ctl)?;
        return Ok(false);
    };
    let Some(mut e) = read_execution(tx, &ctl.execution_id)? else {
        write_control(tx, ctl)?;
        return Ok(false);
    };
    if let Some(kind) = settle::enter_state(ctl, &mut e, next, now) {
        let details = serde_json::json!({"state": next.as_str()});
        super::audit::record_event(tx, &e.tenant_id, kind, &e.execution_id, &details, now)?;
    }
    write_execution(tx, &e)?;
    write_control(tx, ctl)?;
    Ok(true)
}

/// Writes a job the lifecycle changed and what follows for its execution: the error
/// threshold's skips, the counts and the execution's state.
pub(super) fn commit_job(
    tx: &Transaction<'_>,
    codec: &Codec,
    job: &Job,
    ctl: &mut ExecutionControl,
    now: Timestamp,
) -> StoreResult<()> {
    write_job(tx, codec, job)?;
    apply_error_threshold(tx, codec, ctl, now)?;
    commit_control(tx, ctl, now)?;
    Ok(())
}

/// Once failures reach the execution's error threshold, its jobs that have not started are
/// skipped (once: afterwards none is pending).
fn apply_error_threshold(
    tx: &Transaction<'_>,
    codec: &Codec,
    ctl: &mut ExecutionControl,
    now: Timestamp,
) -> StoreResult<()> {
    let Some(reason) = settle::threshold_reached(ctl) else {
        return Ok(());
    };
    for mut j in jobs_where(
        tx,
        codec,
        "execution_id = ?1 AND state = 'pending'",
        [&ctl.execution_id],
    )? {
        settle::skip_for_threshold(&mut j, ctl, &reason, now);
        write_job(tx, codec, &j)?;
    }
    if let Some(mut e) = read_execution(tx, &ctl.execution_id)? {
        e.skipped_reason = Some(reason);
        write_execution(tx, &e)?;
    }
    Ok(())
}

pub(super) fn insert_execution_row(tx: &Transaction<'_>, e: &Execution) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO executions(execution_id, tenant_id, state, created_at, priority, max_concurrency, cancelled, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![e.execution_id, e.tenant_id, e.state.as_str(), ms(e.created_at), e.priority.rank(), e.max_concurrency, e.cancelled_by.is_some(), serde_json::to_string(e)?],
    )?;
    Ok(())
}

pub(super) fn insert_execution(
    tx: &Transaction<'_>,
    codec: &Codec,
    e: &Execution,
    jobs: &[Job],
) -> StoreResult<()> {
    insert_execution_row(tx, e)?;
    for j in jobs {
        insert_job_in(tx, codec, "jobs", j)?;
    }
    let mut ctl = ExecutionControl::of(e, jobs);
    insert_control(tx, &ctl)?;
    commit_control(tx, &mut ctl, e.created_at)?;
    Ok(())
}

pub(super) fn get_execution(
    c: &Connection,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<Execution>> {
    let d: Option<String> = c
        .prepare_cached("SELECT doc FROM executions WHERE execution_id = ?1 AND tenant_id = ?2")?
        .query_row(params![id, tenant], |r| r.get(0))
        .optional()?;
    Ok(d.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub(super) fn list_executions(
    c: &Connection,
    tenant: &str,
    f: &ExecutionFilter,
    page: PageRequest,
) -> StoreResult<Page<Execution>> {
    let mut clauses = vec!["tenant_id = ?".to_string()];
    let mut args: Vec<rusqlite::types::Value> = vec![tenant.to_string().into()];
    if let Some(s) = f.status {
        clauses.push("state = ?".into());
        args.push(s.as_str().to_string().into());
    }
    if let Some(t) = &f.template_id {
        clauses.push("json_extract(doc, '$.action_template_id') = ?".into());
        args.push(t.clone().into());
    }
    if let Some(u) = &f.initiated_by {
        clauses.push("lower(json_extract(doc, '$.initiated_by')) = lower(?)".into());
        args.push(u.clone().into());
    }
    if let Some(s) = &f.server_id {
        clauses.push(
            "EXISTS (SELECT 1 FROM json_each(doc, '$.target_servers') WHERE value = ?)".into(),
        );
        args.push(s.clone().into());
    }
    if let Some(env) = &f.environment {
        clauses
            .push("EXISTS (SELECT 1 FROM json_each(doc, '$.environments') WHERE value = ?)".into());
        args.push(env.clone().into());
    }
    if let Some(from) = f.from {
        clauses.push("created_at >= ?".into());
        args.push(ms(from).into());
    }
    if let Some(to) = f.to {
        clauses.push("created_at < ?".into());
        args.push(ms(to).into());
    }
    let total: i64 = c.query_row(
        &format!(
            "SELECT COUNT(*) FROM executions WHERE {}",
            clauses.join(" AND ")
        ),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    // A keyset page (orders by creation time or id only: `ExecutionOrder::keyset`).
    let seek = if f.order.keyset() {
        f.seek.clone()
    } else {
        Default::default()
    };
    for (key, after) in [(&seek.after, true), (&seek.before, false)] {
        let Some(key) = key else { continue };
        // After, in a descending order, is smaller.
        let op = if after == f.order.ascending { ">" } else { "<" };
        match f.order.field {
            ExecutionOrderField::ExecutionId => {
                clauses.push(format!("execution_id {op} ?"));
                args.push(key.clone().into());
            }
            _ => {
                let Some((ms, id)) = ExecutionOrder::parse_created_key(key) else {
                    return Err(StoreError::Corrupt(format!("not a history key: {key}")));
                };
                clauses.push(format!(
                    "(created_at {op} ? OR (created_at = ? AND execution_id {op} ?))"
                ));
                args.extend([ms.into(), ms.into(), id.to_string().into()]);
            }
        }
    }
    let order = if seek.from_end {
        f.order.reversed()
    } else {
        f.order
    };
    let offset = if seek.is_active() { 0 } else { page.offset() };
    let mut items: Vec<Execution> = docs(
        c,
        &format!(
            "SELECT doc FROM executions WHERE {} ORDER BY {} LIMIT {} OFFSET {offset}",
            clauses.join(" AND "),
            order_by(order),
            page.page_size,
        ),
        params_from_iter(args.iter()),
    )?
    .into_iter()
    .map(|d| Ok(serde_json::from_value(d)?))
    .collect::<StoreResult<_>>()?;
    if seek.from_end {
        items.reverse();
    }
    Ok(page_of(items, total, page))
}

/// The ORDER BY of a history order (fixed text per field: nothing from the request).
fn order_by(o: ExecutionOrder) -> String {
    let dir = if o.ascending { "ASC" } else { "DESC" };
    match o.field {
        ExecutionOrderField::CreatedAt => format!("created_at {dir}, execution_id {dir}"),
        ExecutionOrderField::ExecutionId => format!("execution_id {dir}"),
        ExecutionOrderField::State => {
            format!("state {dir}, created_at DESC, execution_id DESC")
        }
        ExecutionOrderField::InitiatedBy => format!(
            "lower(json_extract(doc, '$.initiated_by')) {dir}, created_at DESC, execution_id DESC"
        ),
    }
}
