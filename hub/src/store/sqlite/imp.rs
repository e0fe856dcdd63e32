//! `Store` for `SqliteStore`: each method runs its module's SQL in a write transaction or on
//! a reader.

use super::super::{
    Appended, Counted, FinishOutcome, LapsedJob, LeaseOutcome, LogLine, OutputWindow, PkiFiles,
    RefreshToken, RefreshUse, ServerChange, ServerRef, Singleton, Store, StoreResult,
    UndeliveredJobs, UserChange,
};
use super::{
    SqliteStore, audit, dump, executions, locks, metrics, notify, output, schedules, servers,
    templates, users, work,
};
use crate::lifecycle::locks::LockRefusal;
use crate::model::{
    ActionTemplate, AgentIdentity, AuditEntry, Delivery, EventKind, Execution, ExecutionControl,
    ExecutionFilter, Job, MetricBucket, NotificationRule, Page, PageRequest, Schedule, ScheduleRun,
    Server, ServerFilter, ServerLock, Session, StoredEvent, Timestamp, User,
};
use async_trait::async_trait;
use greenroom_proto::{JobResult, OutputChunk};

fn owned(s: &str) -> String {
    s.to_string()
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn insert_user(&self, user: &User) -> StoreResult<()> {
        let u = user.clone();
        self.write(move |tx, c| users::insert(tx, c, &u)).await
    }
    async fn get_user(&self, tenant: &str, email: &str) -> StoreResult<Option<User>> {
        let (t, e) = (owned(tenant), owned(email));
        self.read(move |c, k| users::get(c, k, &t, &e)).await
    }
    async fn users_by_email(&self, email: &str) -> StoreResult<Vec<User>> {
        let e = owned(email);
        self.read(move |c, k| users::by_email(c, k, &e)).await
    }
    async fn list_users(&self, tenant: &str) -> StoreResult<Vec<User>> {
        let t = owned(tenant);
        self.read(move |c, k| users::list(c, k, &t)).await
    }
    async fn modify_user(
        &self,
        tenant: &str,
        email: &str,
        change: UserChange,
    ) -> StoreResult<Option<User>> {
        let (t, e) = (owned(tenant), owned(email));
        self.write(move |tx, k| users::modify(tx, k, &t, &e, change.as_ref()))
            .await
    }
    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        let s = session.clone();
        self.write(move |tx, k| users::insert_session(tx, k, &s))
            .await
    }
    async fn get_session(&self, id: &str) -> StoreResult<Option<Session>> {
        let id = owned(id);
        self.read(move |c, k| users::get_session(c, k, &id)).await
    }
    async fn end_session(&self, id: &str, reason: &str, now: Timestamp) -> StoreResult<bool> {
        let (id, r) = (owned(id), owned(reason));
        self.write(move |tx, k| users::end_session(tx, k, &id, &r, now))
            .await
    }
    async fn end_sessions_of(
        &self,
        tenant: &str,
        email: &str,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        let (t, e, r) = (owned(tenant), owned(email), owned(reason));
        self.write(move |tx, k| users::end_sessions_of(tx, k, &t, &e, &r, now))
            .await
    }
    async fn insert_refresh_token(&self, token: &RefreshToken) -> StoreResult<()> {
        let t = token.clone();
        self.write(move |tx, _| users::insert_refresh(tx, &t)).await
    }
    async fn use_refresh_token(&self, hash: &str, now: Timestamp) -> StoreResult<RefreshUse> {
        let h = owned(hash);
        self.write(move |tx, k| users::use_refresh(tx, k, &h, now))
            .await
    }
    async fn insert_enrollment_token(
        &self,
        hash: &str,
        tenant: &str,
        by: &str,
        exp: Timestamp,
        uses: u32,
        scope: Option<&serde_json::Value>,
    ) -> StoreResult<()> {
        let (h, t, b, s) = (owned(hash), owned(tenant), owned(by), scope.cloned());
        self.write(move |tx, _| users::insert_enrollment(tx, &h, &t, &b, exp, uses, s.as_ref()))
            .await
    }
    async fn consume_enrollment_token(
        &self,
        hash: &str,
        server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<(String, Option<serde_json::Value>)>> {
        let (h, s) = (owned(hash), owned(server_id));
        self.write(move |tx, _| users::consume_enrollment(tx, &h, &s, now))
            .await
    }

    async fn insert_server(&self, server: &Server) -> StoreResult<()> {
        let s = server.clone();
        self.write(move |tx, k| servers::insert(tx, k, &s)).await
    }
    async fn modify_server(
        &self,
        tenant: &str,
        id: &str,
        change: ServerChange,
    ) -> StoreResult<Option<Server>> {
        let (t, i) = (owned(tenant), owned(id));
        self.write(move |tx, k| servers::modify(tx, k, &t, &i, change.as_ref()))
            .await
    }
    async fn get_server(&self, tenant: &str, id: &str) -> StoreResult<Option<Server>> {
        let (t, i) = (owned(tenant), owned(id));
        self.read_inline(move |c, k| servers::get(c, k, &t, &i))
            .await
    }
    async fn get_servers(&self, tenant: &str, ids: &[String]) -> StoreResult<Vec<Server>> {
        let (t, i) = (owned(tenant), ids.to_vec());
        self.read(move |c, k| servers::get_many(c, k, &t, &i)).await
    }
    async fn agent_by_fingerprint(&self, fp: &str) -> StoreResult<Option<AgentIdentity>> {
        let fp = owned(fp);
        self.read_inline(move |c, k| servers::agent_by_fingerprint(c, k, &fp))
            .await
    }
    async fn list_servers(
        &self,
        tenant: &str,
        filter: &ServerFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Server>> {
        let (t, f) = (owned(tenant), filter.clone());
        self.read(move |c, k| servers::list(c, k, &t, &f, page))
            .await
    }
    async fn delete_server(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        let (t, i) = (owned(tenant), owned(id));
        self.write(move |tx, _| {
            metrics::delete_server(tx, &t, &i)?;
            servers::delete(tx, &t, &i)
        })
        .await
    }
    async fn add_metric_buckets(&self, buckets: &[MetricBucket]) -> StoreResult<()> {
        let b = buckets.to_vec();
        self.write(move |tx, _| metrics::add(tx, &b)).await
    }
    async fn metric_buckets(
        &self,
        tenant: &str,
        server_id: &str,
        resolution: i64,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<MetricBucket>> {
        let (t, i) = (owned(tenant), owned(server_id));
        self.read(move |c, _| metrics::range(c, &t, &i, resolution, from, to))
            .await
    }
    async fn prune_metric_buckets(&self, resolution: i64, before: Timestamp) -> StoreResult<u64> {
        self.write(move |tx, _| metrics::prune(tx, resolution, before))
            .await
    }
    async fn mark_unreachable(
        &self,
        cutoff: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Vec<ServerRef>> {
        self.write(move |tx, k| servers::mark_unreachable(tx, k, cutoff, now))
            .await
    }
    async fn all_servers(&self) -> StoreResult<Vec<Server>> {
        self.read(servers::all).await
    }
    async fn count_by_state(&self, what: Counted) -> StoreResult<Vec<(String, u64)>> {
        self.read(move |c, _| servers::count_by_state(c, what))
            .await
    }

    async fn insert_template(&self, t: &ActionTemplate) -> StoreResult<()> {
        let t = t.clone();
        self.write(move |tx, k| templates::insert(tx, k, &t)).await
    }
    async fn put_template(&self, t: &ActionTemplate) -> StoreResult<()> {
        let t = t.clone();
        self.write(move |tx, k| templates::put(tx, k, &t)).await
    }
    async fn count_template_use(&self, tenant: &str, id: &str) -> StoreResult<()> {
        let (t, i) = (owned(tenant), owned(id));
        self.write(move |tx, k| templates::count_use(tx, k, &t, &i))
            .await
    }
    async fn delete_template(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        let (t, i) = (owned(tenant), owned(id));
        self.write(move |tx, _| templates::delete(tx, &t, &i)).await
    }
    async fn get_template(&self, tenant: &str, id: &str) -> StoreResult<Option<ActionTemplate>> {
        let (t, i) = (owned(tenant), owned(id));
        self.read(move |c, k| templates::get(c, k, &t, &i)).await
    }
    async fn list_templates(
        &self,
        tenant: &str,
        q: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<ActionTemplate>> {
        let (t, q) = (owned(tenant), q.map(owned));
        self.read(move |c, k| templates::list(c, k, &t, q.as_deref(), page))
            .await
    }

    async fn insert_execution(&self, e: &Execution, jobs: &[Job]) -> StoreResult<()> {
        let (e, jobs) = (e.clone(), jobs.to_vec());
        self.write(move |tx, k| executions::insert_execution(tx, k, &e, &jobs))
            .await
    }
    async fn get_execution(&self, tenant: &str, id: &str) -> StoreResult<Option<Execution>> {
        let (t, i) = (owned(tenant), owned(id));
        self.read(move |c, _| executions::get_execution(c, &t, &i))
            .await
    }
    async fn get_control(&self, id: &str) -> StoreResult<Option<ExecutionControl>> {
        let i = owned(id);
        self.read(move |c, _| executions::read_control(c, &i)).await
    }
    async fn list_executions(
        &self,
        tenant: &str,
        f: &ExecutionFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Execution>> {
        let (t, f) = (owned(tenant), f.clone());
        self.read(move |c, _| executions::list_executions(c, &t, &f, page))
            .await
    }
    async fn jobs_of(&self, id: &str) -> StoreResult<Vec<Job>> {
        let i = owned(id);
        self.read(move |c, k| executions::jobs_of(c, k, &i)).await
    }
    async fn jobs_of_many(&self, ids: &[String]) -> StoreResult<Vec<Job>> {
        let ids = ids.to_vec();
        self.read(move |c, k| executions::jobs_of_many(c, k, &ids))
            .await
    }
    async fn lease_next_job(
        &self,
        tenant: &str,
        server: &str,
        now: Timestamp,
        until: Timestamp,
        ttl: chrono::Duration,
    ) -> StoreResult<LeaseOutcome> {
        let (t, s) = (owned(tenant), owned(server));
        let (rt, rs) = (t.clone(), s.clone());
        self.write_if_read(
            move |c| work::job_due(c, &rt, &rs, now),
            move |tx, k| work::lease_next(tx, k, &t, &s, now, until, ttl),
        )
        .await
    }
    async fn extend_leases(
        &self,
        tenant: &str,
        server: &str,
        ids: &[String],
        until: Timestamp,
    ) -> StoreResult<Vec<String>> {
        let (t, s, ids) = (owned(tenant), owned(server), ids.to_vec());
        self.write(move |tx, k| work::extend_leases(tx, k, &t, &s, &ids, until))
            .await
    }
    async fn append_output(
        &self,
        tenant: &str,
        server: &str,
        job_id: &str,
        chunks: &[OutputChunk],
        now: Timestamp,
    ) -> StoreResult<Option<Appended>> {
        let (t, s, j, ch) = (owned(tenant), owned(server), owned(job_id), chunks.to_vec());
        self.write(move |tx, k| output::append(tx, k, &t, &s, &j, &ch, now))
            .await
    }
    async fn finish_job(
        &self,
        tenant: &str,
        server: &str,
        job_id: &str,
        r: &JobResult,
        now: Timestamp,
    ) -> StoreResult<FinishOutcome> {
        let (t, s, j, r) = (owned(tenant), owned(server), owned(job_id), r.clone());
        self.write(move |tx, k| work::finish(tx, k, &t, &s, &j, &r, now))
            .await
    }
    async fn cancel_execution(
        &self,
        tenant: &str,
        id: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<String>>> {
        let (t, i, b) = (owned(tenant), owned(id), owned(by));
        self.write(move |tx, k| work::cancel(tx, k, &t, &i, &b, now))
            .await
    }
    async fn take_cancellations(
        &self,
        tenant: &str,
        server: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<String>> {
        let (t, s) = (owned(tenant), owned(server));
        let (rt, rs) = (t.clone(), s.clone());
        self.write_if_read(
            move |c| work::cancellations_pending(c, &rt, &rs),
            move |tx, k| work::take_cancellations(tx, k, &t, &s, now),
        )
        .await
    }
    async fn expire_leases(&self, now: Timestamp) -> StoreResult<Vec<LapsedJob>> {
        self.write(move |tx, k| work::expire_leases(tx, k, now))
            .await
    }
    async fn settle_undelivered(
        &self,
        which: &UndeliveredJobs,
        now: Timestamp,
    ) -> StoreResult<Vec<LapsedJob>> {
        let which = which.clone();
        self.write(move |tx, k| work::settle_undelivered(tx, k, &which, now))
            .await
    }
    async fn servers_with_due_jobs(&self, now: Timestamp) -> StoreResult<Vec<ServerRef>> {
        self.read(move |c, _| work::servers_with_due_jobs(c, now))
            .await
    }
    async fn execution_logs(
        &self,
        id: &str,
        server: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> StoreResult<(Vec<LogLine>, u64)> {
        let (i, s) = (owned(id), server.map(owned));
        self.read(move |c, _| output::logs(c, &i, s.as_deref(), offset, limit))
            .await
    }
    async fn execution_output(
        &self,
        id: &str,
        window: OutputWindow,
        limit: u32,
        _now: Timestamp,
    ) -> StoreResult<Vec<LogLine>> {
        let i = owned(id);
        self.read(move |c, _| output::window(c, &i, window, limit))
            .await
    }

    async fn acquire_lock(
        &self,
        lock: &ServerLock,
        now: Timestamp,
    ) -> StoreResult<Result<ServerLock, LockRefusal>> {
        let l = lock.clone();
        self.write(move |tx, k| locks::take(tx, k, l, now)).await
    }
    async fn get_lock(&self, tenant: &str, id: &str) -> StoreResult<Option<ServerLock>> {
        let (t, i) = (owned(tenant), owned(id));
        self.read(move |c, k| locks::get(c, k, &t, &i)).await
    }
    async fn active_lock(
        &self,
        tenant: &str,
        server: &str,
        now: Timestamp,
    ) -> StoreResult<Option<ServerLock>> {
        let (t, s) = (owned(tenant), owned(server));
        self.read(move |c, k| locks::live(c, k, &t, &s, now)).await
    }
    async fn list_locks(&self, tenant: &str, active_only: bool) -> StoreResult<Vec<ServerLock>> {
        let t = owned(tenant);
        self.read(move |c, k| locks::list(c, k, &t, active_only))
            .await
    }
    async fn extend_lock(
        &self,
        tenant: &str,
        id: &str,
        by: chrono::Duration,
        now: Timestamp,
    ) -> StoreResult<Option<Result<ServerLock, LockRefusal>>> {
        let (t, i) = (owned(tenant), owned(id));
        self.write(move |tx, k| {
            locks::change(tx, k, &t, &i, now, |l| {
                crate::lifecycle::locks::extend(l, by, now)
            })
        })
        .await
    }
    async fn release_lock(
        &self,
        tenant: &str,
        id: &str,
        force: bool,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Result<ServerLock, LockRefusal>>> {
        let (t, i, b) = (owned(tenant), owned(id), owned(by));
        self.write(move |tx, k| {
            locks::change(tx, k, &t, &i, now, |l| {
                crate::lifecycle::locks::release(l, force, &b, now)
            })
        })
        .await
    }
    async fn expire_locks(&self, now: Timestamp) -> StoreResult<Vec<ServerLock>> {
        self.write(move |tx, k| locks::expire_all(tx, k, now)).await
    }

    async fn insert_schedule(&self, s: &Schedule) -> StoreResult<()> {
        let s = s.clone();
        self.write(move |tx, k| schedules::insert(tx, k, &s)).await
    }
    async fn put_schedule(&self, s: &Schedule) -> StoreResult<bool> {
        let s = s.clone();
        self.write(move |tx, k| schedules::put(tx, k, &s)).await
    }
    async fn get_schedule(&self, tenant: &str, id: &str) -> StoreResult<Option<Schedule>> {
        let (t, i) = (owned(tenant), owned(id));
        self.read(move |c, k| schedules::get(c, k, &t, &i)).await
    }
    async fn list_schedules(&self, tenant: &str) -> StoreResult<Vec<Schedule>> {
        let t = owned(tenant);
        self.read(move |c, k| schedules::list(c, k, &t)).await
    }
    async fn delete_schedule(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        let (t, i) = (owned(tenant), owned(id));
        self.write(move |tx, _| schedules::delete(tx, &t, &i)).await
    }
    async fn due_schedules(&self, now: Timestamp) -> StoreResult<Vec<Schedule>> {
        self.read(move |c, k| schedules::due(c, k, now)).await
    }
    async fn claim_schedule_run(&self, run: &ScheduleRun) -> StoreResult<bool> {
        let r = run.clone();
        self.write(move |tx, _| schedules::claim(tx, &r)).await
    }
    async fn set_schedule_run_execution(
        &self,
        id: &str,
        at: Timestamp,
        execution_id: Option<&str>,
        status: &str,
        detail: Option<&str>,
    ) -> StoreResult<()> {
        let (i, e, s, d) = (
            owned(id),
            execution_id.map(owned),
            owned(status),
            detail.map(owned),
        );
        self.write(move |tx, _| schedules::set_run(tx, &i, at, e.as_deref(), &s, d.as_deref()))
            .await
    }
    async fn advance_schedule(
        &self,
        id: &str,
        next: Option<Timestamp>,
        last: Option<Timestamp>,
    ) -> StoreResult<()> {
        let i = owned(id);
        self.write(move |tx, k| schedules::advance(tx, k, &i, next, last))
            .await
    }
    async fn schedule_runs(&self, id: &str, limit: u32) -> StoreResult<Vec<ScheduleRun>> {
        let i = owned(id);
        self.read(move |c, _| schedules::runs(c, &i, limit)).await
    }

    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<u64> {
        let e = entry.clone();
        self.write(move |tx, _| audit::append(tx, &e)).await
    }
    async fn list_audit(
        &self,
        tenant: &str,
        filter: &crate::audit::AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<serde_json::Value>> {
        let t = owned(tenant);
        let f = filter.clone();
        self.read(move |c, _| audit::list(c, &t, &f, page)).await
    }
    async fn verify_audit_chain(&self) -> StoreResult<Option<u64>> {
        self.read(|c, _| audit::verify(c)).await
    }

    async fn record_event(
        &self,
        tenant: &str,
        kind: EventKind,
        subject: &str,
        details: &serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let (t, s, d) = (owned(tenant), owned(subject), details.clone());
        self.write(move |tx, _| audit::record_event(tx, &t, kind, &s, &d, now))
            .await
    }
    async fn events_after(&self, seq: u64, limit: u32) -> StoreResult<Vec<StoredEvent>> {
        self.read(move |c, _| audit::events_after(c, seq, limit))
            .await
    }
    async fn cursor(&self, name: &str) -> StoreResult<u64> {
        let n = owned(name);
        self.read(move |c, _| audit::cursor(c, &n)).await
    }
    async fn set_cursor(&self, name: &str, value: u64) -> StoreResult<()> {
        let n = owned(name);
        self.write(move |tx, _| audit::set_cursor(tx, &n, value))
            .await
    }
    async fn put_notification_rule(&self, rule: &NotificationRule) -> StoreResult<()> {
        let r = rule.clone();
        self.write(move |tx, k| notify::put_rule(tx, k, &r)).await
    }
    async fn get_notification_rule(
        &self,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<NotificationRule>> {
        let (t, i) = (owned(tenant), owned(id));
        self.read(move |c, k| notify::get_rule(c, k, &t, &i)).await
    }
    async fn list_notification_rules(&self, tenant: &str) -> StoreResult<Vec<NotificationRule>> {
        let t = owned(tenant);
        self.read(move |c, k| notify::list_rules(c, k, &t)).await
    }
    async fn delete_notification_rule(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        let (t, i) = (owned(tenant), owned(id));
        self.write(move |tx, _| notify::delete_rule(tx, &t, &i))
            .await
    }
    async fn add_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()> {
        let ds = deliveries.to_vec();
        self.write(move |tx, _| notify::add_deliveries(tx, &ds))
            .await
    }
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        self.write(move |tx, _| notify::claim_deliveries(tx, now, until, limit))
            .await
    }
    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()> {
        let d = delivery.clone();
        self.write(move |tx, _| notify::update_delivery(tx, &d))
            .await
    }
    async fn list_deliveries(
        &self,
        tenant: &str,
        rule: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>> {
        let (t, r) = (owned(tenant), rule.map(owned));
        self.read(move |c, _| notify::list_deliveries(c, &t, r.as_deref(), page))
            .await
    }

    async fn hold_singleton(
        &self,
        name: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: Timestamp,
    ) -> StoreResult<Option<Singleton>> {
        let (n, h) = (owned(name), owned(holder));
        self.write(move |tx, _| audit::hold_singleton(tx, &n, &h, ttl, now))
            .await
    }
    async fn release_singleton(&self, name: &str, holder: &str) -> StoreResult<()> {
        let (n, h) = (owned(name), owned(holder));
        self.write(move |tx, _| audit::release_singleton(tx, &n, &h))
            .await
    }
    async fn pki_files(&self) -> StoreResult<Option<PkiFiles>> {
        self.read(audit::pki_files).await
    }
    async fn put_pki_files(
        &self,
        files: &std::collections::BTreeMap<String, Vec<u8>>,
        expected: Option<u64>,
    ) -> StoreResult<bool> {
        let files = files.clone();
        self.write(move |tx, codec| audit::put_pki_files(tx, codec, &files, expected))
            .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|c, _| {
            c.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
    async fn dump(
        &self,
        collection: &str,
        skip: u64,
        limit: u32,
    ) -> StoreResult<Vec<serde_json::Value>> {
        let col = owned(collection);
        self.read(move |c, _| dump::dump(c, &col, skip, limit))
            .await
    }
    async fn restore(&self, collection: &str, docs: &[serde_json::Value]) -> StoreResult<()> {
        let (col, docs) = (owned(collection), docs.to_vec());
        self.write(move |tx, k| dump::restore(tx, k, &col, &docs))
            .await
    }
}
