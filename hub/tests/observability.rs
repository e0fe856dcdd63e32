//! Observability against the real hub and a real agent: the `/ws` shims, Prometheus
//! metrics that move, JSON log lines that carry the request id, and a server's metrics
//! history.

mod common;

use common::*;
use futures::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn next(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message within 30 s")?
        {
            Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ws_shims_metrics_and_request_ids() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let ws_base = hub.http.replace("http://", "ws://");

    // Anonymous: refused before the upgrade.
    assert!(
        tokio_tungstenite::connect_async(format!("{ws_base}/ws/servers/status"))
            .await
            .is_err()
    );

    let (mut servers, _) =
        tokio_tungstenite::connect_async(format!("{ws_base}/ws/servers/status?token={token}"))
            .await
            .unwrap();
    let snap = next(&mut servers).await.unwrap();
    assert_eq!(
        (snap["type"].as_str(), snap["total"].as_u64()),
        (Some("snapshot"), Some(0)),
        "{snap}"
    );
    let _agent = hub.agent("obs-01", "dev");
    let update = next(&mut servers).await.unwrap();
    assert_eq!(
        (
            update["type"].as_str(),
            update["server"]["server_id"].as_str()
        ),
        (Some("server"), Some("obs-01")),
        "{update}"
    );
    wait_idle(&hub, &token, &["obs-01"]).await;

    let before = hub.text("/metrics", None).await;
    let resp = hub
        .client
        .post(format!("{}/api/v1/executions", hub.http))
        .bearer_auth(&token)
        .header("x-request-id", "req-from-test-42")
        .json(&json!({"action": {"type": "shell_command", "command": "echo one; sleep 0.5; echo two"}, "target_servers": ["obs-01"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "req-from-test-42");
    let id = resp.json::<Value>().await.unwrap()["execution_id"]
        .as_str()
        .unwrap()
        .to_string();

    let (mut exec, _) =
        tokio_tungstenite::connect_async(format!("{ws_base}/ws/executions/{id}?token={token}"))
            .await
            .unwrap();
    let first = next(&mut exec).await.unwrap();
    assert_eq!(first["type"], "snapshot", "{first}");
    // Lines printed before the socket opened come in the snapshot, the rest as they happen.
    let mut output: String = first["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["data"].as_str().unwrap())
        .collect();
    let mut last = first;
    while let Some(m) = next(&mut exec).await {
        match m["type"].as_str() {
            Some("output") => {
                for l in m["lines"].as_array().unwrap() {
                    output.push_str(l["data"].as_str().unwrap());
                }
            }
            Some("update") => last = m,
            _ => panic!("only output and updates after the snapshot: {m}"),
        }
    }
    assert!(output.contains("two"), "output lines streamed: {output}");
    assert_eq!(
        last["execution"]["status"]["overall"], "completed",
        "the stream closes once final: {last}"
    );
    assert!(
        last["execution"]["results"]["details"][0]["output"]
            .as_str()
            .unwrap()
            .contains("two")
    );

    let (status, gql) = hub
        .post(
            "/graphql",
            Some(&token),
            json!({"query": "query FleetCount { servers { total } }", "operationName": "FleetCount"}),
        )
        .await;
    assert_eq!(
        (status, gql["data"]["servers"]["total"].as_u64()),
        (200, Some(1)),
        "{gql}"
    );
    let after = hub.text("/metrics", None).await;
    assert_eq!(
        metric(&after, "greenroom_job_results_total{outcome=\"success\"}")
            - metric(&before, "greenroom_job_results_total{outcome=\"success\"}"),
        1.0,
        "{after}"
    );
    assert!(
        metric(&after, "greenroom_executions_started_total")
            > metric(&before, "greenroom_executions_started_total")
    );
    assert!(
        metric(&after, "greenroom_executions{status=\"completed\"}") >= 1.0,
        "{after}"
    );
    for name in [
        "greenroom_http_request_duration_seconds_bucket",
        "greenroom_job_duration_seconds_count",
        "greenroom_lease_polls_held",
        "greenroom_servers{status=\"idle\"}",
        "greenroom_jobs{status=\"success\"}",
        "greenroom_queue_depth{priority=\"high\"} 0",
        "greenroom_graphql_operation_duration_seconds_count{operation=\"FleetCount\",status=\"ok\"} 1",
        "route=\"/api/v1/executions\"",
        "route=\"/api/v1/servers/{id}\"",
        "greenroom_store_operation_duration_seconds_count",
    ] {
        assert!(after.contains(name), "{name} missing from /metrics");
    }
    // Every hub metric the shipped alert rules and dashboard read is exported (agents'
    // `greenroom_agent_*` come from each agent's own /metrics).
    let rules = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../deploy/monitoring/greenroom-alerts.yml"),
    )
    .unwrap()
        + &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../deploy/monitoring/grafana-dashboard.json"),
        )
        .unwrap();
    let names = regex::Regex::new(r"greenroom_[a-z_]+").unwrap();
    for name in names.find_iter(&rules).map(|m| m.as_str()) {
        let exported = name.trim_end_matches("_bucket").trim_end_matches('_');
        if name.starts_with("greenroom_agent_") {
            continue;
        }
        assert!(
            after.lines().any(|l| l.starts_with(exported)),
            "{name} is used by deploy/monitoring but not exported by the hub"
        );
    }

    // The hub's log is JSON lines; the execution's line carries the caller's request id.
    let log = hub.log();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let started = lines
        .iter()
        .find(|l| l["fields"]["message"] == "execution started")
        .expect("an 'execution started' line");
    assert_eq!(
        started["span"]["request_id"], "req-from-test-42",
        "{started}"
    );
    assert_eq!(started["fields"]["execution_id"], id.as_str());
    // The id went to the agent with the job and came back with its result.
    let stored = lines
        .iter()
        .find(|l| l["fields"]["message"] == "job result stored")
        .expect("a 'job result stored' line");
    assert_eq!(
        stored["fields"]["request_id"], "req-from-test-42",
        "{stored}"
    );
    assert_eq!(stored["fields"]["server_id"], "obs-01", "{stored}");
    assert_eq!(stored["fields"]["execution_id"], id.as_str(), "{stored}");
}

/// The samples behind a server's metrics history, and the points (GraphQL).
async fn history(hub: &Hub, token: &str, server: &str, range: &str) -> (i64, Vec<Value>) {
    let q = format!(
        "{{ server(serverId: \"{server}\") {{ metricsHistory(range: {range}) {{ at samples \
           cpuPercent {{ avg max }} memoryUsagePercent {{ avg max }} diskUsagePercent {{ avg max }} load1 {{ avg max }} }} }} }}"
    );
    let (status, body) = hub.post("/graphql", Some(token), json!({"query": q})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    // Null until the agent has enrolled.
    let points = body["data"]["server"]["metricsHistory"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    (
        points.iter().map(|p| p["samples"].as_i64().unwrap()).sum(),
        points,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_servers_metrics_history_fills_from_heartbeats_and_outlives_a_restart() {
    let hub = Hub::start_with(FAST).await;
    let token = hub.login().await;
    let mut agent = hub.agent("hist-01", "dev");

    // Heartbeats every 2 s: their samples show at once (not yet written to the store).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (samples, points) = loop {
        let (n, points) = history(&hub, &token, "hist-01", "HOUR").await;
        if n >= 3 {
            break (n, points);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no 3 heartbeats in 30 s: {points:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for p in &points {
        for m in ["cpuPercent", "memoryUsagePercent", "diskUsagePercent"] {
            let (avg, max) = (p[m]["avg"].as_f64().unwrap(), p[m]["max"].as_f64().unwrap());
            assert!(
                (0.0..=100.0).contains(&avg) && avg <= max + 1e-9 && max <= 100.0,
                "{m}: {p}"
            );
        }
        // A point a minute, on the minute.
        let at = chrono::DateTime::parse_from_rfc3339(p["at"].as_str().unwrap()).unwrap();
        assert_eq!(at.timestamp() % 60, 0, "{p}");
    }
    // This machine's memory is in use: a real reading, not a default.
    assert!(
        points
            .iter()
            .any(|p| p["memoryUsagePercent"]["max"].as_f64().unwrap() > 0.0)
    );
    // The week's points (an hour each) hold the same samples.
    let (week, _) = history(&hub, &token, "hist-01", "WEEK").await;
    assert!(week >= samples, "week {week} < hour {samples}");

    // REST: the same, by range; a wrong range and an unknown server are clear errors.
    let (status, body) = hub
        .get("/api/v1/servers/hist-01/metrics?range=24h", Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["step_seconds"], 300, "{body}");
    let rest: i64 = body["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["samples"].as_i64().unwrap())
        .sum();
    assert!(rest >= samples, "{body}");
    let (status, body) = hub
        .get("/api/v1/servers/hist-01/metrics?range=2h", Some(&token))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string()
            .contains("range: \\\"2h\\\" is not one of 1h, 24h, 7d"),
        "{body}"
    );
    let (status, _) = hub.get("/api/v1/servers/nope/metrics", Some(&token)).await;
    assert_eq!(status, 404);
    // Another tenant does not learn the server exists.
    hub.add_user("other@example.com", "admin", "other");
    let other = hub.login_as("other@example.com").await;
    let (status, _) = hub
        .get("/api/v1/servers/hist-01/metrics", Some(&other))
        .await;
    assert_eq!(status, 404);

    // A hub stopped as systemd stops it writes what it gathered: after a restart the
    // history still holds every sample seen before.
    agent.kill();
    let (before, _) = history(&hub, &token, "hist-01", "HOUR").await;
    let pid = hub.proc.0.id().to_string();
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(ok.success());
    let mut hub = hub;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while hub.proc.0.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the hub did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (dir, config) = hub.stop();
    let hub = Hub::start_in(dir, config).await;
    let token = hub.login().await;
    let (after, _) = history(&hub, &token, "hist-01", "HOUR").await;
    assert!(
        after >= before,
        "{after} samples after the restart, {before} before"
    );

    // Deregistered (its buckets go with it: the store contract checks that).
    let (status, body) = hub
        .request(
            "DELETE",
            "/api/v1/servers/hist-01",
            Some(&token),
            Value::Null,
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let (status, _) = hub
        .get("/api/v1/servers/hist-01/metrics", Some(&token))
        .await;
    assert_eq!(status, 404);
}
