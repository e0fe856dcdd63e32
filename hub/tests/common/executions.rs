//! Executions through the REST API: start one, wait for it to end or for servers to idle.

use super::*;

/// Starts an execution and returns its id, asserting the 202.
pub async fn start_execution(hub: &Hub, token: &str, body: Value) -> String {
    let (status, resp) = hub.post("/api/v1/executions", Some(token), body).await;
    assert_eq!(status, 202, "{resp}");
    resp["execution_id"].as_str().unwrap().to_string()
}

/// Waits until the execution is final and returns it.
pub async fn wait_final(hub: &Hub, token: &str, id: &str, secs: u64) -> Value {
    hub.wait_for(&format!("/api/v1/executions/{id}"), token, secs, |v| {
        matches!(
            v["status"]["overall"].as_str(),
            Some("completed" | "failed" | "cancelled")
        )
    })
    .await
}

/// Waits until every listed server reports `idle`.
pub async fn wait_idle(hub: &Hub, token: &str, ids: &[&str]) {
    for id in ids {
        hub.wait_for(&format!("/api/v1/servers/{id}"), token, 30, |v| {
            v["status"]["current"] == "idle"
        })
        .await;
    }
}

/// Registers a server ahead of its agent (no agent runs for it: its jobs stay pending).
pub async fn register_server(hub: &Hub, token: &str, id: &str, environment: &str) {
    let (status, body) = hub
        .post(
            "/api/v1/servers",
            Some(token),
            json!({"server_id": id, "environment": environment}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}
