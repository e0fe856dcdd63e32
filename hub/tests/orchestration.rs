//! Orchestration against the real hub and real agents: templates and injection attempts,
//! preview, success criteria, retries, timeouts, rate control, priority, cancellation,
//! locks with fencing, unreachable agents, jobs never delivered, queue rebuild after a restart, schedules.

mod common;

use common::*;
use serde_json::{Value, json};

fn ts(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a timestamp: {v}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn templates_render_safely_preview_and_judge_by_criteria() {
    let hub = Hub::start().await;
    let _a = hub.agent_with("t-db-01", "staging", &["database"], 2);
    let _b = hub.agent_with("t-web-01", "staging", &["nginx"], 2);
    let token = hub.login().await;
    wait_idle(&hub, &token, &["t-db-01", "t-web-01"]).await;
    let marker = hub.dir.path().join("pwned");

    let (status, t) = hub
        .post(
            "/api/v1/actions",
            Some(&token),
            json!({"name": "Echo", "category": "database", "action_type": "validation",
                   "parameters": {"word": {"type": "string", "required": true},
                                  "count": {"type": "integer", "min": 1, "max": 5, "default": 1},
                                  "password": {"type": "secret", "required": false}},
                   "command_template": "echo {word} {count}; echo token={password}",
                   "success_criteria": {"exit_code": 0, "output_not_contains": ["FORBIDDEN"]},
                   "applicable_server_tags": ["database"]}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let tid = t["id"].as_str().unwrap();

    // Bad parameters: 422 naming the parameter and the rule.
    let (status, body) = hub
        .post("/api/v1/executions", Some(&token), json!({"action_template_id": tid, "parameters": {"word": "x", "count": 9}, "target_servers": ["t-db-01"]}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("parameters.count"),
        "{body}"
    );

    // Preview: the exact command, secrets masked, and the server without the tag skipped.
    let injection = format!(
        "$(touch {}); `touch {}` ; rm -rf /nonexistent",
        marker.display(),
        marker.display()
    );
    let req = json!({"action_template_id": tid, "parameters": {"word": injection, "password": "s3cret-value"}, "target_servers": ["t-db-01", "t-web-01"]});
    let (status, preview) = hub
        .post("/api/v1/executions/preview", Some(&token), req.clone())
        .await;
    assert_eq!(status, 200, "{preview}");
    let servers = preview["servers"].as_array().unwrap();
    let db = servers
        .iter()
        .find(|s| s["server_id"] == "t-db-01")
        .unwrap();
    let web = servers
        .iter()
        .find(|s| s["server_id"] == "t-web-01")
        .unwrap();
    // The command refers to the values; they travel as its environment (secret masked).
    assert_eq!(
        db["command"],
        "echo \"${GREENROOM_PARAM_word}\" \"${GREENROOM_PARAM_count}\"; echo token=\"${GREENROOM_PARAM_password}\"",
        "{db}"
    );
    assert_eq!(
        db["command_environment"]["GREENROOM_PARAM_count"], "1",
        "{db}"
    );
    assert_eq!(
        db["command_environment"]["GREENROOM_PARAM_password"], "***",
        "{db}"
    );
    assert!(
        !preview.to_string().contains("s3cret-value"),
        "secret leaked in preview: {preview}"
    );
    assert_eq!(web["skipped"], true, "{web}");
    assert!(
        web["reason"].as_str().unwrap().contains("database"),
        "{web}"
    );

    // Running it: the injection is printed, never executed; the secret never shows in the API.
    let id = start_execution(&hub, &token, req).await;
    let done = wait_final(&hub, &token, &id, 30).await;
    assert_eq!(done["status"]["overall"], "completed", "{done}");
    let details = done["results"]["details"].as_array().unwrap();
    let db = details
        .iter()
        .find(|d| d["server_id"] == "t-db-01")
        .unwrap();
    assert_eq!(db["status"], "success", "{db}");
    assert!(
        db["output"].as_str().unwrap().starts_with("$(touch "),
        "{db}"
    );
    assert!(!marker.exists(), "a parameter value ran as a command");
    assert_eq!(
        details
            .iter()
            .find(|d| d["server_id"] == "t-web-01")
            .unwrap()["status"],
        "skipped"
    );
    assert_eq!(done["parameters"]["password"], "***", "{done}");
    assert!(db["output"].as_str().unwrap().contains("token=***"), "{db}");
    let logs = hub
        .get(&format!("/api/v1/executions/{id}/logs"), Some(&token))
        .await
        .1;
    let audit = hub.get("/api/v1/audit?page_size=100", Some(&token)).await.1;
    for (what, v) in [("execution", &done), ("logs", &logs), ("audit", &audit)] {
        assert!(
            !v.to_string().contains("s3cret-value"),
            "secret in {what}: {v}"
        );
    }
    let log_file = std::fs::read_to_string(logs["storage_path"].as_str().unwrap()).unwrap();
    assert!(
        log_file.contains("token=***") && !log_file.contains("s3cret-value"),
        "{log_file}"
    );
    assert_eq!(done["template_version"], "1.0.0");

    // Criteria: a clean exit whose output contains a forbidden word fails.
    let id = start_execution(&hub, &token, json!({"action_template_id": tid, "parameters": {"word": "FORBIDDEN"}, "target_servers": ["t-db-01"]})).await;
    let done = wait_final(&hub, &token, &id, 30).await;
    assert_eq!(done["results"]["details"][0]["status"], "failed", "{done}");
    assert!(
        done["results"]["details"][0]["error"]
            .as_str()
            .unwrap()
            .contains("FORBIDDEN"),
        "{done}"
    );

    // Editing the template bumps its version; history keeps what ran.
    let mut edited = t.clone();
    for k in ["id", "metadata"] {
        edited.as_object_mut().unwrap().remove(k);
    }
    edited["command_template"] = json!("echo v2 {word} {count} {password}");
    let (status, t2) = hub
        .client
        .put(format!("{}/api/v1/actions/{tid}", hub.http))
        .bearer_auth(&token)
        .json(&edited)
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 200);
    let t2: Value = t2.json().await.unwrap();
    assert_eq!(t2["version"], "1.0.1", "{t2}");
    let old = hub
        .get(&format!("/api/v1/executions/{id}"), Some(&token))
        .await
        .1;
    assert_eq!(old["template_version"], "1.0.0", "{old}");
    let (_, v) = hub
        .get(&format!("/api/v1/actions/{tid}/validate"), Some(&token))
        .await;
    assert_eq!(v["valid"], true, "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_and_timeouts() {
    let hub = Hub::start().await;
    let _a = hub.agent("r-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["r-01"]).await;
    let mark = hub.dir.path().join("second-try");
    let cmd = format!(
        "test -f {m} && echo recovered || {{ touch {m}; echo first >&2; exit 3; }}",
        m = mark.display()
    );
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": cmd}, "target_servers": ["r-01"], "retry_count": 2, "retry_delay_seconds": 0})).await;
    let done = wait_final(&hub, &token, &id, 30).await;
    let d = &done["results"]["details"][0];
    assert_eq!(
        (d["status"].as_str(), d["attempt"].as_u64()),
        (Some("success"), Some(2)),
        "{done}"
    );
    assert!(d["output"].as_str().unwrap().contains("recovered"));

    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "sleep 30", "timeout": 1}, "target_servers": ["r-01"]})).await;
    let done = wait_final(&hub, &token, &id, 30).await;
    assert_eq!(done["results"]["details"][0]["status"], "timeout", "{done}");
    assert_eq!(done["status"]["overall"], "failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_control_caps_concurrency_and_stops_at_the_error_threshold() {
    let hub = Hub::start().await;
    let ids = ["rc-01", "rc-02", "rc-03", "rc-04"];
    let _agents: Vec<Agent> = ids.iter().map(|id| hub.agent(id, "uat")).collect();
    let token = hub.login().await;
    wait_idle(&hub, &token, &ids).await;

    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "sleep 0.4"}, "target_servers": ids, "max_concurrency": "50%"})).await;
    let done = wait_final(&hub, &token, &id, 60).await;
    assert_eq!(done["status"]["overall"], "completed", "{done}");
    assert_eq!(done["rate_control"]["resolved_max_concurrency"], 2);
    // Never more than 2 at once, from the recorded start and finish times.
    let spans: Vec<_> = done["results"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (ts(&d["started_at"]), ts(&d["finished_at"])))
        .collect();
    for (s, _) in &spans {
        let running = spans.iter().filter(|(a, b)| a <= s && s < b).count();
        assert!(running <= 2, "{running} running at {s}: {spans:?}");
    }

    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "exit 1"}, "target_servers": ids, "max_concurrency": 1, "error_threshold": 2})).await;
    let done = wait_final(&hub, &token, &id, 60).await;
    let states: Vec<&str> = done["results"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == "failed").count(),
        2,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == "skipped").count(),
        2,
        "{states:?}"
    );
    assert!(
        done["skipped_reason"]
            .as_str()
            .unwrap()
            .contains("error threshold"),
        "{done}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn priority_orders_the_queue_and_cancel_stops_running_jobs() {
    let hub = Hub::start().await;
    let _a = hub.agent_with("p-01", "dev", &["e2e"], 1);
    let _b = hub.agent_with("p-02", "dev", &["e2e"], 1);
    let token = hub.login().await;
    wait_idle(&hub, &token, &["p-01", "p-02"]).await;

    // Occupy the single slot, then queue low before high: high must start first.
    let blocker = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "sleep 1"}, "target_servers": ["p-01"]})).await;
    let low = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["p-01"], "priority": "low"})).await;
    let high = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["p-01"], "priority": "high"})).await;
    wait_final(&hub, &token, &blocker, 30).await;
    let low = wait_final(&hub, &token, &low, 30).await;
    let high = wait_final(&hub, &token, &high, 30).await;
    assert!(
        ts(&high["results"]["details"][0]["started_at"])
            <= ts(&low["results"]["details"][0]["started_at"]),
        "high {high} low {low}"
    );

    // Cancel: the running jobs are killed on their agents and reported cancelled.
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "sleep 60"}, "target_servers": ["p-01", "p-02"]})).await;
    hub.wait_for(&format!("/api/v1/executions/{id}"), &token, 30, |v| {
        v["status"]["per_server"]
            .as_object()
            .unwrap()
            .values()
            .all(|s| s["status"] == "running" || s["status"] == "leased")
    })
    .await;
    let resp = hub
        .client
        .delete(format!("{}/api/v1/executions/{id}", hub.http))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let done = wait_final(&hub, &token, &id, 20).await;
    assert_eq!(done["status"]["overall"], "cancelled", "{done}");
    for d in done["results"]["details"].as_array().unwrap() {
        assert_eq!(d["status"], "cancelled", "{d}");
    }
    assert_eq!(done["cancelled_by"], ADMIN);
}

#[tokio::test(flavor = "multi_thread")]
async fn locks_make_jobs_wait_and_fence_stale_results() {
    let hub = Hub::start_with("heartbeat_interval: 1\n  offline_after_seconds: 10\n  lease_seconds: 20\n  lock_ttl_seconds: 2").await;
    let _a = hub.agent("l-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["l-01"]).await;

    let (status, lock) = hub
        .post(
            "/api/v1/locks",
            Some(&token),
            json!({"server_id": "l-01", "reason": "patching", "ttl_minutes": 5}),
        )
        .await;
    assert_eq!(status, 201, "{lock}");
    let (status, _) = hub
        .post(
            "/api/v1/locks",
            Some(&token),
            json!({"server_id": "l-01", "reason": "again"}),
        )
        .await;
    assert_eq!(status, 409, "a locked server cannot be locked twice");
    let metrics = hub.text("/metrics", None).await;
    assert!(
        metrics.contains("greenroom_lock_events_total{event=\"contended\"} 1"),
        "contention counted: {metrics}"
    );

    // Another user's execution waits for the admin's lock, whether or not it asks for one.
    hub.add_user("op@example.com", "operator", "default");
    let op = hub.login_as("op@example.com").await;
    let id = start_execution(&hub, &op, json!({"action": {"type": "shell_command", "command": "echo locked-run"}, "target_servers": ["l-01"], "requires_lock": true})).await;
    let plain = start_execution(&hub, &op, json!({"action": {"type": "shell_command", "command": "echo plain-run"}, "target_servers": ["l-01"]})).await;
    // The lock's owner's own execution runs meanwhile.
    let own = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "echo owners-run"}, "target_servers": ["l-01"]})).await;
    let owners = wait_final(&hub, &token, &own, 30).await;
    assert_eq!(owners["status"]["overall"], "completed", "{owners}");
    for waiting_id in [&id, &plain] {
        let waiting = hub
            .get(&format!("/api/v1/executions/{waiting_id}"), Some(&token))
            .await
            .1;
        assert_eq!(
            waiting["status"]["overall"], "pending",
            "ran on a server locked by someone else: {waiting}"
        );
    }
    let lock_id = lock["lock_id"].as_str().unwrap();
    let (status, _) = hub
        .post(
            &format!("/api/v1/locks/{lock_id}/force-release"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let done = wait_final(&hub, &token, &id, 30).await;
    assert_eq!(done["status"]["overall"], "completed", "{done}");
    let done = wait_final(&hub, &token, &plain, 30).await;
    assert_eq!(done["status"]["overall"], "completed", "{done}");

    // A job whose 2 s lock runs out (3 renewals at most) while it runs, and whose server is
    // then locked by someone else: its late result is refused.
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "sleep 12"}, "target_servers": ["l-01"], "requires_lock": true})).await;
    let locks = hub
        .wait_for("/api/v1/locks?active=false", &token, 30, |v| {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["locked_by"]["execution_id"] == id.as_str() && l["status"] == "expired")
        })
        .await;
    assert!(
        locks["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["timing"]["current_extensions"].as_u64().unwrap() > 0),
        "{locks}"
    );
    let (status, _) = hub
        .post(
            "/api/v1/locks",
            Some(&token),
            json!({"server_id": "l-01", "reason": "emergency", "lock_type": "emergency"}),
        )
        .await;
    assert_eq!(status, 201);
    let done = wait_final(&hub, &token, &id, 30).await;
    let d = &done["results"]["details"][0];
    assert_eq!(d["status"], "failed", "{done}");
    assert!(
        d["error"].as_str().unwrap().contains("fencing token"),
        "{d}"
    );
    let audit = hub.get("/api/v1/audit?page_size=200", Some(&token)).await.1;
    for event in [
        "lock_acquired",
        "lock_force_released",
        "lock_expired",
        "result_fenced",
    ] {
        assert!(
            audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["event_type"] == event),
            "{event} not audited"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vanished_agent_is_marked_unreachable_and_its_job_settled() {
    let hub =
        Hub::start_with("heartbeat_interval: 1\n  offline_after_seconds: 3\n  lease_seconds: 5")
            .await;
    let mut agent = hub.agent("u-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["u-01"]).await;
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "sleep 60"}, "target_servers": ["u-01"]})).await;
    hub.wait_for(&format!("/api/v1/executions/{id}"), &token, 30, |v| {
        v["status"]["per_server"]["u-01"]["status"] == "running"
    })
    .await;
    agent.kill();
    hub.wait_for("/api/v1/servers/u-01", &token, 30, |v| {
        v["status"]["current"] == "unreachable"
    })
    .await;
    let done = wait_final(&hub, &token, &id, 30).await;
    assert_eq!(
        done["results"]["details"][0]["status"], "unreachable",
        "{done}"
    );
    // The lost job counts against the agent's circuit breaker (it opens at 3 in a row).
    let health = hub.get("/api/v1/servers/u-01/health", Some(&token)).await.1;
    assert_eq!(health["circuit"]["consecutive_failures"], 1, "{health}");
    assert!(health["circuit"]["open_until"].is_null(), "{health}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_no_agent_takes_ends_unreachable_as_does_a_deregistered_servers() {
    let hub = Hub::start_with(
        "heartbeat_interval: 1\n  offline_after_seconds: 3\n  lease_seconds: 5\n  delivery_timeout_seconds: 4",
    )
    .await;
    let mut gone = hub.agent("v-01", "dev");
    let mut removed = hub.agent("v-02", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["v-01", "v-02"]).await;
    gone.kill();
    removed.kill();
    // v-01's agent never returns: its job waits the delivery timeout, then ends.
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "echo never"}, "target_servers": ["v-01"]})).await;
    let done = wait_final(&hub, &token, &id, 30).await;
    assert_eq!(done["status"]["overall"], "failed", "{done}");
    let d = &done["results"]["details"][0];
    assert_eq!(d["status"], "unreachable", "{done}");
    assert!(
        d["error"]
            .as_str()
            .unwrap()
            .contains("delivery_timeout_seconds"),
        "{d}"
    );
    // v-02 is deregistered with a job queued for it: the job ends with the deletion.
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "echo never"}, "target_servers": ["v-02"]})).await;
    let (status, body) = hub
        .request("DELETE", "/api/v1/servers/v-02", Some(&token), Value::Null)
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let (_, done) = hub
        .get(&format!("/api/v1/executions/{id}"), Some(&token))
        .await;
    assert_eq!(done["status"]["overall"], "failed", "{done}");
    let d = &done["results"]["details"][0];
    assert_eq!(d["status"], "unreachable", "{done}");
    assert!(d["error"].as_str().unwrap().contains("deregistered"), "{d}");
    let audit = hub.get("/api/v1/audit?page_size=50", Some(&token)).await.1;
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "server_deregistered")
        .expect("the deregistration is audited");
    assert_eq!(entry["details"]["pending_jobs_ended"], 1, "{entry}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_queue_survives_a_hub_restart() {
    let (http, agents) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config_with(
        dir.path(),
        FAST,
        &format!("127.0.0.1:{http}"),
        &format!("127.0.0.1:{agents}"),
        "",
    );
    let hub = Hub::start_in(dir, cfg).await;
    let mut agent = hub.agent("q-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["q-01"]).await;
    agent.kill();
    // Queued while its agent is away, then the hub restarts.
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "echo after-restart"}, "target_servers": ["q-01"], "priority": "high"})).await;
    let (dir, cfg) = hub.stop();
    let hub = Hub::start_in(dir, cfg).await;
    let token = hub.login().await;
    assert_eq!(
        hub.get(&format!("/api/v1/executions/{id}"), Some(&token))
            .await
            .1["status"]["overall"],
        "pending"
    );
    agent.respawn();
    let done = wait_final(&hub, &token, &id, 30).await;
    assert!(
        done["results"]["details"][0]["output"]
            .as_str()
            .unwrap()
            .contains("after-restart"),
        "{done}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_fires_and_records_its_runs() {
    let hub = Hub::start().await;
    let _a = hub.agent("s-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["s-01"]).await;
    let (status, bad) = hub
        .post("/api/v1/schedules", Some(&token), json!({"name": "bad", "trigger": {"type": "cron", "expression": "every tuesday"}, "execution": {}}))
        .await;
    assert_eq!(status, 422, "{bad}");
    let (status, s) = hub
        .post(
            "/api/v1/schedules",
            Some(&token),
            json!({"name": "every second", "trigger": {"type": "cron", "expression": "* * * * * *"},
                   "execution": {"action": {"type": "shell_command", "command": "echo tick"}, "target_servers": ["s-01"]}}),
        )
        .await;
    assert_eq!(status, 201, "{s}");
    let sid = s["id"].as_str().unwrap();
    let history = hub
        .wait_for(
            "/api/v1/executions/history?status=completed",
            &token,
            30,
            |v| {
                v["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["execution_type"] == "scheduled" && e["schedule_id"] == sid)
            },
        )
        .await;
    assert!(history["total"].as_u64().unwrap() >= 1);
    let resp = hub
        .client
        .delete(format!("{}/api/v1/schedules/{sid}", hub.http))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    // Each fired occurrence is recorded once, with its execution.
    let runs_fired = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["schedule_id"] == sid)
        .count();
    assert!(runs_fired >= 1);
}
