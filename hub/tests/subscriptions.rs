//! GraphQL subscriptions over `/graphql/ws` (graphql-transport-ws), against the real hub
//! and a real agent.

mod common;

use common::gqlws::{Ws, close_of, connect, connect_raw, next_json};
use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn subscribe(ws: &mut Ws, id: &str, query: &str, variables: Value) {
    let msg =
        json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}});
    ws.send(Message::text(msg.to_string())).await.unwrap();
}

/// The next `next` payload's data field, asserting no errors.
async fn next_data(ws: &mut Ws, field: &str) -> Value {
    let msg = next_json(ws).await;
    assert_eq!(msg["type"], "next", "{msg}");
    assert!(msg["payload"]["errors"].is_null(), "{msg}");
    msg["payload"]["data"][field].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn execution_updates_give_a_snapshot_then_output_and_status_in_order() {
    let hub = Hub::start().await;
    let _agent = hub.agent("sub-dev-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["sub-dev-01"]).await;

    // Output before the subscription comes in the snapshot; the rest arrives live.
    let script =
        "echo early; sleep 2; for i in 1 2 3 4 5; do echo line-$i; sleep 0.2; done; echo finish";
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": script}, "target_servers": ["sub-dev-01"]})).await;
    hub.wait_for(&format!("/api/v1/executions/{id}/logs"), &token, 30, |v| {
        v["entries_count"].as_u64() >= Some(1)
    })
    .await;

    let mut ws = connect(&hub, Some(&token)).await;
    let query = "subscription($id: String!) { executionUpdates(executionId: $id) { kind missed execution { overall progress results { successCount details { status output } } } output { cursor serverId seq stream data } } }";
    subscribe(&mut ws, "1", query, json!({"id": id})).await;

    let first = next_data(&mut ws, "executionUpdates").await;
    assert_eq!(first["kind"], "SNAPSHOT", "{first}");
    assert_eq!(first["execution"]["overall"], "RUNNING", "{first}");
    let mut lines: Vec<(u64, String)> = first["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["cursor"].as_u64().unwrap(),
                l["data"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(lines.iter().any(|(_, d)| d.contains("early")), "{first}");

    let mut kinds = Vec::new();
    let last = loop {
        let ev = next_data(&mut ws, "executionUpdates").await;
        let kind = ev["kind"].as_str().unwrap().to_string();
        match kind.as_str() {
            "OUTPUT" => {
                assert!(ev["execution"].is_null(), "{ev}");
                for l in ev["output"].as_array().unwrap() {
                    assert_eq!(l["serverId"], "sub-dev-01");
                    lines.push((
                        l["cursor"].as_u64().unwrap(),
                        l["data"].as_str().unwrap().into(),
                    ));
                }
            }
            "UPDATE" => {
                if ev["execution"]["overall"] == "COMPLETED" {
                    break ev;
                }
            }
            other => panic!("unexpected {other}: {ev}"),
        }
        kinds.push(kind);
    };
    // Lines arrive one by one as the job prints them, in order, none twice.
    assert!(
        kinds.iter().filter(|k| *k == "OUTPUT").count() >= 3,
        "{kinds:?}"
    );
    lines.dedup();
    assert!(
        lines.windows(2).all(|w| w[0].0 < w[1].0),
        "in order: {lines:?}"
    );
    let text: String = lines.iter().map(|(_, d)| d.as_str()).collect();
    let want = [
        "early", "line-1", "line-2", "line-3", "line-4", "line-5", "finish",
    ];
    let at: Vec<usize> = want
        .iter()
        .map(|w| {
            text.find(w)
                .unwrap_or_else(|| panic!("{w} missing: {text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(last["execution"]["results"]["successCount"], 1, "{last}");
    assert_eq!(last["execution"]["progress"], 100.0, "{last}");
    // The server finishes the stream once the execution is final.
    assert_eq!(next_json(&mut ws).await["type"], "complete");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_executions_feed_announces_starts_and_finishes_of_the_tenant_only() {
    let hub = Hub::start().await;
    let _agent = hub.agent("feed-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["feed-01"]).await;
    let out = std::process::Command::new(hub_bin())
        .args([
            "create-user",
            "--email",
            "b@other.example",
            "--role",
            "admin",
            "--tenant",
            "other",
            "--config",
        ])
        .arg(&hub.config)
        .env("GREENROOM_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success());
    let (_, other) = hub
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "b@other.example", "password": PASSWORD}),
        )
        .await;
    let other = other["access_token"].as_str().unwrap().to_string();

    let query = "subscription { executionsFeed { kind execution { executionId overall } } }";
    let mut ws = connect(&hub, Some(&token)).await;
    subscribe(&mut ws, "feed", query, json!({})).await;
    let mut theirs = connect(&hub, Some(&other)).await;
    subscribe(&mut theirs, "feed", query, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let ok = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["feed-01"]})).await;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let ev = next_data(&mut ws, "executionsFeed").await;
        seen.push((
            ev["kind"].as_str().unwrap().to_string(),
            ev["execution"]["executionId"].as_str().unwrap().to_string(),
            ev["execution"]["overall"].as_str().unwrap().to_string(),
        ));
    }
    assert_eq!(seen[0].0, "STARTED", "{seen:?}");
    assert_eq!(
        (
            seen[0].1.as_str(),
            seen[1].0.as_str(),
            seen[1].1.as_str(),
            seen[1].2.as_str()
        ),
        (ok.as_str(), "FINISHED", ok.as_str(), "COMPLETED"),
        "{seen:?}"
    );
    // Another tenant's subscriber heard nothing of it.
    let quiet = tokio::time::timeout(Duration::from_millis(500), theirs.next()).await;
    assert!(quiet.is_err(), "other tenant got {quiet:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_need_a_valid_token_and_see_server_changes() {
    let hub = Hub::start().await;
    let token = hub.login().await;

    // Refused at connection_init: no token is 4401, a bad one 4403 (as graphql-ws expects).
    let mut anon = connect_raw(&hub, None).await;
    let (code, why) = close_of(&mut anon).await;
    assert_eq!(code, 4401, "{why}");
    let mut forged = connect_raw(&hub, Some("forged")).await;
    let (code, why) = close_of(&mut forged).await;
    assert_eq!((code, why.as_str()), (4403, "invalid token"));

    let mut ws = connect(&hub, Some(&token)).await;
    ws.send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { serverUpdates { serverId status { current } } }"}}).to_string()))
        .await
        .unwrap();
    // Give the subscription a moment to be registered, then enroll an agent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _agent = hub.agent("sub-live-01", "uat");
    let msg = next_json(&mut ws).await;
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(
        msg["payload"]["data"]["serverUpdates"]["serverId"], "sub-live-01",
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_subscription_ends_when_its_session_ends() {
    let hub = Hub::start().await;
    let _agent = hub.agent("sess-01", "dev");
    let token = hub.login().await;
    let other = hub.login().await;
    let mut ws = connect(&hub, Some(&token)).await;
    let mut kept = connect(&hub, Some(&other)).await;
    for w in [&mut ws, &mut kept] {
        w.send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { serverUpdates { serverId } }"}}).to_string()))
            .await
            .unwrap();
        // Heartbeats keep coming while it lives.
        assert_eq!(next_json(w).await["type"], "next");
    }
    // Signing out ends this sign-in: its socket closes with 4403 at once...
    let (status, _) = hub
        .post("/api/v1/auth/logout", Some(&token), Value::Null)
        .await;
    assert_eq!(status, 204);
    let (code, why) = close_of(&mut ws).await;
    assert_eq!(code, 4403, "{why}");
    assert!(why.contains("session ended"), "{why}");
    // ...while another sign-in of the same user goes on.
    assert_eq!(next_json(&mut kept).await["type"], "next");
    // Signing out everywhere ends that one too.
    let (status, _) = hub
        .post(
            "/api/v1/auth/logout?everywhere=true",
            Some(&other),
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(close_of(&mut kept).await.0, 4403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_websocket_client_slows_neither_the_hub_nor_other_watchers() {
    let hub = Hub::start().await;
    let _agent = hub.agent("slow-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["slow-01"]).await;
    // About 1.3 MB of output in many batches.
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "seq 1 200000; sleep 1; echo done"}, "target_servers": ["slow-01"]})).await;
    let ws_base = hub.http.replace("http://", "ws://");
    let url = format!("{ws_base}/ws/executions/{id}?token={token}");
    // Connected, and never read from until the end.
    let (mut stuck, _) = tokio_tungstenite::connect_async(&url).await.unwrap();

    // Meanwhile another watcher follows the whole run, and the API keeps answering.
    let (mut live, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let mut last = Value::Null;
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(60), live.next())
        .await
        .expect("the live watcher keeps receiving")
    {
        match msg.unwrap() {
            Message::Text(t) => {
                let m: Value = serde_json::from_str(&t).unwrap();
                if m["type"] == "update" || m["type"] == "snapshot" {
                    last = m;
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    assert_eq!(
        last["execution"]["status"]["overall"], "completed",
        "{last}"
    );
    let (status, _) = hub
        .get(&format!("/api/v1/executions/{id}"), Some(&token))
        .await;
    assert_eq!(status, 200);

    // The stuck client, read at last, has a consistent story: every line in order, or a
    // `missed` notice followed by a fresh snapshot; and the final state in the end.
    let mut seen_final = false;
    let mut expect_snapshot = false;
    // Lines up to the latest snapshot's last one may repeat; after it they only go forward.
    let (mut floor, mut last_cursor) = (0u64, 0u64);
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(60), stuck.next())
        .await
        .expect("the stuck client's stream ends")
    {
        let Message::Text(t) = msg.unwrap() else {
            continue;
        };
        let m: Value = serde_json::from_str(&t).unwrap();
        match m["type"].as_str().unwrap() {
            "missed" => expect_snapshot = true,
            "snapshot" => {
                expect_snapshot = false;
                seen_final = m["execution"]["status"]["overall"] == "completed";
                floor = m["output"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|l| l["cursor"].as_u64())
                    .max()
                    .unwrap_or(last_cursor);
                last_cursor = floor;
            }
            "output" => {
                assert!(!expect_snapshot, "a snapshot follows a missed notice: {m}");
                for l in m["lines"].as_array().unwrap() {
                    let c = l["cursor"].as_u64().unwrap();
                    if c > floor {
                        assert!(c > last_cursor, "in order: {c} after {last_cursor}");
                        last_cursor = c;
                    }
                }
            }
            "update" => seen_final = m["execution"]["status"]["overall"] == "completed",
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        seen_final,
        "the stuck client also ends with the final state"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_websocket_shims_close_when_their_session_ends() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let url = format!(
        "{}/ws/servers/status?token={token}",
        hub.http.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let first = next_json(&mut ws).await;
    assert_eq!(first["type"], "snapshot", "{first}");
    let (status, _) = hub
        .post("/api/v1/auth/logout", Some(&token), Value::Null)
        .await;
    assert_eq!(status, 204);
    let (code, why) = close_of(&mut ws).await;
    assert_eq!(code, 4403, "{why}");
    // And a new connection with the ended token is refused outright.
    assert!(tokio_tungstenite::connect_async(&url).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn server_updates_narrow_to_the_servers_or_environment_asked_for() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let _dev = hub.agent("narrow-dev-01", "dev");
    let _uat = hub.agent("narrow-uat-01", "uat");
    let mut by_env = connect(&hub, Some(&token)).await;
    by_env
        .send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { serverUpdates(filter: {environment: \"dev\"}) { serverId environment } }"}}).to_string()))
        .await
        .unwrap();
    let mut by_id = connect(&hub, Some(&token)).await;
    by_id
        .send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { serverUpdates(filter: {serverIds: [\"narrow-uat-01\"]}) { serverId } }"}}).to_string()))
        .await
        .unwrap();
    // Both agents heartbeat every 2 s: several updates of each reach the hub meanwhile.
    for _ in 0..3 {
        let m = next_json(&mut by_env).await;
        assert_eq!(m["type"], "next", "{m}");
        assert_eq!(
            m["payload"]["data"]["serverUpdates"]["serverId"], "narrow-dev-01",
            "{m}"
        );
        assert_eq!(
            m["payload"]["data"]["serverUpdates"]["environment"], "dev",
            "{m}"
        );
        let m = next_json(&mut by_id).await;
        assert_eq!(
            m["payload"]["data"]["serverUpdates"]["serverId"], "narrow-uat-01",
            "{m}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_updates_can_begin_with_every_matching_server_as_it_is() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    for (id, env) in [
        ("snap-dev-01", "dev"),
        ("snap-dev-02", "dev"),
        ("snap-stg-01", "staging"),
    ] {
        register_server(&hub, &token, id, env).await;
    }
    // No agent runs: nothing changes, so all a subscriber hears is its snapshot.
    let mut ws = connect(&hub, Some(&token)).await;
    ws.send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { serverUpdates(filter: {environment: \"dev\"}, snapshot: true) { serverId environment } }"}}).to_string()))
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let m = next_json(&mut ws).await;
        seen.push(
            m["payload"]["data"]["serverUpdates"]["serverId"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    seen.sort();
    assert_eq!(seen, ["snap-dev-01", "snap-dev-02"]);
    let more = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
    assert!(more.is_err(), "only the snapshot was due: {more:?}");
    // By id, without a snapshot: silence.
    let mut quiet = connect(&hub, Some(&token)).await;
    quiet
        .send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { serverUpdates(filter: {serverIds: [\"snap-stg-01\"]}) { serverId } }"}}).to_string()))
        .await
        .unwrap();
    let none = tokio::time::timeout(Duration::from_millis(500), quiet.next()).await;
    assert!(none.is_err(), "{none:?}");
    // By id, with a snapshot: the one that exists, once.
    let mut one = connect(&hub, Some(&token)).await;
    one.send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { serverUpdates(filter: {serverIds: [\"snap-stg-01\", \"nope\"]}, snapshot: true) { serverId environment } }"}}).to_string()))
        .await
        .unwrap();
    let m = next_json(&mut one).await;
    assert_eq!(
        m["payload"]["data"]["serverUpdates"]["serverId"], "snap-stg-01",
        "{m}"
    );
    assert_eq!(
        m["payload"]["data"]["serverUpdates"]["environment"], "staging",
        "{m}"
    );
    let more = tokio::time::timeout(Duration::from_millis(500), one.next()).await;
    assert!(more.is_err(), "{more:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_executions_feed_narrows_to_what_its_filter_selects() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    for id in ["feed-a-01", "feed-b-01"] {
        register_server(&hub, &token, id, "dev").await;
    }
    let mut ws = connect(&hub, Some(&token)).await;
    subscribe(
        &mut ws,
        "feed",
        "subscription { executionsFeed(filter: {serverId: \"feed-b-01\"}) { kind execution { executionId targetServers } } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // No agent: both stay pending; only the one on feed-b-01 is announced.
    let run = |s: &str| json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": [s]});
    start_execution(&hub, &token, run("feed-a-01")).await;
    let wanted = start_execution(&hub, &token, run("feed-b-01")).await;
    let ev = next_data(&mut ws, "executionsFeed").await;
    assert_eq!(ev["kind"], "STARTED", "{ev}");
    assert_eq!(ev["execution"]["executionId"], wanted.as_str(), "{ev}");
    let more = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
    assert!(more.is_err(), "{more:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_given_a_job_is_pushed_busy_at_once_not_at_its_next_heartbeat() {
    // Heartbeats every 30 s: what a watcher sees within seconds of a lease can only come
    // from the lease itself.
    let hub = Hub::start_with(
        "heartbeat_interval: 30\n  offline_after_seconds: 120\n  lease_seconds: 60",
    )
    .await;
    let token = hub.login().await;
    let _agent = hub.agent_heartbeating("busy-01", "dev", 30);
    wait_idle(&hub, &token, &["busy-01"]).await;
    let mut ws = connect(&hub, Some(&token)).await;
    subscribe(
        &mut ws,
        "1",
        "subscription { serverUpdates(filter: {serverIds: [\"busy-01\"]}) { serverId status { current } } }",
        json!({}),
    )
    .await;
    let started = std::time::Instant::now();
    start_execution(
        &hub,
        &token,
        json!({"action": {"type": "shell_command", "command": "sleep 3"}, "target_servers": ["busy-01"]}),
    )
    .await;
    let update = tokio::time::timeout(Duration::from_secs(10), next_data(&mut ws, "serverUpdates"))
        .await
        .expect("an update within 10 s, long before the next heartbeat");
    assert_eq!(update["status"]["current"], "BUSY", "{update}");
    // …and idle again as soon as its result is in, not at the next heartbeat either.
    let update = tokio::time::timeout(Duration::from_secs(10), next_data(&mut ws, "serverUpdates"))
        .await
        .expect("an update within 10 s of the job's end");
    assert_eq!(update["status"]["current"], "IDLE", "{update}");
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
}
