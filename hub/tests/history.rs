//! The execution history and what surrounds it, against the real hub: a tenant's limit on
//! open executions, running an execution again (every server or only the failed ones,
//! refused when secrets were masked), and the history's order over REST.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_has_at_most_max_concurrent_executions_open() {
    let hub = Hub::start_with(&format!("{FAST}\n  max_concurrent_executions: 2")).await;
    let token = hub.login().await;
    // A pre-registered server with no agent: its executions stay pending.
    register_server(&hub, &token, "quiet-01", "dev").await;
    let run = json!({"action": {"type": "shell_command", "command": "uptime"}, "target_servers": ["quiet-01"]});
    let first = start_execution(&hub, &token, run.clone()).await;
    start_execution(&hub, &token, run.clone()).await;
    // The third is refused, naming the limit; nothing is written for it.
    let (status, body) = hub
        .post("/api/v1/executions", Some(&token), run.clone())
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("execution.max_concurrent_executions") && message.contains("(2)"),
        "{message}"
    );
    let (_, list) = hub.get("/api/v1/executions", Some(&token)).await;
    assert_eq!(list["total"], 2, "{list}");
    // GraphQL says the same with a code.
    let (status, body) = hub
        .post(
            "/graphql",
            Some(&token),
            json!({"query": "mutation { startExecution(input: {action: {shellCommand: {command: \"uptime\"}}, targetServers: [\"quiet-01\"]}) { execution { executionId } } }"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{body}"
    );
    // One ended makes room for one more.
    let (status, _) = hub
        .request(
            "DELETE",
            &format!("/api/v1/executions/{first}"),
            Some(&token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 202);
    wait_final(&hub, &token, &first, 20).await;
    start_execution(&hub, &token, run).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_execution_runs_again_on_every_server_or_only_the_failed_ones() {
    let hub = Hub::start().await;
    let ids = ["again-01", "again-02"];
    let _agents: Vec<Agent> = ids.iter().map(|id| hub.agent(id, "dev")).collect();
    let token = hub.login().await;
    wait_idle(&hub, &token, &ids).await;

    // Of two servers making one directory, exactly one succeeds.
    let dir = hub.dir.path().join("made-once");
    let first = start_execution(
        &hub,
        &token,
        json!({"action": {"type": "shell_command", "command": format!("mkdir {} || exit 3", dir.display())},
               "target_servers": ids, "priority": "high", "retry_count": 0, "max_concurrency": 1}),
    )
    .await;
    let done = wait_final(&hub, &token, &first, 60).await;
    let failed: Vec<String> = done["results"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] != "success")
        .map(|d| d["server_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(failed.len(), 1, "{done}");

    // Only the failed one, with the same action and options (GraphQL).
    let (status, body) = hub
        .post(
            "/graphql",
            Some(&token),
            json!({"query": format!("mutation {{ rerunExecution(executionId: \"{first}\", onlyFailed: true) {{ execution {{ executionId targetServers priority maxConcurrency operation {{ ... on ShellCommandAction {{ command }} }} }} }} }}")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let again = &body["data"]["rerunExecution"]["execution"];
    assert_eq!(again["targetServers"], json!(failed), "{body}");
    assert_eq!(again["priority"], "HIGH", "{body}");
    assert_eq!(
        again["operation"]["command"], done["action"]["command"],
        "{body}"
    );
    let retried = again["executionId"].as_str().unwrap().to_string();
    let retried_done = wait_final(&hub, &token, &retried, 60).await;
    // The directory exists now: the retry fails the same way, and is recorded as its own run.
    assert_eq!(
        retried_done["results"]["details"][0]["exit_code"], 3,
        "{retried_done}"
    );

    // Every server again (REST, no body).
    let (status, body) = hub
        .post(
            &format!("/api/v1/executions/{first}/rerun"),
            Some(&token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let mut targets: Vec<&str> = body["target_servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    targets.sort();
    assert_eq!(targets, ids, "{body}");
    wait_final(&hub, &token, body["execution_id"].as_str().unwrap(), 60).await;

    // Nothing failed: nothing to retry. A bad body names the field.
    let ok = start_execution(
        &hub,
        &token,
        json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["again-01"]}),
    )
    .await;
    wait_final(&hub, &token, &ok, 60).await;
    let (status, body) = hub
        .post(
            &format!("/api/v1/executions/{ok}/rerun"),
            Some(&token),
            json!({"only_failed": true}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no failed server"),
        "{body}"
    );
    let (status, body) = hub
        .post(
            &format!("/api/v1/executions/{ok}/rerun"),
            Some(&token),
            json!({"only": true}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("only"),
        "{body}"
    );

    // A run with a secret parameter cannot be repeated: the hub never kept the secret.
    let (status, t) = hub
        .post(
            "/api/v1/actions",
            Some(&token),
            json!({"name": "Login check", "category": "security", "action_type": "validation",
                   "parameters": {"password": {"type": "secret", "required": true}},
                   "command_template": "test -n {password}"}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let secret = start_execution(
        &hub,
        &token,
        json!({"action_template_id": t["id"], "parameters": {"password": "hunter2-long"}, "target_servers": ["again-01"]}),
    )
    .await;
    wait_final(&hub, &token, &secret, 60).await;
    let (status, body) = hub
        .post(
            &format!("/api/v1/executions/{secret}/rerun"),
            Some(&token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("secrets"),
        "{body}"
    );
    // Unknown or another tenant's: not found.
    let (status, _) = hub
        .post(
            "/api/v1/executions/exec_nope/rerun",
            Some(&token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_history_is_ordered_as_asked_over_rest() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    register_server(&hub, &token, "order-01", "dev").await;
    let run = json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["order-01"]});
    let first = start_execution(&hub, &token, run.clone()).await;
    // Started at different milliseconds (ties are ordered by id).
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = start_execution(&hub, &token, run).await;
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["execution_id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, newest) = hub.get("/api/v1/executions", Some(&token)).await;
    assert_eq!(ids(&newest), [second.clone(), first.clone()]);
    let (_, oldest) = hub
        .get("/api/v1/executions?sort=created_at:asc", Some(&token))
        .await;
    assert_eq!(ids(&oldest), [first, second]);
    let (status, body) = hub
        .get("/api/v1/executions?sort=duration", Some(&token))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sort: \"duration\""),
        "{body}"
    );
}
