//! GraphQL for integrators, against the real hub: each user's cost budget a minute (spent by
//! every request, reported in `extensions.cost.budget`, 429 `RATE_LIMITED` once spent, other
//! users unaffected, subscriptions charged when they start) and the persisted-query allowlist
//! (listed documents by text or by hash, everything else refused, over HTTP and WebSocket).

mod common;

use common::*;
use futures::SinkExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const ME: &str = "query Me { me { email } }";

async fn gql(hub: &Hub, token: &str, body: Value) -> (u16, Value, Option<String>) {
    let resp = hub
        .client
        .post(format!("{}/graphql", hub.http))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, resp.json().await.unwrap(), retry_after)
}

fn remaining(body: &Value) -> u64 {
    body["extensions"]["cost"]["budget"]["remaining"]
        .as_u64()
        .unwrap_or_else(|| panic!("no budget in {body}"))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread")]
async fn each_user_has_a_cost_budget_a_minute_and_spending_it_is_429() {
    // 60 points a minute: one refills each second, slower than this test spends them.
    let hub = Hub::start_secured("  graphql_cost_per_minute: 60\n").await;
    let admin = hub.login().await;
    hub.add_user("other@example.com", "viewer", "default");
    let other = hub.login_as("other@example.com").await;

    let (status, first, _) = gql(&hub, &admin, json!({"query": ME})).await;
    assert_eq!(status, 200, "{first}");
    let cost = first["extensions"]["cost"]["requested"].as_u64().unwrap();
    assert!(cost >= 1, "{first}");
    let budget = &first["extensions"]["cost"]["budget"];
    assert_eq!(budget["limit"], 60, "{first}");
    assert_eq!(budget["refillPerSecond"], 1.0, "{first}");
    assert_eq!(remaining(&first), 60 - cost, "{first}");
    let (_, second, _) = gql(&hub, &admin, json!({"query": ME})).await;
    let spent = remaining(&first) as i64 - remaining(&second) as i64;
    // What refilled between the two (a second at most) may round one point back.
    assert!(
        spent == cost as i64 || spent == cost as i64 - 1,
        "{first} {second}"
    );

    // A costlier request (a list of 20) spends more: its own cost.
    let (_, before, _) = gql(&hub, &admin, json!({"query": ME})).await;
    let (status, list, _) = gql(
        &hub,
        &admin,
        json!({"query": "{ servers(pageSize: 20) { items { serverId } } }"}),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    let list_cost = list["extensions"]["cost"]["requested"].as_u64().unwrap();
    assert!(list_cost > cost, "{list}");
    let spent = remaining(&before) as i64 - remaining(&list) as i64;
    assert!(
        spent == list_cost as i64 || spent == list_cost as i64 - 1,
        "{before} {list}"
    );

    // Spend the rest: refused before running, 429 with Retry-After and the budget.
    let mut refused = None;
    for _ in 0..80 {
        let (status, body, retry_after) = gql(&hub, &admin, json!({"query": ME})).await;
        if status != 200 {
            refused = Some((status, body, retry_after));
            break;
        }
    }
    let (status, body, retry_after) = refused.expect("the budget ran out");
    assert_eq!(status, 429, "{body}");
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    assert!(body["data"].is_null(), "not run: {body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("60 a minute") && message.contains("refills"),
        "{message}"
    );
    let retry: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfter"], retry,
        "{body}"
    );
    assert!(remaining(&body) < cost, "{body}");

    // Someone else's budget is their own.
    let (status, body, _) = gql(&hub, &other, json!({"query": ME})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(remaining(&body), 60 - cost, "{body}");

    // A subscription pays once, when it starts.
    let mut ws = gqlws::connect(&hub, Some(&other)).await;
    let sub = "subscription { serverUpdates(snapshot: true) { serverId } }";
    ws.send(Message::text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": sub}}).to_string(),
    ))
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, after, _) = gql(&hub, &other, json!({"query": ME})).await;
    let spent = remaining(&body) as i64 - remaining(&after) as i64;
    assert!(
        spent > cost as i64,
        "the subscription was charged: {body} {after}"
    );
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_allowlist_only_persisted_documents_are_answered() {
    let sub = "subscription Servers { serverUpdates(snapshot: true) { serverId } }";
    let manifest_dir = tempfile::tempdir().unwrap();
    let manifest = manifest_dir.path().join("persisted-operations.json");
    // Keys as GraphQL Code Generator writes them (`sha256:` prefix) or plain hex.
    let entries = json!({ format!("sha256:{}", sha256(ME)): ME, sha256(sub): sub });
    std::fs::write(&manifest, entries.to_string()).unwrap();
    let hub = Hub::start_secured(&format!(
        "  graphql_persisted_queries: allowlist\n  graphql_persisted_queries_manifest: {:?}\n",
        manifest.display().to_string()
    ))
    .await;
    let token = hub.login().await;
    let pq = |hash: &str| json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});

    // A listed document by its text, by its hash alone, and by hash with another text.
    let (status, body, _) = gql(&hub, &token, json!({"query": ME})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["email"], ADMIN, "{body}");
    let (status, body, _) = gql(&hub, &token, json!({"extensions": pq(&sha256(ME))})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["email"], ADMIN, "{body}");
    let (status, body, _) = gql(
        &hub,
        &token,
        json!({"query": "{ me { email role } }", "extensions": pq(&sha256(ME))}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["me"]["role"].is_null(),
        "the listed text ran: {body}"
    );

    // Anything else is refused before it runs.
    let (status, body, _) = gql(&hub, &token, json!({"query": "{ me { email role } }"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_ALLOWED", "{body}");
    let (status, body, _) = gql(&hub, &token, json!({"extensions": pq(&"a".repeat(64))})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    let (status, body, _) = gql(
        &hub,
        &token,
        json!({"query": "{ me { email role } }", "extensions": pq(&"a".repeat(64))}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_ALLOWED", "{body}");

    // Over the WebSocket the same: a listed subscription by hash runs, another is refused.
    register_server(&hub, &token, "pq-01", "dev").await;
    let mut ws = gqlws::connect(&hub, Some(&token)).await;
    let other = "subscription { serverUpdates(snapshot: true) { serverId environment } }";
    ws.send(Message::text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": other}}).to_string(),
    ))
    .await
    .unwrap();
    let refused = gqlws::next_json(&mut ws).await;
    assert_eq!(refused["id"], "1", "{refused}");
    assert!(
        refused.to_string().contains("PERSISTED_QUERY_NOT_ALLOWED"),
        "{refused}"
    );
    ws.send(Message::text(
        json!({"id": "2", "type": "subscribe", "payload": {"query": "", "extensions": pq(&sha256(sub))}}).to_string(),
    ))
    .await
    .unwrap();
    let mut m = gqlws::next_json(&mut ws).await;
    while m["id"] == "1" {
        m = gqlws::next_json(&mut ws).await; // the refused one's `complete`
    }
    assert_eq!(m["id"], "2", "{m}");
    assert_eq!(
        m["payload"]["data"]["serverUpdates"]["serverId"], "pq-01",
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_route_graphiql_is_served_its_app() {
    // The SPA's fallback serves index.html at /graphiql, under the dashboard's CSP.
    let web = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><div id=root></div>",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config_full(dir.path(), FAST, "", "127.0.0.1:0", "127.0.0.1:0", "");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "server:\n",
        &format!(
            "server:\n  web_dir: {:?}\n",
            web.path().display().to_string()
        ),
    );
    std::fs::write(&config, text).unwrap();
    let hub = Hub::start_in(dir, config).await;
    let resp = hub
        .client
        .get(format!("{}/graphiql", hub.http))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(resp.text().await.unwrap().contains("id=root"));
}
