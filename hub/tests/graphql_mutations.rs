//! GraphQL mutations as an integrator with only `schema.graphql` uses them, against the real
//! hub: typed inputs for templates, executions, locks and schedules, and payloads whose
//! `userErrors` carry a code and a field path.

mod common;

use common::graphql::{data, gql};
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn mutations_take_typed_inputs_and_answer_user_errors_by_code_and_field() {
    let hub = Hub::start().await;
    let token = hub.login().await;
    register_server(&hub, &token, "ty-01", "dev").await;

    // A template with typed parameters, settings and criteria.
    let created = data(
        &hub,
        &token,
        "mutation($input: ActionTemplateInput!) { createActionTemplate(input: $input) {
           actionTemplate { id templateId name
             parameterDefinitions { name type required default min max values }
             executionSettings { timeoutSeconds retryCount parallelExecution }
             successConditions { exitCode outputContains } }
           userErrors { field code message } } }",
        json!({"input": {
            "name": "Rotate logs", "commandTemplate": "logrotate -v {keep} {mode}",
            "parameters": [
                {"name": "keep", "type": "INTEGER", "required": true, "min": 1, "max": 30, "default": {"int": 7}},
                {"name": "mode", "type": "ENUM", "values": ["fast", "safe"], "default": {"string": "safe"}}
            ],
            "executionConfig": {"timeoutSeconds": 60},
            "successCriteria": {"outputContains": ["rotating"]}
        }}),
    )
    .await["createActionTemplate"]
        .clone();
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let t = &created["actionTemplate"];
    let template_id = t["templateId"].as_str().unwrap().to_string();
    assert_eq!(
        t["parameterDefinitions"][0],
        json!({"name": "keep", "type": "INTEGER", "required": true, "default": "7", "min": 1, "max": 30, "values": []})
    );
    assert_eq!(t["executionSettings"]["timeoutSeconds"], 60);
    assert_eq!(
        t["executionSettings"]["parallelExecution"], true,
        "defaults fill in"
    );
    assert_eq!(
        t["successConditions"]["outputContains"],
        json!(["rotating"])
    );
    // REST sees the same document the specification describes.
    let (_, rest) = hub
        .get(&format!("/api/v1/actions/{template_id}"), Some(&token))
        .await;
    assert_eq!(rest["parameters"]["keep"]["type"], "integer", "{rest}");
    assert_eq!(rest["execution_config"]["timeout_seconds"], 60, "{rest}");

    // An execution of it with typed parameter values — started by the template's global id.
    const START: &str = "mutation($input: StartExecutionInput!) { startExecution(input: $input) {
        execution { executionId parameterValues { name value }
          operation { __typename ... on ShellCommandAction { command } ... on HttpCheckAction { url headers { name value } } } }
        userErrors { field code message } } }";
    let run = data(
        &hub,
        &token,
        START,
        json!({"input": {"actionTemplateId": t["id"], "targetServers": ["ty-01"],
                          "parameters": [{"name": "keep", "value": {"int": 3}}]}}),
    )
    .await["startExecution"]
        .clone();
    assert_eq!(run["userErrors"], json!([]), "{run}");
    let values = &run["execution"]["parameterValues"];
    assert!(
        values
            .as_array()
            .unwrap()
            .contains(&json!({"name": "keep", "value": "3"})),
        "{run}"
    );
    // Out of bounds: a user error with a code, no execution.
    let bad = data(
        &hub,
        &token,
        START,
        json!({"input": {"actionTemplateId": template_id, "targetServers": ["ty-01"],
                          "parameters": [{"name": "keep", "value": {"int": 99}}]}}),
    )
    .await["startExecution"]
        .clone();
    assert!(bad["execution"].is_null(), "{bad}");
    assert_eq!(bad["userErrors"][0]["code"], "INVALID_INPUT", "{bad}");
    assert!(
        bad["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("keep"),
        "{bad}"
    );
    // An inline HTTP check, typed, headers as a list; its JSON field as text.
    let http = data(
        &hub,
        &token,
        START,
        json!({"input": {"targetServers": ["ty-01"], "action": {"httpCheck": {
            "url": "http://127.0.0.1:9/health", "headers": [{"name": "X-Probe", "value": "1"}],
            "json": "{\"ok\": true}"}}}}),
    )
    .await["startExecution"]
        .clone();
    assert_eq!(http["userErrors"], json!([]), "{http}");
    let op = &http["execution"]["operation"];
    assert_eq!(op["__typename"], "HttpCheckAction", "{http}");
    assert_eq!(op["headers"], json!([{"name": "X-Probe", "value": "1"}]));
    let not_json = data(
        &hub,
        &token,
        START,
        json!({"input": {"targetServers": ["ty-01"], "action": {"httpCheck": {
            "url": "http://127.0.0.1:9/health", "json": "{not json"}}}}),
    )
    .await["startExecution"]
        .clone();
    assert_eq!(
        not_json["userErrors"][0]["code"], "INVALID_INPUT",
        "{not_json}"
    );
    assert_eq!(
        not_json["userErrors"][0]["field"],
        json!(["input", "action"])
    );
    // @oneOf: two operations at once is not a valid document.
    let (status, body) = gql(
        &hub,
        &token,
        START,
        json!({"input": {"targetServers": ["ty-01"], "action": {
            "shellCommand": {"command": "uptime"}, "diskFree": {"path": "/"}}}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    // A lock, typed; the second on the same server is a conflict the caller can react to.
    const LOCK: &str = "mutation($input: AcquireLockInput!) { acquireLock(input: $input) {
        lock { id lockId lockType lockMetadata { reason } } userErrors { field code message } } }";
    let input = json!({"input": {"serverId": "ty-01", "reason": "kernel patch", "lockType": "EMERGENCY", "ttlMinutes": 30}});
    let lock = data(&hub, &token, LOCK, input.clone()).await["acquireLock"].clone();
    assert_eq!(lock["lock"]["lockType"], "EMERGENCY", "{lock}");
    let again = data(&hub, &token, LOCK, input).await["acquireLock"].clone();
    assert!(again["lock"].is_null(), "{again}");
    assert_eq!(again["userErrors"][0]["code"], "CONFLICT", "{again}");
    let released = data(
        &hub,
        &token,
        "mutation($id: String!) { releaseLock(lockId: $id) { lock { status } userErrors { code } } }",
        json!({"id": lock["lock"]["id"]}),
    )
    .await;
    assert_eq!(
        released["releaseLock"]["lock"]["status"], "RELEASED",
        "{released}"
    );

    // A schedule: a cron trigger (@oneOf) and the execution as startExecution takes it.
    const SCHEDULE: &str =
        "mutation($input: CreateScheduleInput!) { createSchedule(input: $input) {
        schedule { scheduleId cron runAt run { actionTemplateId targetServers
          parameterValues { name value } } }
        userErrors { field code message } } }";
    let s = data(
        &hub,
        &token,
        SCHEDULE,
        json!({"input": {"name": "nightly", "trigger": {"cron": "0 3 * * *"},
            "execution": {"actionTemplateId": template_id, "targetServers": ["ty-01"],
                          "parameters": [{"name": "keep", "value": {"int": 5}}]}}}),
    )
    .await["createSchedule"]
        .clone();
    assert_eq!(s["userErrors"], json!([]), "{s}");
    assert_eq!(s["schedule"]["cron"], "0 3 * * *");
    assert!(s["schedule"]["runAt"].is_null());
    assert_eq!(
        s["schedule"]["run"]["actionTemplateId"],
        template_id.as_str()
    );
    assert_eq!(
        s["schedule"]["run"]["parameterValues"],
        json!([{"name": "keep", "value": "5"}])
    );
    // Read back by its id, with its (not yet any) runs; the server's circuit is closed.
    let back = data(
        &hub,
        &token,
        "query($id: String!) { schedule(id: $id) { name runs(first: 5) { totalCount nodes { status } } }
           server(serverId: \"ty-01\") { circuit { consecutiveFailures openUntil } } }",
        json!({"id": s["schedule"]["scheduleId"]}),
    )
    .await;
    assert_eq!(back["schedule"]["name"], "nightly", "{back}");
    assert_eq!(back["schedule"]["runs"]["totalCount"], 0, "{back}");
    assert_eq!(
        back["server"]["circuit"],
        json!({"consecutiveFailures": 0, "openUntil": null})
    );
    let bad = data(
        &hub,
        &token,
        SCHEDULE,
        json!({"input": {"name": "bad", "trigger": {"cron": "61 * * * *"},
            "execution": {"action": {"shellCommand": {"command": "uptime"}}, "targetServers": ["ty-01"]}}}),
    )
    .await["createSchedule"]
        .clone();
    assert!(bad["schedule"].is_null(), "{bad}");
    assert_eq!(bad["userErrors"][0]["code"], "INVALID_INPUT", "{bad}");
    let field = bad["userErrors"][0]["field"].as_array().unwrap();
    assert_eq!(field[0], "input", "{bad}");
    assert_eq!(field[1], "trigger", "{bad}");

    // Not found is a user error too; not allowed stays a top-level error.
    let gone = data(
        &hub,
        &token,
        "mutation { deleteSchedule(id: \"nope\") { deletedId userErrors { code } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        gone["deleteSchedule"]["userErrors"][0]["code"], "NOT_FOUND",
        "{gone}"
    );
    hub.add_user("viewer@example.com", "viewer", "default");
    let viewer = hub.login_as("viewer@example.com").await;
    let (_, body) = gql(
        &hub,
        &viewer,
        "mutation { deleteSchedule(id: \"nope\") { deletedId } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
}
