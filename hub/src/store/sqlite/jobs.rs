//! Executions, their per-server jobs and job output in the SQLite store. Every status change
//! is decided by `crate::lifecycle` inside one transaction.

use super::{SqliteStore, from_ms, ms, page_of};
use crate::error::Result;
use crate::lifecycle;
use crate::model::{Execution, ExecutionState, Job, JobState, Page, PageRequest, Timestamp};
use crate::store::{FinishOutcome, LogLine};
use greenroom_proto::{JobResult, OutputChunk, Stream};
use rusqlite::{OptionalExtension, Transaction, params};

fn job_state(s: &str) -> JobState {
    JobState::parse(s).unwrap_or(JobState::Failed)
}

fn write_job(tx: &Transaction<'_>, job: &Job) -> Result<()> {
    tx.execute(
        "UPDATE jobs SET state = ?2, lease_expires_at = ?3, doc = ?4 WHERE job_id = ?1",
        params![
            job.job_id,
            job.state.as_str(),
            job.lease_expires_at.map(ms),
            serde_json::to_string(job)?
        ],
    )?;
    Ok(())
}

fn read_job(tx: &Transaction<'_>, job_id: &str) -> Result<Option<Job>> {
    let doc: Option<String> = tx
        .query_row("SELECT doc FROM jobs WHERE job_id = ?1", [job_id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

fn read_execution(tx: &Transaction<'_>, id: &str) -> Result<Option<Execution>> {
    let doc: Option<String> = tx
        .query_row(
            "SELECT doc FROM executions WHERE execution_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

/// Recomputes an execution's state from its jobs (through the lifecycle) and stores it.
fn settle_execution(tx: &Transaction<'_>, execution_id: &str, now: Timestamp) -> Result<()> {
    let Some(mut e) = read_execution(tx, execution_id)? else {
        return Ok(());
    };
    let states: Vec<JobState> = {
        let mut st = tx.prepare("SELECT state FROM jobs WHERE execution_id = ?1")?;
        st.query_map([execution_id], |r| r.get::<_, String>(0))?
            .map(|s| s.map(|s| job_state(&s)))
            .collect::<rusqlite::Result<_>>()?
    };
    let next = lifecycle::execution_state(&states);
    if next == e.state {
        return Ok(());
    }
    if next != ExecutionState::Pending && e.started_at.is_none() {
        e.started_at = Some(now);
    }
    if next.is_final() {
        e.completed_at = Some(now);
    }
    e.state = next;
    tx.execute(
        "UPDATE executions SET state = ?2, doc = ?3 WHERE execution_id = ?1",
        params![execution_id, e.state.as_str(), serde_json::to_string(&e)?],
    )?;
    Ok(())
}

pub(super) async fn insert_execution(st: &SqliteStore, e: &Execution, jobs: &[Job]) -> Result<()> {
    let doc = serde_json::to_string(e)?;
    let e = e.clone();
    let jobs = jobs
        .iter()
        .map(|j| Ok((j.clone(), serde_json::to_string(j)?)))
        .collect::<Result<Vec<_>>>()?;
    st.with(move |c| {
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO executions(execution_id, tenant_id, state, created_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![e.execution_id, e.tenant_id, e.state.as_str(), ms(e.created_at), doc],
        )?;
        {
            let mut ins = tx.prepare(
                "INSERT INTO jobs(job_id, execution_id, server_id, state, priority, lease_expires_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            )?;
            for (j, d) in &jobs {
                ins.execute(params![j.job_id, j.execution_id, j.server_id, j.state.as_str(), e.priority, d])?;
            }
        }
        tx.commit()?;
        Ok(())
    })
    .await
}

pub(super) async fn get_execution(
    st: &SqliteStore,
    tenant: &str,
    id: &str,
) -> Result<Option<Execution>> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    st.with(move |c| {
        let doc: Option<String> = c
            .query_row(
                "SELECT doc FROM executions WHERE execution_id = ?1 AND tenant_id = ?2",
                params![id, tenant],
                |r| r.get(0),
            )
            .optional()?;
        Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
    })
    .await
}

pub(super) async fn list_executions(
    st: &SqliteStore,
    tenant: &str,
    state: Option<&str>,
    page: PageRequest,
) -> Result<Page<Execution>> {
    let (tenant, state) = (tenant.to_string(), state.map(str::to_string));
    st.with(move |c| {
        let total: i64 = c.query_row(
            "SELECT COUNT(*) FROM executions WHERE tenant_id = ?1 AND (?2 IS NULL OR state = ?2)",
            params![tenant, state],
            |r| r.get(0),
        )?;
        let mut stmt = c.prepare(
            "SELECT doc FROM executions WHERE tenant_id = ?1 AND (?2 IS NULL OR state = ?2)
             ORDER BY created_at DESC, execution_id DESC LIMIT ?3 OFFSET ?4",
        )?;
        let rows = stmt.query_map(
            params![tenant, state, page.page_size, page.offset() as i64],
            |r| r.get::<_, String>(0),
        )?;
        let mut items = Vec::new();
        for d in rows {
            items.push(serde_json::from_str(&d?)?);
        }
        Ok(page_of(items, total, page))
    })
    .await
}

pub(super) async fn jobs_of(st: &SqliteStore, execution_id: &str) -> Result<Vec<Job>> {
    let id = execution_id.to_string();
    st.with(move |c| {
        let mut stmt =
            c.prepare("SELECT doc FROM jobs WHERE execution_id = ?1 ORDER BY server_id")?;
        let rows = stmt.query_map([id], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for d in rows {
            out.push(serde_json::from_str(&d?)?);
        }
        Ok(out)
    })
    .await
}

pub(super) async fn lease_next_job(
    st: &SqliteStore,
    server_id: &str,
    now: Timestamp,
    until: Timestamp,
) -> Result<Option<Job>> {
    let server_id = server_id.to_string();
    st.with(move |c| {
        let tx = c.transaction()?;
        let id: Option<String> = tx
            .query_row(
                "SELECT job_id FROM jobs WHERE server_id = ?1 AND state = 'pending' ORDER BY priority DESC, seq LIMIT 1",
                [&server_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        let Some(mut job) = read_job(&tx, &id)? else { return Ok(None) };
        let Some(next) = lifecycle::on_lease(job.state) else { return Ok(None) };
        job.state = next;
        job.attempt += 1;
        job.lease_expires_at = Some(until);
        job.started_at.get_or_insert(now);
        write_job(&tx, &job)?;
        settle_execution(&tx, &job.execution_id, now)?;
        tx.commit()?;
        Ok(Some(job))
    })
    .await
}

pub(super) async fn extend_leases(
    st: &SqliteStore,
    server_id: &str,
    ids: &[String],
    until: Timestamp,
) -> Result<Vec<String>> {
    let (server_id, ids) = (server_id.to_string(), ids.to_vec());
    st.with(move |c| {
        let tx = c.transaction()?;
        let mut stop = Vec::new();
        for id in ids {
            match read_job(&tx, &id)? {
                Some(mut j) if j.server_id == server_id && !j.state.is_final() => {
                    j.lease_expires_at = Some(until);
                    write_job(&tx, &j)?;
                }
                _ => stop.push(id),
            }
        }
        tx.commit()?;
        Ok(stop)
    })
    .await
}

pub(super) async fn append_output(
    st: &SqliteStore,
    server_id: &str,
    job_id: &str,
    chunks: &[OutputChunk],
    now: Timestamp,
) -> Result<Option<String>> {
    let (server_id, job_id, chunks) = (server_id.to_string(), job_id.to_string(), chunks.to_vec());
    st.with(move |c| {
        let tx = c.transaction()?;
        let Some(mut job) = read_job(&tx, &job_id)? else { return Ok(None) };
        if job.server_id != server_id {
            return Ok(None);
        }
        {
            let mut ins = tx.prepare(
                "INSERT OR IGNORE INTO job_output(job_id, seq, execution_id, server_id, stream, data, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for ch in &chunks {
                let stream = match ch.stream {
                    Stream::Stdout => "stdout",
                    Stream::Stderr => "stderr",
                };
                ins.execute(params![job_id, ch.seq as i64, job.execution_id, server_id, stream, ch.data, ms(now)])?;
            }
        }
        let next = lifecycle::on_output(job.state);
        if next != job.state {
            job.state = next;
            write_job(&tx, &job)?;
        }
        tx.commit()?;
        Ok(Some(job.execution_id))
    })
    .await
}

pub(super) async fn finish_job(
    st: &SqliteStore,
    server_id: &str,
    job_id: &str,
    r: &JobResult,
    now: Timestamp,
) -> Result<FinishOutcome> {
    let (server_id, job_id, r) = (server_id.to_string(), job_id.to_string(), r.clone());
    st.with(move |c| {
        let tx = c.transaction()?;
        let Some(mut job) = read_job(&tx, &job_id)? else {
            return Ok(FinishOutcome::NotFound);
        };
        if job.server_id != server_id {
            return Ok(FinishOutcome::NotFound);
        }
        let criteria = read_execution(&tx, &job.execution_id)?.and_then(|e| e.success_criteria);
        let Some((state, why)) = lifecycle::on_result(job.state, &r, criteria.as_ref()) else {
            return Ok(FinishOutcome::AlreadyFinal {
                execution_id: job.execution_id,
            });
        };
        job.state = state;
        job.exit_code = r.exit_code;
        job.output = r.output;
        job.error_output = r.error_output;
        job.execution_time = r.execution_time;
        job.resource_usage = r.resource_usage;
        job.truncated = r.truncated;
        job.error = why;
        job.started_at = Some(r.started_at);
        job.finished_at = Some(r.finished_at);
        job.lease_expires_at = None;
        write_job(&tx, &job)?;
        settle_execution(&tx, &job.execution_id, now)?;
        tx.commit()?;
        Ok(FinishOutcome::Stored {
            execution_id: job.execution_id,
        })
    })
    .await
}

pub(super) async fn expire_leases(st: &SqliteStore, now: Timestamp) -> Result<Vec<String>> {
    st.with(move |c| {
        let tx = c.transaction()?;
        let ids: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT job_id FROM jobs WHERE state IN ('leased', 'running') AND lease_expires_at IS NOT NULL AND lease_expires_at < ?1",
            )?;
            stmt.query_map([ms(now)], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        let mut changed = Vec::new();
        for id in ids {
            let Some(mut job) = read_job(&tx, &id)? else { continue };
            let Some(next) = lifecycle::on_lease_lapsed(job.state) else { continue };
            job.state = next;
            job.error = Some("lease expired: the agent stopped reporting this job".into());
            job.lease_expires_at = None;
            job.finished_at = Some(now);
            write_job(&tx, &job)?;
            settle_execution(&tx, &job.execution_id, now)?;
            if !changed.contains(&job.execution_id) {
                changed.push(job.execution_id);
            }
        }
        tx.commit()?;
        Ok(changed)
    })
    .await
}

pub(super) async fn servers_with_pending_jobs(st: &SqliteStore) -> Result<Vec<String>> {
    st.with(|c| {
        let mut stmt = c.prepare("SELECT DISTINCT server_id FROM jobs WHERE state = 'pending'")?;
        Ok(stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    })
    .await
}

pub(super) async fn execution_logs(
    st: &SqliteStore,
    execution_id: &str,
    after: Option<u64>,
) -> Result<Vec<LogLine>> {
    let id = execution_id.to_string();
    st.with(move |c| {
        let mut stmt = c.prepare(
            "SELECT server_id, job_id, seq, stream, data, at FROM job_output WHERE execution_id = ?1 AND seq >= ?2
             ORDER BY server_id, seq LIMIT 100000",
        )?;
        let from = after.map(|a| a as i64 + 1).unwrap_or(0);
        let rows = stmt.query_map(params![id, from], |r| {
            Ok(LogLine {
                server_id: r.get(0)?,
                job_id: r.get(1)?,
                seq: r.get::<_, i64>(2)? as u64,
                stream: r.get(3)?,
                data: r.get(4)?,
                timestamp: from_ms(r.get(5)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
    .await
}
