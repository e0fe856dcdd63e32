//! `Store` for `MongoStore`: each method is the store's own method of the same name (in
//! the module of its collection).

use super::super::{
    Appended, Counted, FinishOutcome, LapsedJob, LeaseOutcome, LogLine, OutputWindow, PkiFiles,
    RefreshToken, RefreshUse, ServerChange, ServerRef, Singleton, Store, StoreResult,
    UndeliveredJobs, UserChange,
};
use super::MongoStore;
use crate::lifecycle::locks::LockRefusal;
use crate::model::{
    ActionTemplate, AgentIdentity, AuditEntry, Delivery, EventKind, Execution, ExecutionControl,
    ExecutionFilter, Job, MetricBucket, NotificationRule, Page, PageRequest, Schedule, ScheduleRun,
    Server, ServerFilter, ServerLock, Session, StoredEvent, Timestamp, User,
};
use async_trait::async_trait;
use greenroom_proto::{JobResult, OutputChunk};

#[async_trait]
impl Store for MongoStore {
    fn backend(&self) -> &'static str {
        "mongodb"
    }

    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        self.insert_user(user).await
    }

    async fn get_user(&self, tenant: &str, email: &str) -> StoreResult<Option<User>> {
        self.get_user(tenant, email).await
    }

    async fn users_by_email(&self, email: &str) -> StoreResult<Vec<User>> {
        self.users_by_email(email).await
    }

    async fn list_users(&self, tenant: &str) -> StoreResult<Vec<User>> {
        self.list_users(tenant).await
    }

    async fn modify_user(
        &self,
        tenant: &str,
        email: &str,
        change: UserChange,
    ) -> StoreResult<Option<User>> {
        self.modify_user(tenant, email, change).await
    }

    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        self.insert_session(session).await
    }

    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>> {
        self.get_session(session_id).await
    }

    async fn end_session(
        &self,
        session_id: &str,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.end_session(session_id, reason, now).await
    }

    async fn end_sessions_of(
        &self,
        tenant: &str,
        email: &str,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        self.end_sessions_of(tenant, email, reason, now).await
    }

    async fn insert_refresh_token(&self, token: &RefreshToken) -> StoreResult<()> {
        self.insert_refresh_token(token).await
    }

    async fn use_refresh_token(&self, token_hash: &str, now: Timestamp) -> StoreResult<RefreshUse> {
        self.use_refresh_token(token_hash, now).await
    }

    async fn insert_enrollment_token(
        &self,
        token_hash: &str,
        tenant_id: &str,
        created_by: &str,
        expires_at: Timestamp,
        uses: u32,
        scope: Option<&serde_json::Value>,
    ) -> StoreResult<()> {
        self.insert_enrollment_token(token_hash, tenant_id, created_by, expires_at, uses, scope)
            .await
    }

    async fn consume_enrollment_token(
        &self,
        token_hash: &str,
        server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(String, Option<serde_json::Value>)>> {
        self.consume_enrollment_token(token_hash, server_id, now)
            .await
    }

    async fn insert_server(&self, server: &Server) -> StoreResult<()> {
        self.insert_server(server).await
    }

    async fn modify_server(
        &self,
        tenant: &str,
        server_id: &str,
        change: ServerChange,
    ) -> StoreResult<Option<Server>> {
        self.modify_server(tenant, server_id, change).await
    }

    async fn get_server(&self, tenant: &str, server_id: &str) -> StoreResult<Option<Server>> {
        self.get_server(tenant, server_id).await
    }

    async fn agent_by_fingerprint(&self, fingerprint: &str) -> StoreResult<Option<AgentIdentity>> {
        self.agent_by_fingerprint(fingerprint).await
    }

    async fn list_servers(
        &self,
        tenant: &str,
        filter: &ServerFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Server>> {
        self.list_servers(tenant, filter, page).await
    }

    async fn get_servers(&self, tenant: &str, ids: &[String]) -> StoreResult<Vec<Server>> {
        self.get_servers(tenant, ids).await
    }

    async fn delete_server(&self, tenant: &str, server_id: &str) -> StoreResult<bool> {
        self.delete_metric_buckets_of(tenant, server_id).await?;
        self.delete_server(tenant, server_id).await
    }

    async fn add_metric_buckets(&self, buckets: &[MetricBucket]) -> StoreResult<()> {
        self.add_metric_buckets(buckets).await
    }

    async fn metric_buckets(
        &self,
        tenant: &str,
        server_id: &str,
        resolution: i64,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<MetricBucket>> {
        self.metric_buckets(tenant, server_id, resolution, from, to)
            .await
    }

    async fn prune_metric_buckets(&self, resolution: i64, before: Timestamp) -> StoreResult<u64> {
        self.prune_metric_buckets(resolution, before).await
    }

    async fn mark_unreachable(
        &self,
        cutoff: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Vec<ServerRef>> {
        self.mark_unreachable(cutoff, now).await
    }

    async fn all_servers(&self) -> StoreResult<Vec<Server>> {
        self.all_servers().await
    }

    async fn count_by_state(&self, what: Counted) -> StoreResult<Vec<(String, u64)>> {
        self.count_by_state(what).await
    }

    async fn insert_template(&self, template: &ActionTemplate) -> StoreResult<()> {
        self.insert_template(template).await
    }

    async fn put_template(&self, template: &ActionTemplate) -> StoreResult<()> {
        self.put_template(template).await
    }

    async fn count_template_use(&self, tenant: &str, id: &str) -> StoreResult<()> {
        self.count_template_use(tenant, id).await
    }

    async fn delete_template(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        self.delete_template(tenant, id).await
    }

    async fn get_template(&self, tenant: &str, id: &str) -> StoreResult<Option<ActionTemplate>> {
        self.get_template(tenant, id).await
    }

    async fn list_templates(
        &self,
        tenant: &str,
        q: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<ActionTemplate>> {
        self.list_templates(tenant, q, page).await
    }

    async fn insert_execution(&self, execution: &Execution, jobs: &[Job]) -> StoreResult<()> {
        self.insert_execution(execution, jobs).await
    }

    async fn get_execution(
        &self,
        tenant: &str,
        execution_id: &str,
    ) -> StoreResult<Option<Execution>> {
        self.get_execution(tenant, execution_id).await
    }

    async fn get_control(&self, execution_id: &str) -> StoreResult<Option<ExecutionControl>> {
        self.get_control(execution_id).await
    }

    async fn list_executions(
        &self,
        tenant: &str,
        filter: &ExecutionFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Execution>> {
        self.list_executions(tenant, filter, page).await
    }

    async fn jobs_of(&self, execution_id: &str) -> StoreResult<Vec<Job>> {
        self.jobs_of(execution_id).await
    }

    async fn jobs_of_many(&self, execution_ids: &[String]) -> StoreResult<Vec<Job>> {
        self.jobs_of_many(execution_ids).await
    }

    async fn lease_next_job(
        &self,
        tenant: &str,
        server_id: &str,
        now: Timestamp,
        lease_until: Timestamp,
        lock_ttl: chrono::Duration,
    ) -> StoreResult<LeaseOutcome> {
        self.lease_next(tenant, server_id, now, lease_until, lock_ttl)
            .await
    }

    async fn extend_leases(
        &self,
        tenant: &str,
        server_id: &str,
        job_ids: &[String],
        until: Timestamp,
    ) -> StoreResult<Vec<String>> {
        self.extend_leases(tenant, server_id, job_ids, until).await
    }

    async fn append_output(
        &self,
        tenant: &str,
        server_id: &str,
        job_id: &str,
        chunks: &[OutputChunk],
        now: Timestamp,
    ) -> StoreResult<Option<Appended>> {
        self.append_output(tenant, server_id, job_id, chunks, now)
            .await
    }

    async fn finish_job(
        &self,
        tenant: &str,
        server_id: &str,
        job_id: &str,
        result: &JobResult,
        now: Timestamp,
    ) -> StoreResult<FinishOutcome> {
        self.finish(tenant, server_id, job_id, result, now).await
    }

    async fn cancel_execution(
        &self,
        tenant: &str,
        execution_id: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<String>>> {
        self.cancel(tenant, execution_id, by, now).await
    }

    async fn take_cancellations(
        &self,
        tenant: &str,
        server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        self.take_cancellations(tenant, server_id, now).await
    }

    async fn expire_leases(&self, now: Timestamp) -> StoreResult<Vec<LapsedJob>> {
        self.expire_leases(now).await
    }

    async fn settle_undelivered(
        &self,
        which: &UndeliveredJobs,
        now: Timestamp,
    ) -> StoreResult<Vec<LapsedJob>> {
        self.settle_undelivered(which, now).await
    }

    async fn servers_with_due_jobs(&self, now: Timestamp) -> StoreResult<Vec<ServerRef>> {
        self.servers_with_due_jobs(now).await
    }

    async fn execution_logs(
        &self,
        execution_id: &str,
        server_id: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> StoreResult<(Vec<LogLine>, u64)> {
        self.execution_logs(execution_id, server_id, offset, limit)
            .await
    }

    async fn execution_output(
        &self,
        execution_id: &str,
        window: OutputWindow,
        limit: u32,
        now: Timestamp,
    ) -> StoreResult<Vec<LogLine>> {
        self.execution_output(execution_id, window, limit, now)
            .await
    }

    async fn acquire_lock(
        &self,
        lock: &ServerLock,
        now: Timestamp,
    ) -> StoreResult<Result<ServerLock, LockRefusal>> {
        self.acquire_lock(lock, now).await
    }

    async fn get_lock(&self, tenant: &str, lock_id: &str) -> StoreResult<Option<ServerLock>> {
        self.get_lock(tenant, lock_id).await
    }

    async fn active_lock(
        &self,
        tenant: &str,
        server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ServerLock>> {
        self.active_lock(tenant, server_id, now).await
    }

    async fn list_locks(&self, tenant: &str, active_only: bool) -> StoreResult<Vec<ServerLock>> {
        self.list_locks(tenant, active_only).await
    }

    async fn extend_lock(
        &self,
        tenant: &str,
        lock_id: &str,
        by: chrono::Duration,
        now: Timestamp,
    ) -> StoreResult<Option<Result<ServerLock, LockRefusal>>> {
        self.change_lock(tenant, lock_id, now, |l| {
            crate::lifecycle::locks::extend(l, by, now)
        })
        .await
    }

    async fn release_lock(
        &self,
        tenant: &str,
        lock_id: &str,
        force: bool,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Result<ServerLock, LockRefusal>>> {
        self.change_lock(tenant, lock_id, now, |l| {
            crate::lifecycle::locks::release(l, force, by, now)
        })
        .await
    }

    async fn expire_locks(&self, now: Timestamp) -> StoreResult<Vec<ServerLock>> {
        self.expire_locks(now).await
    }

    async fn insert_schedule(&self, schedule: &Schedule) -> StoreResult<()> {
        self.insert_schedule(schedule).await
    }

    async fn put_schedule(&self, schedule: &Schedule) -> StoreResult<bool> {
        self.put_schedule(schedule).await
    }

    async fn get_schedule(&self, tenant: &str, id: &str) -> StoreResult<Option<Schedule>> {
        self.get_schedule(tenant, id).await
    }

    async fn list_schedules(&self, tenant: &str) -> StoreResult<Vec<Schedule>> {
        self.list_schedules(tenant).await
    }

    async fn delete_schedule(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        self.delete_schedule(tenant, id).await
    }

    async fn due_schedules(&self, now: Timestamp) -> StoreResult<Vec<Schedule>> {
        self.due_schedules(now).await
    }

    async fn claim_schedule_run(&self, run: &ScheduleRun) -> StoreResult<bool> {
        self.claim_schedule_run(run).await
    }

    async fn set_schedule_run_execution(
        &self,
        schedule_id: &str,
        occurrence_at: Timestamp,
        execution_id: Option<&str>,
        status: &str,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        self.set_schedule_run_execution(schedule_id, occurrence_at, execution_id, status, detail)
            .await
    }

    async fn advance_schedule(
        &self,
        id: &str,
        next_run_at: Option<Timestamp>,
        last_run_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        self.advance_schedule(id, next_run_at, last_run_at).await
    }

    async fn schedule_runs(&self, schedule_id: &str, limit: u32) -> StoreResult<Vec<ScheduleRun>> {
        self.schedule_runs(schedule_id, limit).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<u64> {
        self.append_audit(entry).await
    }

    async fn list_audit(
        &self,
        tenant: &str,
        filter: &crate::audit::AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<serde_json::Value>> {
        self.list_audit(tenant, filter, page).await
    }

    async fn verify_audit_chain(&self) -> StoreResult<Option<u64>> {
        self.verify_audit_chain().await
    }

    async fn record_event(
        &self,
        tenant: &str,
        kind: EventKind,
        subject: &str,
        details: &serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<u64> {
        self.record_event(tenant, kind, subject, details, now).await
    }

    async fn events_after(&self, seq: u64, limit: u32) -> StoreResult<Vec<StoredEvent>> {
        self.events_after(seq, limit).await
    }

    async fn cursor(&self, name: &str) -> StoreResult<u64> {
        self.cursor(name).await
    }

    async fn set_cursor(&self, name: &str, value: u64) -> StoreResult<()> {
        self.set_cursor(name, value).await
    }

    async fn put_notification_rule(&self, rule: &NotificationRule) -> StoreResult<()> {
        self.put_notification_rule(rule).await
    }

    async fn get_notification_rule(
        &self,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<NotificationRule>> {
        self.get_notification_rule(tenant, id).await
    }

    async fn list_notification_rules(&self, tenant: &str) -> StoreResult<Vec<NotificationRule>> {
        self.list_notification_rules(tenant).await
    }

    async fn delete_notification_rule(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        self.delete_notification_rule(tenant, id).await
    }

    async fn add_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()> {
        self.add_deliveries(deliveries).await
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        self.claim_deliveries(now, until, limit).await
    }

    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()> {
        self.update_delivery(delivery).await
    }

    async fn list_deliveries(
        &self,
        tenant: &str,
        rule_id: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>> {
        self.list_deliveries(tenant, rule_id, page).await
    }

    async fn hold_singleton(
        &self,
        name: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: Timestamp,
    ) -> StoreResult<Option<Singleton>> {
        self.hold_singleton(name, holder, ttl, now).await
    }

    async fn release_singleton(&self, name: &str, holder: &str) -> StoreResult<()> {
        self.release_singleton(name, holder).await
    }

    async fn pki_files(&self) -> StoreResult<Option<PkiFiles>> {
        self.pki_files().await
    }

    async fn put_pki_files(
        &self,
        files: &std::collections::BTreeMap<String, Vec<u8>>,
        expected: Option<u64>,
    ) -> StoreResult<bool> {
        self.put_pki_files(files, expected).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db.run_command(mongodb::bson::doc! {"ping": 1}).await?;
        Ok(())
    }

    async fn dump(
        &self,
        collection: &str,
        skip: u64,
        limit: u32,
    ) -> StoreResult<Vec<serde_json::Value>> {
        self.dump(collection, skip, limit).await
    }

    async fn restore(&self, collection: &str, docs: &[serde_json::Value]) -> StoreResult<()> {
        self.restore(collection, docs).await
    }
}
