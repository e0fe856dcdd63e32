//! `Store` for `SqliteStore`: each method delegates to the module that holds its SQL.

use super::{SqliteStore, jobs, locks, notify, output, schedules, servers, settle, users};
use crate::error::Result;
use crate::model::{
    ActionTemplate, AuditEntry, Delivery, EventKind, Execution, ExecutionFilter, Job,
    NotificationRule, Page, PageRequest, Schedule, ScheduleRun, Server, ServerFilter, ServerLock,
    StoredEvent, Timestamp, User,
};
use crate::store::{
    Appended, FinishOutcome, LapsedJob, LeaseOutcome, LogLine, OutputWindow, RefreshToken,
    RefreshUse, Store,
};
use async_trait::async_trait;
use greenroom_proto::{JobResult, OutputChunk};

#[async_trait]
impl Store for SqliteStore {
    async fn upsert_user(&self, user: &User) -> Result<()> {
        users::upsert_user(self, user).await
    }
    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        users::user_by_email(self, email).await
    }
    async fn list_users(&self, tenant: &str) -> Result<Vec<User>> {
        users::list_users(self, tenant).await
    }
    async fn record_login_failure(
        &self,
        email: &str,
        threshold: u32,
        now: Timestamp,
    ) -> Result<Option<User>> {
        users::record_login_failure(self, email, threshold, now).await
    }
    async fn clear_login_failures(&self, email: &str) -> Result<()> {
        users::clear_login_failures(self, email).await
    }
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()> {
        super::insert_refresh_token(self, token).await
    }
    async fn use_refresh_token(&self, token_hash: &str, now: Timestamp) -> Result<RefreshUse> {
        super::use_refresh_token(self, token_hash, now).await
    }
    async fn revoke_refresh_family(&self, family: &str) -> Result<()> {
        super::revoke_refresh_family(self, family).await
    }
    async fn insert_enrollment_token(
        &self,
        h: &str,
        tenant: &str,
        by: &str,
        exp: Timestamp,
        uses: u32,
        scope: Option<&serde_json::Value>,
    ) -> Result<()> {
        super::insert_enrollment_token(self, h, tenant, by, exp, uses, scope).await
    }
    async fn consume_enrollment_token(
        &self,
        h: &str,
        server_id: &str,
        now: Timestamp,
    ) -> Result<Option<(String, Option<serde_json::Value>)>> {
        super::consume_enrollment_token(self, h, server_id, now).await
    }
    async fn insert_server(&self, server: &Server) -> Result<()> {
        servers::insert_server(self, server).await
    }
    async fn put_server(&self, server: &Server) -> Result<()> {
        servers::put_server(self, server).await
    }
    async fn modify_server(
        &self,
        tenant: Option<&str>,
        server_id: &str,
        change: crate::store::ServerChangeFn,
    ) -> Result<Option<Server>> {
        servers::modify_server(self, tenant, server_id, change).await
    }
    async fn get_server(&self, tenant: Option<&str>, server_id: &str) -> Result<Option<Server>> {
        servers::get_server(self, tenant, server_id).await
    }
    async fn list_servers(
        &self,
        tenant: &str,
        filter: &ServerFilter,
        page: PageRequest,
    ) -> Result<Page<Server>> {
        servers::list_servers(self, tenant, filter, page).await
    }
    async fn delete_server(&self, tenant: &str, server_id: &str) -> Result<bool> {
        servers::delete_server(self, tenant, server_id).await
    }
    async fn mark_unreachable(&self, cutoff: Timestamp) -> Result<Vec<String>> {
        servers::mark_unreachable(self, cutoff).await
    }
    async fn all_servers(&self) -> Result<Vec<Server>> {
        servers::all_servers(self).await
    }
    async fn count_servers_by_state(&self) -> Result<Vec<(String, u64)>> {
        servers::count_servers_by_state(self).await
    }
    async fn count_by_state(&self, collection: &str) -> Result<Vec<(String, u64)>> {
        servers::count_by_state(self, collection).await
    }
    async fn insert_template(&self, t: &ActionTemplate) -> Result<()> {
        servers::insert_template(self, t).await
    }
    async fn put_template(&self, t: &ActionTemplate) -> Result<()> {
        servers::put_template(self, t).await
    }
    async fn delete_template(&self, tenant: &str, id: &str) -> Result<bool> {
        servers::delete_template(self, tenant, id).await
    }
    async fn get_template(&self, tenant: &str, id: &str) -> Result<Option<ActionTemplate>> {
        servers::get_template(self, tenant, id).await
    }
    async fn list_templates(
        &self,
        tenant: &str,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<ActionTemplate>> {
        servers::list_templates(self, tenant, q, page).await
    }
    async fn insert_execution(&self, e: &Execution, jobs: &[Job]) -> Result<()> {
        jobs::insert_execution(self, e, jobs).await
    }
    async fn get_execution(&self, tenant: &str, id: &str) -> Result<Option<Execution>> {
        jobs::get_execution(self, tenant, id).await
    }
    async fn list_executions(
        &self,
        tenant: &str,
        filter: &ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>> {
        jobs::list_executions(self, tenant, filter, page).await
    }
    async fn jobs_of(&self, execution_id: &str) -> Result<Vec<Job>> {
        jobs::jobs_of(self, execution_id).await
    }
    async fn lease_next_job(
        &self,
        server_id: &str,
        now: Timestamp,
        until: Timestamp,
        ttl: chrono::Duration,
    ) -> Result<LeaseOutcome> {
        jobs::lease_next_job(self, server_id, now, until, ttl).await
    }
    async fn extend_leases(
        &self,
        server_id: &str,
        ids: &[String],
        until: Timestamp,
    ) -> Result<Vec<String>> {
        jobs::extend_leases(self, server_id, ids, until).await
    }
    async fn append_output(
        &self,
        server_id: &str,
        job_id: &str,
        chunks: &[OutputChunk],
        now: Timestamp,
    ) -> Result<Option<Appended>> {
        output::append_output(self, server_id, job_id, chunks, now).await
    }
    async fn finish_job(
        &self,
        server_id: &str,
        job_id: &str,
        r: &JobResult,
        now: Timestamp,
    ) -> Result<FinishOutcome> {
        jobs::finish_job(self, server_id, job_id, r, now).await
    }
    async fn cancel_execution(
        &self,
        tenant: &str,
        id: &str,
        by: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<String>>> {
        settle::cancel_execution(self, tenant, id, by, now).await
    }
    async fn take_cancellations(&self, server_id: &str, now: Timestamp) -> Result<Vec<String>> {
        settle::take_cancellations(self, server_id, now).await
    }
    async fn expire_leases(&self, now: Timestamp) -> Result<Vec<LapsedJob>> {
        settle::expire_leases(self, now).await
    }
    async fn servers_with_due_jobs(&self, now: Timestamp) -> Result<Vec<String>> {
        settle::servers_with_due_jobs(self, now).await
    }
    async fn execution_logs(
        &self,
        id: &str,
        server: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<LogLine>, u64)> {
        output::execution_logs(self, id, server, offset, limit).await
    }
    async fn execution_output(
        &self,
        id: &str,
        window: OutputWindow,
        limit: u32,
    ) -> Result<Vec<LogLine>> {
        output::execution_output(self, id, window, limit).await
    }
    async fn acquire_lock(&self, lock: &ServerLock, now: Timestamp) -> Result<ServerLock> {
        locks::acquire_lock(self, lock, now).await
    }
    async fn get_lock(&self, tenant: &str, id: &str) -> Result<Option<ServerLock>> {
        locks::get_lock(self, tenant, id).await
    }
    async fn list_locks(&self, tenant: &str, active_only: bool) -> Result<Vec<ServerLock>> {
        locks::list_locks(self, tenant, active_only).await
    }
    async fn extend_lock(
        &self,
        tenant: &str,
        id: &str,
        by: chrono::Duration,
        now: Timestamp,
    ) -> Result<ServerLock> {
        locks::extend_lock(self, tenant, id, by, now).await
    }
    async fn release_lock(
        &self,
        tenant: &str,
        id: &str,
        force: bool,
        by: &str,
        now: Timestamp,
    ) -> Result<Option<ServerLock>> {
        locks::release_lock(self, tenant, id, force, by, now).await
    }
    async fn expire_locks(&self, now: Timestamp) -> Result<Vec<ServerLock>> {
        locks::expire_locks(self, now).await
    }
    async fn insert_schedule(&self, s: &Schedule) -> Result<()> {
        schedules::insert_schedule(self, s).await
    }
    async fn get_schedule(&self, tenant: &str, id: &str) -> Result<Option<Schedule>> {
        schedules::get_schedule(self, tenant, id).await
    }
    async fn list_schedules(&self, tenant: &str) -> Result<Vec<Schedule>> {
        schedules::list_schedules(self, tenant).await
    }
    async fn delete_schedule(&self, tenant: &str, id: &str) -> Result<bool> {
        schedules::delete_schedule(self, tenant, id).await
    }
    async fn due_schedules(&self, now: Timestamp) -> Result<Vec<Schedule>> {
        schedules::due_schedules(self, now).await
    }
    async fn claim_schedule_run(&self, run: &ScheduleRun) -> Result<bool> {
        schedules::claim_schedule_run(self, run).await
    }
    async fn set_schedule_run_execution(
        &self,
        id: &str,
        at: Timestamp,
        execution_id: Option<&str>,
        status: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        schedules::set_schedule_run_execution(self, id, at, execution_id, status, detail).await
    }
    async fn advance_schedule(
        &self,
        id: &str,
        next: Option<Timestamp>,
        last: Option<Timestamp>,
    ) -> Result<()> {
        schedules::advance_schedule(self, id, next, last).await
    }
    async fn schedule_runs(&self, id: &str, limit: u32) -> Result<Vec<ScheduleRun>> {
        schedules::schedule_runs(self, id, limit).await
    }
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        super::append_audit(self, entry).await
    }
    async fn list_audit(&self, tenant: &str, page: PageRequest) -> Result<Page<serde_json::Value>> {
        super::list_audit(self, tenant, page).await
    }
    async fn verify_audit_chain(&self) -> Result<Option<u64>> {
        super::verify_audit_chain(self).await
    }

    async fn record_event(
        &self,
        tenant: &str,
        kind: EventKind,
        subject: &str,
        details: &serde_json::Value,
        now: Timestamp,
    ) -> Result<u64> {
        notify::record_event(self, tenant, kind, subject, details, now).await
    }
    async fn events_after(&self, seq: u64, limit: u32) -> Result<Vec<StoredEvent>> {
        notify::events_after(self, seq, limit).await
    }
    async fn cursor(&self, name: &str) -> Result<u64> {
        notify::cursor(self, name).await
    }
    async fn set_cursor(&self, name: &str, value: u64) -> Result<()> {
        notify::set_cursor(self, name, value).await
    }
    async fn put_notification_rule(&self, rule: &NotificationRule) -> Result<()> {
        notify::put_rule(self, rule).await
    }
    async fn get_notification_rule(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<NotificationRule>> {
        notify::get_rule(self, tenant, id).await
    }
    async fn list_notification_rules(&self, tenant: &str) -> Result<Vec<NotificationRule>> {
        notify::list_rules(self, tenant).await
    }
    async fn delete_notification_rule(&self, tenant: &str, id: &str) -> Result<bool> {
        notify::delete_rule(self, tenant, id).await
    }
    async fn add_deliveries(&self, deliveries: &[Delivery]) -> Result<()> {
        notify::add_deliveries(self, deliveries).await
    }
    async fn due_deliveries(&self, now: Timestamp, limit: u32) -> Result<Vec<Delivery>> {
        notify::due_deliveries(self, now, limit).await
    }
    async fn update_delivery(&self, delivery: &Delivery) -> Result<()> {
        notify::update_delivery(self, delivery).await
    }
    async fn list_deliveries(
        &self,
        tenant: &str,
        rule_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Delivery>> {
        notify::list_deliveries(self, tenant, rule_id, page).await
    }
}
