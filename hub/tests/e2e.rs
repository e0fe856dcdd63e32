//! End to end: the real hub and real agents over mTLS on 127.0.0.1.

mod common;

use common::*;
use serde_json::{Value, json};

fn ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["server_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn three_agents_run_an_execution_end_to_end() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub = Hub::start().await;
    let agents = [
        hub.agent("e2e-dev-01", "dev"),
        hub.agent("e2e-staging-02", "staging"),
        hub.agent("e2e-uat-03", "uat"),
    ];
    let token = hub.login().await;

    let servers = hub
        .wait_for("/api/v1/servers?tag=e2e", &token, 30, |v| {
            v["total"] == 3
                && v["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| s["status"]["current"] == "idle")
        })
        .await;
    assert_eq!(
        ids(&servers),
        ["e2e-dev-01", "e2e-staging-02", "e2e-uat-03"]
    );
    let s = &servers["items"][0];
    assert!(
        s["status"]["memory_usage_percent"].as_f64().unwrap() > 0.0,
        "real metrics expected: {s}"
    );
    assert!(s["status"]["uptime_seconds"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(servers["page"], 1);
    let staging = hub
        .get("/api/v1/servers?environment=staging", Some(&token))
        .await
        .1;
    assert_eq!(ids(&staging), ["e2e-staging-02"]);

    let targets: Vec<String> = agents.iter().map(|a| a.server_id.clone()).collect();
    let (status, body) = hub
        .post(
            "/api/v1/executions",
            Some(&token),
            json!({"action": {"type": "shell_command", "command": "echo hello; echo oops >&2", "timeout": 30}, "target_servers": targets}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["execution_id"].as_str().unwrap().to_string();
    let done = hub
        .wait_for(&format!("/api/v1/executions/{id}"), &token, 30, |v| {
            v["status"]["overall"] == "completed"
        })
        .await;
    assert_eq!(done["results"]["success_count"], 3, "{done}");
    assert_eq!(done["results"]["total_count"], 3);
    for d in done["results"]["details"].as_array().unwrap() {
        assert_eq!(d["status"], "success");
        assert_eq!(d["exit_code"], 0);
        assert!(d["output"].as_str().unwrap().contains("hello"), "{d}");
        assert!(d["error_output"].as_str().unwrap().contains("oops"), "{d}");
        assert!(d["execution_time"].as_f64().unwrap() >= 0.0);
    }
    for t in &targets {
        assert_eq!(done["status"]["per_server"][t]["progress"], 100, "{done}");
    }
    let logs = hub
        .get(&format!("/api/v1/executions/{id}/logs"), Some(&token))
        .await
        .1;
    let lines = logs["entries"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l["data"].as_str().unwrap().contains("hello") && l["stream"] == "stdout"),
        "{logs}"
    );

    // A failing command fails its execution, with the exit code recorded.
    let (_, body) = hub
        .post("/api/v1/executions", Some(&token), json!({"action": {"type": "shell_command", "command": "exit 7"}, "target_servers": [targets[0]]}))
        .await;
    let id = body["execution_id"].as_str().unwrap();
    let failed = hub
        .wait_for(&format!("/api/v1/executions/{id}"), &token, 30, |v| {
            v["status"]["overall"] == "failed"
        })
        .await;
    assert_eq!(failed["results"]["details"][0]["exit_code"], 7, "{failed}");
    assert_eq!(failed["results"]["failure_count"], 1);

    // GraphQL sees the same servers and executions.
    let (status, gql) = hub
        .post(
            "/graphql",
            Some(&token),
            json!({"query": "{ me { email role } servers(filter: {tag: \"e2e\"}) { total items { serverId status { current } } } executions { total } }"}),
        )
        .await;
    assert_eq!(status, 200, "{gql}");
    assert_eq!(gql["data"]["me"]["role"], "ADMIN", "{gql}");
    assert_eq!(gql["data"]["servers"]["total"], 3, "{gql}");
    assert_eq!(gql["data"]["executions"]["total"], 2, "{gql}");

    // A template with parameters renders per the template, quoted.
    let (status, t) = hub
        .post(
            "/api/v1/actions",
            Some(&token),
            json!({"name": "Say", "category": "system", "action_type": "execution",
                   "parameters": {"word": {"type": "string", "required": true, "validation": "^[a-z ;']+$"}},
                   "command_template": "echo {word}", "success_criteria": {"output_contains": ["hi; rm"]}}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let (status, body) = hub
        .post(
            "/api/v1/executions",
            Some(&token),
            json!({"action_template_id": t["id"], "parameters": {"word": "hi; rm"}, "target_servers": [targets[1]]}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let id = body["execution_id"].as_str().unwrap();
    let done = hub
        .wait_for(&format!("/api/v1/executions/{id}"), &token, 30, |v| {
            v["status"]["overall"] == "completed"
        })
        .await;
    assert_eq!(
        done["results"]["details"][0]["output"]
            .as_str()
            .unwrap()
            .trim(),
        "hi; rm",
        "{done}"
    );
    drop(agents);
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_without_a_valid_certificate_are_refused() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub = Hub::start().await;
    let ca = std::fs::read_to_string(hub.ca_path()).unwrap();
    let url = format!("https://127.0.0.1:{}/agent/v1/heartbeat", hub.agent_port);
    let hb = json!({"protocol_version": 1, "facts": {}, "metrics": {}, "running_jobs": []});

    // No client certificate: the request is refused, saying why.
    let anon = agent_client(greenroom_pki::agent_client_config(&ca, None).unwrap());
    let resp = anon.post(&url).json(&hb).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["error"]["code"], "client_certificate_required",
        "{body}"
    );

    // A certificate from another CA: the handshake itself fails.
    let other = tempfile::tempdir().unwrap();
    let rogue_ca = greenroom_pki::CertificateAuthority::load_or_create(other.path()).unwrap();
    let (key, csr) = greenroom_pki::generate_agent_key_and_csr("e2e-dev-01").unwrap();
    let cert = rogue_ca.sign_agent_csr(&csr, "e2e-dev-01", 1).unwrap();
    let rogue = agent_client(
        greenroom_pki::agent_client_config(&ca, Some((&cert.certificate_pem, &key))).unwrap(),
    );
    assert!(
        rogue.post(&url).json(&hb).send().await.is_err(),
        "a foreign certificate must not get through"
    );

    // A certificate from the hub's CA for a server the hub does not know (or that was
    // replaced) is refused at the first request.
    let dir = tempfile::tempdir().unwrap();
    let own_ca =
        greenroom_pki::CertificateAuthority::load_or_create(&hub.dir.path().join("pki")).unwrap();
    let (key, csr) = greenroom_pki::generate_agent_key_and_csr("ghost-01").unwrap();
    let cert = own_ca.sign_agent_csr(&csr, "ghost-01", 1).unwrap();
    drop(dir);
    let ghost = agent_client(
        greenroom_pki::agent_client_config(&ca, Some((&cert.certificate_pem, &key))).unwrap(),
    );
    let resp = ghost.post(&url).json(&hb).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_agent", "{body}");

    // Enrollment with a bogus token is refused.
    let (_, csr) = greenroom_pki::generate_agent_key_and_csr("new-01").unwrap();
    let resp = anon
        .post(format!("https://127.0.0.1:{}/agent/v1/enroll", hub.agent_port))
        .json(&json!({"protocol_version": 1, "token": "nope", "server_id": "new-01", "csr_pem": csr, "facts": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_enrollment_token", "{body}");
    assert!(
        hub.log().contains("agent request refused"),
        "refusals are logged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_one_clear_error() {
    let hub = Hub::start().await;
    let (status, body) = hub
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": ADMIN, "password": "wrong"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthenticated")),
        "{body}"
    );
    let (status, body) = hub.get("/api/v1/servers", None).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = hub
        .post("/graphql", None, json!({"query": "{ me { email } }"}))
        .await;
    assert_eq!(status, 401);
    let (status, _) = hub.get("/api/v1/servers", Some("not-a-token")).await;
    assert_eq!(status, 401);

    let token = hub.login().await;
    let (status, body) = hub
        .post("/api/v1/executions", Some(&token), json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["nope-1"]}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nope-1"),
        "{body}"
    );
    let (status, body) = hub
        .post(
            "/api/v1/executions",
            Some(&token),
            json!({"action": {"type": "reboot_everything"}, "target_servers": ["x"]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = hub.get("/api/v1/servers?page=0", Some(&token)).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = hub.get("/api/v1/servers?status=sleepy", Some(&token)).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = hub
        .get("/api/v1/executions/exec_missing", Some(&token))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let resp = hub
        .client
        .post(format!("{}/api/v1/servers", hub.http))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("request body"),
        "{body}"
    );
    let (status, body) = hub
        .post(
            "/api/v1/servers",
            Some(&token),
            json!({"server_id": "a b", "environment": "prod"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("server_id") && msg.contains("environment"),
        "every problem at once: {msg}"
    );

    // Health, readiness and metrics need no token.
    assert_eq!(hub.get("/healthz", None).await.0, 200);
    assert_eq!(hub.get("/readyz", None).await.0, 200);
    let metrics = hub.text("/metrics", None).await;
    assert!(
        metrics.contains("greenroom_http_requests_total"),
        "{metrics}"
    );
}

#[test]
fn a_bad_config_file_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("heartbeat_interval: 2", "heartbeat_interval: often");
    std::fs::write(&cfg, text).unwrap();
    let out = std::process::Command::new(hub_bin())
        .args(["serve", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("execution.heartbeat_interval"), "{err}");
}

#[test]
fn the_checked_in_schema_is_current() {
    let out = std::process::Command::new(hub_bin())
        .arg("schema")
        .output()
        .unwrap();
    let current = String::from_utf8(out.stdout).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let checked_in = std::fs::read_to_string(&path).unwrap();
    assert!(
        current == checked_in,
        "schema.graphql is stale: run `greenroom-hub schema > schema.graphql` (make schema)"
    );
}

#[test]
fn the_packaged_hub_config_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../packaging/hub/backend_config.yaml");
    run_ok(
        std::process::Command::new(hub_bin())
            .arg("check-config")
            .arg(&path)
            .env("JWT_SECRET", "p".repeat(40)),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn enrollment_tokens_last_as_configured_unless_asked_otherwise() {
    let hub = Hub::start_secured("  enrollment_token_hours: 5\n").await;
    let admin = hub.login().await;
    let (status, rest) = hub
        .post("/api/v1/enrollment-tokens", Some(&admin), json!({}))
        .await;
    assert_eq!(status, 201, "{rest}");
    assert_eq!(rest["expires_in_hours"], 5, "{rest}");
    let gql = |q: &'static str| hub.post("/graphql", Some(&admin), json!({ "query": q }));
    let (_, body) =
        gql("mutation { createEnrollmentToken { enrollmentToken { expiresInHours } } }").await;
    assert_eq!(
        body["data"]["createEnrollmentToken"]["enrollmentToken"]["expiresInHours"], 5,
        "{body}"
    );
    let (_, body) = gql(
        "mutation { createEnrollmentToken(ttlHours: 2) { enrollmentToken { expiresInHours } } }",
    )
    .await;
    assert_eq!(
        body["data"]["createEnrollmentToken"]["enrollmentToken"]["expiresInHours"], 2,
        "{body}"
    );
    let (_, body) =
        gql("mutation { createEnrollmentToken(ttlHours: 721) { enrollmentToken { token } userErrors { field code message } } }").await;
    // A bad value is the caller's to fix: a user error naming the argument, no token.
    let payload = &body["data"]["createEnrollmentToken"];
    assert!(payload["enrollmentToken"].is_null(), "{body}");
    assert_eq!(payload["userErrors"][0]["code"], "INVALID_INPUT", "{body}");
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("ttlHours"),
        "{body}"
    );
}

/// Agent requests a hub got on `endpoint` (every status), from its Prometheus text.
fn requests_on(metrics: &str, endpoint: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("greenroom_agent_requests_total{")
                && l.contains(&format!("endpoint=\"{endpoint}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A lease poll's answer as JSON.
async fn poll(client: &reqwest::Client, url: String, body: &Value) -> Value {
    client
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// An idle agent's heartbeats ride on its lease poll: one request per interval, not two. The
/// heartbeat is recorded as one sent on its own would be; one the hub cannot read refuses
/// the poll before anything is recorded or leased.
#[tokio::test(flavor = "multi_thread")]
async fn heartbeats_ride_on_the_lease_poll() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub = Hub::start().await; // execution.heartbeat_interval: 2
    let mut agent = hub.agent("ride-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["ride-01"]).await;

    // The real agent: heartbeats keep coming (every 2 s), on their own only at first.
    let before = hub.text("/metrics", None).await;
    let beats = metric(&before, "greenroom_agent_heartbeats_total");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let after = loop {
        let m = hub.text("/metrics", None).await;
        if metric(&m, "greenroom_agent_heartbeats_total") >= beats + 4.0 {
            break m;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "heartbeats stopped coming: {m}\n{}",
            agent.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(
        requests_on(&after, "/agent/v1/heartbeat"),
        requests_on(&before, "/agent/v1/heartbeat"),
        "the heartbeats came on the lease poll, not on their own: {}",
        agent.log()
    );
    assert!(
        requests_on(&before, "/agent/v1/heartbeat") >= 1.0,
        "the first went on its own: {before}"
    );
    assert!(
        requests_on(&after, "/agent/v1/lease") >= requests_on(&before, "/agent/v1/lease") + 4.0,
        "the polls carried them: {after}"
    );
    assert!(
        !agent.log().contains("sending heartbeats on their own"),
        "{}",
        agent.log()
    );
    agent.kill();

    // The protocol itself, with the agent's certificate.
    let read = |f: &str| std::fs::read_to_string(agent.state.join(f)).unwrap();
    let ca = std::fs::read_to_string(hub.ca_path()).unwrap();
    let as_agent = agent_client(
        greenroom_pki::agent_client_config(&ca, Some((&read("agent.crt"), &read("agent.key"))))
            .unwrap(),
    );
    let lease = |q: &str| {
        format!(
            "https://127.0.0.1:{}/agent/v1/lease?wait=0s&capacity=1{q}",
            hub.agent_port
        )
    };
    let hb = json!({"protocol_version": 1, "facts": {"hostname": "ride-host", "environment": "dev"},
                    "metrics": {"cpu_percent": 42.5, "uptime_seconds": 77}, "running_jobs": []});
    let resp = as_agent
        .post(lease("&heartbeat=true"))
        .json(&hb)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["job"], Value::Null, "{answer}");
    assert_eq!(answer["heartbeat"]["heartbeat_interval"], 2, "{answer}");
    assert!(
        answer["heartbeat"]["trust_bundle_sha256"].is_string(),
        "{answer}"
    );
    let health = hub
        .get("/api/v1/servers/ride-01/health", Some(&token))
        .await
        .1;
    assert_eq!(health["status"]["cpu_percent"], 42.5, "{health}");
    assert_eq!(health["status"]["uptime_seconds"], 77, "{health}");

    // A poll without `heartbeat=true` records nothing from its body and answers no heartbeat.
    let other = json!({"protocol_version": 1, "facts": {}, "metrics": {"cpu_percent": 1.0}});
    let answer = poll(&as_agent, lease(""), &other).await;
    assert!(answer.get("heartbeat").is_none(), "{answer}");

    // A heartbeat the hub cannot read: one clear error naming it, and nothing recorded or
    // leased (the job queued meanwhile stays for the next poll).
    let id = start_execution(
        &hub,
        &token,
        json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["ride-01"]}),
    )
    .await;
    for bad in [
        r#"{"protocol_version": 1, "facts": 5, "metrics": {}}"#,
        r#"{"metrics": {"cpu_percent": 3.0}}"#,
        r#""not a heartbeat""#,
        "{",
        "",
    ] {
        let resp = as_agent
            .post(lease("&heartbeat=true"))
            .header("content-type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, 422, "{bad}: {body}");
        let msg = body["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains("heartbeat"), "{bad}: {body}");
    }
    let health = hub
        .get("/api/v1/servers/ride-01/health", Some(&token))
        .await
        .1;
    assert_eq!(health["status"]["cpu_percent"], 42.5, "{health}");
    let exec = hub
        .get(&format!("/api/v1/executions/{id}"), Some(&token))
        .await
        .1;
    assert_eq!(exec["results"]["details"][0]["status"], "pending", "{exec}");
    // The next good poll gets the job, with its heartbeat recorded.
    let answer = poll(&as_agent, lease("&heartbeat=true"), &hb).await;
    assert!(answer["job"]["job_id"].is_string(), "{answer}");
    assert_eq!(answer["heartbeat"]["heartbeat_interval"], 2, "{answer}");
}
