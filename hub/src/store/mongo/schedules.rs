//! Schedules (secret values sealed) and their recorded occurrences in MongoDB. An
//! occurrence is claimed by inserting its document (`_id` schedule/occurrence): only one
//! replica's insert succeeds, so only one fires it.

use super::super::StoreResult;
use super::{MongoStore, collect, ms, to_bson, to_json};
use crate::model::{Schedule, ScheduleRun, Timestamp};
use futures::FutureExt;
use mongodb::bson::{Document, doc};

fn run_id(schedule: &str, at: Timestamp) -> String {
    format!("{schedule}/{}", ms(at))
}

impl MongoStore {
    fn schedule_doc(&self, s: &Schedule) -> StoreResult<Document> {
        to_bson(
            &self.codec.schedule(s)?,
            doc! {"_id": &s.id, "q_next": s.next_run_at.map(ms)},
        )
    }

    fn schedule_from(&self, d: Document) -> StoreResult<Schedule> {
        self.codec.schedule_from(to_json(d)?)
    }

    pub(super) async fn insert_schedule(&self, s: &Schedule) -> StoreResult<()> {
        self.col("schedules")
            .insert_one(self.schedule_doc(s)?)
            .await?;
        Ok(())
    }

    pub(super) async fn put_schedule(&self, s: &Schedule) -> StoreResult<bool> {
        Ok(self
            .col("schedules")
            .replace_one(
                doc! {"_id": &s.id, "tenant_id": &s.tenant_id},
                self.schedule_doc(s)?,
            )
            .await?
            .matched_count
            > 0)
    }

    pub(super) async fn get_schedule(
        &self,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<Schedule>> {
        self.col("schedules")
            .find_one(doc! {"_id": id, "tenant_id": tenant})
            .await?
            .map(|d| self.schedule_from(d))
            .transpose()
    }

    pub(super) async fn list_schedules(&self, tenant: &str) -> StoreResult<Vec<Schedule>> {
        let docs = collect(
            self.col("schedules")
                .find(doc! {"tenant_id": tenant})
                .sort(doc! {"name": 1, "_id": 1})
                .await?,
        )
        .await?;
        docs.into_iter().map(|d| self.schedule_from(d)).collect()
    }

    pub(super) async fn delete_schedule(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        Ok(self
            .col("schedules")
            .delete_one(doc! {"_id": id, "tenant_id": tenant})
            .await?
            .deleted_count
            > 0)
    }

    pub(super) async fn due_schedules(&self, now: Timestamp) -> StoreResult<Vec<Schedule>> {
        let docs = collect(
            self.col("schedules")
                .find(doc! {"enabled": true, "q_next": {"$lte": ms(now)}})
                .await?,
        )
        .await?;
        docs.into_iter().map(|d| self.schedule_from(d)).collect()
    }

    pub(super) async fn claim_schedule_run(&self, run: &ScheduleRun) -> StoreResult<bool> {
        let r = self
            .col("schedule_runs")
            .insert_one(doc! {
                "_id": run_id(&run.schedule_id, run.occurrence_at),
                "schedule_id": &run.schedule_id, "occurrence_at": ms(run.occurrence_at),
                "status": &run.status, "execution_id": run.execution_id.as_deref(),
                "detail": run.detail.as_deref(), "recorded_at": ms(run.recorded_at),
            })
            .await;
        match r.map_err(super::classify) {
            Ok(_) => Ok(true),
            Err(super::super::StoreError::Duplicate { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn set_schedule_run_execution(
        &self,
        id: &str,
        at: Timestamp,
        execution_id: Option<&str>,
        status: &str,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        self.col("schedule_runs")
            .update_one(
                doc! {"_id": run_id(id, at)},
                doc! {"$set": {"execution_id": execution_id, "status": status, "detail": detail}},
            )
            .await?;
        Ok(())
    }

    pub(super) async fn advance_schedule(
        &self,
        id: &str,
        next: Option<Timestamp>,
        last: Option<Timestamp>,
    ) -> StoreResult<()> {
        self.txn((self, id, next, last), |s, &(st, id, next, last)| {
            async move {
                let Some(d) = st
                    .col("schedules")
                    .find_one(doc! {"_id": id})
                    .session(&mut *s)
                    .await?
                else {
                    return Ok(());
                };
                let mut sch = st.schedule_from(d)?;
                sch.next_run_at = next;
                if last.is_some() {
                    sch.last_run_at = last;
                }
                sch.enabled = sch.enabled && next.is_some();
                st.col("schedules")
                    .replace_one(doc! {"_id": id}, st.schedule_doc(&sch)?)
                    .session(&mut *s)
                    .await?;
                Ok(())
            }
            .boxed()
        })
        .await
    }

    pub(super) async fn schedule_runs(
        &self,
        id: &str,
        limit: u32,
    ) -> StoreResult<Vec<ScheduleRun>> {
        let docs = collect(
            self.col("schedule_runs")
                .find(doc! {"schedule_id": id})
                .sort(doc! {"occurrence_at": -1})
                .limit(i64::from(limit))
                .await?,
        )
        .await?;
        Ok(docs
            .into_iter()
            .map(|d| ScheduleRun {
                schedule_id: d.get_str("schedule_id").unwrap_or_default().to_string(),
                occurrence_at: chrono::DateTime::from_timestamp_millis(
                    super::int(&d, "occurrence_at").unwrap_or(0),
                )
                .unwrap_or_default(),
                status: d.get_str("status").unwrap_or_default().to_string(),
                execution_id: d.get_str("execution_id").ok().map(str::to_string),
                detail: d.get_str("detail").ok().map(str::to_string),
                recorded_at: chrono::DateTime::from_timestamp_millis(
                    super::int(&d, "recorded_at").unwrap_or(0),
                )
                .unwrap_or_default(),
            })
            .collect())
    }
}
