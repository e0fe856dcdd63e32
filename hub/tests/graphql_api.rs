//! The GraphQL API as an integrator with only `schema.graphql` uses it, against the real
//! hub: lists read by cursor (a row inserted between two pages neither repeats nor hides
//! one), any object fetched again by its global id (never across tenants), and no input
//! that takes the `JSON` scalar. Typed inputs and mutation payloads: `graphql_mutations.rs`.

mod common;

use common::graphql::{data, gql};
use common::*;
use serde_json::{Value, json};

fn ids(nodes: &Value, key: &str) -> Vec<String> {
    nodes
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {nodes}"))
        .iter()
        .map(|n| n[key].as_str().unwrap().to_string())
        .collect()
}

const SERVERS: &str = "query($first: Int, $after: String, $last: Int, $before: String) {
  servers(first: $first, after: $after, last: $last, before: $before) {
    nodes { serverId } totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_by_cursor_and_rows_inserted_meanwhile_neither_repeat_nor_hide() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    for i in 1..=6 {
        register_server(&hub, &token, &format!("pg-{i:02}"), "dev").await;
    }
    // Servers, by id.
    let page1 = data(&hub, &token, SERVERS, json!({"first": 3})).await["servers"].clone();
    assert_eq!(
        ids(&page1["nodes"], "serverId"),
        ["pg-01", "pg-02", "pg-03"]
    );
    assert_eq!(page1["totalCount"], 6);
    assert_eq!(page1["pageInfo"]["hasNextPage"], true, "{page1}");
    assert_eq!(page1["pageInfo"]["hasPreviousPage"], false, "{page1}");
    // One server sorts into the page already read, one into the next.
    register_server(&hub, &token, "pg-025", "dev").await;
    register_server(&hub, &token, "pg-045", "dev").await;
    let end = page1["pageInfo"]["endCursor"].clone();
    let page2 =
        data(&hub, &token, SERVERS, json!({"first": 3, "after": end})).await["servers"].clone();
    assert_eq!(
        ids(&page2["nodes"], "serverId"),
        ["pg-04", "pg-045", "pg-05"],
        "{page2}"
    );
    assert_eq!(page2["totalCount"], 8);
    assert_eq!(page2["pageInfo"]["hasPreviousPage"], true);
    // Backwards from the second page: the two before it, as the list stands now.
    let start = page2["pageInfo"]["startCursor"].clone();
    let back =
        data(&hub, &token, SERVERS, json!({"last": 2, "before": start})).await["servers"].clone();
    assert_eq!(
        ids(&back["nodes"], "serverId"),
        ["pg-025", "pg-03"],
        "{back}"
    );
    assert_eq!(back["pageInfo"]["hasPreviousPage"], true, "{back}");
    // The end of the list.
    let last = data(&hub, &token, SERVERS, json!({"last": 2})).await["servers"].clone();
    assert_eq!(
        ids(&last["nodes"], "serverId"),
        ["pg-05", "pg-06"],
        "{last}"
    );
    assert_eq!(last["pageInfo"]["hasNextPage"], false);

    // Executions, newest first: one started between two pages comes first, not again.
    let mut started = Vec::new();
    for i in 0..4 {
        let id = start_execution(
            &hub,
            &token,
            json!({"action": {"type": "shell_command", "command": format!("echo {i}")}, "target_servers": ["pg-01"]}),
        )
        .await;
        started.push(id);
    }
    const EXECUTIONS: &str = "query($after: String, $order: ExecutionOrder) {
      executions(first: 2, after: $after, orderBy: $order) {
        nodes { executionId } pageInfo { hasNextPage endCursor } totalCount } }";
    let first = data(&hub, &token, EXECUTIONS, json!({})).await["executions"].clone();
    assert_eq!(
        ids(&first["nodes"], "executionId"),
        [started[3].clone(), started[2].clone()]
    );
    start_execution(
        &hub,
        &token,
        json!({"action": {"type": "shell_command", "command": "echo late"}, "target_servers": ["pg-01"]}),
    )
    .await;
    let after = first["pageInfo"]["endCursor"].clone();
    let second =
        data(&hub, &token, EXECUTIONS, json!({"after": after})).await["executions"].clone();
    assert_eq!(
        ids(&second["nodes"], "executionId"),
        [started[1].clone(), started[0].clone()],
        "{second}"
    );
    assert_eq!(second["totalCount"], 5);
    // Ordered by a field without a unique key, pages go by position and still cover all.
    let order = json!({"field": "STATE", "ascending": true});
    let a = data(&hub, &token, EXECUTIONS, json!({"order": order})).await["executions"].clone();
    let b = data(
        &hub,
        &token,
        EXECUTIONS,
        json!({"order": order, "after": a["pageInfo"]["endCursor"]}),
    )
    .await["executions"]
        .clone();
    let mut seen = ids(&a["nodes"], "executionId");
    seen.extend(ids(&b["nodes"], "executionId"));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "two pages of two, no repeats: {a} {b}");
    // A cursor of another list, or of another order, is refused with a code.
    let (status, body) = gql(
        &hub,
        &token,
        EXECUTIONS,
        json!({"after": page1["pageInfo"]["endCursor"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{body}"
    );
    let (_, body) = gql(
        &hub,
        &token,
        EXECUTIONS,
        json!({"after": a["pageInfo"]["endCursor"]}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{body}"
    );

    // The audit log, newest first: entries written meanwhile do not shift the next page.
    const AUDIT: &str = "query($after: String) { auditLog(first: 3, after: $after) {
      nodes { seq eventType actor { type id } resource { type id } result { success } }
      pageInfo { endCursor } } }";
    let a = data(&hub, &token, AUDIT, json!({})).await["auditLog"].clone();
    let seqs = |v: &Value| -> Vec<u64> {
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["seq"].as_u64().unwrap())
            .collect()
    };
    register_server(&hub, &token, "pg-99", "dev").await;
    let b = data(
        &hub,
        &token,
        AUDIT,
        json!({"after": a["pageInfo"]["endCursor"]}),
    )
    .await["auditLog"]
        .clone();
    let (sa, sb) = (seqs(&a), seqs(&b));
    assert_eq!(sb.len(), 3, "{b}");
    assert!(sa.windows(2).all(|w| w[0] > w[1]), "newest first: {sa:?}");
    assert_eq!(
        sb[0],
        sa[2] - 1,
        "the next page continues where the first ended: {sa:?} {sb:?}"
    );
    assert_eq!(a["nodes"][0]["actor"]["type"], "user", "{a}");
}

#[tokio::test(flavor = "multi_thread")]
async fn any_object_is_fetched_again_by_its_global_id_and_never_across_tenants() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    register_server(&hub, &token, "nd-01", "dev").await;
    let execution = start_execution(
        &hub,
        &token,
        json!({"action": {"type": "shell_command", "command": "uptime"}, "target_servers": ["nd-01"]}),
    )
    .await;
    let (status, lock) = hub
        .post(
            "/api/v1/locks",
            Some(&token),
            json!({"server_id": "nd-01", "reason": "window"}),
        )
        .await;
    assert_eq!(status, 201, "{lock}");
    let ids = data(
        &hub,
        &token,
        &format!(
            r#"{{ server(serverId: "nd-01") {{ id }} execution(executionId: "{execution}") {{ id }}
                 serverLocks {{ nodes {{ id }} }} me {{ id }} }}"#
        ),
        json!({}),
    )
    .await;
    let global = [
        ids["server"]["id"].clone(),
        ids["execution"]["id"].clone(),
        ids["serverLocks"]["nodes"][0]["id"].clone(),
        ids["me"]["id"].clone(),
    ];
    // Opaque: the specification's ids are not the global ones.
    assert_ne!(global[0], "nd-01");
    const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on Server { serverId } ... on Execution { executionId } ... on ServerLock { lockId }
        ... on User { email } } }";
    let found = data(&hub, &token, NODES, json!({"ids": global})).await["nodes"].clone();
    assert_eq!(found[0]["__typename"], "Server");
    assert_eq!(found[0]["serverId"], "nd-01");
    assert_eq!(found[1]["executionId"], execution.as_str());
    assert_eq!(found[2]["lockId"], lock["lock_id"], "{found}");
    assert_eq!(found[3]["__typename"], "User");
    for (i, g) in global.iter().enumerate() {
        assert_eq!(
            &found[i]["id"], g,
            "an object's id fetches that object: {found}"
        );
    }
    // The global id works where the specification's id is asked for.
    let by_global = data(
        &hub,
        &token,
        "query($id: String!) { server(serverId: $id) { serverId } }",
        json!({"id": global[0]}),
    )
    .await;
    assert_eq!(by_global["server"]["serverId"], "nd-01");

    // Another tenant's admin finds none of them; a viewer cannot read another user.
    hub.add_user("other@example.com", "admin", "other");
    let other = hub.login_as("other@example.com").await;
    let none = data(&hub, &other, NODES, json!({"ids": &global[..3]})).await["nodes"].clone();
    assert_eq!(none, json!([null, null, null]), "{none}");
    hub.add_user("viewer@example.com", "viewer", "default");
    let viewer = hub.login_as("viewer@example.com").await;
    let (_, body) = gql(
        &hub,
        &viewer,
        "query($id: ID!) { node(id: $id) { id } }",
        json!({"id": global[3]}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    // An execution links to the user who started it: for admins and for that user only.
    const INITIATOR: &str = "query($id: String!) { me { email }
        execution(executionId: $id) { initiator { email role } } }";
    let seen = data(&hub, &token, INITIATOR, json!({"id": execution})).await;
    assert_eq!(
        seen["execution"]["initiator"]["email"], seen["me"]["email"],
        "{seen}"
    );
    assert_eq!(seen["execution"]["initiator"]["role"], "ADMIN", "{seen}");
    let hidden = data(&hub, &viewer, INITIATOR, json!({"id": execution})).await;
    assert!(hidden["execution"]["initiator"].is_null(), "{hidden}");
    let (_, body) = gql(
        &hub,
        &token,
        "query($id: ID!) { node(id: $id) { id } }",
        json!({"id": "not-a-global-id"}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{body}"
    );
}

/// The type a field or argument takes, without list and non-null wrappers.
fn named(t: &Value) -> &str {
    match t["name"].as_str() {
        Some(n) => n,
        None => named(&t["ofType"]),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_input_takes_json_and_every_code_sent_is_in_the_error_code_enum() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    const TYPE: &str =
        "type { name kind ofType { name kind ofType { name kind ofType { name kind } } } }";
    let q = format!(
        "{{ __schema {{ types {{ name kind inputFields {{ name {TYPE} }}
            fields {{ name args {{ name {TYPE} }} }} }} }}
           codes: __type(name: \"ErrorCode\") {{ enumValues {{ name }} }} }}"
    );
    let schema = data(&hub, &token, &q, json!({})).await;
    let mut json_inputs = Vec::new();
    for t in schema["__schema"]["types"].as_array().unwrap() {
        let tname = t["name"].as_str().unwrap();
        if tname.starts_with("__") {
            continue;
        }
        for f in t["inputFields"].as_array().into_iter().flatten() {
            if named(&f["type"]) == "JSON" {
                json_inputs.push(format!("{tname}.{}", f["name"]));
            }
        }
        for f in t["fields"].as_array().into_iter().flatten() {
            for a in f["args"].as_array().into_iter().flatten() {
                if named(&a["type"]) == "JSON" {
                    json_inputs.push(format!("{tname}.{}({})", f["name"], a["name"]));
                }
            }
        }
    }
    assert!(
        json_inputs.is_empty(),
        "inputs taking JSON: {json_inputs:?}"
    );

    // Codes the API sends at the request level and in payloads are all documented values.
    let documented: Vec<String> = schema["codes"]["enumValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    let mut sent = Vec::new();
    for query in [
        "{ nope }",
        "{ servers(first: 900) { totalCount } }",
        "query { servers { ",
        "{ node(id: \"x\") { id } }",
    ] {
        let (_, body) = gql(&hub, &token, query, json!({})).await;
        sent.push(
            body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    let (_, body) = hub
        .post("/graphql", None, json!({"query": "{ me { email } }"}))
        .await;
    sent.push(
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    );
    for code in &sent {
        assert!(
            documented.contains(code),
            "{code:?} is not in ErrorCode {documented:?}"
        );
    }
    assert!(
        sent.contains(&"GRAPHQL_PARSE_FAILED".to_string()),
        "{sent:?}"
    );
}
