//! `Store` for `SqliteStore`: each method delegates to the module that holds its SQL.

use super::{SqliteStore, jobs, servers};
use crate::error::Result;
use crate::model::{
    ActionTemplate, AuditEntry, Execution, Job, Page, PageRequest, Server, ServerFilter, Timestamp,
    User,
};
use crate::store::{FinishOutcome, LogLine, RefreshToken, RefreshUse, Store};
use async_trait::async_trait;
use greenroom_proto::{JobResult, OutputChunk};

#[async_trait]
impl Store for SqliteStore {
    async fn upsert_user(&self, user: &User) -> Result<()> {
        super::upsert_user(self, user).await
    }
    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        super::user_by_email(self, email).await
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
    ) -> Result<()> {
        super::insert_enrollment_token(self, h, tenant, by, exp).await
    }
    async fn consume_enrollment_token(
        &self,
        h: &str,
        server_id: &str,
        now: Timestamp,
    ) -> Result<Option<String>> {
        super::consume_enrollment_token(self, h, server_id, now).await
    }
    async fn insert_server(&self, server: &Server) -> Result<()> {
        servers::insert_server(self, server).await
    }
    async fn put_server(&self, server: &Server) -> Result<()> {
        servers::put_server(self, server).await
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
    async fn count_servers_by_state(&self) -> Result<Vec<(String, u64)>> {
        servers::count_servers_by_state(self).await
    }
    async fn insert_template(&self, t: &ActionTemplate) -> Result<()> {
        servers::insert_template(self, t).await
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
        state: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Execution>> {
        jobs::list_executions(self, tenant, state, page).await
    }
    async fn jobs_of(&self, execution_id: &str) -> Result<Vec<Job>> {
        jobs::jobs_of(self, execution_id).await
    }
    async fn lease_next_job(
        &self,
        server_id: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Option<Job>> {
        jobs::lease_next_job(self, server_id, now, until).await
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
    ) -> Result<Option<String>> {
        jobs::append_output(self, server_id, job_id, chunks, now).await
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
    async fn expire_leases(&self, now: Timestamp) -> Result<Vec<String>> {
        jobs::expire_leases(self, now).await
    }
    async fn servers_with_pending_jobs(&self) -> Result<Vec<String>> {
        jobs::servers_with_pending_jobs(self).await
    }
    async fn execution_logs(&self, execution_id: &str, after: Option<u64>) -> Result<Vec<LogLine>> {
        jobs::execution_logs(self, execution_id, after).await
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
}
