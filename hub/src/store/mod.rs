//! The store: the single source of truth for servers, templates, executions, jobs, users,
//! tokens and the audit log. One trait, implemented by the embedded SQLite store (and, in a
//! later change, MongoDB), exercised by one contract test suite.
//!
//! Store methods that change a job's or an execution's status do so atomically and decide
//! the new status only through [`crate::lifecycle`], which owns every transition.

#[cfg(test)]
mod contract;
pub mod sqlite;

use crate::error::Result;
use crate::model::{
    ActionTemplate, AuditEntry, Execution, Job, Page, PageRequest, Server, ServerFilter, Timestamp,
    User,
};
use async_trait::async_trait;
use greenroom_proto::{JobResult, OutputChunk};

/// A refresh token, stored by hash; tokens of one login form a family.
#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family: String,
    pub email: String,
    pub tenant_id: String,
    pub expires_at: Timestamp,
}

/// What presenting a refresh token found.
#[derive(Debug, Clone)]
pub enum RefreshUse {
    /// Valid and now spent.
    Fresh(RefreshToken),
    /// Already spent: someone replayed it. The family must be revoked.
    Reused { family: String },
    /// Unknown or expired.
    Invalid,
}

/// The outcome of storing a job's result.
#[derive(Debug, Clone, PartialEq)]
pub enum FinishOutcome {
    /// Stored now; the execution may have changed.
    Stored { execution_id: String },
    /// The job was already final (a repeated delivery): nothing changed.
    AlreadyFinal { execution_id: String },
    /// No such job for this server.
    NotFound,
}

/// One line of an execution's log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogLine {
    pub server_id: String,
    pub job_id: String,
    pub seq: u64,
    pub stream: String,
    pub data: String,
    pub timestamp: Timestamp,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Users and tokens.
    async fn upsert_user(&self, user: &User) -> Result<()>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()>;
    async fn use_refresh_token(&self, token_hash: &str, now: Timestamp) -> Result<RefreshUse>;
    async fn revoke_refresh_family(&self, family: &str) -> Result<()>;
    async fn insert_enrollment_token(
        &self,
        token_hash: &str,
        tenant_id: &str,
        created_by: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Spends a one-time enrollment token; returns its tenant when it was valid and unused.
    async fn consume_enrollment_token(
        &self,
        token_hash: &str,
        server_id: &str,
        now: Timestamp,
    ) -> Result<Option<String>>;

    // Servers.
    /// Inserts a server; `Conflict` when the id exists.
    async fn insert_server(&self, server: &Server) -> Result<()>;
    /// Replaces a server document (same id and tenant).
    async fn put_server(&self, server: &Server) -> Result<()>;
    /// `tenant` None means any tenant (agent-side lookups by certificate).
    async fn get_server(&self, tenant: Option<&str>, server_id: &str) -> Result<Option<Server>>;
    async fn list_servers(
        &self,
        tenant: &str,
        filter: &ServerFilter,
        page: PageRequest,
    ) -> Result<Page<Server>>;
    async fn delete_server(&self, tenant: &str, server_id: &str) -> Result<bool>;
    /// Marks servers not heard from since `cutoff` unreachable; returns their ids.
    async fn mark_unreachable(&self, cutoff: Timestamp) -> Result<Vec<String>>;
    async fn count_servers_by_state(&self) -> Result<Vec<(String, u64)>>;

    // Action templates.
    async fn insert_template(&self, template: &ActionTemplate) -> Result<()>;
    async fn get_template(&self, tenant: &str, id: &str) -> Result<Option<ActionTemplate>>;
    async fn list_templates(
        &self,
        tenant: &str,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<ActionTemplate>>;

    // Executions and jobs.
    async fn insert_execution(&self, execution: &Execution, jobs: &[Job]) -> Result<()>;
    async fn get_execution(&self, tenant: &str, execution_id: &str) -> Result<Option<Execution>>;
    async fn list_executions(
        &self,
        tenant: &str,
        state: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Execution>>;
    async fn jobs_of(&self, execution_id: &str) -> Result<Vec<Job>>;
    /// Leases the oldest pending job of this server (highest priority first), if any.
    async fn lease_next_job(
        &self,
        server_id: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<Job>>;
    /// Extends the leases of the named jobs held by this server; returns the ids among them
    /// that are no longer this server's to run (the agent should stop them).
    async fn extend_leases(
        &self,
        server_id: &str,
        job_ids: &[String],
        until: Timestamp,
    ) -> Result<Vec<String>>;
    /// Stores output chunks (idempotent by job and seq); returns the execution id, or None
    /// when the job is not this server's.
    async fn append_output(
        &self,
        server_id: &str,
        job_id: &str,
        chunks: &[OutputChunk],
        now: Timestamp,
    ) -> Result<Option<String>>;
    /// Stores a job's result (idempotent by job id) and settles its execution.
    async fn finish_job(
        &self,
        server_id: &str,
        job_id: &str,
        result: &JobResult,
        now: Timestamp,
    ) -> Result<FinishOutcome>;
    /// Settles jobs whose lease lapsed; returns the executions that changed.
    async fn expire_leases(&self, now: Timestamp) -> Result<Vec<String>>;
    /// Pending or running job ids per server, for wake-ups after a restart.
    async fn servers_with_pending_jobs(&self) -> Result<Vec<String>>;
    async fn execution_logs(
        &self,
        execution_id: &str,
        after_seq: Option<u64>,
    ) -> Result<Vec<LogLine>>;

    // Audit.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    async fn list_audit(&self, tenant: &str, page: PageRequest) -> Result<Page<serde_json::Value>>;
    /// Recomputes the hash chain; returns the first broken sequence number, if any.
    async fn verify_audit_chain(&self) -> Result<Option<u64>>;
}
