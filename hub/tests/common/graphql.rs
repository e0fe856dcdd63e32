//! GraphQL over HTTP as an integrator sends it: one operation with its variables.

use super::Hub;
use serde_json::{Value, json};

/// Status and body of one operation.
pub async fn gql(hub: &Hub, token: &str, query: &str, variables: Value) -> (u16, Value) {
    hub.post(
        "/graphql",
        Some(token),
        json!({"query": query, "variables": variables}),
    )
    .await
}

/// The data of an answer that must have no errors.
pub async fn data(hub: &Hub, token: &str, query: &str, variables: Value) -> Value {
    let (status, body) = gql(hub, token, query, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    body["data"].clone()
}
