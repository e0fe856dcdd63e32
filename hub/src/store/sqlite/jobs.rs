//! Executions, their per-server jobs and job output in the SQLite store. Every status change
//! is decided by `crate::lifecycle` inside one transaction.

use super::{SqliteStore, locks, ms, page_of};
use crate::error::Result;
use crate::lifecycle::{self, ResultDecision};
use crate::model::{
    EventKind, Execution, ExecutionFilter, ExecutionState, Job, JobState, LockPolicy, Page,
    PageRequest, Timestamp,
};
use crate::store::{FinishOutcome, LeaseOutcome};
use crate::template;
use greenroom_proto::JobResult;
use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};

fn job_state(s: &str) -> JobState {
    JobState::parse(s).unwrap_or(JobState::Failed)
}

/// Once a job is final its secrets are no longer needed: they leave the stored command.
fn scrub(job: &mut Job) {
    match &mut job.action {
        greenroom_proto::Action::ShellCommand(c) => {
            c.command = template::redact(&c.command, &job.secrets)
        }
        greenroom_proto::Action::DatabaseQuery(q) => {
            q.connection_string =
                greenroom_proto::secrets::mask_connection_string(&q.connection_string)
        }
        _ => {}
    }
    job.secrets.clear();
}

pub(super) fn write_job(tx: &Transaction<'_>, job: &Job) -> Result<()> {
    let mut job = std::borrow::Cow::Borrowed(job);
    if job.state.is_final() && !job.secrets.is_empty() {
        scrub(job.to_mut());
    }
    tx.execute(
        "UPDATE jobs SET state = ?2, lease_expires_at = ?3, not_before = ?4, cancel_requested = ?5, doc = ?6 WHERE job_id = ?1",
        params![
            job.job_id,
            job.state.as_str(),
            job.lease_expires_at.map(ms),
            job.not_before.map(ms),
            job.cancel_requested,
            serde_json::to_string(job.as_ref())?
        ],
    )?;
    Ok(())
}

pub(super) fn read_job(tx: &Transaction<'_>, job_id: &str) -> Result<Option<Job>> {
    let doc: Option<String> = tx
        .query_row("SELECT doc FROM jobs WHERE job_id = ?1", [job_id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub(super) fn read_execution(tx: &Transaction<'_>, id: &str) -> Result<Option<Execution>> {
    let doc: Option<String> = tx
        .query_row(
            "SELECT doc FROM executions WHERE execution_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(doc.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub(super) fn write_execution(tx: &Transaction<'_>, e: &Execution) -> Result<()> {
    tx.execute(
        "UPDATE executions SET state = ?2, cancelled = ?3, doc = ?4 WHERE execution_id = ?1",
        params![
            e.execution_id,
            e.state.as_str(),
            e.cancelled_by.is_some(),
            serde_json::to_string(e)?
        ],
    )?;
    Ok(())
}

pub(super) fn job_states(tx: &Transaction<'_>, execution_id: &str) -> Result<Vec<JobState>> {
    let mut st = tx.prepare("SELECT state FROM jobs WHERE execution_id = ?1")?;
    let states = st
        .query_map([execution_id], |r| r.get::<_, String>(0))?
        .map(|s| s.map(|s| job_state(&s)))
        .collect::<rusqlite::Result<_>>()?;
    Ok(states)
}

/// Recomputes an execution's state from its jobs (through the lifecycle) and stores it.
pub(super) fn settle_execution(
    tx: &Transaction<'_>,
    execution_id: &str,
    now: Timestamp,
) -> Result<()> {
    let Some(mut e) = read_execution(tx, execution_id)? else {
        return Ok(());
    };
    let next = lifecycle::execution_state(&job_states(tx, execution_id)?, e.cancelled_by.is_some());
    if next == e.state {
        return Ok(());
    }
    if next != crate::model::ExecutionState::Pending && e.started_at.is_none() {
        e.started_at = Some(now);
    }
    if next.is_final() {
        e.completed_at = Some(now);
        let kind = match next {
            ExecutionState::Failed => EventKind::ExecutionFailed,
            ExecutionState::Cancelled => EventKind::ExecutionCancelled,
            _ => EventKind::ExecutionCompleted,
        };
        let details = serde_json::json!({"state": next.as_str()});
        super::notify::record_in(tx, &e.tenant_id, kind, execution_id, &details, now)?;
    }
    e.state = next;
    write_execution(tx, &e)
}

/// Servers with a pending job of this execution (to wake when a slot frees up).
pub(super) fn pending_servers(tx: &Transaction<'_>, execution_id: &str) -> Result<Vec<String>> {
    let mut st = tx.prepare(
        "SELECT DISTINCT server_id FROM jobs WHERE execution_id = ?1 AND state = 'pending'",
    )?;
    Ok(st
        .query_map([execution_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Once failures reach the execution's error threshold, jobs that have not started are skipped.
pub(super) fn apply_error_threshold(
    tx: &Transaction<'_>,
    e: &mut Execution,
    now: Timestamp,
) -> Result<()> {
    let Some(limit) = e.error_threshold else {
        return Ok(());
    };
    let failures = job_states(tx, &e.execution_id)?
        .into_iter()
        .filter(|s| {
            s.is_final()
                && !matches!(
                    s,
                    JobState::Success | JobState::Skipped | JobState::Cancelled
                )
        })
        .count();
    if (failures as u32) < limit {
        return Ok(());
    }
    let ids: Vec<String> = {
        let mut st =
            tx.prepare("SELECT job_id FROM jobs WHERE execution_id = ?1 AND state = 'pending'")?;
        st.query_map([&e.execution_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    if ids.is_empty() {
        return Ok(());
    }
    let reason = format!(
        "error threshold reached: {failures} failed (threshold {limit}); remaining targets skipped"
    );
    for id in ids {
        let Some(mut j) = read_job(tx, &id)? else {
            continue;
        };
        if let Some(next) = lifecycle::on_threshold(j.state) {
            j.state = next;
            j.error = Some(reason.clone());
            j.finished_at = Some(now);
            write_job(tx, &j)?;
        }
    }
    e.skipped_reason = Some(reason);
    write_execution(tx, e)
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
            "INSERT INTO executions(execution_id, tenant_id, state, created_at, priority, max_concurrency, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![e.execution_id, e.tenant_id, e.state.as_str(), ms(e.created_at), e.priority.rank(), e.max_concurrency, doc],
        )?;
        {
            let mut ins = tx.prepare(
                "INSERT INTO jobs(job_id, execution_id, server_id, state, priority, lease_expires_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
            )?;
            for (j, d) in &jobs {
                ins.execute(params![j.job_id, j.execution_id, j.server_id, j.state.as_str(), e.priority.rank(), d])?;
            }
        }
        settle_execution(&tx, &e.execution_id, e.created_at)?;
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
    f: &ExecutionFilter,
    page: PageRequest,
) -> Result<Page<Execution>> {
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
    let where_ = clauses.join(" AND ");
    st.with(move |c| {
        let total: i64 = c.query_row(&format!("SELECT COUNT(*) FROM executions WHERE {where_}"), params_from_iter(args.iter()), |r| r.get(0))?;
        let sql = format!(
            "SELECT doc FROM executions WHERE {where_} ORDER BY created_at DESC, execution_id DESC LIMIT {} OFFSET {}",
            page.page_size,
            page.offset()
        );
        let mut stmt = c.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(0))?;
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

/// Candidates a server may lease now, best first: due, execution live and not cancelled,
/// with a free concurrency slot.
const LEASE_CANDIDATES: &str = "
SELECT j.job_id FROM jobs j JOIN executions e ON e.execution_id = j.execution_id
WHERE j.server_id = ?1 AND j.state = 'pending' AND (j.not_before IS NULL OR j.not_before <= ?2)
  AND e.cancelled = 0 AND e.state IN ('pending', 'running')
  AND (e.max_concurrency IS NULL OR
       (SELECT COUNT(*) FROM jobs r WHERE r.execution_id = j.execution_id AND r.state IN ('leased', 'running')) < e.max_concurrency)
ORDER BY j.priority DESC, j.seq LIMIT 20";

pub(super) async fn lease_next_job(
    st: &SqliteStore,
    server_id: &str,
    now: Timestamp,
    until: Timestamp,
    lock_ttl: chrono::Duration,
) -> Result<LeaseOutcome> {
    let server_id = server_id.to_string();
    st.with(move |c| {
        let tx = c.transaction()?;
        let ids: Vec<String> = {
            let mut stmt = tx.prepare(LEASE_CANDIDATES)?;
            stmt.query_map(params![server_id, ms(now)], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        let mut out = LeaseOutcome::default();
        for id in ids {
            let Some(mut job) = read_job(&tx, &id)? else { continue };
            let Some(next) = lifecycle::on_lease(job.state) else { continue };
            let Some(e) = read_execution(&tx, &job.execution_id)? else { continue };
            if e.requires_lock {
                match locks::take_for_job(&tx, &e, &job, now, lock_ttl)? {
                    locks::Take::Held(lock) => {
                        job.lock_id = Some(lock.lock_id);
                        job.fencing_token = Some(lock.fencing_token);
                    }
                    locks::Take::Busy(holder) if e.lock_policy == LockPolicy::Fail => {
                        job.state = JobState::Failed;
                        job.error = Some(format!("server {} is locked by {holder}; this execution does not wait for locks", job.server_id));
                        job.finished_at = Some(now);
                        write_job(&tx, &job)?;
                        settle_execution(&tx, &job.execution_id, now)?;
                        out.changed.push(job.execution_id.clone());
                        continue;
                    }
                    locks::Take::Busy(_) => continue,
                }
            }
            job.state = next;
            job.attempt += 1;
            job.lease_expires_at = Some(until);
            job.not_before = None;
            job.started_at = Some(now);
            write_job(&tx, &job)?;
            settle_execution(&tx, &job.execution_id, now)?;
            out.changed.push(job.execution_id.clone());
            out.job = Some(job);
            break;
        }
        tx.commit()?;
        Ok(out)
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
                Some(mut j)
                    if j.server_id == server_id && !j.state.is_final() && !j.cancel_requested =>
                {
                    j.lease_expires_at = Some(until);
                    j.state = lifecycle::on_output(j.state);
                    write_job(&tx, &j)?;
                    if let Some(lock_id) = &j.lock_id {
                        locks::renew_for_job(&tx, lock_id, until)?;
                    }
                }
                _ => stop.push(id),
            }
        }
        tx.commit()?;
        Ok(stop)
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
        let Some(mut job) = read_job(&tx, &job_id)? else { return Ok(FinishOutcome::NotFound) };
        if job.server_id != server_id {
            return Ok(FinishOutcome::NotFound);
        }
        let Some(mut e) = read_execution(&tx, &job.execution_id)? else { return Ok(FinishOutcome::NotFound) };
        let execution_id = job.execution_id.clone();
        let Some(decision) = lifecycle::on_result(job.state, &r, e.success_criteria.as_ref(), job.attempt, job.max_attempts) else {
            return Ok(FinishOutcome::AlreadyFinal { execution_id });
        };
        // Fencing: a job that ran under a lock must still hold it, with the same token.
        let fenced = match (&job.lock_id, job.fencing_token) {
            (Some(lock_id), Some(token)) => !locks::still_holds(&tx, lock_id, token, now)?,
            _ => false,
        };
        job.exit_code = r.exit_code;
        job.output = template::redact(&r.output, &job.secrets);
        job.error_output = template::redact(&r.error_output, &job.secrets);
        job.execution_time = r.execution_time;
        job.resource_usage = r.resource_usage;
        job.truncated = r.truncated;
        job.started_at = Some(r.started_at);
        job.lease_expires_at = None;
        let mut outcome_retry = false;
        if fenced {
            job.state = JobState::Failed;
            job.error = Some(format!(
                "result refused: the server lock (fencing token {}) expired or was taken over before the result arrived",
                job.fencing_token.unwrap_or_default()
            ));
            job.finished_at = Some(now);
        } else {
            match decision {
                ResultDecision::Final(state, why) => {
                    job.state = state;
                    job.error = why;
                    job.finished_at = Some(r.finished_at);
                }
                ResultDecision::Retry { reason } => {
                    job.state = JobState::Pending;
                    job.error = Some(format!("{reason}; retrying in {} s", e.retry_delay_seconds));
                    job.not_before = Some(now + chrono::Duration::seconds(e.retry_delay_seconds as i64));
                    outcome_retry = true;
                }
            }
        }
        if job.state.is_final()
            && let Some(lock_id) = job.lock_id.clone()
        {
            locks::release_for_job(&tx, &lock_id, &execution_id, now)?;
        }
        write_job(&tx, &job)?;
        apply_error_threshold(&tx, &mut e, now)?;
        settle_execution(&tx, &execution_id, now)?;
        let mut wake = pending_servers(&tx, &execution_id)?;
        if job.lock_id.is_some() && job.state.is_final() {
            wake.push(job.server_id.clone());
        }
        tx.commit()?;
        Ok(if fenced {
            FinishOutcome::Fenced { execution_id }
        } else if outcome_retry {
            FinishOutcome::Retrying { execution_id, wake }
        } else {
            FinishOutcome::Stored { execution_id, wake }
        })
    })
    .await
}
