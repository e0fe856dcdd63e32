//! The store: the single source of truth for servers, templates, executions, jobs, users,
//! tokens and the audit log. One trait, implemented by the embedded SQLite store (and, in a
//! later change, MongoDB), exercised by one contract test suite.
//!
//! Store methods that change a job's or an execution's status do so atomically and decide
//! the new status only through [`crate::lifecycle`], which owns every transition.

#[cfg(test)]
pub(crate) mod contract;
pub mod sqlite;

use crate::error::Result;
use crate::model::{
    ActionTemplate, AuditEntry, Delivery, EventKind, Execution, ExecutionFilter, Job,
    NotificationRule, Page, PageRequest, Schedule, ScheduleRun, Server, ServerFilter, ServerLock,
    StoredEvent, Timestamp, User,
};
use async_trait::async_trait;
use greenroom_proto::{JobResult, OutputChunk};

/// A change to apply to a server inside the store's transaction.
pub type ServerChangeFn = Box<dyn FnOnce(&mut Server) + Send>;

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
    Reused {
        family: String,
        email: String,
        tenant_id: String,
    },
    /// Unknown or expired.
    Invalid,
}

/// What leasing found: the job handed out, and executions changed on the way (a job that
/// could not take its lock under the `fail` policy is failed).
#[derive(Debug, Clone, Default)]
pub struct LeaseOutcome {
    pub job: Option<Job>,
    pub changed: Vec<String>,
}

/// A job whose lease lapsed, and what became of it.
#[derive(Debug, Clone)]
pub struct LapsedJob {
    pub execution_id: String,
    pub server_id: String,
    pub requeued: bool,
}

/// What storing a result did.
#[derive(Debug, Clone, PartialEq)]
pub enum FinishOutcome {
    /// Stored now; the execution may have changed. `wake` lists servers that may now lease
    /// (a concurrency slot or a lock was freed, or a retry is due).
    Stored {
        execution_id: String,
        wake: Vec<String>,
    },
    /// The attempt failed and the job was put back to pending for another attempt.
    Retrying {
        execution_id: String,
        wake: Vec<String>,
    },
    /// The job was already final (a repeated delivery): nothing changed.
    AlreadyFinal { execution_id: String },
    /// The job's server lock expired or passed to another holder before this result came:
    /// the result is refused and the job recorded failed.
    Fenced { execution_id: String },
    /// No such job for this server.
    NotFound,
}

/// What storing a batch of output did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub execution_id: String,
    /// The lines that were new (secrets redacted), in order.
    pub fresh: Vec<LogLine>,
    /// The job's status changed (its first output marks it running); only then has the
    /// execution itself changed.
    pub job_changed: bool,
}

/// Which output lines of an execution, in the order they were stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputWindow {
    /// Those stored after this cursor, oldest first.
    After(u64),
    /// The latest ones, oldest first.
    Tail,
}

/// One line of an execution's log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, async_graphql::SimpleObject)]
pub struct LogLine {
    /// Position in the execution's output in the order lines were stored (increasing, not
    /// contiguous): the cursor for `after`, and what identifies a line.
    pub cursor: u64,
    pub server_id: String,
    pub job_id: String,
    pub seq: u64,
    pub stream: String,
    pub data: String,
    pub timestamp: Timestamp,
    /// Which attempt of the job wrote it (retries start their output again at seq 0).
    pub attempt: u32,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Users and tokens.
    async fn upsert_user(&self, user: &User) -> Result<()>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn list_users(&self, tenant: &str) -> Result<Vec<User>>;
    /// Counts a failed sign-in and locks the account (with back-off) at `threshold`.
    async fn record_login_failure(
        &self,
        email: &str,
        threshold: u32,
        now: Timestamp,
    ) -> Result<Option<User>>;
    async fn clear_login_failures(&self, email: &str) -> Result<()>;
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()>;
    async fn use_refresh_token(&self, token_hash: &str, now: Timestamp) -> Result<RefreshUse>;
    async fn revoke_refresh_family(&self, family: &str) -> Result<()>;
    async fn insert_enrollment_token(
        &self,
        token_hash: &str,
        tenant_id: &str,
        created_by: &str,
        expires_at: Timestamp,
        uses: u32,
        scope: Option<&serde_json::Value>,
    ) -> Result<()>;
    /// Spends one use of an enrollment token; returns its tenant and scope when it was valid.
    async fn consume_enrollment_token(
        &self,
        token_hash: &str,
        server_id: &str,
        now: Timestamp,
    ) -> Result<Option<(String, Option<serde_json::Value>)>>;

    // Servers.
    /// Inserts a server; `Conflict` when the id exists.
    async fn insert_server(&self, server: &Server) -> Result<()>;
    /// Replaces a server document (same id and tenant).
    async fn put_server(&self, server: &Server) -> Result<()>;
    /// Changes a server atomically (read, change, write in one transaction), so concurrent
    /// writers — a heartbeat and a certificate renewal, say — never undo each other.
    /// Returns the server as written, or None when there is none (in `tenant`, if given).
    async fn modify_server(
        &self,
        tenant: Option<&str>,
        server_id: &str,
        change: ServerChangeFn,
    ) -> Result<Option<Server>>;
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
    /// Every server of every tenant, by id: only for fleet-wide administration (which CA
    /// issued each agent's certificate during a CA rotation), never for a user's request.
    async fn all_servers(&self) -> Result<Vec<Server>>;
    async fn count_servers_by_state(&self) -> Result<Vec<(String, u64)>>;
    /// Records of `collection` (`executions` or `jobs`) per status, or pending jobs per
    /// priority (`queue`: high, normal, low), for metrics.
    async fn count_by_state(&self, collection: &str) -> Result<Vec<(String, u64)>>;

    // Action templates.
    async fn insert_template(&self, template: &ActionTemplate) -> Result<()>;
    /// Replaces a template (same id and tenant); `Conflict` when the new name is taken.
    async fn put_template(&self, template: &ActionTemplate) -> Result<()>;
    async fn delete_template(&self, tenant: &str, id: &str) -> Result<bool>;
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
        filter: &ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>>;
    async fn jobs_of(&self, execution_id: &str) -> Result<Vec<Job>>;
    /// Leases the next job of this server: highest priority first, then oldest; only jobs
    /// that are due, whose execution has a free concurrency slot, and that can take the
    /// server lock they need (acquired here, with a fresh fencing token).
    async fn lease_next_job(
        &self,
        server_id: &str,
        now: Timestamp,
        lease_until: Timestamp,
        lock_ttl: chrono::Duration,
    ) -> Result<LeaseOutcome>;
    /// Extends the leases (and, within their allowance, the locks) of the named jobs held by
    /// this server; returns the ids that are no longer this server's to run.
    async fn extend_leases(
        &self,
        server_id: &str,
        job_ids: &[String],
        until: Timestamp,
    ) -> Result<Vec<String>>;
    /// Stores output chunks (idempotent by job and seq); None when the job is not this
    /// server's.
    async fn append_output(
        &self,
        server_id: &str,
        job_id: &str,
        chunks: &[OutputChunk],
        now: Timestamp,
    ) -> Result<Option<Appended>>;
    /// Stores a job's result (idempotent by job id), retrying, fencing and settling per the
    /// lifecycle.
    async fn finish_job(
        &self,
        server_id: &str,
        job_id: &str,
        result: &JobResult,
        now: Timestamp,
    ) -> Result<FinishOutcome>;
    /// Cancels an execution: pending jobs at once, running ones flagged for their agents.
    /// Returns the servers to wake, or None when there is no such execution in the tenant.
    async fn cancel_execution(
        &self,
        tenant: &str,
        execution_id: &str,
        by: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<String>>>;
    /// Running jobs of this server that must be stopped and were not asked for lately.
    async fn take_cancellations(&self, server_id: &str, now: Timestamp) -> Result<Vec<String>>;
    /// Settles jobs whose lease lapsed.
    async fn expire_leases(&self, now: Timestamp) -> Result<Vec<LapsedJob>>;
    /// Servers with a retry whose delay has passed (their long-polls are woken).
    async fn servers_with_due_jobs(&self, now: Timestamp) -> Result<Vec<String>>;
    /// A page of an execution's output lines, in order per server; and the total.
    async fn execution_logs(
        &self,
        execution_id: &str,
        server_id: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<LogLine>, u64)>;
    /// Up to `limit` output lines of an execution in the order they were stored.
    async fn execution_output(
        &self,
        execution_id: &str,
        window: OutputWindow,
        limit: u32,
    ) -> Result<Vec<LogLine>>;

    // Locks.
    /// Takes a lock (its fencing token is assigned here); `Conflict` when the server is locked.
    async fn acquire_lock(&self, lock: &ServerLock, now: Timestamp) -> Result<ServerLock>;
    async fn get_lock(&self, tenant: &str, lock_id: &str) -> Result<Option<ServerLock>>;
    async fn list_locks(&self, tenant: &str, active_only: bool) -> Result<Vec<ServerLock>>;
    /// Extends an active lock by `by`; `Conflict` when its extensions are used up.
    async fn extend_lock(
        &self,
        tenant: &str,
        lock_id: &str,
        by: chrono::Duration,
        now: Timestamp,
    ) -> Result<ServerLock>;
    /// Ends an active lock as `released` or `force_released`; returns it, or None.
    async fn release_lock(
        &self,
        tenant: &str,
        lock_id: &str,
        force: bool,
        by: &str,
        now: Timestamp,
    ) -> Result<Option<ServerLock>>;
    /// Ends locks past their expiry; returns them.
    async fn expire_locks(&self, now: Timestamp) -> Result<Vec<ServerLock>>;

    // Schedules.
    async fn insert_schedule(&self, schedule: &Schedule) -> Result<()>;
    async fn get_schedule(&self, tenant: &str, id: &str) -> Result<Option<Schedule>>;
    async fn list_schedules(&self, tenant: &str) -> Result<Vec<Schedule>>;
    async fn delete_schedule(&self, tenant: &str, id: &str) -> Result<bool>;
    /// Enabled schedules whose next run is due, across tenants.
    async fn due_schedules(&self, now: Timestamp) -> Result<Vec<Schedule>>;
    /// Records an occurrence; false when it was already recorded (another replica fired it).
    async fn claim_schedule_run(&self, run: &ScheduleRun) -> Result<bool>;
    /// Sets an occurrence's execution after it started.
    async fn set_schedule_run_execution(
        &self,
        schedule_id: &str,
        occurrence_at: Timestamp,
        execution_id: Option<&str>,
        status: &str,
        detail: Option<&str>,
    ) -> Result<()>;
    async fn advance_schedule(
        &self,
        id: &str,
        next_run_at: Option<Timestamp>,
        last_run_at: Option<Timestamp>,
    ) -> Result<()>;
    async fn schedule_runs(&self, schedule_id: &str, limit: u32) -> Result<Vec<ScheduleRun>>;

    // Audit.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    async fn list_audit(&self, tenant: &str, page: PageRequest) -> Result<Page<serde_json::Value>>;
    /// Recomputes the hash chain; returns the first broken sequence number, if any.
    async fn verify_audit_chain(&self) -> Result<Option<u64>>;

    // Events and notifications. Executions reaching a final state, servers becoming
    // unreachable and forced lock releases write an event in the transaction that makes
    // the change; `record_event` is for the rest (a rule's test).
    async fn record_event(
        &self,
        tenant: &str,
        kind: EventKind,
        subject: &str,
        details: &serde_json::Value,
        now: Timestamp,
    ) -> Result<u64>;
    /// Events after `seq`, oldest first.
    async fn events_after(&self, seq: u64, limit: u32) -> Result<Vec<StoredEvent>>;
    /// A named position (0 when never set), e.g. how far the notifier has read the events.
    async fn cursor(&self, name: &str) -> Result<u64>;
    async fn set_cursor(&self, name: &str, value: u64) -> Result<()>;
    /// Creates or replaces a rule (by id, within its tenant).
    async fn put_notification_rule(&self, rule: &NotificationRule) -> Result<()>;
    async fn get_notification_rule(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<NotificationRule>>;
    async fn list_notification_rules(&self, tenant: &str) -> Result<Vec<NotificationRule>>;
    async fn delete_notification_rule(&self, tenant: &str, id: &str) -> Result<bool>;
    /// Adds deliveries; one already made for the same rule and event is kept as it is.
    async fn add_deliveries(&self, deliveries: &[Delivery]) -> Result<()>;
    /// Pending deliveries whose next attempt is due, across tenants, oldest first.
    async fn due_deliveries(&self, now: Timestamp, limit: u32) -> Result<Vec<Delivery>>;
    async fn update_delivery(&self, delivery: &Delivery) -> Result<()>;
    /// A tenant's deliveries, newest first, optionally of one rule.
    async fn list_deliveries(
        &self,
        tenant: &str,
        rule_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Delivery>>;
}
