//! GraphQL subscriptions over `/graphql/ws` (graphql-transport-ws), against the real hub
//! and a real agent.

mod common;

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(hub: &Hub, token: Option<&str>) -> Ws {
    let mut req = format!("{}/graphql/ws", hub.http.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let payload = token
        .map(|t| json!({"Authorization": format!("Bearer {t}")}))
        .unwrap_or(json!({}));
    ws.send(Message::text(
        json!({"type": "connection_init", "payload": payload}).to_string(),
    ))
    .await
    .unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    ws
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message within 30 s")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] != "ping" && v["type"] != "pong" {
                return v;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn execution_updates_stream_until_the_execution_is_final() {
    let hub = Hub::start().await;
    let _agent = hub.agent("sub-dev-01", "dev");
    let token = hub.login().await;
    hub.wait_for("/api/v1/servers/sub-dev-01", &token, 30, |v| {
        v["status"]["current"] == "idle"
    })
    .await;

    let (status, body) = hub
        .post(
            "/api/v1/executions",
            Some(&token),
            json!({"action": {"type": "shell_command", "command": "echo start; sleep 1; echo finish"}, "target_servers": ["sub-dev-01"]}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["execution_id"].as_str().unwrap();

    let mut ws = connect(&hub, Some(&token)).await;
    let query = "subscription($id: String!) { executionUpdates(executionId: $id) { overall results { successCount details { status output } } } }";
    ws.send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": id}}}).to_string()))
        .await
        .unwrap();
    let mut states = Vec::new();
    let last = loop {
        let msg = next_json(&mut ws).await;
        match msg["type"].as_str() {
            Some("next") => {
                assert!(msg["payload"]["errors"].is_null(), "{msg}");
                states.push(
                    msg["payload"]["data"]["executionUpdates"]["overall"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                );
                if states.last().map(String::as_str) == Some("COMPLETED") {
                    break msg;
                }
            }
            Some("complete") => panic!("completed before a final state: {states:?}"),
            other => panic!("unexpected {other:?}: {msg}"),
        }
    };
    assert!(
        states.len() >= 2,
        "expected live progress, saw only {states:?}"
    );
    let exec = &last["payload"]["data"]["executionUpdates"];
    assert_eq!(exec["results"]["successCount"], 1, "{exec}");
    assert!(
        exec["results"]["details"][0]["output"]
            .as_str()
            .unwrap()
            .contains("finish"),
        "{exec}"
    );
    // The server finishes the stream once the execution is final.
    assert_eq!(next_json(&mut ws).await["type"], "complete");
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_need_a_valid_token_and_see_server_changes() {
    let hub = Hub::start().await;
    let token = hub.login().await;

    let mut anon = connect(&hub, Some("forged")).await;
    anon.send(Message::text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { serverUpdates { serverId } }"}}).to_string()))
        .await
        .unwrap();
    let msg = next_json(&mut anon).await;
    // The resolver refuses: one result carrying the UNAUTHENTICATED error, then the end.
    assert_eq!(msg["type"], "next", "{msg}");
    assert!(
        msg["payload"]["data"].is_null(),
        "no data without a token: {msg}"
    );
    assert_eq!(
        msg["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{msg}"
    );

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
