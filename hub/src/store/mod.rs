//! The store: the single source of truth for servers, templates, executions, jobs, users,
//! sessions, tokens, locks, schedules, notifications and the audit log. One trait, two
//! implementations — the embedded SQLite store and MongoDB — and one contract suite both run.
//!
//! What several writers (hub replicas sharing one database) demand of every implementation:
//! - A store loads, asks [`crate::lifecycle`], and commits — in one transaction, retried on
//!   a write conflict. No status, count or outcome is decided in SQL or a MongoDB filter.
//! - Limits that count (max concurrency, the error threshold) are counters on the
//!   execution's control record changed in the same commit as the job; one active lock per
//!   server is a unique index.
//! - Whatever followers read in order gets an order they cannot overtake: the audit chain and
//!   the event outbox take their sequence number inside the writing transaction; output
//!   cursors are contiguous per execution and a reader stops at a cursor not yet committed
//!   (see [`OutputWindow`]).
//! - Keys are per tenant: `(tenant_id, server_id)`, `(tenant_id, email)`. A tenant never
//!   learns that another tenant's object exists, not even from a duplicate-key answer.
//! - Secret values are sealed at rest ([`codec`]): the database never holds them in clear.
//!
//! Errors are [`StoreError`]: what the caller can act on, never a driver's type.

pub mod codec;
#[cfg(test)]
pub(crate) mod contract;
pub mod dump;
pub mod error;
pub mod mongo;
mod outcomes;
pub mod sqlite;

pub use error::{StoreError, StoreResult};
pub use outcomes::*;

use crate::lifecycle::locks::LockRefusal;
use crate::model::{
    ActionTemplate, AgentIdentity, AuditEntry, Delivery, EventKind, Execution, ExecutionControl,
    ExecutionFilter, Job, MetricBucket, NotificationRule, Page, PageRequest, Schedule, ScheduleRun,
    Server, ServerFilter, ServerLock, Session, StoredEvent, Timestamp, User,
};
use async_trait::async_trait;
use greenroom_proto::{JobResult, OutputChunk};
use std::sync::Arc;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A short name for logs and metrics (`sqlite`, `mongodb`).
    fn backend(&self) -> &'static str;

    // Users, sessions and tokens.
    /// `Duplicate { what: "user" }` when the tenant has a user with this email.
    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    async fn get_user(&self, tenant: &str, email: &str) -> StoreResult<Option<User>>;
    /// Every user with this email, in any tenant (sign-in, where the tenant is not yet known).
    async fn users_by_email(&self, email: &str) -> StoreResult<Vec<User>>;
    async fn list_users(&self, tenant: &str) -> StoreResult<Vec<User>>;
    /// Changes a user atomically; returns it as written, or None when there is none.
    async fn modify_user(
        &self,
        tenant: &str,
        email: &str,
        change: UserChange,
    ) -> StoreResult<Option<User>>;
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;
    async fn get_session(&self, session_id: &str) -> StoreResult<Option<Session>>;
    /// Ends one session (its refresh tokens are spent with it); false when it had ended.
    async fn end_session(
        &self,
        session_id: &str,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Ends every live session of a user; returns their ids.
    async fn end_sessions_of(
        &self,
        tenant: &str,
        email: &str,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<String>>;
    async fn insert_refresh_token(&self, token: &RefreshToken) -> StoreResult<()>;
    /// Spends a refresh token; a spent one presented again ends its session.
    async fn use_refresh_token(&self, token_hash: &str, now: Timestamp) -> StoreResult<RefreshUse>;
    async fn insert_enrollment_token(
        &self,
        token_hash: &str,
        tenant_id: &str,
        created_by: &str,
        expires_at: Timestamp,
        uses: u32,
        scope: Option<&serde_json::Value>,
    ) -> StoreResult<()>;
    /// Spends one use of an enrollment token; returns its tenant and scope when it was valid.
    async fn consume_enrollment_token(
        &self,
        token_hash: &str,
        server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(String, Option<serde_json::Value>)>>;

    // Servers.
    /// `Duplicate { what: "server" }` when the tenant has a server with this id.
    async fn insert_server(&self, server: &Server) -> StoreResult<()>;
    /// Changes a server atomically (read, change, write in one transaction), so concurrent
    /// writers — a heartbeat and a certificate renewal, say — never undo each other.
    async fn modify_server(
        &self,
        tenant: &str,
        server_id: &str,
        change: ServerChange,
    ) -> StoreResult<Option<Server>>;
    async fn get_server(&self, tenant: &str, server_id: &str) -> StoreResult<Option<Server>>;
    /// The tenant's servers among `ids` (unknown ids are left out), in no set order.
    async fn get_servers(&self, tenant: &str, ids: &[String]) -> StoreResult<Vec<Server>>;
    /// Who the server whose current agent certificate has this fingerprint is: what every
    /// agent request is authenticated with, read without the rest of the record.
    async fn agent_by_fingerprint(&self, fingerprint: &str) -> StoreResult<Option<AgentIdentity>>;
    async fn list_servers(
        &self,
        tenant: &str,
        filter: &ServerFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Server>>;
    async fn delete_server(&self, tenant: &str, server_id: &str) -> StoreResult<bool>;
    /// Adds heartbeat samples to their buckets: counts and sums added, maxima kept, so
    /// that several replicas may add to one bucket. A server's buckets go with the server.
    async fn add_metric_buckets(&self, buckets: &[MetricBucket]) -> StoreResult<()>;
    /// A server's buckets of one resolution (seconds) that start in `[from, to)`, oldest
    /// first.
    async fn metric_buckets(
        &self,
        tenant: &str,
        server_id: &str,
        resolution: i64,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<MetricBucket>>;
    /// Drops buckets of `resolution` that started before `before`; returns how many.
    async fn prune_metric_buckets(&self, resolution: i64, before: Timestamp) -> StoreResult<u64>;
    /// Marks servers not heard from since `cutoff` unreachable (an event for each); returns them.
    async fn mark_unreachable(
        &self,
        cutoff: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Vec<ServerRef>>;
    /// Every server of every tenant: only for fleet-wide administration (which CA issued
    /// each agent's certificate during a CA rotation), never for a user's request.
    async fn all_servers(&self) -> StoreResult<Vec<Server>>;
    async fn count_by_state(&self, what: Counted) -> StoreResult<Vec<(String, u64)>>;

    // Action templates.
    /// `Duplicate { what: "template_name" }` when the name is taken in the tenant.
    async fn insert_template(&self, template: &ActionTemplate) -> StoreResult<()>;
    /// Replaces a template (same id and tenant); `Duplicate` when the new name is taken.
    async fn put_template(&self, template: &ActionTemplate) -> StoreResult<()>;
    /// Counts one more execution of the template.
    async fn count_template_use(&self, tenant: &str, id: &str) -> StoreResult<()>;
    async fn delete_template(&self, tenant: &str, id: &str) -> StoreResult<bool>;
    async fn get_template(&self, tenant: &str, id: &str) -> StoreResult<Option<ActionTemplate>>;
    async fn list_templates(
        &self,
        tenant: &str,
        q: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<ActionTemplate>>;

    // Executions and jobs.
    async fn insert_execution(&self, execution: &Execution, jobs: &[Job]) -> StoreResult<()>;
    async fn get_execution(
        &self,
        tenant: &str,
        execution_id: &str,
    ) -> StoreResult<Option<Execution>>;
    async fn get_control(&self, execution_id: &str) -> StoreResult<Option<ExecutionControl>>;
    async fn list_executions(
        &self,
        tenant: &str,
        filter: &ExecutionFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Execution>>;
    async fn jobs_of(&self, execution_id: &str) -> StoreResult<Vec<Job>>;
    /// The jobs of several executions in one read (lists of executions).
    async fn jobs_of_many(&self, execution_ids: &[String]) -> StoreResult<Vec<Job>>;
    /// Leases the next job of this server: best priority first, then oldest, among those
    /// [`crate::lifecycle::lease::decide`] allows now; takes the server lock it needs, and
    /// marks the server busy ([`crate::lifecycle::servers::on_lease`]).
    async fn lease_next_job(
        &self,
        tenant: &str,
        server_id: &str,
        now: Timestamp,
        lease_until: Timestamp,
        lock_ttl: chrono::Duration,
    ) -> StoreResult<LeaseOutcome>;
    /// Extends the leases (and, within their allowance, the locks) of the named jobs held by
    /// this server; returns the ids that are no longer this server's to run.
    async fn extend_leases(
        &self,
        tenant: &str,
        server_id: &str,
        job_ids: &[String],
        until: Timestamp,
    ) -> StoreResult<Vec<String>>;
    /// Stores output chunks (idempotent by job, attempt and seq; redacted); None when the
    /// job is not this server's.
    async fn append_output(
        &self,
        tenant: &str,
        server_id: &str,
        job_id: &str,
        chunks: &[OutputChunk],
        now: Timestamp,
    ) -> StoreResult<Option<Appended>>;
    /// Stores a job's result (idempotent by job id), retrying, fencing and settling per the
    /// lifecycle; a result stored or sent back for a retry also changes the server
    /// ([`crate::lifecycle::servers::on_result`]: circuit closed, idle when its agent holds
    /// no more jobs).
    async fn finish_job(
        &self,
        tenant: &str,
        server_id: &str,
        job_id: &str,
        result: &JobResult,
        now: Timestamp,
    ) -> StoreResult<FinishOutcome>;
    /// Cancels an execution: pending jobs at once, running ones flagged for their agents.
    /// Returns the servers to wake, or None when there is no such execution in the tenant.
    async fn cancel_execution(
        &self,
        tenant: &str,
        execution_id: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<String>>>;
    /// Running jobs of this server that must be stopped and were not asked for lately.
    async fn take_cancellations(
        &self,
        tenant: &str,
        server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<String>>;
    /// Settles jobs whose lease lapsed.
    async fn expire_leases(&self, now: Timestamp) -> StoreResult<Vec<LapsedJob>>;
    /// Ends pending jobs no agent will take (delivery timed out, server deregistered) as
    /// unreachable, each with its execution's counts in one commit.
    async fn settle_undelivered(
        &self,
        which: &UndeliveredJobs,
        now: Timestamp,
    ) -> StoreResult<Vec<LapsedJob>>;
    /// Servers with a retry whose delay has passed (their long-polls are woken).
    async fn servers_with_due_jobs(&self, now: Timestamp) -> StoreResult<Vec<ServerRef>>;
    /// A page of an execution's output lines, in order per server; and the total.
    async fn execution_logs(
        &self,
        execution_id: &str,
        server_id: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> StoreResult<(Vec<LogLine>, u64)>;
    /// Up to `limit` output lines of an execution in cursor order.
    async fn execution_output(
        &self,
        execution_id: &str,
        window: OutputWindow,
        limit: u32,
        now: Timestamp,
    ) -> StoreResult<Vec<LogLine>>;

    // Locks.
    /// Takes a lock (its fencing token is assigned here), or says who holds the server.
    async fn acquire_lock(
        &self,
        lock: &ServerLock,
        now: Timestamp,
    ) -> StoreResult<Result<ServerLock, LockRefusal>>;
    async fn get_lock(&self, tenant: &str, lock_id: &str) -> StoreResult<Option<ServerLock>>;
    /// The server's live lock, if any.
    async fn active_lock(
        &self,
        tenant: &str,
        server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ServerLock>>;
    async fn list_locks(&self, tenant: &str, active_only: bool) -> StoreResult<Vec<ServerLock>>;
    /// Extends an active lock by `by`; None when there is no such lock in the tenant.
    async fn extend_lock(
        &self,
        tenant: &str,
        lock_id: &str,
        by: chrono::Duration,
        now: Timestamp,
    ) -> StoreResult<Option<Result<ServerLock, LockRefusal>>>;
    /// Ends an active lock as `released` or `force_released` (a forced release writes an
    /// event); None when there is no such lock in the tenant.
    async fn release_lock(
        &self,
        tenant: &str,
        lock_id: &str,
        force: bool,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Result<ServerLock, LockRefusal>>>;
    /// Ends locks past their expiry; returns them.
    async fn expire_locks(&self, now: Timestamp) -> StoreResult<Vec<ServerLock>>;

    // Schedules.
    async fn insert_schedule(&self, schedule: &Schedule) -> StoreResult<()>;
    /// Replaces a schedule (same id and tenant).
    async fn put_schedule(&self, schedule: &Schedule) -> StoreResult<bool>;
    async fn get_schedule(&self, tenant: &str, id: &str) -> StoreResult<Option<Schedule>>;
    async fn list_schedules(&self, tenant: &str) -> StoreResult<Vec<Schedule>>;
    async fn delete_schedule(&self, tenant: &str, id: &str) -> StoreResult<bool>;
    /// Enabled schedules whose next run is due, across tenants.
    async fn due_schedules(&self, now: Timestamp) -> StoreResult<Vec<Schedule>>;
    /// Records an occurrence; false when it was already recorded (another replica fired it).
    async fn claim_schedule_run(&self, run: &ScheduleRun) -> StoreResult<bool>;
    /// Sets an occurrence's execution after it started.
    async fn set_schedule_run_execution(
        &self,
        schedule_id: &str,
        occurrence_at: Timestamp,
        execution_id: Option<&str>,
        status: &str,
        detail: Option<&str>,
    ) -> StoreResult<()>;
    async fn advance_schedule(
        &self,
        id: &str,
        next_run_at: Option<Timestamp>,
        last_run_at: Option<Timestamp>,
    ) -> StoreResult<()>;
    async fn schedule_runs(&self, schedule_id: &str, limit: u32) -> StoreResult<Vec<ScheduleRun>>;

    // Audit.
    /// Appends an entry to the hash chain; returns its sequence number.
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<u64>;
    /// The tenant's entries matching `filter`, newest first (the filter is applied in the
    /// query: `total` counts matching entries only).
    async fn list_audit(
        &self,
        tenant: &str,
        filter: &crate::audit::AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<serde_json::Value>>;
    /// Recomputes the hash chain; returns the first broken sequence number, if any.
    async fn verify_audit_chain(&self) -> StoreResult<Option<u64>>;

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
    ) -> StoreResult<u64>;
    /// Events after `seq`, oldest first.
    async fn events_after(&self, seq: u64, limit: u32) -> StoreResult<Vec<StoredEvent>>;
    /// A named position (0 when never set), e.g. how far the notifier has read the events.
    async fn cursor(&self, name: &str) -> StoreResult<u64>;
    async fn set_cursor(&self, name: &str, value: u64) -> StoreResult<()>;
    /// Creates or replaces a rule (by id, within its tenant).
    async fn put_notification_rule(&self, rule: &NotificationRule) -> StoreResult<()>;
    async fn get_notification_rule(
        &self,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<NotificationRule>>;
    async fn list_notification_rules(&self, tenant: &str) -> StoreResult<Vec<NotificationRule>>;
    async fn delete_notification_rule(&self, tenant: &str, id: &str) -> StoreResult<bool>;
    /// Adds deliveries; one already made for the same rule and event is kept as it is.
    async fn add_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()>;
    /// Claims pending deliveries whose next attempt is due, across tenants, oldest first:
    /// their next attempt moves to `until`, atomically, so no other sender (another replica,
    /// or a paused one come back) takes them before then. The sender records the outcome
    /// with `update_delivery`; one that dies leaves them to be claimed again at `until`.
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()>;
    /// A tenant's deliveries, newest first, optionally of one rule.
    async fn list_deliveries(
        &self,
        tenant: &str,
        rule_id: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>>;

    // Coordination between hub replicas.
    /// Takes or renews the lease `name` for `holder` until `now + ttl`: Some with the fencing
    /// token when `holder` holds it now (a new holder gets a larger token than any before),
    /// None when another holder's lease has not expired.
    async fn hold_singleton(
        &self,
        name: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: Timestamp,
    ) -> StoreResult<Option<Singleton>>;
    /// Gives the lease up (a clean shutdown), so another replica takes over at once.
    async fn release_singleton(&self, name: &str, holder: &str) -> StoreResult<()>;
    /// The CA's files as last saved, or None before any hub saved them.
    async fn pki_files(&self) -> StoreResult<Option<PkiFiles>>;
    /// Saves the CA's files as version `expected + 1` (1 when `expected` is None) if the
    /// saved version is still `expected`; false when another writer saved first.
    async fn put_pki_files(
        &self,
        files: &std::collections::BTreeMap<String, Vec<u8>>,
        expected: Option<u64>,
    ) -> StoreResult<bool>;

    // Operations.
    /// Whether the backend answers (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// Every record of one collection (`dump::COLLECTIONS`) as JSON documents, in key
    /// order, from `skip`; secrets stay sealed. For backups.
    async fn dump(
        &self,
        collection: &str,
        skip: u64,
        limit: u32,
    ) -> StoreResult<Vec<serde_json::Value>>;
    /// Writes documents of one collection as `dump` gave them (a restore into an empty store).
    async fn restore(&self, collection: &str, docs: &[serde_json::Value]) -> StoreResult<()>;
}

/// Opens the store the config names: MongoDB when `database.mongodb_url` is set, else the
/// SQLite file. Secrets are sealed with the config's key.
pub async fn open(config: &crate::config::Config) -> StoreResult<Arc<dyn Store>> {
    let codec = crate::app::App::codec(config);
    if let Some(url) = config.mongodb_url() {
        let db = &config.database;
        let store =
            mongo::MongoStore::open(url, &db.database_name, db.connection_pool_size, codec).await?;
        return Ok(Arc::new(store));
    }
    let path = config.sqlite_path();
    let store = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&path, codec))
        .await
        .map_err(|e| StoreError::Backend(format!("opening the store: {e}")))??;
    Ok(Arc::new(store))
}
