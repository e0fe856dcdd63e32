//! Executions, their control records and per-server jobs in MongoDB: reading and writing
//! them inside transactions, and settling an execution's state after its jobs changed
//! (decided by `crate::lifecycle::settle`).

use super::super::{StoreError, StoreResult};
use super::{MongoStore, collect, collect_in, moves, ms, to_bson, to_json};
use crate::lifecycle::{redact, settle};
use crate::model::{
    Execution, ExecutionControl, ExecutionFilter, ExecutionOrder, ExecutionOrderField, Job, Page,
    PageRequest, Timestamp,
};
use futures::FutureExt;
use mongodb::ClientSession;
use mongodb::bson::{Bson, Document, doc};

impl MongoStore {
    pub(super) fn job_doc(&self, j: &Job) -> StoreResult<Document> {
        let mut job = std::borrow::Cow::Borrowed(j);
        if job.state.is_final() && !job.secrets.is_empty() {
            redact::scrub(job.to_mut());
        }
        to_bson(
            &self.codec.job(&job)?,
            doc! {
                "_id": &job.job_id,
                "q_priority": job.priority.rank(),
                "q_queued": ms(job.queued_at),
                "q_not_before": job.not_before.map(ms),
                "q_lease": job.lease_expires_at.map(ms),
            },
        )
    }

    pub(super) fn job_from(&self, d: Document) -> StoreResult<Job> {
        self.codec.job_from(to_json(d)?)
    }

    fn execution_doc(&self, e: &Execution) -> StoreResult<Document> {
        to_bson(
            &self.codec.plain(e)?,
            doc! {
                "_id": &e.execution_id,
                "q_created": ms(e.created_at),
                "q_initiated": e.initiated_by.to_lowercase(),
            },
        )
    }

    fn execution_from(&self, d: Document) -> StoreResult<Execution> {
        self.codec.from_plain("execution", to_json(d)?)
    }

    fn control_doc(&self, c: &ExecutionControl) -> StoreResult<Document> {
        to_bson(&self.codec.plain(c)?, doc! {"_id": &c.execution_id})
    }

    pub(super) async fn read_job_in(
        &self,
        s: &mut ClientSession,
        id: &str,
    ) -> StoreResult<Option<Job>> {
        Ok(self
            .read_job_versioned(s, doc! {"_id": id})
            .await?
            .map(|(job, _)| job))
    }

    pub(super) async fn jobs_in(
        &self,
        s: &mut ClientSession,
        filter: Document,
        sort: Document,
        limit: i64,
    ) -> StoreResult<Vec<Job>> {
        let cursor = self
            .col("jobs")
            .find(filter)
            .sort(sort)
            .limit(limit)
            .session(&mut *s)
            .await?;
        collect_in(s, cursor)
            .await?
            .into_iter()
            .map(|d| self.job_from(d))
            .collect()
    }

    /// Writes a job in the caller's transaction, with a new version and its mark in the
    /// execution's control record (see `moves`).
    pub(super) async fn write_job_in(&self, s: &mut ClientSession, j: &Job) -> StoreResult<()> {
        let before = self
            .col("jobs")
            .find_one_and_replace(doc! {"_id": &j.job_id}, self.job_doc(j)?)
            .projection(doc! {"q_ver": 1})
            .session(&mut *s)
            .await?;
        let version = before.as_ref().map(moves::version_of).unwrap_or(0) + 1;
        self.col("jobs")
            .update_one(doc! {"_id": &j.job_id}, doc! {"$set": {"q_ver": version}})
            .session(&mut *s)
            .await?;
        self.mark_in(s, j, version).await
    }

    pub(super) async fn read_control_in(
        &self,
        s: &mut ClientSession,
        id: &str,
    ) -> StoreResult<Option<ExecutionControl>> {
        self.read_control_fields(s, id, doc! {}).await
    }

    /// An execution's control record with only the fields `projection` keeps (all for an
    /// empty one).
    pub(super) async fn read_control_fields(
        &self,
        s: &mut ClientSession,
        id: &str,
        projection: Document,
    ) -> StoreResult<Option<ExecutionControl>> {
        self.col("execution_control")
            .find_one(doc! {"_id": id})
            .projection(projection)
            .session(&mut *s)
            .await?
            .map(|d| self.control_from(d))
            .transpose()
    }

    pub(super) async fn read_execution_in(
        &self,
        s: &mut ClientSession,
        id: &str,
    ) -> StoreResult<Option<Execution>> {
        self.col("executions")
            .find_one(doc! {"_id": id})
            .session(&mut *s)
            .await?
            .map(|d| self.execution_from(d))
            .transpose()
    }

    pub(super) async fn write_execution_in(
        &self,
        s: &mut ClientSession,
        e: &Execution,
    ) -> StoreResult<()> {
        self.col("executions")
            .replace_one(doc! {"_id": &e.execution_id}, self.execution_doc(e)?)
            .session(&mut *s)
            .await?;
        Ok(())
    }

    /// Writes the control record and, when its counts moved the execution to another
    /// state, the execution too (with its outbox event).
    pub(super) async fn commit_control_in(
        &self,
        s: &mut ClientSession,
        ctl: &mut ExecutionControl,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.recount_in(s, ctl).await?;
        let mut changed = false;
        if let Some(next) = settle::next_state(ctl)
            && let Some(mut e) = self.read_execution_in(s, &ctl.execution_id).await?
        {
            if let Some(kind) = settle::enter_state(ctl, &mut e, next, now) {
                let details = serde_json::json!({"state": next.as_str()});
                self.record_event_in(s, &e.tenant_id, kind, &e.execution_id, &details, now)
                    .await?;
            }
            self.write_execution_in(s, &e).await?;
            changed = true;
        }
        let mut fields = self.control_doc(ctl)?;
        fields.remove("_id");
        fields.remove("counts");
        self.col("execution_control")
            .update_one(doc! {"_id": &ctl.execution_id}, doc! {"$set": fields})
            .session(&mut *s)
            .await?;
        Ok(changed)
    }

    /// The counts as the marks stand now in the caller's transaction (its own job writes
    /// included), not as they were moved in memory: a move outside transactions may have
    /// changed another job since the record was read.
    async fn recount_in(
        &self,
        s: &mut ClientSession,
        ctl: &mut ExecutionControl,
    ) -> StoreResult<()> {
        if let Some(d) = self
            .col("execution_control")
            .find_one(doc! {"_id": &ctl.execution_id})
            .projection(doc! {"q_js": 1})
            .session(&mut *s)
            .await?
            && let Some(counts) = moves::tally(&d)
        {
            ctl.counts = counts;
        }
        Ok(())
    }

    /// Writes a job the lifecycle changed and what follows for its execution: the error
    /// threshold's skips, the counts and the execution's state.
    pub(super) async fn commit_job_in(
        &self,
        s: &mut ClientSession,
        job: &Job,
        ctl: &mut ExecutionControl,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.write_job_in(s, job).await?;
        self.apply_error_threshold_in(s, ctl, now).await?;
        self.commit_control_in(s, ctl, now).await?;
        Ok(())
    }

    /// Once failures reach the error threshold, the jobs that have not started are skipped.
    async fn apply_error_threshold_in(
        &self,
        s: &mut ClientSession,
        ctl: &mut ExecutionControl,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.recount_in(s, ctl).await?;
        let Some(reason) = settle::threshold_reached(ctl) else {
            return Ok(());
        };
        let pending = self
            .jobs_in(
                s,
                doc! {"execution_id": &ctl.execution_id, "state": "pending"},
                doc! {"_id": 1},
                0,
            )
            .await?;
        for mut j in pending {
            settle::skip_for_threshold(&mut j, ctl, &reason, now);
            self.write_job_in(s, &j).await?;
        }
        if let Some(mut e) = self.read_execution_in(s, &ctl.execution_id).await? {
            e.skipped_reason = Some(reason);
            self.write_execution_in(s, &e).await?;
        }
        Ok(())
    }

    pub(super) async fn insert_execution(&self, e: &Execution, jobs: &[Job]) -> StoreResult<()> {
        let job_docs = jobs
            .iter()
            .map(|j| self.job_doc(j))
            .collect::<StoreResult<Vec<_>>>()?;
        let exec_doc = self.execution_doc(e)?;
        self.txn(
            (self, job_docs, exec_doc, e, jobs),
            |s, (st, job_docs, exec_doc, e, jobs)| {
                async move {
                    st.col("executions")
                        .insert_one(exec_doc.clone())
                        .session(&mut *s)
                        .await?;
                    if !job_docs.is_empty() {
                        st.col("jobs")
                            .insert_many(job_docs.clone())
                            .session(&mut *s)
                            .await?;
                    }
                    let mut ctl = ExecutionControl::of(e, jobs);
                    let mut ctl_doc = st.control_doc(&ctl)?;
                    ctl_doc.remove("counts");
                    ctl_doc.insert("q_js", MongoStore::marks_of(jobs));
                    ctl_doc.insert("q_open", MongoStore::open_of(jobs));
                    st.col("execution_control")
                        .insert_one(ctl_doc)
                        .session(&mut *s)
                        .await?;
                    st.commit_control_in(s, &mut ctl, e.created_at).await?;
                    st.col("output_cursors")
                        .insert_one(doc! {"_id": &e.execution_id, "next": 0_i64})
                        .session(&mut *s)
                        .await?;
                    Ok(())
                }
                .boxed()
            },
        )
        .await
    }

    pub(super) async fn insert_execution_row(&self, e: &Execution) -> StoreResult<()> {
        self.col("executions")
            .insert_one(self.execution_doc(e)?)
            .await?;
        Ok(())
    }

    pub(super) async fn insert_control(&self, c: &ExecutionControl) -> StoreResult<()> {
        self.col("execution_control")
            .insert_one(self.control_doc(c)?)
            .await?;
        Ok(())
    }

    /// Restores a job, with its mark in its (already restored) execution's control record.
    pub(super) async fn insert_job(&self, j: &Job) -> StoreResult<()> {
        self.col("jobs").insert_one(self.job_doc(j)?).await?;
        let open = i64::from(!j.state.is_final());
        self.col("execution_control")
            .update_one(
                doc! {"_id": &j.execution_id},
                doc! {"$set": {moves::mark_path(&j.job_id): moves::mark(j.state, 0)}, "$inc": {"q_open": open}},
            )
            .await?;
        Ok(())
    }

    pub(super) async fn get_execution(
        &self,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<Execution>> {
        self.col("executions")
            .find_one(doc! {"_id": id, "tenant_id": tenant})
            .await?
            .map(|d| self.execution_from(d))
            .transpose()
    }

    pub(super) async fn get_control(&self, id: &str) -> StoreResult<Option<ExecutionControl>> {
        self.col("execution_control")
            .find_one(doc! {"_id": id})
            .await?
            .map(|d| self.control_from(d))
            .transpose()
    }

    pub(super) async fn list_executions(
        &self,
        tenant: &str,
        f: &ExecutionFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Execution>> {
        let mut filter = doc! {"tenant_id": tenant};
        if let Some(st) = f.status {
            filter.insert("state", st.as_str());
        }
        if let Some(t) = &f.template_id {
            filter.insert("action_template_id", t);
        }
        if let Some(u) = &f.initiated_by {
            filter.insert("q_initiated", u.to_lowercase());
        }
        if let Some(sv) = &f.server_id {
            filter.insert("target_servers", sv);
        }
        if let Some(env) = &f.environment {
            filter.insert("environments", env);
        }
        let mut created = Document::new();
        if let Some(from) = f.from {
            created.insert("$gte", ms(from));
        }
        if let Some(to) = f.to {
            created.insert("$lt", ms(to));
        }
        if !created.is_empty() {
            filter.insert("q_created", created);
        }
        let total = self
            .col("executions")
            .count_documents(filter.clone())
            .await?;
        // A keyset page (orders by creation time or id only: `ExecutionOrder::keyset`).
        let seek = if f.order.keyset() {
            f.seek.clone()
        } else {
            Default::default()
        };
        let by_id = f.order.field == ExecutionOrderField::ExecutionId;
        let key = |k: &Option<String>| -> StoreResult<Option<Vec<Bson>>> {
            let Some(k) = k else { return Ok(None) };
            if by_id {
                return Ok(Some(vec![k.clone().into()]));
            }
            let (created, id) = ExecutionOrder::parse_created_key(k)
                .ok_or_else(|| StoreError::Corrupt(format!("not a history key: {k}")))?;
            Ok(Some(vec![created.into(), id.to_string().into()]))
        };
        let fields: &[&str] = if by_id {
            &["_id"]
        } else {
            &["q_created", "_id"]
        };
        if let Some(bounds) = super::seek_filter(
            fields,
            key(&seek.after)?,
            key(&seek.before)?,
            f.order.ascending,
        ) {
            filter.insert("$and", vec![bounds]);
        }
        let order = if seek.from_end {
            f.order.reversed()
        } else {
            f.order
        };
        let docs = collect(
            self.col("executions")
                .find(filter)
                .sort(sort_of(order))
                .skip(if seek.is_active() { 0 } else { page.offset() })
                .limit(i64::from(page.page_size))
                .await?,
        )
        .await?;
        let mut items: Vec<Execution> = docs
            .into_iter()
            .map(|d| self.execution_from(d))
            .collect::<StoreResult<_>>()?;
        if seek.from_end {
            items.reverse();
        }
        Ok(Page {
            items,
            total,
            page: page.page,
            page_size: page.page_size,
        })
    }

    pub(super) async fn jobs_of(&self, id: &str) -> StoreResult<Vec<Job>> {
        let docs = collect(
            self.col("jobs")
                .find(doc! {"execution_id": id})
                .sort(doc! {"server_id": 1})
                .await?,
        )
        .await?;
        docs.into_iter().map(|d| self.job_from(d)).collect()
    }

    pub(super) async fn jobs_of_many(&self, ids: &[String]) -> StoreResult<Vec<Job>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let docs = collect(
            self.col("jobs")
                .find(doc! {"execution_id": {"$in": ids}})
                .sort(doc! {"execution_id": 1, "server_id": 1})
                .await?,
        )
        .await?;
        docs.into_iter().map(|d| self.job_from(d)).collect()
    }
}

/// The sort of a history order (as SQLite's `ORDER BY`).
fn sort_of(o: ExecutionOrder) -> Document {
    let dir = if o.ascending { 1 } else { -1 };
    match o.field {
        ExecutionOrderField::CreatedAt => doc! {"q_created": dir, "_id": dir},
        ExecutionOrderField::ExecutionId => doc! {"_id": dir},
        ExecutionOrderField::State => doc! {"state": dir, "q_created": -1, "_id": -1},
        ExecutionOrderField::InitiatedBy => doc! {"q_initiated": dir, "q_created": -1, "_id": -1},
    }
}
