//! Settling jobs outside a result: cancellation by a user, cancellations handed to agents,
//! lapsed leases, and retries coming due. Every status is decided by `crate::lifecycle`.

use super::jobs::{
    apply_error_threshold, read_execution, read_job, settle_execution, write_execution, write_job,
};
use super::{SqliteStore, locks, ms};
use crate::error::Result;
use crate::lifecycle::{self, CancelAction};
use crate::model::{JobState, Timestamp};
use crate::store::LapsedJob;
use rusqlite::OptionalExtension;

pub(super) async fn cancel_execution(
    st: &SqliteStore,
    tenant: &str,
    id: &str,
    by: &str,
    now: Timestamp,
) -> Result<Option<Vec<String>>> {
    let (tenant, id, by) = (tenant.to_string(), id.to_string(), by.to_string());
    st.with(move |c| {
        let tx = c.transaction()?;
        let owned: Option<String> = tx
            .query_row(
                "SELECT tenant_id FROM executions WHERE execution_id = ?1",
                [&id],
                |r| r.get(0),
            )
            .optional()?;
        if owned.as_deref() != Some(tenant.as_str()) {
            return Ok(None);
        }
        let Some(mut e) = read_execution(&tx, &id)? else {
            return Ok(None);
        };
        if e.state.is_final() {
            return Ok(Some(Vec::new()));
        }
        e.cancelled_by.get_or_insert(by);
        write_execution(&tx, &e)?;
        let ids: Vec<String> = {
            let mut stmt = tx.prepare("SELECT job_id FROM jobs WHERE execution_id = ?1")?;
            stmt.query_map([&id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut wake = Vec::new();
        for jid in ids {
            let Some(mut j) = read_job(&tx, &jid)? else {
                continue;
            };
            match lifecycle::on_cancel(j.state) {
                CancelAction::Now(state) => {
                    j.state = state;
                    j.error = Some("cancelled before it started".into());
                    j.finished_at = Some(now);
                    write_job(&tx, &j)?;
                }
                CancelAction::Signal => {
                    j.cancel_requested = true;
                    write_job(&tx, &j)?;
                    wake.push(j.server_id.clone());
                }
                CancelAction::Nothing => {}
            }
        }
        settle_execution(&tx, &id, now)?;
        tx.commit()?;
        Ok(Some(wake))
    })
    .await
}

/// How long before a cancellation is sent to the agent again.
const CANCEL_RESEND_SECS: i64 = 10;

pub(super) async fn take_cancellations(
    st: &SqliteStore,
    server_id: &str,
    now: Timestamp,
) -> Result<Vec<String>> {
    let server_id = server_id.to_string();
    st.with(move |c| {
        let tx = c.transaction()?;
        let ids: Vec<String> = {
            let mut stmt = tx.prepare("SELECT job_id FROM jobs WHERE server_id = ?1 AND cancel_requested = 1 AND state IN ('leased', 'running')")?;
            stmt.query_map([&server_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::new();
        for id in ids {
            let Some(mut j) = read_job(&tx, &id)? else { continue };
            if j.cancel_sent_at.is_some_and(|t| (now - t).num_seconds() < CANCEL_RESEND_SECS) {
                continue;
            }
            j.cancel_sent_at = Some(now);
            write_job(&tx, &j)?;
            out.push(id);
        }
        tx.commit()?;
        Ok(out)
    })
    .await
}

pub(super) async fn expire_leases(st: &SqliteStore, now: Timestamp) -> Result<Vec<LapsedJob>> {
    st.with(move |c| {
        let tx = c.transaction()?;
        let ids: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT job_id FROM jobs WHERE state IN ('leased', 'running') AND lease_expires_at IS NOT NULL AND lease_expires_at < ?1",
            )?;
            stmt.query_map([ms(now)], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        let mut lapsed = Vec::new();
        for id in ids {
            let Some(mut job) = read_job(&tx, &id)? else { continue };
            let policy = read_execution(&tx, &job.execution_id)?.map(|e| e.lost_job_policy).unwrap_or_default();
            let Some(next) = lifecycle::on_lease_lapsed(job.state, job.cancel_requested, policy, job.attempt, job.max_attempts) else { continue };
            job.state = next;
            job.lease_expires_at = None;
            let requeued = next == JobState::Pending;
            if requeued {
                job.error = Some(format!("attempt {} lost: the agent stopped reporting; offered again", job.attempt));
            } else {
                job.error = Some("lease expired: the agent stopped reporting this job".into());
                job.finished_at = Some(now);
                if let Some(lock_id) = job.lock_id.clone() {
                    locks::release_for_job(&tx, &lock_id, &job.execution_id, now)?;
                }
            }
            write_job(&tx, &job)?;
            if let Some(mut e) = read_execution(&tx, &job.execution_id)? {
                apply_error_threshold(&tx, &mut e, now)?;
            }
            settle_execution(&tx, &job.execution_id, now)?;
            lapsed.push(LapsedJob { execution_id: job.execution_id, server_id: job.server_id, requeued });
        }
        tx.commit()?;
        Ok(lapsed)
    })
    .await
}

pub(super) async fn servers_with_due_jobs(st: &SqliteStore, now: Timestamp) -> Result<Vec<String>> {
    st.with(move |c| {
        let mut stmt = c.prepare("SELECT DISTINCT server_id FROM jobs WHERE state = 'pending' AND not_before IS NOT NULL AND not_before <= ?1")?;
        Ok(stmt.query_map([ms(now)], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    })
    .await
}
