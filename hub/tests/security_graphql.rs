//! Security, second round — GraphQL's edge, against the real hub: documents that would
//! grow work faster than their size are refused at once (and the hub stays responsive), a
//! body over the limit is 413 on `/graphql` as on `/api/v1`, list fields cost their page
//! size, mutations need POST, introspection is for signed-in users, and every error has a
//! code.

mod common;

use common::*;
use serde_json::{Value, json};

/// `fragment F1 on Query { ...F0 ...F0 }` … `levels` deep: 2^levels fields once expanded.
fn fan_out(levels: usize) -> String {
    let mut q = String::from("fragment F0 on Query { me { email } }\n");
    for i in 1..=levels {
        q.push_str(&format!(
            "fragment F{i} on Query {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    q.push_str(&format!("query {{ ...F{levels} }}"));
    q
}

async fn gql(hub: &Hub, token: &str, query: &str) -> (u16, Value) {
    hub.post("/graphql", Some(token), json!({"query": query}))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn fragment_fan_out_is_refused_at_once_and_the_hub_stays_up() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let bomb = fan_out(23);
    assert!(bomb.len() < 2048, "a small document: {} bytes", bomb.len());
    // Several at once, and the hub answers health checks all along.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (http, token, bomb) = (hub.http.clone(), token.clone(), bomb.clone());
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{http}/graphql"))
                .bearer_auth(token)
                .json(&json!({"query": bomb}))
                .send()
                .await
                .unwrap()
        }));
    }
    let health = hub.get("/healthz", None).await;
    assert_eq!(health.0, 200);
    for t in tasks {
        let resp = t.await.unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "QUERY_TOO_LARGE",
            "{body}"
        );
    }
    let (status, body) = gql(&hub, &token, &fan_out(6)).await;
    assert_eq!(status, 200, "small fan-outs are fine: {body}");
    // Cycles and depth.
    let (status, body) = gql(
        &hub,
        &token,
        "fragment A on Query { ...B } fragment B on Query { ...A } query { ...A }",
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (400, Some("GRAPHQL_VALIDATION_FAILED")),
        "{body}"
    );
    let nested = format!(
        "query {{ servers(filter: {{q: {}\"x\"{} }}) {{ total }} }}",
        "[".repeat(200),
        "]".repeat(200)
    );
    let (status, body) = gql(&hub, &token, &nested).await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (400, Some("QUERY_TOO_DEEP")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_over_a_mebibyte_are_refused_with_413_everywhere() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let big = format!(
        "{{\"query\": \"{{ me {{ email }} }}\", \"variables\": {{\"pad\": \"{}\"}}}}",
        "x".repeat(2 << 20)
    );
    for path in ["/graphql", "/api/v1/executions"] {
        let resp = hub
            .client
            .post(format!("{}{path}", hub.http))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 413, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_fields_cost_their_page_size_and_answers_say_what_they_cost() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let aliases: String = (0..300)
        .map(|i| format!("e{i}: executions(pageSize: 500) {{ items {{ results {{ details {{ output }} }} }} }}\n"))
        .collect();
    let (status, body) = gql(&hub, &token, &format!("query {{ {aliases} }}")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "QUERY_TOO_COSTLY",
        "{body}"
    );
    // One page of 500 executions with their outputs is over the limit too; 20 is not.
    let (status, _) = gql(
        &hub,
        &token,
        "{ executions(pageSize: 500) { items { results { details { output errorOutput } } } } }",
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = gql(
        &hub,
        &token,
        "{ executions(pageSize: 20) { items { results { details { output } } } } }",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cost = &body["extensions"]["cost"];
    assert!(cost["requested"].as_u64().unwrap() > 20, "{cost}");
    assert!(
        cost["requested"].as_u64() <= cost["limit"].as_u64(),
        "{cost}"
    );
    // The dashboard's largest list (500 servers with their rows) fits.
    let (status, body) = gql(
        &hub,
        &token,
        "{ servers(pageSize: 500) { total items { serverId hostname ipAddress environment serverGroup tags \
           status { current lastHeartbeat cpuPercent memoryUsagePercent diskUsagePercent } \
           credentials { certificateFingerprint certificateNotAfter revoked } } } }",
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mutations_need_post_and_introspection_is_for_signed_in_users() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let mutation = "mutation { deleteSchedule(id: \"x\") }";
    let url = format!("{}/graphql?query={}", hub.http, urlencode(mutation));
    let resp = hub
        .client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );
    // A query over GET is fine.
    let url = format!(
        "{}/graphql?query={}",
        hub.http,
        urlencode("{ me { email } }")
    );
    let resp = hub
        .client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    // The standard introspection query passes the limits for a signed-in user...
    let introspection = include_str!("../src/api/graphql/introspection_query.graphql");
    let (status, body) = gql(&hub, &token, introspection).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["__schema"]["types"].as_array().unwrap().len() > 20);
    // ...and nobody anonymous reaches GraphQL at all.
    let (status, body) = hub
        .post("/graphql", None, json!({"query": introspection}))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );

    // Unparsable documents are 400 with a code; so are unknown fields.
    let (status, body) = gql(&hub, &token, "query {").await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (400, Some("GRAPHQL_PARSE_FAILED")),
        "{body}"
    );
    let (status, body) = gql(&hub, &token, "{ nope }").await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (400, Some("GRAPHQL_VALIDATION_FAILED")),
        "{body}"
    );
    // Batches are refused: one operation per request.
    let (status, _) = hub
        .post(
            "/graphql",
            Some(&token),
            json!([{"query": "{ me { email } }"}]),
        )
        .await;
    assert_eq!(status, 400);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
