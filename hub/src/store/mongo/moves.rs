//! Job moves without a transaction: the hot path of a fan-out (lease, first output,
//! heartbeat, result) changes one job at a time, and hundreds of agents of one execution do
//! it at once. In a multi-document transaction each of those would also rewrite the
//! execution's control record, so every pair of them conflicts and all but one retry — at
//! 500 agents MongoDB spent minutes in retries. Here a move is two single-document writes,
//! each atomic on its own, that never conflict with each other:
//!
//! 1. the job, replaced only if it is still at the version it was read at (`q_ver`, raised
//!    by every write of a job, in a transaction or not). A lost race leaves it untouched and
//!    the caller reads it again and asks `crate::lifecycle` again;
//! 2. the job's *mark* in its execution's control record — `q_js.<job_id> = {s: state, v:
//!    version}` — set only if the mark there is older. Marks only move forward, so a late or
//!    repeated second step never undoes a newer one.
//!
//! The execution's job counts are not stored as numbers: they are the tally of the marks
//! (`control_from`), so a mark set is the count moved, atomically. A mark lags its job by at
//! most one move while step 2 is in flight; a lag can only delay the execution's next state
//! (states only move towards final), never bring it early. Whoever sets a mark — or finds a
//! newer one there — checks the execution's state against the tally and moves it in a small
//! transaction (`settle_execution`). A hub that dies between the two steps leaves the job
//! flagged `q_unmarked`; the sweeper finishes the mark (`finish_marks`).
//!
//! Transactions (locks, rate-controlled executions, cancellation, lapses, the error
//! threshold) write a job and its mark together (`write_job_in`) and tally the marks as they
//! stand in their snapshot, so both paths keep one truth.

use super::super::StoreResult;
use super::{MongoStore, int, ms};
use crate::model::{ExecutionControl, Job, JobCounts, JobState, Timestamp};
use futures::FutureExt;
use mongodb::ClientSession;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;
use std::time::Duration;

/// How many times a move is tried while another writer keeps winning the race.
const MOVE_ATTEMPTS: u32 = 30;

/// How long a job may stay flagged `q_unmarked` before the sweeper finishes its mark.
const UNMARKED_GRACE_MS: i64 = 10_000;

/// The version a job document was read at (0 for one written before versions existed).
pub(super) fn version_of(d: &Document) -> i64 {
    int(d, "q_ver").unwrap_or(0)
}

/// The filter that matches a job only while it is still at `version`.
fn at_version(job_id: &str, version: i64) -> Document {
    if version == 0 {
        doc! {"_id": job_id, "q_ver": null}
    } else {
        doc! {"_id": job_id, "q_ver": version}
    }
}

/// The counts a control document's marks add up to; None when it has no marks (a record
/// restored from a backup before its jobs were).
pub(super) fn tally(d: &Document) -> Option<JobCounts> {
    let marks = d.get_document("q_js").ok()?;
    Some(JobCounts::of(marks.values().filter_map(|m| {
        JobState::parse(m.as_document()?.get_str("s").ok()?)
    })))
}

/// The path of a job's mark in its control document. Job ids are ours (`job_<hex>`); a
/// `.` or `$` from elsewhere (a restored backup) is replaced so it cannot split the path.
pub(super) fn mark_path(job_id: &str) -> String {
    format!("q_js.{}", job_id.replace(['.', '$'], "_"))
}

/// A job's mark as stored in its execution's control record.
pub(super) fn mark(state: JobState, version: i64) -> Document {
    doc! {"s": state.as_str(), "v": version}
}

/// What a move's rule said to do with the job it was shown.
pub(super) enum Step<R> {
    /// Write the job as changed; `R` goes back to the caller.
    Write(R),
    /// Nothing to write.
    Keep(R),
    /// The rule needs more than one document changed at once: use the transaction.
    Txn,
}

/// A move done: the rule's answer and the job as written.
pub(super) struct Moved<R> {
    pub answer: R,
    pub job: Job,
}

impl MongoStore {
    /// Reads a job (in `s`, which may or may not be in a transaction) with its version.
    pub(super) async fn read_job_versioned(
        &self,
        s: &mut ClientSession,
        filter: Document,
    ) -> StoreResult<Option<(Job, i64)>> {
        match self.col("jobs").find_one(filter).session(&mut *s).await? {
            Some(d) => {
                let v = version_of(&d);
                Ok(Some((self.job_from(d)?, v)))
            }
            None => Ok(None),
        }
    }

    /// Applies `rule` to job `job_id` and its execution's control record as they are now,
    /// and writes what it changed (see the module header). `rule` runs again on fresh
    /// copies after a lost race, so it must only look at what it is given. None when the
    /// job does not exist; `Err(Step::Txn)`-like answers come back as `Ok(Some(Err(())))`:
    /// the caller runs its transaction instead.
    pub(super) async fn move_job<R>(
        &self,
        job_id: &str,
        now: Timestamp,
        rule: impl Fn(&mut Job, &mut ExecutionControl) -> Step<R>,
    ) -> StoreResult<Option<Result<Moved<R>, ()>>> {
        let mut s = self.client.start_session().await?;
        for attempt in 0..MOVE_ATTEMPTS {
            if attempt > 0 {
                let jitter: u64 = rand::random_range(0..=(1u64 << attempt.min(5)));
                tokio::time::sleep(Duration::from_millis(1 + jitter)).await;
            }
            let Some((mut job, version)) = self
                .read_job_versioned(&mut s, doc! {"_id": job_id})
                .await?
            else {
                return Ok(None);
            };
            // Without its marks (counts left at zero): rules that need the counts (a
            // concurrency limit, the error threshold) send the change to a transaction.
            let light = doc! {"q_js": 0};
            let Some(mut ctl) = self
                .read_control_fields(&mut s, &job.execution_id, light)
                .await?
            else {
                return Ok(None);
            };
            let before = job.state;
            match rule(&mut job, &mut ctl) {
                Step::Txn => return Ok(Some(Err(()))),
                Step::Keep(answer) => return Ok(Some(Ok(Moved { answer, job }))),
                Step::Write(answer) => {
                    match self.write_moved(&mut s, &job, version, before, now).await {
                        Ok(Some(_)) => return Ok(Some(Ok(Moved { answer, job }))),
                        Ok(None) | Err(super::super::StoreError::Conflict(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Err(super::super::StoreError::Conflict(format!(
            "job {job_id}: other writers kept changing it"
        )))
    }

    /// The two steps of a move for a job read at `version` (in state `before`). None when
    /// the job had moved on since it was read; otherwise whether the execution's state
    /// changed.
    async fn write_moved(
        &self,
        s: &mut ClientSession,
        job: &Job,
        version: i64,
        before: JobState,
        now: Timestamp,
    ) -> StoreResult<Option<bool>> {
        let next = version + 1;
        let mut d = self.job_doc(job)?;
        d.insert("q_ver", next);
        let marks = job.state != before;
        if marks {
            d.insert("q_unmarked", ms(now));
        }
        let written = self
            .col("jobs")
            .replace_one(at_version(&job.job_id, version), d)
            .session(&mut *s)
            .await?;
        if written.matched_count == 0 {
            return Ok(None);
        }
        if !marks {
            return Ok(Some(false));
        }
        self.set_mark(s, job, next, now).await.map(Some)
    }

    /// Step 2: the job's mark (if the one there is older), the flag cleared, and the
    /// execution's state settled when this mark may have changed it. Returns whether that
    /// state changed.
    ///
    /// Besides the marks, the record keeps `q_open`, how many of its jobs are not final,
    /// lowered with the mark that makes a job final (a job is final at most once, so at most
    /// one of its marks does). The answer is then three small fields, not every mark, and
    /// tells whether the state may have moved: the last job ended (`q_open` reached 0), the
    /// first job left the queue, or every job went back to it.
    async fn set_mark(
        &self,
        s: &mut ClientSession,
        job: &Job,
        version: i64,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let key = mark_path(&job.job_id);
        let mut change = doc! {"$set": {&key: mark(job.state, version)}};
        if job.state.is_final() {
            change.insert("$inc", doc! {"q_open": -1});
        }
        let summary = self
            .col("execution_control")
            .find_one_and_update(
                doc! {"_id": &job.execution_id, format!("{key}.v"): {"$lt": version}},
                change,
            )
            .projection(doc! {"state": 1, "q_open": 1})
            .return_document(ReturnDocument::After)
            .session(&mut *s)
            .await?;
        self.col("jobs")
            .update_one(
                doc! {"_id": &job.job_id, "q_ver": version},
                doc! {"$unset": {"q_unmarked": ""}},
            )
            .session(&mut *s)
            .await?;
        // None: a newer mark is there already; its writer settles what it changed.
        let Some(summary) = summary else {
            return Ok(false);
        };
        let state = summary.get_str("state").unwrap_or_default();
        let last_ended = int(&summary, "q_open") == Some(0)
            && !matches!(state, "completed" | "failed" | "cancelled");
        let left_queue = state == "pending" && job.state != JobState::Pending;
        let back_in_queue = state == "running" && job.state == JobState::Pending;
        if !(last_ended || left_queue || back_in_queue) {
            return Ok(false);
        }
        self.settle_execution(&job.execution_id, now).await
    }

    /// Sets a job's mark inside the caller's transaction (see `write_job_in`), lowering
    /// `q_open` when the job becomes final and its mark was not.
    pub(super) async fn mark_in(
        &self,
        s: &mut ClientSession,
        job: &Job,
        version: i64,
    ) -> StoreResult<()> {
        let key = mark_path(&job.job_id);
        let set = doc! {"$set": {&key: mark(job.state, version)}};
        if job.state.is_final() {
            let finals: Vec<&str> = JobState::ALL
                .iter()
                .filter(|s| s.is_final())
                .map(|s| s.as_str())
                .collect();
            let lowered = self
                .col("execution_control")
                .update_one(
                    doc! {"_id": &job.execution_id, format!("{key}.s"): {"$nin": finals}},
                    doc! {"$set": {&key: mark(job.state, version)}, "$inc": {"q_open": -1}},
                )
                .session(&mut *s)
                .await?;
            if lowered.matched_count > 0 {
                return Ok(());
            }
        }
        self.col("execution_control")
            .update_one(doc! {"_id": &job.execution_id}, set)
            .session(&mut *s)
            .await?;
        Ok(())
    }

    /// Moves an execution to the state its marks add up to, if it is not there already (a
    /// small transaction: the control record, the execution and its outbox event).
    pub(super) async fn settle_execution(&self, id: &str, now: Timestamp) -> StoreResult<bool> {
        self.txn((self, id, now), |s, &(st, id, now)| {
            async move {
                let Some(mut ctl) = st.read_control_in(s, id).await? else {
                    return Ok(false);
                };
                st.commit_control_in(s, &mut ctl, now).await
            }
            .boxed()
        })
        .await
    }

    /// The sweeper's part: jobs whose hub stopped between a move's two steps get their
    /// marks (and their executions their state). Returns the executions that changed.
    pub(super) async fn finish_marks(&self, now: Timestamp) -> StoreResult<Vec<String>> {
        let stale = super::collect(
            self.col("jobs")
                .find(doc! {"q_unmarked": {"$lt": ms(now) - UNMARKED_GRACE_MS}})
                .await?,
        )
        .await?;
        let mut s = self.client.start_session().await?;
        let mut changed = Vec::new();
        for d in stale {
            let version = version_of(&d);
            let job = self.job_from(d)?;
            if self.set_mark(&mut s, &job, version, now).await? {
                changed.push(job.execution_id);
            }
        }
        Ok(changed)
    }

    /// A control document as the model's record, its counts tallied from the marks.
    pub(super) fn control_from(&self, d: Document) -> StoreResult<ExecutionControl> {
        let counts = tally(&d);
        let mut v = super::to_json(d)?;
        if let Some(m) = v.as_object_mut() {
            match counts {
                Some(c) => {
                    m.insert("counts".into(), serde_json::to_value(c)?);
                }
                None => {
                    m.entry("counts").or_insert_with(|| {
                        serde_json::to_value(JobCounts::default()).unwrap_or_default()
                    });
                }
            }
        }
        self.codec.from_plain("execution control", v)
    }

    /// How many of `jobs` are not final (a control record's `q_open`).
    pub(super) fn open_of(jobs: &[Job]) -> i64 {
        jobs.iter().filter(|j| !j.state.is_final()).count() as i64
    }

    /// The marks of a new execution's jobs, for its control document.
    pub(super) fn marks_of(jobs: &[Job]) -> Document {
        jobs.iter()
            .map(|j| {
                let key = mark_path(&j.job_id)["q_js.".len()..].to_string();
                (key, Bson::Document(mark(j.state, 0)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::settle;
    use crate::model::ExecutionState;
    use crate::store::Store;
    use crate::store::contract::{execution, lease, ok_result};
    use chrono::Utc;

    /// A hub that stops between a move's two steps (the job written, its mark not) leaves
    /// its execution short of its final state until the sweeper finishes the mark.
    #[tokio::test]
    async fn a_move_cut_after_its_first_step_is_finished_by_the_sweeper() {
        let st = crate::testkit::mongo_store(crate::store::codec::Codec::for_tests()).await;
        let id = format!("exec_cut_{}", uuid::Uuid::new_v4().simple());
        let (e, jobs) = execution("t1", &id, &["cut-a"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let job = lease(&st, "cut-a", now, 30).await.expect("leased");

        // Step 1 alone, as a hub that died before step 2 would leave it.
        let (mut j, version) = st
            .read_job_versioned(
                &mut st.client.start_session().await.unwrap(),
                doc! {"_id": &job.job_id},
            )
            .await
            .unwrap()
            .unwrap();
        let mut ctl = st.get_control(&id).await.unwrap().unwrap();
        settle::on_result(&mut j, &mut ctl, None, &ok_result("done"), now).unwrap();
        let mut d = st.job_doc(&j).unwrap();
        d.insert("q_ver", version + 1);
        d.insert("q_unmarked", ms(now) - 2 * UNMARKED_GRACE_MS);
        st.col("jobs")
            .replace_one(doc! {"_id": &j.job_id}, d)
            .await
            .unwrap();
        let ctl = st.get_control(&id).await.unwrap().unwrap();
        assert_eq!((ctl.counts.leased, ctl.counts.success), (1, 0));
        assert_eq!(ctl.state, ExecutionState::Running);

        st.expire_leases(Utc::now()).await.unwrap();
        let ctl = st.get_control(&id).await.unwrap().unwrap();
        assert_eq!((ctl.counts.leased, ctl.counts.success), (0, 1));
        assert_eq!(ctl.state, ExecutionState::Completed);
        let e = Store::get_execution(&st, "t1", &id).await.unwrap().unwrap();
        assert_eq!(e.state, ExecutionState::Completed);
        // A late second step from the stopped hub changes nothing now.
        let mut s = st.client.start_session().await.unwrap();
        assert!(!st.set_mark(&mut s, &j, version + 1, now).await.unwrap());
        let ctl = st.get_control(&id).await.unwrap().unwrap();
        assert_eq!((ctl.counts.leased, ctl.counts.success), (0, 1));
    }

    /// Marks only move forward: a second step that arrives after a newer one is ignored.
    #[tokio::test]
    async fn an_older_mark_never_replaces_a_newer_one() {
        let st = crate::testkit::mongo_store(crate::store::codec::Codec::for_tests()).await;
        let id = format!("exec_mark_{}", uuid::Uuid::new_v4().simple());
        let (e, jobs) = execution("t1", &id, &["mark-a", "mark-b"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let leased = lease(&st, "mark-a", now, 30).await.expect("leased");
        let mut s = st.client.start_session().await.unwrap();
        let mut stale = leased.clone();
        stale.state = JobState::Pending;
        // The lease wrote version 1; a delayed mark for version 1 or older does nothing.
        assert!(!st.set_mark(&mut s, &stale, 1, now).await.unwrap());
        let ctl = st.get_control(&id).await.unwrap().unwrap();
        assert_eq!((ctl.counts.pending, ctl.counts.leased), (1, 1));
    }
}
