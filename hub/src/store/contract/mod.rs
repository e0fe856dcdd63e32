//! The store contract: behaviour every `Store` must have, run against each implementation
//! (the SQLite store and MongoDB, from `stores`). This module holds the fixtures and the
//! CA files' case; the cases are by collection in the submodules (`concurrency` runs many
//! writers at once).

mod audit;
mod concurrency;
mod history;
mod jobs;
mod metrics;
mod notify;
mod orchestration;
mod servers;
mod users;

use crate::model::*;
use crate::store::{
    FinishOutcome, LapsedJob, RefreshToken, RefreshUse, ServerRef, Store, StoreError,
    UndeliveredJobs, sqlite::SqliteStore,
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
    lease_outcome(st, server, now, secs).await.job
}

/// What leasing the next job of `server` (tenant `t1`) for `secs` answered, in full.
pub(crate) async fn lease_outcome(
    st: &dyn Store,
    server: &str,
    now: chrono::DateTime<Utc>,
    secs: i64,
) -> crate::store::LeaseOutcome {
    st.lease_next_job(
        "t1",
        server,
        now,
        now + Duration::seconds(secs),
        Duration::minutes(30),
    )
    .await
    .unwrap()
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
