//! The store contract: behaviour every `Store` must have, run against each implementation
//! (today the SQLite store; the MongoDB store joins it by adding one line below).

mod concurrency;
mod metrics;
mod notify;
mod orchestration;
mod servers;

use crate::model::*;
use crate::store::{
    FinishOutcome, RefreshToken, RefreshUse, ServerRef, Store, StoreError, sqlite::SqliteStore,
};
use chrono::{Duration, Utc};
use greenroom_proto::{JobResult, Outcome, OutputChunk, Stream};

pub(super) async fn stores() -> Vec<(&'static str, Box<dyn Store>)> {
    vec![
        ("sqlite", Box::new(SqliteStore::in_memory().unwrap())),
        (
            "mongodb",
            Box::new(crate::testkit::mongo_store(crate::store::codec::Codec::for_tests()).await),
        ),
    ]
}

pub(super) fn server(tenant: &str, id: &str, env: &str, tags: &[&str]) -> Server {
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

pub(crate) fn execution(tenant: &str, id: &str, targets: &[&str]) -> (Execution, Vec<Job>) {
    execution_with(tenant, id, targets, serde_json::json!({}))
}

/// An execution from JSON, so only what a test cares about is spelled out.
pub(crate) fn execution_with(
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

pub(crate) async fn lease(
    st: &dyn Store,
    server: &str,
    now: chrono::DateTime<Utc>,
    secs: i64,
) -> Option<Job> {
    st.lease_next_job(
        "t1",
        server,
        now,
        now + Duration::seconds(secs),
        Duration::minutes(30),
    )
    .await
    .unwrap()
    .job
}

pub(crate) fn ok_result(out: &str) -> JobResult {
    serde_json::from_value(serde_json::json!({
        "status": "success", "exit_code": 0, "output": out, "error_output": "",
        "execution_time": 0.01, "started_at": Utc::now(), "finished_at": Utc::now(),
    }))
    .unwrap()
}

pub(super) fn ids_of(p: &Page<Server>) -> Vec<&str> {
    p.items.iter().map(|s| s.server_id.as_str()).collect()
}

pub(super) fn page(p: u32, s: u32) -> PageRequest {
    PageRequest::new(Some(p), Some(s)).unwrap()
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
        let first = st
            .append_output("t1", "a", &leased.job_id, std::slice::from_ref(&chunk), now)
            .await
            .unwrap()
            .unwrap();
        let (exec, fresh) = (first.execution_id, first.fresh);
        assert_eq!(exec, "e1", "{name}");
        assert!(
            first.job_changed,
            "{name}: the first output marks the job running"
        );
        assert_eq!(fresh.len(), 1, "{name}: the new line is returned");
        assert_eq!(
            (fresh[0].seq, fresh[0].data.as_str()),
            (0, "hi\n"),
            "{name}"
        );
        assert_eq!(fresh[0].server_id, "a", "{name}");
        let again = st
            .append_output("t1", "a", &leased.job_id, &[chunk], now)
            .await
            .unwrap()
            .unwrap();
        assert!(again.fresh.is_empty(), "{name}: a repeated line is not new");
        assert!(!again.job_changed, "{name}: later output changes no status");
        assert_eq!(
            st.execution_logs("e1", None, 0, 100).await.unwrap().1,
            1,
            "{name}: output duplicated"
        );
        assert!(
            st.append_output("t1", "b", &leased.job_id, &[], now)
                .await
                .unwrap()
                .is_none(),
            "{name}: other server wrote"
        );

        let r = ok_result("hi");
        assert_eq!(
            st.finish_job("t1", "b", &leased.job_id, &r, now)
                .await
                .unwrap(),
            FinishOutcome::NotFound,
            "{name}"
        );
        assert!(
            matches!(
                st.finish_job("t1", "a", &leased.job_id, &r, now)
                    .await
                    .unwrap(),
                FinishOutcome::Stored { .. }
            ),
            "{name}"
        );
        assert!(
            matches!(
                st.finish_job("t1", "a", &leased.job_id, &r, now)
                    .await
                    .unwrap(),
                FinishOutcome::AlreadyFinal { .. }
            ),
            "{name}"
        );

        let b = lease(st.as_ref(), "b", now, 30).await.unwrap();
        let mut failed = ok_result("");
        failed.status = Outcome::Failed;
        failed.exit_code = Some(3);
        st.finish_job("t1", "b", &b.job_id, &failed, now)
            .await
            .unwrap();
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
                "t1",
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
            .finish_job("t1", "a", &ja.job_id, &ok_result(""), now)
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

        let session = Session {
            session_id: "s1".into(),
            tenant_id: "t1".into(),
            email: "u".into(),
            created_at: now,
            expires_at: now + Duration::hours(1),
            ended_at: None,
            end_reason: None,
        };
        st.insert_session(&session).await.unwrap();
        let rt = RefreshToken {
            token_hash: "r1".into(),
            session_id: "s1".into(),
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
        // The replay ended the session: its other tokens die with it.
        assert!(
            !st.get_session("s1").await.unwrap().unwrap().is_live(now),
            "{name}"
        );
        let rt2 = RefreshToken {
            token_hash: "r2".into(),
            ..rt.clone()
        };
        st.insert_refresh_token(&rt2).await.unwrap();
        assert_eq!(
            st.use_refresh_token("r2", now).await.unwrap(),
            RefreshUse::Invalid,
            "{name}: a token of an ended session"
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
            .mark_unreachable(Utc::now() - Duration::minutes(1), Utc::now())
            .await
            .unwrap();
        assert_eq!(
            ids,
            [ServerRef {
                tenant_id: "t1".into(),
                server_id: "old".into()
            }],
            "{name}"
        );
        assert_eq!(
            st.get_server("t1", "old")
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
        let p = st
            .list_audit("t1", &Default::default(), page(1, 10))
            .await
            .unwrap();
        assert_eq!(p.total, 3, "{name}");
        assert_eq!(p.items[0]["event_type"], "e2", "{name}: newest first");
        assert_eq!(
            st.list_audit("t2", &Default::default(), page(1, 10))
                .await
                .unwrap()
                .total,
            0,
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_filters_by_event_actor_resource_and_time_in_the_query() {
    use crate::audit::AuditFilter;
    let t0 = Utc::now() - Duration::hours(1);
    // (tenant, minutes after t0, event, actor, resource type, resource id)
    let rows = [
        ("t1", 0, "user_login", "ann@x", "user", "ann@x"),
        ("t1", 1, "execution_started", "ann@x", "execution", "e-1"),
        ("t1", 2, "user_login", "bob@x", "user", "bob@x"),
        (
            "t1",
            3,
            "action_updated",
            "bob@x",
            "action_template",
            "tpl-1",
        ),
        ("t1", 4, "execution_cancelled", "bob@x", "execution", "e-1"),
        ("t1", 5, "user_logout", "ann@x", "user", "ann@x"),
        ("t2", 2, "execution_started", "ann@x", "execution", "e-1"),
    ];
    for (name, st) in stores().await {
        for (tenant, min, event, actor, rtype, rid) in rows {
            st.append_audit(&AuditEntry {
                tenant_id: tenant.into(),
                timestamp: t0 + Duration::minutes(min),
                event_type: event.into(),
                actor: serde_json::json!({"type": "user", "id": actor}),
                resource: serde_json::json!({"type": rtype, "id": rid, "name": null}),
                details: serde_json::json!({}),
                result: serde_json::json!({"success": true}),
            })
            .await
            .unwrap();
        }
        let events = |p: &Page<serde_json::Value>| -> Vec<String> {
            p.items
                .iter()
                .map(|e| e["event_type"].as_str().unwrap().to_string())
                .collect()
        };
        let q = |f: AuditFilter| {
            let st = &st;
            async move { st.list_audit("t1", &f, page(1, 50)).await.unwrap() }
        };
        let p = q(AuditFilter {
            event_type: Some("user_login".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(p.total, 2, "{name}: by event");
        assert_eq!(events(&p), ["user_login", "user_login"], "{name}");
        let p = q(AuditFilter {
            actor: Some("bob@x".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            events(&p),
            ["execution_cancelled", "action_updated", "user_login"],
            "{name}: by actor, newest first"
        );
        let p = q(AuditFilter {
            resource_type: Some("execution".into()),
            resource_id: Some("e-1".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(p.total, 2, "{name}: by resource, tenant-scoped");
        assert_eq!(
            events(
                &q(AuditFilter {
                    resource_id: Some("tpl-1".into()),
                    ..Default::default()
                })
                .await
            ),
            ["action_updated"],
            "{name}: by resource id alone"
        );
        let p = q(AuditFilter {
            exclude_event_types: vec!["user_login".into(), "user_logout".into()],
            ..Default::default()
        })
        .await;
        assert_eq!(p.total, 3, "{name}: sign-ins left out");
        let p = q(AuditFilter {
            from: Some(t0 + Duration::minutes(1)),
            to: Some(t0 + Duration::minutes(3)),
            ..Default::default()
        })
        .await;
        assert_eq!(
            events(&p),
            ["user_login", "execution_started"],
            "{name}: from inclusive, to exclusive"
        );
        let p = q(AuditFilter {
            actor: Some("ann@x".into()),
            exclude_event_types: vec!["user_logout".into()],
            from: Some(t0),
            ..Default::default()
        })
        .await;
        assert_eq!(
            events(&p),
            ["execution_started", "user_login"],
            "{name}: together"
        );
        let paged = st
            .list_audit(
                "t1",
                &AuditFilter {
                    actor: Some("bob@x".into()),
                    ..Default::default()
                },
                page(2, 2),
            )
            .await
            .unwrap();
        assert_eq!(
            (paged.total, events(&paged)),
            (3, vec!["user_login".to_string()]),
            "{name}: pages of matches"
        );
        assert_eq!(
            q(AuditFilter {
                actor: Some("nobody".into()),
                ..Default::default()
            })
            .await
            .total,
            0,
            "{name}"
        );
    }
}

#[tokio::test]
async fn sqlite_refuses_to_rewrite_audit_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let st = SqliteStore::open(&path, crate::store::codec::Codec::for_tests()).unwrap();
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
async fn the_ca_files_are_saved_sealed_and_only_over_the_version_read() {
    use std::collections::BTreeMap;
    for (name, st) in stores().await {
        assert_eq!(st.pki_files().await.unwrap(), None, "{name}");
        let key = b"-----BEGIN PRIVATE KEY-----\nsecret-key-material\n".to_vec();
        let first = BTreeMap::from([
            ("ca.crt".to_string(), b"cert".to_vec()),
            ("ca.key".to_string(), key.clone()),
        ]);
        assert!(st.put_pki_files(&first, None).await.unwrap(), "{name}");
        // Two hubs creating a CA at once: the second is told, and keeps the first's.
        let other = BTreeMap::from([("ca.crt".to_string(), b"other".to_vec())]);
        assert!(!st.put_pki_files(&other, None).await.unwrap(), "{name}");
        let saved = st.pki_files().await.unwrap().unwrap();
        assert_eq!((saved.version, &saved.files), (1, &first), "{name}");
        // A rotation step saves over what it read; a step that read an older version is refused.
        let mut second = first.clone();
        second.insert("next.crt".into(), b"next".to_vec());
        assert!(st.put_pki_files(&second, Some(1)).await.unwrap(), "{name}");
        assert!(!st.put_pki_files(&first, Some(1)).await.unwrap(), "{name}");
        let saved = st.pki_files().await.unwrap().unwrap();
        assert_eq!((saved.version, &saved.files), (2, &second), "{name}");
        // What a store writes is sealed: no key material in it, and another key cannot open it.
        let codec = crate::store::codec::Codec::for_tests();
        let sealed = codec.pki(&second);
        assert!(!sealed.contains("secret-key-material") && !sealed.contains("PRIVATE"));
        assert_eq!(codec.pki_from(&sealed).unwrap(), second);
        let stranger = crate::store::codec::Codec::new(std::sync::Arc::new(
            crate::seal::Sealer::new(b"another hub's key, not ours at all"),
        ));
        assert!(stranger.pki_from(&sealed).is_err(), "{name}");
    }
}
