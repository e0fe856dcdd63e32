//! The store contract: behaviour every `Store` must have, run against each implementation
//! (today the SQLite store; the MongoDB store joins it by adding one line below).

use super::{FinishOutcome, RefreshToken, RefreshUse, Store, sqlite::SqliteStore};
use crate::model::*;
use chrono::{Duration, Utc};
use greenroom_proto::{JobResult, Outcome, OutputChunk, Stream};

async fn stores() -> Vec<(&'static str, Box<dyn Store>)> {
    vec![("sqlite", Box::new(SqliteStore::in_memory().unwrap()))]
}

fn server(tenant: &str, id: &str, env: &str, tags: &[&str]) -> Server {
    let now = Utc::now();
    Server {
        tenant_id: tenant.into(),
        server_id: id.into(),
        hostname: format!("{id}.example"),
        ip_address: "10.0.0.1".into(),
        environment: env.into(),
        server_group: "g".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        capabilities: vec![],
        configuration: Default::default(),
        credentials: Default::default(),
        status: ServerStatus {
            current: ServerState::Idle,
            last_heartbeat: Some(now),
            ..Default::default()
        },
        circuit: Default::default(),
        metadata: ServerMetadata {
            created_at: now,
            created_by: "t".into(),
            updated_at: now,
            last_successful_execution: None,
        },
    }
}

fn execution(tenant: &str, id: &str, targets: &[&str]) -> (Execution, Vec<Job>) {
    execution_with(tenant, id, targets, serde_json::json!({}))
}

/// An execution from JSON, so only what a test cares about is spelled out.
fn execution_with(
    tenant: &str,
    id: &str,
    targets: &[&str],
    extra: serde_json::Value,
) -> (Execution, Vec<Job>) {
    let action = serde_json::json!({"type": "shell_command", "command": "echo hi", "timeout": 5});
    let mut doc = serde_json::json!({
        "tenant_id": tenant, "execution_id": id, "initiated_by": "u", "execution_type": "bulk",
        "target_servers": targets, "action": action, "parameters": {}, "state": "pending", "created_at": Utc::now(),
    });
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    let e: Execution = serde_json::from_value(doc).unwrap();
    let attempts = 1 + e.retry_count;
    let jobs = targets
        .iter()
        .map(|t| {
            serde_json::from_value(serde_json::json!({
                "job_id": format!("{id}-{t}"), "tenant_id": tenant, "execution_id": id, "server_id": t,
                "state": "pending", "action": action, "attempt": 0, "output": "", "error_output": "",
                "execution_time": 0.0, "resource_usage": {"cpu_seconds": 0.0, "memory_mb": 0.0}, "truncated": false, "max_attempts": attempts,
            }))
            .unwrap()
        })
        .collect();
    (e, jobs)
}

async fn lease(st: &dyn Store, server: &str, now: chrono::DateTime<Utc>, secs: i64) -> Option<Job> {
    st.lease_next_job(
        server,
        now,
        now + Duration::seconds(secs),
        Duration::minutes(30),
    )
    .await
    .unwrap()
    .job
}

fn ok_result(out: &str) -> JobResult {
    serde_json::from_value(serde_json::json!({
        "status": "success", "exit_code": 0, "output": out, "error_output": "",
        "execution_time": 0.01, "started_at": Utc::now(), "finished_at": Utc::now(),
    }))
    .unwrap()
}

fn ids_of(p: &Page<Server>) -> Vec<&str> {
    p.items.iter().map(|s| s.server_id.as_str()).collect()
}

fn page(p: u32, s: u32) -> PageRequest {
    PageRequest::new(Some(p), Some(s)).unwrap()
}

#[tokio::test]
async fn servers_filter_page_and_stay_in_their_tenant() {
    for (name, st) in stores().await {
        st.insert_server(&server("t1", "web-01", "dev", &["nginx"]))
            .await
            .unwrap();
        st.insert_server(&server("t1", "db-01", "staging", &["postgresql"]))
            .await
            .unwrap();
        st.insert_server(&server("t2", "other-01", "dev", &["nginx"]))
            .await
            .unwrap();
        assert!(
            matches!(
                st.insert_server(&server("t1", "web-01", "dev", &[])).await,
                Err(crate::error::Error::Conflict(_))
            ),
            "{name}"
        );

        let all = st
            .list_servers("t1", &ServerFilter::default(), page(1, 50))
            .await
            .unwrap();
        assert_eq!((all.total, all.items.len()), (2, 2), "{name}");
        let f = ServerFilter {
            tag: Some("nginx".into()),
            ..Default::default()
        };
        let tagged = st.list_servers("t1", &f, page(1, 50)).await.unwrap();
        assert_eq!(
            tagged
                .items
                .iter()
                .map(|s| s.server_id.as_str())
                .collect::<Vec<_>>(),
            ["web-01"],
            "{name}"
        );
        let f = ServerFilter {
            q: Some("DB-".into()),
            ..Default::default()
        };
        assert_eq!(
            st.list_servers("t1", &f, page(1, 50)).await.unwrap().total,
            1,
            "{name}"
        );
        let f = ServerFilter {
            q: Some("postgres".into()),
            ..Default::default()
        };
        let by_tag = st.list_servers("t1", &f, page(1, 50)).await.unwrap();
        assert_eq!(ids_of(&by_tag), ["db-01"], "{name}: q matches tags");
        let f = ServerFilter {
            environment: Some("staging".into()),
            status: Some(ServerState::Idle),
            ..Default::default()
        };
        assert_eq!(
            st.list_servers("t1", &f, page(1, 50)).await.unwrap().total,
            1,
            "{name}"
        );
        let p2 = st
            .list_servers("t1", &ServerFilter::default(), page(2, 1))
            .await
            .unwrap();
        assert_eq!(
            (p2.total, p2.items[0].server_id.as_str()),
            (2, "web-01"),
            "{name}"
        );

        assert!(
            st.get_server(Some("t1"), "other-01")
                .await
                .unwrap()
                .is_none(),
            "{name}: tenant leak"
        );
        assert!(
            st.get_server(None, "other-01").await.unwrap().is_some(),
            "{name}"
        );
        assert!(
            !st.delete_server("t1", "other-01").await.unwrap(),
            "{name}: deleted across tenants"
        );
        assert!(st.delete_server("t2", "other-01").await.unwrap(), "{name}");
    }
}

#[tokio::test]
async fn a_job_is_leased_once_and_its_result_stored_once() {
    for (name, st) in stores().await {
        let (e, jobs) = execution("t1", "e1", &["a", "b"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let leased = lease(st.as_ref(), "a", now, 30).await.expect("job for a");
        assert_eq!(leased.state, JobState::Leased, "{name}");
        assert!(
            lease(st.as_ref(), "a", now, 0).await.is_none(),
            "{name}: leased twice"
        );
        assert_eq!(
            st.get_execution("t1", "e1").await.unwrap().unwrap().state,
            ExecutionState::Running,
            "{name}"
        );

        let chunk = OutputChunk {
            seq: 0,
            stream: Stream::Stdout,
            data: "hi\n".into(),
        };
        st.append_output("a", &leased.job_id, std::slice::from_ref(&chunk), now)
            .await
            .unwrap();
        st.append_output("a", &leased.job_id, &[chunk], now)
            .await
            .unwrap();
        assert_eq!(
            st.execution_logs("e1", None, 0, 100).await.unwrap().1,
            1,
            "{name}: output duplicated"
        );
        assert!(
            st.append_output("b", &leased.job_id, &[], now)
                .await
                .unwrap()
                .is_none(),
            "{name}: other server wrote"
        );

        let r = ok_result("hi");
        assert_eq!(
            st.finish_job("b", &leased.job_id, &r, now).await.unwrap(),
            FinishOutcome::NotFound,
            "{name}"
        );
        assert!(
            matches!(
                st.finish_job("a", &leased.job_id, &r, now).await.unwrap(),
                FinishOutcome::Stored { .. }
            ),
            "{name}"
        );
        assert!(
            matches!(
                st.finish_job("a", &leased.job_id, &r, now).await.unwrap(),
                FinishOutcome::AlreadyFinal { .. }
            ),
            "{name}"
        );

        let b = lease(st.as_ref(), "b", now, 30).await.unwrap();
        let mut failed = ok_result("");
        failed.status = Outcome::Failed;
        failed.exit_code = Some(3);
        st.finish_job("b", &b.job_id, &failed, now).await.unwrap();
        let e = st.get_execution("t1", "e1").await.unwrap().unwrap();
        assert_eq!(e.state, ExecutionState::Failed, "{name}");
        assert!(e.completed_at.is_some(), "{name}");
        let jobs = st.jobs_of("e1").await.unwrap();
        assert_eq!(
            jobs.iter().map(|j| j.state).collect::<Vec<_>>(),
            [JobState::Success, JobState::Failed],
            "{name}"
        );
        assert_eq!(jobs[1].exit_code, Some(3), "{name}");
        assert!(
            st.get_execution("t2", "e1").await.unwrap().is_none(),
            "{name}: tenant leak"
        );
    }
}

#[tokio::test]
async fn lapsed_leases_settle_and_heartbeats_keep_them() {
    for (name, st) in stores().await {
        let (e, jobs) = execution("t1", "e2", &["a", "b"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let ja = lease(st.as_ref(), "a", now, 1).await.unwrap();
        let jb = lease(st.as_ref(), "b", now, 1).await.unwrap();
        // b's agent renews its lease; a's does not.
        let stop = st
            .extend_leases(
                "b",
                &[jb.job_id.clone(), "nope".into()],
                now + Duration::seconds(60),
            )
            .await
            .unwrap();
        assert_eq!(stop, ["nope"], "{name}");
        let changed = st.expire_leases(now + Duration::seconds(5)).await.unwrap();
        let ids: Vec<&str> = changed.iter().map(|l| l.execution_id.as_str()).collect();
        assert_eq!(ids, ["e2"], "{name}");
        assert!(
            !changed[0].requeued,
            "{name}: the default policy never re-runs a lost job"
        );
        let jobs = st.jobs_of("e2").await.unwrap();
        let a = jobs.iter().find(|j| j.job_id == ja.job_id).unwrap();
        assert_eq!(a.state, JobState::Unreachable, "{name}");
        assert!(
            jobs.iter()
                .any(|j| j.job_id == jb.job_id && j.state == JobState::Running),
            "{name}: a renewed lease means the job is running"
        );
        // A late result for the lost job changes nothing.
        let late = st
            .finish_job("a", &ja.job_id, &ok_result(""), now)
            .await
            .unwrap();
        assert!(matches!(late, FinishOutcome::AlreadyFinal { .. }), "{name}");
    }
}

#[tokio::test]
async fn tokens_are_single_use() {
    for (name, st) in stores().await {
        let now = Utc::now();
        st.insert_enrollment_token("h1", "t1", "admin", now + Duration::hours(1), 1, None)
            .await
            .unwrap();
        st.insert_enrollment_token("h2", "t1", "admin", now - Duration::hours(1), 1, None)
            .await
            .unwrap();
        let scope = serde_json::json!({"environment": "uat"});
        st.insert_enrollment_token(
            "h3",
            "t1",
            "admin",
            now + Duration::hours(1),
            2,
            Some(&scope),
        )
        .await
        .unwrap();
        assert_eq!(
            st.consume_enrollment_token("h1", "s", now).await.unwrap(),
            Some(("t1".to_string(), None)),
            "{name}"
        );
        for _ in 0..2 {
            assert_eq!(
                st.consume_enrollment_token("h3", "s", now).await.unwrap(),
                Some(("t1".to_string(), Some(scope.clone()))),
                "{name}"
            );
        }
        assert!(
            st.consume_enrollment_token("h3", "s", now)
                .await
                .unwrap()
                .is_none(),
            "{name}: a 2-use token used 3 times"
        );
        assert!(
            st.consume_enrollment_token("h1", "s", now)
                .await
                .unwrap()
                .is_none(),
            "{name}: reused"
        );
        assert!(
            st.consume_enrollment_token("h2", "s", now)
                .await
                .unwrap()
                .is_none(),
            "{name}: expired"
        );

        let rt = RefreshToken {
            token_hash: "r1".into(),
            family: "f".into(),
            email: "u".into(),
            tenant_id: "t1".into(),
            expires_at: now + Duration::hours(1),
        };
        st.insert_refresh_token(&rt).await.unwrap();
        assert!(
            matches!(
                st.use_refresh_token("r1", now).await.unwrap(),
                RefreshUse::Fresh(_)
            ),
            "{name}"
        );
        assert!(
            matches!(
                st.use_refresh_token("r1", now).await.unwrap(),
                RefreshUse::Reused { .. }
            ),
            "{name}"
        );
        assert!(
            matches!(
                st.use_refresh_token("zz", now).await.unwrap(),
                RefreshUse::Invalid
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn silent_servers_become_unreachable() {
    for (name, st) in stores().await {
        let mut old = server("t1", "old", "dev", &[]);
        old.status.last_heartbeat = Some(Utc::now() - Duration::minutes(10));
        st.insert_server(&old).await.unwrap();
        st.insert_server(&server("t1", "fresh", "dev", &[]))
            .await
            .unwrap();
        let ids = st
            .mark_unreachable(Utc::now() - Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(ids, ["old"], "{name}");
        assert_eq!(
            st.get_server(None, "old")
                .await
                .unwrap()
                .unwrap()
                .status
                .current,
            ServerState::Unreachable,
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_is_chained_and_append_only() {
    for (name, st) in stores().await {
        for i in 0..3 {
            let entry = AuditEntry {
                tenant_id: "t1".into(),
                timestamp: Utc::now(),
                event_type: format!("e{i}"),
                actor: serde_json::json!({"type": "user"}),
                resource: serde_json::json!({}),
                details: serde_json::json!({}),
                result: serde_json::json!({"success": true}),
            };
            st.append_audit(&entry).await.unwrap();
        }
        assert_eq!(st.verify_audit_chain().await.unwrap(), None, "{name}");
        let p = st.list_audit("t1", page(1, 10)).await.unwrap();
        assert_eq!(p.total, 3, "{name}");
        assert_eq!(p.items[0]["event_type"], "e2", "{name}: newest first");
        assert_eq!(
            st.list_audit("t2", page(1, 10)).await.unwrap().total,
            0,
            "{name}"
        );
    }
}

#[tokio::test]
async fn sqlite_refuses_to_rewrite_audit_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let st = SqliteStore::open(&path).unwrap();
    let entry = AuditEntry {
        tenant_id: "t1".into(),
        timestamp: Utc::now(),
        event_type: "x".into(),
        actor: serde_json::json!({}),
        resource: serde_json::json!({}),
        details: serde_json::json!({}),
        result: serde_json::json!({}),
    };
    st.append_audit(&entry).await.unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let err = c
        .execute("UPDATE audit_logs SET event_type = 'y'", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(c.execute("DELETE FROM audit_logs", []).is_err());
}

#[tokio::test]
async fn max_concurrency_holds_back_jobs_until_a_slot_frees() {
    for (name, st) in stores().await {
        let (e, jobs) = execution_with(
            "t1",
            "rc",
            &["a", "b", "c"],
            serde_json::json!({"max_concurrency": 1}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let a = lease(st.as_ref(), "a", now, 30).await.expect("first slot");
        assert!(
            lease(st.as_ref(), "b", now, 30).await.is_none(),
            "{name}: two running with max_concurrency 1"
        );
        let FinishOutcome::Stored { wake, .. } = st
            .finish_job("a", &a.job_id, &ok_result(""), now)
            .await
            .unwrap()
        else {
            panic!("{name}")
        };
        assert_eq!(wake, ["b", "c"], "{name}: waiting servers are woken");
        assert!(
            lease(st.as_ref(), "b", now, 30).await.is_some(),
            "{name}: slot freed"
        );
    }
}

#[tokio::test]
async fn higher_priority_runs_first_on_a_server() {
    for (name, st) in stores().await {
        let (low, jl) = execution_with("t1", "low", &["a"], serde_json::json!({"priority": "low"}));
        let (high, jh) = execution_with(
            "t1",
            "high",
            &["a"],
            serde_json::json!({"priority": "high"}),
        );
        st.insert_execution(&low, &jl).await.unwrap();
        st.insert_execution(&high, &jh).await.unwrap();
        let first = lease(st.as_ref(), "a", Utc::now(), 30).await.unwrap();
        assert_eq!(first.execution_id, "high", "{name}");
    }
}

#[tokio::test]
async fn failures_retry_after_their_delay_and_the_error_threshold_skips_the_rest() {
    for (name, st) in stores().await {
        let (e, jobs) = execution_with(
            "t1",
            "rt",
            &["a"],
            serde_json::json!({"retry_count": 1, "retry_delay_seconds": 60}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let j = lease(st.as_ref(), "a", now, 30).await.unwrap();
        let mut failed = ok_result("");
        failed.status = Outcome::Failed;
        failed.exit_code = Some(1);
        assert!(
            matches!(
                st.finish_job("a", &j.job_id, &failed, now).await.unwrap(),
                FinishOutcome::Retrying { .. }
            ),
            "{name}"
        );
        assert!(
            lease(st.as_ref(), "a", now, 30).await.is_none(),
            "{name}: retried before its delay"
        );
        assert_eq!(
            st.servers_with_due_jobs(now + Duration::seconds(61))
                .await
                .unwrap(),
            ["a"],
            "{name}"
        );
        let again = lease(st.as_ref(), "a", now + Duration::seconds(61), 30)
            .await
            .expect("second attempt");
        assert_eq!(again.attempt, 2, "{name}");
        st.finish_job("a", &again.job_id, &failed, now)
            .await
            .unwrap();
        assert_eq!(
            st.get_execution("t1", "rt").await.unwrap().unwrap().state,
            ExecutionState::Failed,
            "{name}"
        );

        let (e, jobs) = execution_with(
            "t1",
            "th",
            &["a", "b", "c"],
            serde_json::json!({"error_threshold": 1, "max_concurrency": 1}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let j = lease(st.as_ref(), "a", now, 30).await.unwrap();
        st.finish_job("a", &j.job_id, &failed, now).await.unwrap();
        let states: Vec<JobState> = st
            .jobs_of("th")
            .await
            .unwrap()
            .iter()
            .map(|j| j.state)
            .collect();
        assert_eq!(
            states,
            [JobState::Failed, JobState::Skipped, JobState::Skipped],
            "{name}"
        );
        let e = st.get_execution("t1", "th").await.unwrap().unwrap();
        assert!(
            e.skipped_reason.unwrap().contains("error threshold"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn cancelling_stops_pending_jobs_and_signals_running_ones() {
    for (name, st) in stores().await {
        let (e, jobs) = execution("t1", "cx", &["a", "b"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let a = lease(st.as_ref(), "a", now, 30).await.unwrap();
        assert!(
            st.cancel_execution("t2", "cx", "x", now)
                .await
                .unwrap()
                .is_none(),
            "{name}: cross-tenant cancel"
        );
        assert_eq!(
            st.cancel_execution("t1", "cx", "u", now)
                .await
                .unwrap()
                .unwrap(),
            ["a"],
            "{name}"
        );
        assert!(
            lease(st.as_ref(), "b", now, 30).await.is_none(),
            "{name}: a cancelled job started"
        );
        assert_eq!(
            st.take_cancellations("a", now).await.unwrap(),
            std::slice::from_ref(&a.job_id),
            "{name}"
        );
        assert!(
            st.take_cancellations("a", now).await.unwrap().is_empty(),
            "{name}: re-sent at once"
        );
        let mut r = ok_result("");
        r.status = Outcome::Cancelled;
        st.finish_job("a", &a.job_id, &r, now).await.unwrap();
        let e = st.get_execution("t1", "cx").await.unwrap().unwrap();
        assert_eq!(
            (e.state, e.cancelled_by.as_deref()),
            (ExecutionState::Cancelled, Some("u")),
            "{name}"
        );
    }
}

fn maintenance_lock(server: &str, minutes: i64) -> ServerLock {
    let now = Utc::now();
    ServerLock {
        tenant_id: "t1".into(),
        lock_id: format!("lock-{server}-{minutes}"),
        server_id: server.into(),
        lock_type: LockType::Maintenance,
        locked_by: LockOwner {
            process_id: "api".into(),
            execution_id: None,
            user_id: "ops@x".into(),
        },
        lock_metadata: LockMetadata {
            reason: "patching".into(),
            priority: "normal".into(),
            estimated_duration_minutes: None,
        },
        timing: LockTiming {
            acquired_at: now,
            expires_at: now + Duration::minutes(minutes),
            max_extension_count: 1,
            current_extensions: 0,
            released_at: None,
        },
        status: LockStatus::Active,
        fencing_token: 0,
        released_by: None,
    }
}

#[tokio::test]
async fn locks_exclude_each_other_extend_a_bounded_number_of_times_and_expire() {
    for (name, st) in stores().await {
        let now = Utc::now();
        let l1 = st
            .acquire_lock(&maintenance_lock("a", 10), now)
            .await
            .unwrap();
        assert!(
            matches!(
                st.acquire_lock(&maintenance_lock("a", 5), now).await,
                Err(crate::error::Error::Conflict(_))
            ),
            "{name}"
        );
        st.extend_lock("t1", &l1.lock_id, Duration::minutes(5), now)
            .await
            .unwrap();
        assert!(
            st.extend_lock("t1", &l1.lock_id, Duration::minutes(5), now)
                .await
                .is_err(),
            "{name}: past max_extension_count"
        );
        assert!(
            st.get_lock("t2", &l1.lock_id).await.unwrap().is_none(),
            "{name}: tenant leak"
        );
        let expired = st.expire_locks(now + Duration::minutes(16)).await.unwrap();
        assert_eq!(expired.len(), 1, "{name}");
        let l2 = st
            .acquire_lock(&maintenance_lock("a", 1), now + Duration::minutes(16))
            .await
            .unwrap();
        assert!(
            l2.fencing_token > l1.fencing_token,
            "{name}: fencing tokens grow"
        );
        let released = st
            .release_lock("t1", &l2.lock_id, true, "admin@x", now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(released.status, LockStatus::ForceReleased, "{name}");
    }
}

#[tokio::test]
async fn a_job_needing_a_lock_waits_and_a_stale_holder_is_fenced() {
    for (name, st) in stores().await {
        let now = Utc::now();
        let maint = st
            .acquire_lock(&maintenance_lock("a", 10), now)
            .await
            .unwrap();
        let (e, jobs) = execution_with(
            "t1",
            "lk",
            &["a"],
            serde_json::json!({"requires_lock": true}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        assert!(
            lease(st.as_ref(), "a", now, 30).await.is_none(),
            "{name}: ran on a locked server"
        );
        st.release_lock("t1", &maint.lock_id, false, "ops@x", now)
            .await
            .unwrap();
        let j = st
            .lease_next_job("a", now, now + Duration::seconds(30), Duration::seconds(1))
            .await
            .unwrap()
            .job
            .expect("lock free now");
        assert!(j.fencing_token.is_some(), "{name}");
        // The job's lock expires before its result arrives, and someone else takes the server.
        st.expire_locks(now + Duration::seconds(2)).await.unwrap();
        st.acquire_lock(&maintenance_lock("a", 10), now + Duration::seconds(2))
            .await
            .unwrap();
        let out = st
            .finish_job("a", &j.job_id, &ok_result(""), now + Duration::seconds(3))
            .await
            .unwrap();
        assert!(
            matches!(out, FinishOutcome::Fenced { .. }),
            "{name}: {out:?}"
        );
        let job = &st.jobs_of("lk").await.unwrap()[0];
        assert_eq!(job.state, JobState::Failed, "{name}");
        assert!(job.error.as_deref().unwrap().contains("fencing"), "{name}");

        let (e, jobs) = execution_with(
            "t1",
            "lf",
            &["a"],
            serde_json::json!({"requires_lock": true, "lock_policy": "fail"}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let out = st
            .lease_next_job("a", now, now + Duration::seconds(30), Duration::minutes(1))
            .await
            .unwrap();
        assert!(out.job.is_none() && out.changed == ["lf"], "{name}");
        assert_eq!(
            st.jobs_of("lf").await.unwrap()[0].state,
            JobState::Failed,
            "{name}: fail policy"
        );
    }
}

#[tokio::test]
async fn a_schedule_occurrence_is_claimed_once() {
    for (name, st) in stores().await {
        let at = Utc::now();
        let run = ScheduleRun {
            schedule_id: "s1".into(),
            occurrence_at: at,
            status: "fired".into(),
            execution_id: None,
            detail: None,
            recorded_at: at,
        };
        assert!(st.claim_schedule_run(&run).await.unwrap(), "{name}");
        assert!(
            !st.claim_schedule_run(&run).await.unwrap(),
            "{name}: fired twice"
        );
    }
}

#[tokio::test]
async fn an_old_database_is_migrated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(super::sqlite::SCHEMA_V0).unwrap();
        c.execute(
            "INSERT INTO job_output(job_id, seq, execution_id, server_id, stream, data, at) VALUES ('j', 0, 'e', 's', 'stdout', 'kept', 0)",
            [],
        )
        .unwrap();
    }
    let st = SqliteStore::open(&path).unwrap();
    let (lines, total) = st.execution_logs("e", None, 0, 10).await.unwrap();
    assert_eq!(
        (total, lines[0].data.as_str(), lines[0].attempt),
        (1, "kept", 1)
    );
    drop(st);
    SqliteStore::open(&path).expect("opening again is a no-op");
}
