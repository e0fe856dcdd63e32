//! GraphQL as an integrator uses it, against the real hub and a real agent: following an
//! execution to its jobs, each job's server, that server's locks and its other executions,
//! and the template run — in one query; and what REST does for servers and templates
//! (register, change, maintenance, deregister, a template's problems).

mod common;

use common::*;
use serde_json::{Value, json};

async fn gql(hub: &Hub, token: &str, query: &str) -> Value {
    let (status, body) = hub
        .post("/graphql", Some(token), json!({"query": query}))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn one_query_follows_execution_jobs_server_locks_and_executions() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let _agent = hub.agent("link-01", "dev");
    wait_idle(&hub, &token, &["link-01"]).await;

    let (status, t) = hub
        .post(
            "/api/v1/actions",
            Some(&token),
            json!({"name": "Say", "category": "system", "action_type": "validation",
                   "parameters": {"word": {"type": "string", "required": true}},
                   "command_template": "echo {word}"}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let template_id = t["id"].as_str().unwrap().to_string();
    let first = start_execution(
        &hub,
        &token,
        json!({"action_template_id": template_id, "parameters": {"word": "one"}, "target_servers": ["link-01"]}),
    )
    .await;
    wait_final(&hub, &token, &first, 60).await;
    let second = start_execution(
        &hub,
        &token,
        json!({"action": {"type": "shell_command", "command": "echo two"}, "target_servers": ["link-01"]}),
    )
    .await;
    wait_final(&hub, &token, &second, 60).await;
    // A lock taken, then released; another taken and held.
    let (status, lock) = hub
        .post(
            "/api/v1/locks",
            Some(&token),
            json!({"server_id": "link-01", "reason": "first window", "ttl_minutes": 5}),
        )
        .await;
    assert_eq!(status, 201, "{lock}");
    let (status, _) = hub
        .request(
            "DELETE",
            &format!("/api/v1/locks/{}", lock["lock_id"].as_str().unwrap()),
            Some(&token),
            Value::Null,
        )
        .await;
    assert!(status < 300, "{status}");
    let (status, held) = hub
        .post(
            "/api/v1/locks",
            Some(&token),
            json!({"server_id": "link-01", "reason": "patching", "ttl_minutes": 5}),
        )
        .await;
    assert_eq!(status, 201, "{held}");

    let body = gql(
        &hub,
        &token,
        &format!(
            r#"{{ execution(executionId: "{first}") {{
                 template {{ templateId name }}
                 results {{ details {{ status server {{
                   serverId environment
                   activeLock {{ lockId lockMetadata {{ reason }} }}
                   locks {{ nodes {{ lockId status }} }}
                   executions(first: 5) {{ nodes {{ executionId overall }} }}
                 }} }} }}
               }} }}"#
        ),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let e = &body["data"]["execution"];
    assert_eq!(e["template"]["templateId"], template_id.as_str(), "{body}");
    assert_eq!(e["template"]["name"], "Say");
    let job = &e["results"]["details"][0];
    assert_eq!(job["status"], "SUCCESS", "{body}");
    let server = &job["server"];
    assert_eq!(server["serverId"], "link-01");
    assert_eq!(server["environment"], "dev");
    assert_eq!(server["activeLock"]["lockId"], held["lock_id"], "{body}");
    assert_eq!(server["activeLock"]["lockMetadata"]["reason"], "patching");
    // Every lock it had, newest first: the one held, then the one released.
    let locks: Vec<(&str, &str)> = server["locks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["lockId"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        locks,
        [
            (held["lock_id"].as_str().unwrap(), "ACTIVE"),
            (lock["lock_id"].as_str().unwrap(), "RELEASED")
        ],
        "{body}"
    );
    // Its executions, newest first: the inline one, then the template run.
    let runs: Vec<&str> = server["executions"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["executionId"].as_str().unwrap())
        .collect();
    assert_eq!(runs, [second.as_str(), first.as_str()], "{body}");

    // An inline action has no template; a bad `first` is a clear, coded error.
    let body = gql(
        &hub,
        &token,
        &format!(r#"{{ execution(executionId: "{second}") {{ template {{ templateId }} }} }}"#),
    )
    .await;
    assert_eq!(body["data"]["execution"]["template"], Value::Null, "{body}");
    let body = gql(
        &hub,
        &token,
        r#"{ server(serverId: "link-01") { executions(first: 501) { nodes { executionId } } } }"#,
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("first: must be between 0 and 500, got 501"),
        "{body}"
    );

    // Another tenant's user follows nothing into this tenant.
    hub.add_user("other@example.com", "admin", "other");
    let other = hub.login_as("other@example.com").await;
    let body = gql(
        &hub,
        &other,
        &format!(r#"{{ execution(executionId: "{first}") {{ executionId }} }}"#),
    )
    .await;
    assert_eq!(body["data"]["execution"], Value::Null, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_are_registered_changed_and_deregistered_over_graphql_as_over_rest() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    let body = gql(
        &hub,
        &token,
        r#"mutation { registerServer(input: {serverId: "gq-01", environment: "staging", hostname: "gq-01.example", tags: ["db"]}) { server { serverId environment hostname tags status { current } } userErrors { code } } }"#,
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let payload = &body["data"]["registerServer"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    assert_eq!(payload["server"]["environment"], "staging");
    assert_eq!(payload["server"]["tags"], json!(["db"]));
    // A bad environment and bad tags: every problem, with a code.
    let body = gql(
        &hub,
        &token,
        r#"mutation { registerServer(input: {serverId: "gq-02", environment: "prod", tags: ["has space"]}) { server { serverId } userErrors { field code message } } }"#,
    )
    .await;
    assert!(
        body["errors"].is_null(),
        "user errors are not top-level: {body}"
    );
    let payload = &body["data"]["registerServer"];
    assert!(payload["server"].is_null(), "{body}");
    let problems = payload["userErrors"].as_array().unwrap();
    assert!(
        problems.iter().all(|p| p["code"] == "INVALID_INPUT"),
        "{body}"
    );
    let fields: Vec<&Value> = problems.iter().map(|p| &p["field"]).collect();
    assert!(
        fields.contains(&&json!(["input", "environment"]))
            && fields.contains(&&json!(["input", "tags"])),
        "each problem points at its field: {body}"
    );

    // Maintenance on and off; REST sees the same server.
    let body = gql(
        &hub,
        &token,
        r#"mutation { updateServer(serverId: "gq-01", input: {maintenance: true, serverGroup: "blue"}) { server { serverGroup status { current } } } }"#,
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        body["data"]["updateServer"]["server"]["status"]["current"],
        "MAINTENANCE"
    );
    let (_, rest) = hub.get("/api/v1/servers/gq-01", Some(&token)).await;
    assert_eq!(rest["server_group"], "blue", "{rest}");
    assert_eq!(rest["status"]["current"], "maintenance", "{rest}");

    // An operator may not; the refusal is coded and nothing changes.
    hub.add_user("op@example.com", "operator", "default");
    let op = hub.login_as("op@example.com").await;
    let body = gql(
        &hub,
        &op,
        r#"mutation { deleteServer(serverId: "gq-01") { deletedId } }"#,
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let body = gql(
        &hub,
        &token,
        r#"mutation { deleteServer(serverId: "gq-01") { deletedId userErrors { code } } }"#,
    )
    .await;
    assert_eq!(body["data"]["deleteServer"]["deletedId"], "gq-01", "{body}");
    let (status, _) = hub.get("/api/v1/servers/gq-01", Some(&token)).await;
    assert_eq!(status, 404);
    let body = gql(
        &hub,
        &token,
        r#"mutation { deleteServer(serverId: "gq-01") { deletedId userErrors { field code } } }"#,
    )
    .await;
    assert!(
        body["data"]["deleteServer"]["deletedId"].is_null(),
        "{body}"
    );
    assert_eq!(
        body["data"]["deleteServer"]["userErrors"][0]["code"], "NOT_FOUND",
        "{body}"
    );

    // A template's problems, as REST's validate gives them.
    let (status, t) = hub
        .post(
            "/api/v1/actions",
            Some(&token),
            json!({"name": "Ok", "category": "system", "action_type": "validation", "command_template": "uptime"}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let body = gql(
        &hub,
        &token,
        &format!(
            r#"{{ actionTemplate(id: "{}") {{ problems }} }}"#,
            t["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        body["data"]["actionTemplate"]["problems"],
        json!([]),
        "{body}"
    );
}
