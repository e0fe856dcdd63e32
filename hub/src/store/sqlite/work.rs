//! The job lifecycle in the SQLite store: leasing, lease extension by heartbeats, results,
//! cancellation, lapsed leases, undelivered jobs and due retries. Each function loads the job, its execution's
//! control record and the server's lock, asks `crate::lifecycle`, and writes what changed
//! in the caller's one transaction — the server's busy/idle change with a lease or a result
//! included.

use super::super::codec::Codec;
use super::super::{
    FinishOutcome, LapsedJob, LeaseOutcome, ServerRef, StoreResult, UndeliveredJobs,
};
use super::executions::{
    commit_control, commit_job, jobs_where, read_control, read_execution, read_job,
    write_execution, write_job,
};
use super::{locks, ms, servers};
use crate::lifecycle::lease::{self, LeaseDecision, LockUse};
use crate::lifecycle::servers as servers_rules;
use crate::lifecycle::settle::{self, ResultKind};
use crate::lifecycle::{CancelAction, locks as lock_rules};
use crate::model::{Circuit, Timestamp};
use greenroom_proto::JobResult;
use rusqlite::{Transaction, params};

/// How many queued jobs of a server one lease call considers.
const CANDIDATES: u32 = 20;

pub(super) fn lease_next(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    server: &str,
    now: Timestamp,
    until: Timestamp,
    lock_ttl: chrono::Duration,
) -> StoreResult<LeaseOutcome> {
    let candidates = jobs_where(
        tx,
        codec,
        "tenant_id = ?1 AND server_id = ?2 AND state = 'pending' AND (not_before IS NULL OR not_before <= ?3)
         ORDER BY priority DESC, queued_at, job_id LIMIT ?4",
        params![tenant, server, ms(now), CANDIDATES],
    )?;
    let mut out = LeaseOutcome::default();
    if candidates.is_empty() {
        return Ok(out);
    }
    let held = locks::current(tx, codec, tenant, server, now)?;
    for mut job in candidates {
        let Some(mut ctl) = read_control(tx, &job.execution_id)? else {
            continue;
        };
        match lease::decide(&job, &ctl, held.as_ref(), now) {
            LeaseDecision::Wait => continue,
            LeaseDecision::Skip(reason) => {
                lease::skip(&mut job, &mut ctl, reason, now);
                write_job(tx, codec, &job)?;
                commit_control(tx, &mut ctl, now)?;
                out.changed.push(job.execution_id.clone());
            }
            LeaseDecision::Lease(lock_use) => {
                let lock = match lock_use {
                    LockUse::None => None,
                    LockUse::Hold {
                        lock_id,
                        fencing_token,
                    } => Some((lock_id, fencing_token)),
                    LockUse::Take => {
                        let new = lock_rules::for_job(&ctl, &job, now, lock_ttl);
                        match locks::take(tx, codec, new, now)? {
                            Ok(l) => Some((l.lock_id, l.fencing_token)),
                            // Taken between the decision and now: not this time.
                            Err(_) => continue,
                        }
                    }
                };
                lease::apply(
                    &mut job,
                    &mut ctl,
                    lock.as_ref().map(|(id, t)| (id.as_str(), *t)),
                    now,
                    until,
                );
                write_job(tx, codec, &job)?;
                commit_control(tx, &mut ctl, now)?;
                out.server_changed =
                    servers::modify_if(tx, codec, tenant, server, servers_rules::on_lease)?
                        .is_some();
                out.changed.push(job.execution_id.clone());
                out.job = Some(job);
                break;
            }
        }
    }
    Ok(out)
}

pub(super) fn extend_leases(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    server: &str,
    ids: &[String],
    until: Timestamp,
) -> StoreResult<Vec<String>> {
    let mut stop = Vec::new();
    for id in ids {
        let job = read_job(tx, codec, id)?.filter(|j| j.tenant_id == tenant);
        let ctl = match &job {
            Some(j) => read_control(tx, &j.execution_id)?,
            None => None,
        };
        let (Some(mut j), Some(mut ctl)) = (job, ctl) else {
            stop.push(id.clone());
            continue;
        };
        if !settle::keep_lease(&mut j, &mut ctl, server, until) {
            stop.push(id.clone());
            continue;
        }
        write_job(tx, codec, &j)?;
        commit_control(tx, &mut ctl, chrono::Utc::now())?;
        if let Some(lock_id) = &j.lock_id {
            locks::renew_for_job(tx, codec, lock_id, until)?;
        }
    }
    Ok(stop)
}

pub(super) fn finish(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    server: &str,
    job_id: &str,
    r: &JobResult,
    now: Timestamp,
) -> StoreResult<FinishOutcome> {
    let Some(mut job) = read_job(tx, codec, job_id)? else {
        return Ok(FinishOutcome::NotFound);
    };
    if job.server_id != server || job.tenant_id != tenant {
        return Ok(FinishOutcome::NotFound);
    }
    let Some(mut ctl) = read_control(tx, &job.execution_id)? else {
        return Ok(FinishOutcome::NotFound);
    };
    let execution_id = job.execution_id.clone();
    let lock = match &job.lock_id {
        Some(id) => locks::by_id(tx, codec, id)?,
        None => None,
    };
    let Some(kind) = settle::on_result(&mut job, &mut ctl, lock.as_ref(), r, now) else {
        return Ok(FinishOutcome::AlreadyFinal { execution_id });
    };
    let released = job.state.is_final() && job.lock_id.is_some();
    if released && let Some(lock_id) = &job.lock_id {
        locks::release_for_job(tx, codec, lock_id, &execution_id, now)?;
    }
    commit_job(tx, codec, &job, &mut ctl, now)?;
    let mut wake: Vec<String> = jobs_where(
        tx,
        codec,
        "execution_id = ?1 AND state = 'pending'",
        [&execution_id],
    )?
    .into_iter()
    .map(|j| j.server_id)
    .collect();
    if released {
        wake.push(job.server_id.clone());
    }
    if kind == ResultKind::Fenced {
        super::audit::append(tx, &crate::audit::result_fenced(&job, now))?;
        return Ok(FinishOutcome::Fenced { execution_id });
    }
    let in_hand = jobs_in_hand(tx, tenant, server)?;
    let mut server_changed = false;
    servers::modify_if(tx, codec, tenant, server, |s| {
        server_changed = servers_rules::on_result(s, r, in_hand);
        true
    })?;
    Ok(if kind == ResultKind::Retrying {
        FinishOutcome::Retrying {
            execution_id,
            wake,
            server_changed,
        }
    } else {
        FinishOutcome::Stored {
            execution_id,
            wake,
            server_changed,
        }
    })
}

pub(super) fn cancel(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    id: &str,
    by: &str,
    now: Timestamp,
) -> StoreResult<Option<Vec<String>>> {
    let Some(mut e) = read_execution(tx, id)?.filter(|e| e.tenant_id == tenant) else {
        return Ok(None);
    };
    let Some(mut ctl) = read_control(tx, id)? else {
        return Ok(None);
    };
    if ctl.state.is_final() {
        return Ok(Some(Vec::new()));
    }
    settle::mark_cancelled(&mut ctl, &mut e, by);
    write_execution(tx, &e)?;
    let mut wake = Vec::new();
    for mut j in jobs_where(tx, codec, "execution_id = ?1", [id])? {
        match settle::cancel(&mut j, &mut ctl, now) {
            CancelAction::Nothing => continue,
            CancelAction::Signal => wake.push(j.server_id.clone()),
            CancelAction::Now(_) => {}
        }
        write_job(tx, codec, &j)?;
    }
    commit_control(tx, &mut ctl, now)?;
    Ok(Some(wake))
}

/// Whether any job of this server waits to be told to stop (what `take_cancellations`
/// would look at).
pub(super) fn cancellations_pending(
    c: &rusqlite::Connection,
    tenant: &str,
    server: &str,
) -> StoreResult<bool> {
    Ok(c.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM jobs WHERE tenant_id = ?1 AND server_id = ?2 \
         AND cancel_requested = 1 AND state IN ('leased', 'running'))",
    )?
    .query_row(params![tenant, server], |r| r.get(0))?)
}

/// How many jobs this server's agent holds (leased or running).
pub(super) fn jobs_in_hand(
    c: &rusqlite::Connection,
    tenant: &str,
    server: &str,
) -> StoreResult<u64> {
    let n: i64 = c
        .prepare_cached(
            "SELECT COUNT(*) FROM jobs WHERE tenant_id = ?1 AND server_id = ?2 \
             AND state IN ('leased', 'running')",
        )?
        .query_row(params![tenant, server], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Whether a job of this server is queued and due (what `lease_next` would look at first).
pub(super) fn job_due(
    c: &rusqlite::Connection,
    tenant: &str,
    server: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    Ok(c.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM jobs WHERE tenant_id = ?1 AND server_id = ?2 \
         AND state = 'pending' AND (not_before IS NULL OR not_before <= ?3))",
    )?
    .query_row(params![tenant, server, ms(now)], |r| r.get(0))?)
}

pub(super) fn take_cancellations(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    server: &str,
    now: Timestamp,
) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    for mut j in jobs_where(
        tx,
        codec,
        "tenant_id = ?1 AND server_id = ?2 AND cancel_requested = 1 AND state IN ('leased', 'running')",
        params![tenant, server],
    )? {
        if settle::cancel_due(&mut j, now) {
            write_job(tx, codec, &j)?;
            out.push(j.job_id);
        }
    }
    Ok(out)
}

pub(super) fn expire_leases(
    tx: &Transaction<'_>,
    codec: &Codec,
    now: Timestamp,
) -> StoreResult<Vec<LapsedJob>> {
    let mut lapsed = Vec::new();
    for mut job in jobs_where(
        tx,
        codec,
        "state IN ('leased', 'running') AND lease_expires_at IS NOT NULL AND lease_expires_at < ?1",
        [ms(now)],
    )? {
        let Some(mut ctl) = read_control(tx, &job.execution_id)? else {
            continue;
        };
        let Some(requeued) = settle::on_lapse(&mut job, &mut ctl, now) else {
            continue;
        };
        if job.state.is_final()
            && let Some(lock_id) = &job.lock_id
        {
            locks::release_for_job(tx, codec, lock_id, &job.execution_id, now)?;
        }
        commit_job(tx, codec, &job, &mut ctl, now)?;
        let circuit_opened = lost_job(tx, codec, &job.tenant_id, &job.server_id, now)?;
        lapsed.push(LapsedJob {
            circuit_opened,
            ..LapsedJob::of(job, requeued)
        });
    }
    Ok(lapsed)
}

/// Counts a lost job against its server's circuit, in the lapse's transaction; when that
/// opens the circuit, its audit entry is written with it, and the circuit is returned.
fn lost_job(
    tx: &Transaction<'_>,
    codec: &Codec,
    tenant: &str,
    server: &str,
    now: Timestamp,
) -> StoreResult<Option<Circuit>> {
    let mut opened = None;
    let written = servers::modify_if(tx, codec, tenant, server, |s| {
        if servers_rules::on_job_lost(s, now) {
            opened = Some(crate::audit::circuit_opened(s, now));
        }
        true
    })?;
    let Some(entry) = opened else {
        return Ok(None);
    };
    super::audit::append(tx, &entry)?;
    Ok(written.map(|s| s.circuit))
}

pub(super) fn settle_undelivered(
    tx: &Transaction<'_>,
    codec: &Codec,
    which: &UndeliveredJobs,
    now: Timestamp,
) -> StoreResult<Vec<LapsedJob>> {
    let jobs = match which {
        UndeliveredJobs::TimedOut { due_before, .. } => jobs_where(
            tx,
            codec,
            "state = 'pending' AND COALESCE(not_before, queued_at) < ?1",
            [ms(*due_before)],
        )?,
        UndeliveredJobs::OfServer {
            tenant_id,
            server_id,
        } => jobs_where(
            tx,
            codec,
            "tenant_id = ?1 AND server_id = ?2 AND state = 'pending'",
            params![tenant_id, server_id],
        )?,
    };
    let mut settled = Vec::new();
    for mut job in jobs {
        let Some(mut ctl) = read_control(tx, &job.execution_id)? else {
            continue;
        };
        if !settle::on_undelivered(&mut job, &mut ctl, which.why(), now) {
            continue;
        }
        commit_job(tx, codec, &job, &mut ctl, now)?;
        settled.push(LapsedJob::of(job, false));
    }
    Ok(settled)
}

pub(super) fn servers_with_due_jobs(
    c: &rusqlite::Connection,
    now: Timestamp,
) -> StoreResult<Vec<ServerRef>> {
    let mut stmt = c.prepare_cached(
        "SELECT DISTINCT tenant_id, server_id FROM jobs WHERE state = 'pending' AND not_before IS NOT NULL AND not_before <= ?1",
    )?;
    let rows = stmt.query_map([ms(now)], |r| {
        Ok(ServerRef {
            tenant_id: r.get(0)?,
            server_id: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
