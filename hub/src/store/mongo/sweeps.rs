//! The sweeper's part of the job lifecycle in MongoDB: lapsed leases, jobs no agent took
//! (delivery timed out, server deregistered) and servers with due retries. Each job found is
//! settled in a transaction of its own, re-checked on the job as it is then.

use super::super::{LapsedJob, ServerRef, StoreResult, UndeliveredJobs};
use super::{MongoStore, collect, ms};
use crate::lifecycle::servers as servers_rules;
use crate::lifecycle::settle;
use crate::model::{Circuit, Timestamp};
use futures::FutureExt;
use mongodb::bson::doc;

impl MongoStore {
    /// The ids of the jobs a filter finds, only those due before `due_before` when given
    /// (each then settled in a transaction of its own).
    async fn job_ids(
        &self,
        filter: mongodb::bson::Document,
        due_before: Option<Timestamp>,
    ) -> StoreResult<Vec<String>> {
        let docs = collect(
            self.col("jobs")
                .find(filter)
                .projection(doc! {"_id": 1, "q_queued": 1, "q_not_before": 1})
                .await?,
        )
        .await?;
        let due = |d: &mongodb::bson::Document| {
            d.get_i64("q_not_before")
                .or_else(|_| d.get_i64("q_queued"))
                .unwrap_or(i64::MAX)
        };
        Ok(docs
            .iter()
            .filter(|d| due_before.is_none_or(|cut| due(d) < ms(cut)))
            .map(|d| d.get_str("_id").unwrap_or_default().to_string())
            .collect())
    }

    pub(super) async fn expire_leases(&self, now: Timestamp) -> StoreResult<Vec<LapsedJob>> {
        // Moves a stopped hub left half done are finished first, so the lapses below see
        // every job counted.
        self.finish_marks(now).await?;
        let lapsed = self
            .job_ids(
                doc! {"state": {"$in": ["leased", "running"]}, "q_lease": {"$lt": ms(now)}},
                None,
            )
            .await?;
        let mut out = Vec::new();
        for id in lapsed {
            // One transaction per job: the lapse is re-checked on the job as it is now.
            let one = self
                .txn((self, id.as_str(), now), |s, &(st, id, now)| {
                    async move {
                        let Some(mut job) = st.read_job_in(s, id).await? else {
                            return Ok(None);
                        };
                        if job.lease_expires_at.is_none_or(|t| t >= now) {
                            return Ok(None);
                        }
                        let Some(mut ctl) = st.read_control_in(s, &job.execution_id).await? else {
                            return Ok(None);
                        };
                        let Some(requeued) = settle::on_lapse(&mut job, &mut ctl, now) else {
                            return Ok(None);
                        };
                        if job.state.is_final()
                            && let Some(lock_id) = &job.lock_id
                        {
                            st.release_lock_for_job_in(s, lock_id, &job.execution_id, now)
                                .await?;
                        }
                        st.commit_job_in(s, &job, &mut ctl, now).await?;
                        Ok(Some(LapsedJob::of(job, requeued)))
                    }
                    .boxed()
                })
                .await?;
            if let Some(mut lapsed) = one {
                lapsed.circuit_opened = self
                    .lost_job(&lapsed.tenant_id, &lapsed.server_id, now)
                    .await?;
                out.push(lapsed);
            }
        }
        Ok(out)
    }

    /// Counts a lost job against its server's circuit: a write of its own after the lapse's
    /// (as a result's server change is after the result's); when it opens the circuit, its
    /// audit entry is written in the same transaction, and the circuit is returned.
    async fn lost_job(
        &self,
        tenant: &str,
        server: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Circuit>> {
        self.txn(
            (self, tenant, server, now),
            |s, &(st, tenant, server, now)| {
                async move {
                    let mut opened = None;
                    let written = st
                        .modify_server_in(s, tenant, server, |srv| {
                            if servers_rules::on_job_lost(srv, now) {
                                opened = Some(crate::audit::circuit_opened(srv, now));
                            }
                            true
                        })
                        .await?;
                    let Some(entry) = opened else {
                        return Ok(None);
                    };
                    st.append_audit_in(s, &entry).await?;
                    Ok(written.map(|srv| srv.circuit))
                }
                .boxed()
            },
        )
        .await
    }

    pub(super) async fn settle_undelivered(
        &self,
        which: &UndeliveredJobs,
        now: Timestamp,
    ) -> StoreResult<Vec<LapsedJob>> {
        self.finish_marks(now).await?;
        let filter = match which {
            // Due again (`q_not_before`) is never before queued: jobs queued before the cut
            // are the candidates, and the due time picks (an `$or` here is a collection scan
            // on SecantusDB, every sweep).
            UndeliveredJobs::TimedOut { due_before, .. } => {
                doc! {"state": "pending", "q_queued": {"$lt": ms(*due_before)}}
            }
            UndeliveredJobs::OfServer {
                tenant_id,
                server_id,
            } => doc! {"tenant_id": tenant_id, "server_id": server_id, "state": "pending"},
        };
        let due_before = match which {
            UndeliveredJobs::TimedOut { due_before, .. } => Some(*due_before),
            UndeliveredJobs::OfServer { .. } => None,
        };
        let found = self.job_ids(filter, due_before).await?;
        let mut out = Vec::new();
        for id in found {
            // One transaction per job: re-checked on the job as it is now.
            let one = self
                .txn(
                    (self, id.as_str(), which, now),
                    |s, &(st, id, which, now)| {
                        async move {
                            let Some(mut job) = st.read_job_in(s, id).await? else {
                                return Ok(None);
                            };
                            if !which.selects(&job) {
                                return Ok(None);
                            }
                            let Some(mut ctl) = st.read_control_in(s, &job.execution_id).await?
                            else {
                                return Ok(None);
                            };
                            if !settle::on_undelivered(&mut job, &mut ctl, which.why(), now) {
                                return Ok(None);
                            }
                            st.commit_job_in(s, &job, &mut ctl, now).await?;
                            Ok(Some(LapsedJob::of(job, false)))
                        }
                        .boxed()
                    },
                )
                .await?;
            out.extend(one);
        }
        Ok(out)
    }

    pub(super) async fn servers_with_due_jobs(
        &self,
        now: Timestamp,
    ) -> StoreResult<Vec<ServerRef>> {
        let docs = collect(
            self.col("jobs")
                .aggregate(vec![
                    doc! {"$match": {"state": "pending", "q_not_before": {"$lte": ms(now)}}},
                    doc! {"$group": {"_id": {"t": "$tenant_id", "s": "$server_id"}}},
                ])
                .await?,
        )
        .await?;
        let mut out: Vec<ServerRef> = docs
            .into_iter()
            .filter_map(|d| {
                let k = d.get_document("_id").ok()?;
                Some(ServerRef {
                    tenant_id: k.get_str("t").ok()?.to_string(),
                    server_id: k.get_str("s").ok()?.to_string(),
                })
            })
            .collect();
        out.sort();
        Ok(out)
    }
}
