//! The job lifecycle in MongoDB: leasing, lease extension by heartbeats, results and
//! cancellation — each a transaction that loads the job, its execution's control record and
//! the server's lock, asks `crate::lifecycle`, and writes what changed (the sweeper's part is
//! in `sweeps`). A concurrent writer of the same documents makes it retry (`txn`). The
//! server's busy/idle change after a lease or a result is a second write, after the job's.

use super::super::{FinishOutcome, LeaseOutcome, StoreResult};
use super::moves::Step;
use super::{MongoStore, collect};
use crate::lifecycle::lease::{self, LeaseDecision, LockUse};
use crate::lifecycle::servers as servers_rules;
use crate::lifecycle::settle::{self, ResultKind};
use crate::lifecycle::{CancelAction, locks as lock_rules};
use crate::model::{Job, Server, Timestamp};
use futures::FutureExt;
use greenroom_proto::JobResult;
use mongodb::bson::doc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many queued jobs of a server one lease call considers.
const CANDIDATES: i64 = 20;

/// How many of a server's queued jobs are read to find `CANDIDATES` due ones.
const QUEUE_READ: i64 = 200;

/// A server's queued jobs (due or not: a filter on the due time as well would need an `$or`,
/// which SecantusDB, the test server, answers by scanning the collection; `due` picks).
fn pending_of(tenant: &str, server: &str) -> mongodb::bson::Document {
    doc! {"tenant_id": tenant, "server_id": server, "state": "pending"}
}

/// The first `CANDIDATES` of `queued` that may be leased at `now`.
fn due(queued: Vec<Job>, now: Timestamp) -> Vec<Job> {
    queued
        .into_iter()
        .filter(|j| j.not_before.is_none_or(|t| t <= now))
        .take(CANDIDATES as usize)
        .collect()
}

/// A server's jobs that are leased or running.
pub(super) fn active_of(tenant: &str, server: &str) -> mongodb::bson::Document {
    doc! {"tenant_id": tenant, "server_id": server, "state": {"$in": ["leased", "running"]}}
}

/// A server's queue order: best priority first, then oldest.
fn queue_order() -> mongodb::bson::Document {
    doc! {"q_priority": -1, "q_queued": 1, "job_id": 1}
}

/// What the fast lease did with one candidate.
enum Leased {
    Waits,
    Skipped,
    Taken,
}

impl MongoStore {
    /// Leases the server's next job: by single-document moves (`moves`) when no lock is
    /// taken or held and the execution has no concurrency limit, else in a transaction.
    pub(super) async fn lease_next(
        &self,
        tenant: &str,
        server: &str,
        now: Timestamp,
        until: Timestamp,
        lock_ttl: chrono::Duration,
    ) -> StoreResult<LeaseOutcome> {
        let mut out = match self.lease_by_moves(tenant, server, now, until).await? {
            Some(out) => out,
            None => {
                self.lease_in_txn(tenant, server, now, until, lock_ttl)
                    .await?
            }
        };
        // The server's change is a write of its own after the lease commits (the lease
        // itself is usually a single-document move, no transaction to join).
        if out.job.is_some() {
            out.server_changed = self
                .modify_server_if(tenant, server, Arc::new(servers_rules::on_lease))
                .await?
                .is_some();
        }
        Ok(out)
    }

    /// None when a candidate needs the transaction.
    async fn lease_by_moves(
        &self,
        tenant: &str,
        server: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Option<LeaseOutcome>> {
        let mut s = self.client.start_session().await?;
        let queued = self
            .jobs_in(
                &mut s,
                pending_of(tenant, server),
                queue_order(),
                QUEUE_READ,
            )
            .await?;
        let candidates = due(queued, now);
        let mut out = LeaseOutcome::default();
        if candidates.is_empty() {
            return Ok(Some(out));
        }
        let held = self.current_lock_in(&mut s, tenant, server, now).await?;
        for candidate in candidates {
            let moved = self
                .move_job(&candidate.job_id, now, |job, ctl| {
                    if ctl.max_concurrency.is_some() {
                        return Step::Txn;
                    }
                    match lease::decide(job, ctl, held.as_ref(), now) {
                        LeaseDecision::Wait => Step::Keep(Leased::Waits),
                        LeaseDecision::Skip(reason) => {
                            lease::skip(job, ctl, reason, now);
                            Step::Write(Leased::Skipped)
                        }
                        LeaseDecision::Lease(LockUse::None) => {
                            lease::apply(job, ctl, None, now, until);
                            Step::Write(Leased::Taken)
                        }
                        LeaseDecision::Lease(_) => Step::Txn,
                    }
                })
                .await?;
            let m = match moved {
                None => continue,
                Some(Err(())) => return Ok(None),
                Some(Ok(m)) => m,
            };
            match m.answer {
                Leased::Waits => continue,
                Leased::Skipped => out.changed.push(m.job.execution_id.clone()),
                Leased::Taken => {
                    out.changed.push(m.job.execution_id.clone());
                    out.job = Some(m.job);
                    break;
                }
            }
        }
        Ok(Some(out))
    }

    async fn lease_in_txn(
        &self,
        tenant: &str,
        server: &str,
        now: Timestamp,
        until: Timestamp,
        lock_ttl: chrono::Duration,
    ) -> StoreResult<LeaseOutcome> {
        self.txn(
            (self, tenant, server, now, until, lock_ttl),
            |s, &(st, tenant, server, now, until, lock_ttl)| {
                async move {
                    let queued = st
                        .jobs_in(s, pending_of(tenant, server), queue_order(), QUEUE_READ)
                        .await?;
                    let candidates = due(queued, now);
                    let mut out = LeaseOutcome::default();
                    if candidates.is_empty() {
                        return Ok(out);
                    }
                    let held = st.current_lock_in(s, tenant, server, now).await?;
                    for mut job in candidates {
                        let Some(mut ctl) = st.read_control_in(s, &job.execution_id).await? else {
                            continue;
                        };
                        match lease::decide(&job, &ctl, held.as_ref(), now) {
                            LeaseDecision::Wait => continue,
                            LeaseDecision::Skip(reason) => {
                                lease::skip(&mut job, &mut ctl, reason, now);
                                st.write_job_in(s, &job).await?;
                                st.commit_control_in(s, &mut ctl, now).await?;
                                out.changed.push(job.execution_id.clone());
                            }
                            LeaseDecision::Lease(lock_use) => {
                                let lock = match lock_use {
                                    LockUse::None => None,
                                    LockUse::Hold {
                                        lock_id,
                                        fencing_token,
                                    } => {
                                        st.hold_lock_in(s, &lock_id).await?;
                                        Some((lock_id, fencing_token))
                                    }
                                    LockUse::Take => {
                                        let new = lock_rules::for_job(&ctl, &job, now, lock_ttl);
                                        match st.take_lock_in(s, new, now).await? {
                                            Ok(l) => Some((l.lock_id, l.fencing_token)),
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
                                st.write_job_in(s, &job).await?;
                                st.commit_control_in(s, &mut ctl, now).await?;
                                out.changed.push(job.execution_id.clone());
                                out.job = Some(job);
                                break;
                            }
                        }
                    }
                    Ok(out)
                }
                .boxed()
            },
        )
        .await
    }

    /// A heartbeat's jobs: each extended by a single-document move, or in a transaction
    /// when it runs under a lock (the lock is renewed with it).
    pub(super) async fn extend_leases(
        &self,
        tenant: &str,
        server: &str,
        ids: &[String],
        until: Timestamp,
    ) -> StoreResult<Vec<String>> {
        let now = chrono::Utc::now();
        let mut stop = Vec::new();
        let mut locked = Vec::new();
        for id in ids {
            let moved = self
                .move_job(id, now, |j, ctl| {
                    if j.tenant_id != tenant {
                        Step::Keep(false)
                    } else if j.lock_id.is_some() {
                        Step::Txn
                    } else if settle::keep_lease(j, ctl, server, until) {
                        Step::Write(true)
                    } else {
                        Step::Keep(false)
                    }
                })
                .await?;
            match moved {
                None => stop.push(id.clone()),
                Some(Err(())) => locked.push(id.clone()),
                Some(Ok(m)) if !m.answer => stop.push(id.clone()),
                Some(Ok(_)) => {}
            }
        }
        if !locked.is_empty() {
            stop.extend(
                self.extend_leases_in_txn(tenant, server, &locked, until, now)
                    .await?,
            );
        }
        Ok(stop)
    }

    async fn extend_leases_in_txn(
        &self,
        tenant: &str,
        server: &str,
        ids: &[String],
        until: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        self.txn(
            (self, tenant, server, ids, until, now),
            |s, &(st, tenant, server, ids, until, now)| {
                async move {
                    let mut stop = Vec::new();
                    for id in ids {
                        let job = st
                            .read_job_in(s, id)
                            .await?
                            .filter(|j| j.tenant_id == tenant);
                        let ctl = match &job {
                            Some(j) => st.read_control_in(s, &j.execution_id).await?,
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
                        st.write_job_in(s, &j).await?;
                        st.commit_control_in(s, &mut ctl, now).await?;
                        if let Some(lock_id) = &j.lock_id {
                            st.renew_lock_for_job_in(s, lock_id, until).await?;
                        }
                    }
                    Ok(stop)
                }
                .boxed()
            },
        )
        .await
    }

    /// An agent's result: a single-document move when the job holds no lock and its
    /// execution has neither a concurrency limit nor an error threshold (a result then frees
    /// nothing another server waits for), else a transaction.
    pub(super) async fn finish(
        &self,
        tenant: &str,
        server: &str,
        job_id: &str,
        r: &JobResult,
        now: Timestamp,
    ) -> StoreResult<FinishOutcome> {
        let mut out = self.finish_job(tenant, server, job_id, r, now).await?;
        // As with a lease, the server's change is a write of its own after the job's.
        if let FinishOutcome::Stored { server_changed, .. }
        | FinishOutcome::Retrying { server_changed, .. } = &mut out
        {
            let in_hand = self
                .col("jobs")
                .count_documents(active_of(tenant, server))
                .await?;
            let (r, went_idle) = (r.clone(), Arc::new(AtomicBool::new(false)));
            let flag = went_idle.clone();
            self.modify_server_if(
                tenant,
                server,
                Arc::new(move |s: &mut Server| {
                    // Run again on a retried transaction: the last run tells.
                    flag.store(servers_rules::on_result(s, &r, in_hand), Ordering::Relaxed);
                    true
                }),
            )
            .await?;
            *server_changed = went_idle.load(Ordering::Relaxed);
        }
        Ok(out)
    }

    /// The job's part of [`Self::finish`].
    async fn finish_job(
        &self,
        tenant: &str,
        server: &str,
        job_id: &str,
        r: &JobResult,
        now: Timestamp,
    ) -> StoreResult<FinishOutcome> {
        let moved = self
            .move_job(job_id, now, |job, ctl| {
                if job.server_id != server || job.tenant_id != tenant {
                    return Step::Keep(None);
                }
                if job.lock_id.is_some()
                    || ctl.error_threshold.is_some()
                    || ctl.max_concurrency.is_some()
                {
                    return Step::Txn;
                }
                match settle::on_result(job, ctl, None, r, now) {
                    None => Step::Keep(Some(None)),
                    Some(kind) => Step::Write(Some(Some(kind))),
                }
            })
            .await?;
        let m = match moved {
            None => return Ok(FinishOutcome::NotFound),
            Some(Err(())) => return self.finish_in_txn(tenant, server, job_id, r, now).await,
            Some(Ok(m)) => m,
        };
        let execution_id = m.job.execution_id;
        Ok(match m.answer {
            None => FinishOutcome::NotFound,
            Some(None) => FinishOutcome::AlreadyFinal { execution_id },
            Some(Some(ResultKind::Fenced)) => FinishOutcome::Fenced { execution_id },
            Some(Some(ResultKind::Retrying)) => FinishOutcome::Retrying {
                execution_id,
                wake: Vec::new(),
                server_changed: false,
            },
            Some(Some(ResultKind::Stored)) => FinishOutcome::Stored {
                execution_id,
                wake: Vec::new(),
                server_changed: false,
            },
        })
    }

    async fn finish_in_txn(
        &self,
        tenant: &str,
        server: &str,
        job_id: &str,
        r: &JobResult,
        now: Timestamp,
    ) -> StoreResult<FinishOutcome> {
        self.txn(
            (self, tenant, server, job_id, r, now),
            |s, &(st, tenant, server, job_id, r, now)| {
                async move {
                    let Some(mut job) = st.read_job_in(s, job_id).await? else {
                        return Ok(FinishOutcome::NotFound);
                    };
                    if job.server_id != server || job.tenant_id != tenant {
                        return Ok(FinishOutcome::NotFound);
                    }
                    let Some(mut ctl) = st.read_control_in(s, &job.execution_id).await? else {
                        return Ok(FinishOutcome::NotFound);
                    };
                    let execution_id = job.execution_id.clone();
                    let lock = match &job.lock_id {
                        Some(id) => st.lock_by_id_in(s, id).await?,
                        None => None,
                    };
                    let Some(kind) = settle::on_result(&mut job, &mut ctl, lock.as_ref(), r, now)
                    else {
                        return Ok(FinishOutcome::AlreadyFinal { execution_id });
                    };
                    let released = job.state.is_final() && job.lock_id.is_some();
                    if released && let Some(lock_id) = &job.lock_id {
                        st.release_lock_for_job_in(s, lock_id, &execution_id, now)
                            .await?;
                    }
                    st.commit_job_in(s, &job, &mut ctl, now).await?;
                    let mut wake: Vec<String> = st
                        .jobs_in(
                            s,
                            doc! {"execution_id": &execution_id, "state": "pending"},
                            doc! {"_id": 1},
                            0,
                        )
                        .await?
                        .into_iter()
                        .map(|j| j.server_id)
                        .collect();
                    if released {
                        wake.push(job.server_id.clone());
                    }
                    if kind == ResultKind::Fenced {
                        st.append_audit_in(s, &crate::audit::result_fenced(&job, now))
                            .await?;
                    }
                    Ok(match kind {
                        ResultKind::Fenced => FinishOutcome::Fenced { execution_id },
                        ResultKind::Retrying => FinishOutcome::Retrying {
                            execution_id,
                            wake,
                            server_changed: false,
                        },
                        ResultKind::Stored => FinishOutcome::Stored {
                            execution_id,
                            wake,
                            server_changed: false,
                        },
                    })
                }
                .boxed()
            },
        )
        .await
    }

    pub(super) async fn cancel(
        &self,
        tenant: &str,
        id: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<String>>> {
        self.txn(
            (self, tenant, id, by, now),
            |s, &(st, tenant, id, by, now)| {
                async move {
                    let Some(mut e) = st
                        .read_execution_in(s, id)
                        .await?
                        .filter(|e| e.tenant_id == tenant)
                    else {
                        return Ok(None);
                    };
                    let Some(mut ctl) = st.read_control_in(s, id).await? else {
                        return Ok(None);
                    };
                    if ctl.state.is_final() {
                        return Ok(Some(Vec::new()));
                    }
                    settle::mark_cancelled(&mut ctl, &mut e, by);
                    st.write_execution_in(s, &e).await?;
                    let mut wake = Vec::new();
                    for mut j in st
                        .jobs_in(s, doc! {"execution_id": id}, doc! {"_id": 1}, 0)
                        .await?
                    {
                        match settle::cancel(&mut j, &mut ctl, now) {
                            CancelAction::Nothing => continue,
                            CancelAction::Signal => wake.push(j.server_id.clone()),
                            CancelAction::Now(_) => {}
                        }
                        st.write_job_in(s, &j).await?;
                    }
                    st.commit_control_in(s, &mut ctl, now).await?;
                    Ok(Some(wake))
                }
                .boxed()
            },
        )
        .await
    }

    pub(super) async fn take_cancellations(
        &self,
        tenant: &str,
        server: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        // Cheap when there is nothing to do (the common case): one indexed read outside a
        // transaction first. The flag is checked here, not in the filter: a field outside the
        // index makes SecantusDB, the test server, scan the collection.
        let any = collect(
            self.col("jobs")
                .find(active_of(tenant, server))
                .projection(doc! {"cancel_requested": 1})
                .await?,
        )
        .await?
        .iter()
        .any(|d| d.get_bool("cancel_requested").unwrap_or(false));
        if !any {
            return Ok(Vec::new());
        }
        self.txn(
            (self, tenant, server, now),
            |s, &(st, tenant, server, now)| {
                async move {
                    let mut out = Vec::new();
                    for mut j in st
                        .jobs_in(s, active_of(tenant, server), doc! {"_id": 1}, 0)
                        .await?
                        .into_iter()
                        .filter(|j| j.cancel_requested)
                    {
                        if settle::cancel_due(&mut j, now) {
                            st.write_job_in(s, &j).await?;
                            out.push(j.job_id);
                        }
                    }
                    Ok(out)
                }
                .boxed()
            },
        )
        .await
    }
}
