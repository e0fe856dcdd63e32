//! Security where agents and stored data are involved, against the real hub and real agents:
//! revoked and impersonating agents, secrets kept out of every output, and a tampered audit
//! log detected.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn revoked_and_impersonating_agents_are_refused() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub = Hub::start().await;
    let mut x = hub.agent("imp-x", "dev");
    let _y = hub.agent("imp-y", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["imp-x", "imp-y"]).await;

    // X's certificate reporting a result for Y's job.
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "sleep 5"}, "target_servers": ["imp-y"]})).await;
    let job = hub
        .wait_for(&format!("/api/v1/executions/{id}"), &token, 30, |v| {
            v["results"]["details"][0]["status"] != "pending"
        })
        .await["results"]["details"][0]["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    let read = |f: &str| std::fs::read_to_string(x.state.join(f)).unwrap();
    let ca = std::fs::read_to_string(hub.ca_path()).unwrap();
    let as_x = agent_client(
        greenroom_pki::agent_client_config(&ca, Some((&read("agent.crt"), &read("agent.key"))))
            .unwrap(),
    );
    let forged = json!({"status": "success", "exit_code": 0, "output": "forged", "error_output": "", "execution_time": 0.1,
                        "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z"});
    let resp = as_x
        .post(format!(
            "https://127.0.0.1:{}/agent/v1/jobs/{job}/result",
            hub.agent_port
        ))
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let done = wait_final(&hub, &token, &id, 30).await;
    assert_ne!(done["results"]["details"][0]["output"], "forged", "{done}");

    // Revoking X: its next request is refused, and the agent stops with status 3.
    let (status, _) = hub
        .post("/api/v1/servers/imp-x/revoke", Some(&token), json!({}))
        .await;
    assert_eq!(status, 200);
    let hb = json!({"protocol_version": 1, "facts": {}, "metrics": {}});
    let resp = as_x
        .post(format!(
            "https://127.0.0.1:{}/agent/v1/heartbeat",
            hub.agent_port
        ))
        .json(&hb)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "certificate_revoked"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let code = loop {
        if let Some(s) = x.proc.0.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the revoked agent kept running: {}",
            x.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(code, Some(3), "{}", x.log());
    let audit = hub.get("/api/v1/audit?page_size=500", Some(&token)).await.1;
    for event in [
        "agent_impersonation_refused",
        "agent_revoked",
        "agent_enrolled",
    ] {
        assert!(
            audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["event_type"] == event),
            "{event} not audited"
        );
    }
    x.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_strings_stay_secret_and_audit_tampering_is_detected() {
    let hub = Hub::start().await;
    let _a = hub.agent("sec-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["sec-01"]).await;
    let dsn = "postgresql://app:hunter2-secret@127.0.0.1:1/none";
    let req = json!({"action": {"type": "database_query", "connection_string": dsn, "query": "SELECT 1", "timeout": 2}, "target_servers": ["sec-01"]});
    let preview = hub
        .post("/api/v1/executions/preview", Some(&token), req.clone())
        .await
        .1;
    let id = start_execution(&hub, &token, req).await;
    let done = wait_final(&hub, &token, &id, 30).await;
    let logs = hub
        .get(&format!("/api/v1/executions/{id}/logs"), Some(&token))
        .await
        .1;
    let audit = hub.get("/api/v1/audit?page_size=500", Some(&token)).await.1;
    let report = hub.get("/api/v1/audit/report", Some(&token)).await.1;
    let (_, gql) = hub.post("/graphql", Some(&token), json!({"query": format!("{{ execution(executionId: \"{id}\") {{ action results {{ details {{ output errorOutput }} }} }} }}")})).await;
    for (what, v) in [
        ("preview", &preview),
        ("execution", &done),
        ("logs", &logs),
        ("audit", &audit),
        ("report", &report),
        ("graphql", &gql),
    ] {
        assert!(
            !v.to_string().contains("hunter2-secret"),
            "the password shows in {what}: {v}"
        );
    }
    assert!(
        done["action"]["connection_string"]
            .as_str()
            .unwrap()
            .contains("***"),
        "{done}"
    );

    let (_, v) = hub.get("/api/v1/audit/verify", Some(&token)).await;
    assert_eq!(v["intact"], true, "{v}");
    // Someone with access to the database file rewrites history (after removing the guard).
    let db = rusqlite::Connection::open(hub.dir.path().join("greenroom.db")).unwrap();
    db.execute_batch("DROP TRIGGER audit_logs_no_update; UPDATE audit_logs SET doc = replace(doc, 'execution_started', 'nothing_happened') WHERE event_type = 'execution_started';").unwrap();
    let seq: i64 = db
        .query_row(
            "SELECT MIN(seq) FROM audit_logs WHERE event_type = 'execution_started'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let (_, v) = hub.get("/api/v1/audit/verify", Some(&token)).await;
    assert_eq!(
        (v["intact"].as_bool(), v["first_broken_seq"].as_i64()),
        (Some(false), Some(seq)),
        "{v}"
    );
    let csv = hub
        .client
        .get(format!("{}/api/v1/audit/report?format=csv", hub.http))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("seq,timestamp,event_type") && csv.contains("# audit chain intact: false"),
        "{csv}"
    );
}
