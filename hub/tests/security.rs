//! Security against the real hub: anonymous access refused everywhere, no 500 for malformed
//! input on any route, the role matrix and tenant isolation. Sessions and sign-in:
//! `security_sessions.rs`; GraphQL's edge: `security_graphql.rs`; secrets:
//! `security_secrets.rs`; agents and the audit chain: `agent_security.rs`.

mod common;

use common::*;
use serde_json::{Value, json};

/// Every `/api/v1` route but sign-in and refresh, with a plausible body.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/servers"),
    ("POST", "/api/v1/servers"),
    ("GET", "/api/v1/servers/x"),
    ("PUT", "/api/v1/servers/x"),
    ("DELETE", "/api/v1/servers/x"),
    ("GET", "/api/v1/servers/x/health"),
    ("POST", "/api/v1/servers/x/actions"),
    ("POST", "/api/v1/servers/x/revoke"),
    ("GET", "/api/v1/actions"),
    ("POST", "/api/v1/actions"),
    ("GET", "/api/v1/actions/x"),
    ("PUT", "/api/v1/actions/x"),
    ("DELETE", "/api/v1/actions/x"),
    ("GET", "/api/v1/actions/x/validate"),
    ("GET", "/api/v1/executions"),
    ("POST", "/api/v1/executions"),
    ("POST", "/api/v1/executions/preview"),
    ("GET", "/api/v1/executions/history"),
    ("GET", "/api/v1/executions/x"),
    ("DELETE", "/api/v1/executions/x"),
    ("GET", "/api/v1/executions/x/logs"),
    ("GET", "/api/v1/locks"),
    ("POST", "/api/v1/locks"),
    ("GET", "/api/v1/locks/x"),
    ("DELETE", "/api/v1/locks/x"),
    ("POST", "/api/v1/locks/x/extend"),
    ("POST", "/api/v1/locks/x/force-release"),
    ("GET", "/api/v1/schedules"),
    ("POST", "/api/v1/schedules"),
    ("GET", "/api/v1/schedules/x"),
    ("DELETE", "/api/v1/schedules/x"),
    ("GET", "/api/v1/notifications/rules"),
    ("POST", "/api/v1/notifications/rules"),
    ("GET", "/api/v1/notifications/rules/x"),
    ("PUT", "/api/v1/notifications/rules/x"),
    ("DELETE", "/api/v1/notifications/rules/x"),
    ("POST", "/api/v1/notifications/rules/x/test"),
    ("GET", "/api/v1/notifications/deliveries"),
    ("POST", "/api/v1/enrollment-tokens"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/audit/verify"),
    ("GET", "/api/v1/audit/report"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("PUT", "/api/v1/users/x@y.z"),
];

async fn call(
    hub: &Hub,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: reqwest::Body,
) -> (u16, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = fresh_client()
        .request(m, format!("{}{path}", hub.http))
        .header("content-type", "application/json")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

async fn try_call(
    hub: &Hub,
    method: &str,
    path: &str,
    token: &str,
    body: String,
) -> Result<u16, reqwest::Error> {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let resp = fresh_client()
        .request(m, format!("{}{path}", hub.http))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    Ok(resp.status().as_u16())
}

/// A client that never reuses a connection: a server may close one after answering without
/// reading a request body, and a pooled connection would then fail the next request.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

fn add_user(hub: &Hub, email: &str, role: &str, tenant: &str) {
    hub.add_user(email, role, tenant);
}

async fn login_as(hub: &Hub, email: &str) -> String {
    hub.login_as(email).await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_refuses_anonymous_and_malformed_input_never_gets_a_500() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    for (method, path) in ROUTES {
        let (status, body) = call(&hub, method, path, None, "{}".into()).await;
        assert_eq!(status, 401, "{method} {path} without a token: {body}");
        let (status, _) = call(&hub, method, path, Some("forged.token.here"), "{}".into()).await;
        assert_eq!(status, 401, "{method} {path} with a forged token");
    }
    let (status, _) = hub
        .post("/graphql", None, json!({"query": "{ servers { total } }"}))
        .await;
    assert_eq!(status, 401, "GraphQL without a token");

    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let bodies: [&str; 6] = [
        "{not json",
        "[]",
        "null",
        "{\"unexpected\": 1}",
        "\"\u{0}\"",
        &huge,
    ];
    for (method, path) in ROUTES.iter().filter(|(_, p)| *p != "/api/v1/auth/logout") {
        // GET and DELETE take no body: the hub answers without reading one.
        let bodies = if matches!(*method, "GET" | "DELETE") {
            &bodies[..5]
        } else {
            &bodies[..]
        };
        for body in bodies {
            if body.len() > 1024 * 1024 {
                // Past the 1 MiB limit the hub answers at once and may close the connection
                // before the client has sent everything; either way it must not be a 500,
                // and the hub must stay up.
                if let Ok(resp) = try_call(&hub, method, path, &token, body.to_string()).await {
                    assert!(resp < 500, "{method} {path} answered {resp} to a huge body");
                }
                assert_eq!(hub.get("/healthz", None).await.0, 200);
                continue;
            }
            let (status, text) =
                call(&hub, method, path, Some(&token), body.to_string().into()).await;
            assert!(
                status < 500,
                "{method} {path} answered {status} to a malformed body: {text}"
            );
            if status >= 400 {
                let v: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|_| panic!("{method} {path}: error body is not JSON: {text}"));
                assert!(v["error"]["message"].is_string(), "{method} {path}: {text}");
            }
        }
    }
    for q in [
        "?page=-1",
        "?page_size=100000",
        "?status=%00",
        "?from=yesterday",
        "?unknown=1",
    ] {
        for path in [
            "/api/v1/servers",
            "/api/v1/executions/history",
            "/api/v1/actions",
        ] {
            let (status, text) = call(
                &hub,
                "GET",
                &format!("{path}{q}"),
                Some(&token),
                reqwest::Body::from(""),
            )
            .await;
            assert!(
                (400..500).contains(&status),
                "GET {path}{q}: {status} {text}"
            );
        }
    }
    let (status, gql) = hub
        .post(
            "/graphql",
            Some(&token),
            json!({"query": "{ servers(page: -5) { total } }"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        gql["errors"][0]["extensions"]["code"], "INVALID_INPUT",
        "{gql}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_role_matrix_holds_and_denials_are_audited() {
    let hub = Hub::start().await;
    let _agent = hub.agent("rm-01", "dev");
    add_user(&hub, "viewer@example.com", "viewer", "default");
    add_user(&hub, "operator@example.com", "operator", "default");
    let admin = hub.login().await;
    wait_idle(&hub, &admin, &["rm-01"]).await;
    let viewer = login_as(&hub, "viewer@example.com").await;
    let operator = login_as(&hub, "operator@example.com").await;

    let run = json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["rm-01"]});
    let template = json!({"name": "T", "command_template": "true"});
    let lock = json!({"server_id": "rm-01", "reason": "r"});
    let server = json!({"server_id": "new-01", "environment": "dev"});
    let schedule = json!({"name": "s", "trigger": {"type": "cron", "expression": "0 0 0 1 1 *"}, "execution": run});
    // (path, body, lowest role allowed)
    let matrix: Vec<(&str, Value, &str)> = vec![
        ("/api/v1/executions", run.clone(), "operator"),
        ("/api/v1/locks", lock, "operator"),
        ("/api/v1/actions", template, "admin"),
        ("/api/v1/servers", server, "admin"),
        ("/api/v1/schedules", schedule, "admin"),
        (
            "/api/v1/notifications/rules",
            json!({"name": "n", "channel": {"type": "webhook", "url": "http://127.0.0.1:9/h"}, "events": ["execution_failed"]}),
            "admin",
        ),
        ("/api/v1/enrollment-tokens", json!({}), "admin"),
        (
            "/api/v1/users",
            json!({"email": "n@example.com", "password": PASSWORD, "role": "viewer"}),
            "admin",
        ),
    ];
    for (path, body, lowest) in &matrix {
        for (role, token) in [("viewer", &viewer), ("operator", &operator)] {
            let allowed = *lowest == "viewer" || (*lowest == "operator" && role == "operator");
            let (status, resp) = hub.post(path, Some(token), body.clone()).await;
            if allowed {
                assert!(status < 300, "{role} POST {path}: {status} {resp}");
            } else {
                assert_eq!(status, 403, "{role} POST {path}: {resp}");
                assert!(
                    resp["error"]["message"].as_str().unwrap().contains(lowest),
                    "{resp}"
                );
            }
        }
    }
    // GraphQL refuses the same way, through the same checks.
    let (_, gql) = hub
        .post(
            "/graphql",
            Some(&viewer),
            json!({"query": "mutation { cancelExecution(executionId: \"x\") { execution { executionId } } }"}),
        )
        .await;
    assert_eq!(gql["errors"][0]["extensions"]["code"], "FORBIDDEN", "{gql}");
    // User management over GraphQL: admins only.
    let create = json!({"query": "mutation { createUser(email: \"g@example.com\", password: \"long-enough-password\", role: OPERATOR) { user { email role } } }"});
    let (_, gql) = hub.post("/graphql", Some(&operator), create.clone()).await;
    assert_eq!(gql["errors"][0]["extensions"]["code"], "FORBIDDEN", "{gql}");
    let (_, gql) = hub.post("/graphql", Some(&admin), create).await;
    assert_eq!(
        gql["data"]["createUser"]["user"]["role"], "OPERATOR",
        "{gql}"
    );
    let (_, gql) = hub.post("/graphql", Some(&admin), json!({"query": "{ users { nodes { email } } servers { nodes { serverId credentials { certificateFingerprint revoked } } } }"})).await;
    assert!(
        gql["data"]["users"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == "g@example.com"),
        "{gql}"
    );
    assert_eq!(
        gql["data"]["servers"]["nodes"][0]["credentials"]["revoked"], false,
        "{gql}"
    );
    // Reads are open to viewers; audit and users are admin's.
    assert_eq!(hub.get("/api/v1/servers", Some(&viewer)).await.0, 200);
    assert_eq!(hub.get("/api/v1/audit", Some(&operator)).await.0, 403);
    assert_eq!(hub.get("/api/v1/users", Some(&operator)).await.0, 403);
    let audit = hub.get("/api/v1/audit?page_size=500", Some(&admin)).await.1;
    let denied = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == "permission_denied")
        .count();
    assert!(denied >= 9, "denials audited (REST and GraphQL): {denied}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tenants_cannot_see_or_touch_each_other() {
    let hub = Hub::start().await;
    let _agent = hub.agent("ta-01", "dev");
    add_user(&hub, "admin@other.example", "admin", "other");
    let a = hub.login().await;
    wait_idle(&hub, &a, &["ta-01"]).await;
    let b = login_as(&hub, "admin@other.example").await;

    let exec = start_execution(&hub, &a, json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["ta-01"]})).await;
    let tpl = hub
        .post(
            "/api/v1/actions",
            Some(&a),
            json!({"name": "A's", "command_template": "true"}),
        )
        .await
        .1;
    let lock = hub
        .post(
            "/api/v1/locks",
            Some(&a),
            json!({"server_id": "ta-01", "reason": "mine"}),
        )
        .await
        .1;
    let sched = hub
        .post("/api/v1/schedules", Some(&a), json!({"name": "a", "trigger": {"type": "cron", "expression": "0 0 0 1 1 *"}, "execution": {"action": {"type": "shell_command", "command": "true"}, "target_servers": ["ta-01"]}}))
        .await
        .1;
    let rule = hub
        .post("/api/v1/notifications/rules", Some(&a), json!({"name": "a", "channel": {"type": "webhook", "url": "http://127.0.0.1:9/secret-path"}, "events": ["execution_failed"]}))
        .await
        .1;
    let rule_id = rule["id"].as_str().unwrap().to_string();
    for path in [
        format!("/api/v1/notifications/rules/{rule_id}"),
        format!("/api/v1/notifications/deliveries?rule_id={rule_id}"),
        "/api/v1/servers/ta-01".to_string(),
        format!("/api/v1/executions/{exec}"),
        format!("/api/v1/executions/{exec}/logs"),
        format!("/api/v1/actions/{}", tpl["id"].as_str().unwrap()),
        format!("/api/v1/locks/{}", lock["lock_id"].as_str().unwrap()),
        format!("/api/v1/schedules/{}", sched["id"].as_str().unwrap()),
    ] {
        let (status, body) = hub.get(&path, Some(&b)).await;
        assert_eq!(status, 404, "tenant B read {path}: {body}");
    }
    for (method, path) in [
        ("DELETE", format!("/api/v1/executions/{exec}")),
        ("DELETE", "/api/v1/servers/ta-01".into()),
        (
            "POST",
            format!(
                "/api/v1/locks/{}/force-release",
                lock["lock_id"].as_str().unwrap()
            ),
        ),
        ("DELETE", format!("/api/v1/notifications/rules/{rule_id}")),
        (
            "POST",
            format!("/api/v1/notifications/rules/{rule_id}/test"),
        ),
    ] {
        let (status, body) = call(&hub, method, &path, Some(&b), "{}".into()).await;
        assert_eq!(status, 404, "tenant B {method} {path}: {body}");
    }
    let (status, body) = hub.post("/api/v1/executions", Some(&b), json!({"action": {"type": "shell_command", "command": "id"}, "target_servers": ["ta-01"]})).await;
    assert_eq!(status, 422, "{body}");
    for (path, key) in [
        ("/api/v1/servers", "total"),
        ("/api/v1/executions", "total"),
        ("/api/v1/actions", "total"),
        ("/api/v1/locks", "total"),
        ("/api/v1/schedules", "total"),
        ("/api/v1/notifications/rules", "total"),
        ("/api/v1/notifications/deliveries", "total"),
    ] {
        assert_eq!(
            hub.get(path, Some(&b)).await.1[key],
            0,
            "tenant B sees {path}"
        );
    }
    let audit = hub.get("/api/v1/audit?page_size=500", Some(&b)).await.1;
    assert!(
        !audit.to_string().contains("ta-01"),
        "tenant B sees A's audit: {audit}"
    );
    let (_, gql) = hub.post("/graphql", Some(&b), json!({"query": format!("{{ execution(executionId: \"{exec}\") {{ executionId }} servers {{ total }} }}")})).await;
    assert!(
        gql["data"]["execution"].is_null() && gql["data"]["servers"]["total"] == 0,
        "{gql}"
    );
}
