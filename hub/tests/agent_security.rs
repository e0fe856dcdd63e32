//! Security where agents and stored data are involved, against the real hub and real agents:
//! revoked and impersonating agents, secrets kept out of every output, a tampered audit log
//! detected, the compliance report as a PDF, and user agents in the audit trail.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn revoked_and_impersonating_agents_are_refused() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub = Hub::start().await;
    let mut x = hub.agent("imp-x", "dev");
    let _y = hub.agent("imp-y", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["imp-x", "imp-y"]).await;

    // X's certificate reporting a result for Y's job.
    let id = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "sleep 5"}, "target_servers": ["imp-y"]})).await;
    let job = hub
        .wait_for(&format!("/api/v1/executions/{id}"), &token, 30, |v| {
            v["results"]["details"][0]["status"] != "pending"
        })
        .await["results"]["details"][0]["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    let read = |f: &str| std::fs::read_to_string(x.state.join(f)).unwrap();
    let ca = std::fs::read_to_string(hub.ca_path()).unwrap();
    let as_x = agent_client(
        greenroom_pki::agent_client_config(&ca, Some((&read("agent.crt"), &read("agent.key"))))
            .unwrap(),
    );
    let forged = json!({"status": "success", "exit_code": 0, "output": "forged", "error_output": "", "execution_time": 0.1,
                        "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z"});
    let resp = as_x
        .post(format!(
            "https://127.0.0.1:{}/agent/v1/jobs/{job}/result",
            hub.agent_port
        ))
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let done = wait_final(&hub, &token, &id, 30).await;
    assert_ne!(done["results"]["details"][0]["output"], "forged", "{done}");

    // Revoking X: its next request is refused, and the agent stops with status 3.
    let (status, _) = hub
        .post("/api/v1/servers/imp-x/revoke", Some(&token), json!({}))
        .await;
    assert_eq!(status, 200);
    let hb = json!({"protocol_version": 1, "facts": {}, "metrics": {}});
    let resp = as_x
        .post(format!(
            "https://127.0.0.1:{}/agent/v1/heartbeat",
            hub.agent_port
        ))
        .json(&hb)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "certificate_revoked"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let code = loop {
        if let Some(s) = x.proc.as_mut().unwrap().0.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the revoked agent kept running: {}",
            x.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(code, Some(3), "{}", x.log());
    let audit = hub.get("/api/v1/audit?page_size=500", Some(&token)).await.1;
    for event in [
        "agent_impersonation_refused",
        "agent_revoked",
        "agent_enrolled",
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
    x.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_strings_stay_secret_and_audit_tampering_is_detected() {
    let hub = Hub::start().await;
    let _a = hub.agent("sec-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["sec-01"]).await;
    let dsn = "postgresql://app:hunter2-secret@127.0.0.1:1/none";
    let req = json!({"action": {"type": "database_query", "connection_string": dsn, "query": "SELECT 1", "timeout": 2}, "target_servers": ["sec-01"]});
    let preview = hub
        .post("/api/v1/executions/preview", Some(&token), req.clone())
        .await
        .1;
    let id = start_execution(&hub, &token, req).await;
    let done = wait_final(&hub, &token, &id, 30).await;
    let logs = hub
        .get(&format!("/api/v1/executions/{id}/logs"), Some(&token))
        .await
        .1;
    let audit = hub.get("/api/v1/audit?page_size=500", Some(&token)).await.1;
    let report = hub.get("/api/v1/audit/report", Some(&token)).await.1;
    let (_, gql) = hub.post("/graphql", Some(&token), json!({"query": format!("{{ execution(executionId: \"{id}\") {{ action results {{ details {{ output errorOutput }} }} }} }}")})).await;
    for (what, v) in [
        ("preview", &preview),
        ("execution", &done),
        ("logs", &logs),
        ("audit", &audit),
        ("report", &report),
        ("graphql", &gql),
    ] {
        assert!(
            !v.to_string().contains("hunter2-secret"),
            "the password shows in {what}: {v}"
        );
    }
    assert!(
        done["action"]["connection_string"]
            .as_str()
            .unwrap()
            .contains("***"),
        "{done}"
    );

    let (_, v) = hub.get("/api/v1/audit/verify", Some(&token)).await;
    assert_eq!(v["intact"], true, "{v}");
    let chain_metric = || async {
        let text = hub.text("/metrics", None).await;
        text.lines()
            .find(|l| l.starts_with("greenroom_audit_chain_intact "))
            .map(str::to_string)
    };
    assert_eq!(
        chain_metric().await.as_deref(),
        Some("greenroom_audit_chain_intact 1")
    );
    // Someone with access to the database rewrites history.
    let seq = hub
        .tamper_audit("execution_started", "nothing_happened")
        .await;
    let (_, v) = hub.get("/api/v1/audit/verify", Some(&token)).await;
    assert_eq!(
        (v["intact"].as_bool(), v["first_broken_seq"].as_i64()),
        (Some(false), Some(seq)),
        "{v}"
    );
    // The alert rule's metric follows (the hub also re-checks on its own every 5 minutes).
    assert_eq!(
        chain_metric().await.as_deref(),
        Some("greenroom_audit_chain_intact 0")
    );
    let csv = hub
        .text("/api/v1/audit/report?format=csv", Some(&token))
        .await;
    assert!(
        csv.starts_with("seq,timestamp,event_type") && csv.contains("# audit chain intact: false"),
        "{csv}"
    );
    let (_, _, _, bytes) = fetch(&hub, "/api/v1/audit/report?format=pdf", Some(&token)).await;
    let pdf = pdf::parse(&bytes).unwrap();
    assert!(
        pdf.content
            .contains(&format!("(BROKEN: entry #{seq} is the first")),
        "no broken verdict in the PDF"
    );
    assert!(
        !pdf.content.contains("hunter2-secret"),
        "the password shows in the PDF"
    );
}

/// GET with an optional bearer token: status, content type, content disposition and body.
async fn fetch(hub: &Hub, path: &str, token: Option<&str>) -> (u16, String, String, Vec<u8>) {
    let mut req = hub.client.get(format!("{}{path}", hub.http));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let header = |h| {
        resp.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (ct, cd) = (header("content-type"), header("content-disposition"));
    let status = resp.status().as_u16();
    (status, ct, cd, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_compliance_report_comes_as_a_pdf_for_admins_only() {
    let hub = Hub::start().await;
    let admin = hub.login().await;
    let server = json!({"server_id": "pdf-01", "environment": "dev"});
    let (status, body) = hub.post("/api/v1/servers", Some(&admin), server).await;
    assert_eq!(status, 201, "{body}");
    let id = start_execution(&hub, &admin, json!({"action": {"type": "shell_command", "command": "true"}, "target_servers": ["pdf-01"]})).await;
    let viewer = json!({"email": "viewer@example.com", "password": PASSWORD, "role": "viewer"});
    let (status, body) = hub.post("/api/v1/users", Some(&admin), viewer).await;
    assert_eq!(status, 201, "{body}");
    let (_, body) = hub
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "viewer@example.com", "password": PASSWORD}),
        )
        .await;
    let viewer = body["access_token"].as_str().unwrap().to_string();

    let report = "/api/v1/audit/report?format=pdf";
    let (status, ct, cd, bytes) = fetch(&hub, report, Some(&admin)).await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    assert!(
        cd.starts_with("attachment; filename=\"greenroom-compliance-default-")
            && cd.ends_with(".pdf\""),
        "{cd}"
    );
    let pdf = pdf::parse(&bytes).unwrap_or_else(|e| panic!("not a valid PDF: {e}"));
    assert!(pdf.pages >= 1);
    for text in [
        format!("({id}) Tj"),
        format!("({ADMIN}) Tj"),
        "(intact: every entry's hash verifies) Tj".to_string(),
        format!("(Page {0} of {0}) Tj", pdf.pages),
    ] {
        assert!(pdf.content.contains(&text), "{text} not in the PDF");
    }

    assert_eq!(fetch(&hub, report, Some(&viewer)).await.0, 403);
    assert_eq!(fetch(&hub, report, None).await.0, 401);
    let (status, _, _, body) = fetch(&hub, "/api/v1/audit/report?format=docx", Some(&admin)).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("json, csv, pdf"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_agents_are_recorded_in_the_audit_trail() {
    let hub = Hub::start().await;
    let admin = hub.login().await;
    // A tab is dropped and the value is cut at 256 characters.
    let raw = format!("greenroom-probe/1.0\t(audit) {}", "x".repeat(300));
    let expected: String = raw.replace('\t', "").chars().take(256).collect();
    let ua = reqwest::Client::builder().user_agent(raw).build().unwrap();
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut req = ua.post(format!("{}{path}", hub.http)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let sign_in = |email: &str| {
        let login = post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        );
        async move { login.await.1["access_token"].as_str().unwrap().to_string() }
    };
    let token = sign_in(ADMIN).await;
    let server = json!({"server_id": "ua-01", "environment": "dev"});
    assert_eq!(post("/api/v1/servers", Some(&token), server).await.0, 201);
    let gql = json!({"query": "mutation { createUser(email: \"ua@example.com\", password: \"correct-horse-battery-staple\", role: VIEWER) { user { email } userErrors { message } } }"});
    let (_, body) = post("/graphql", Some(&token), gql).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        body["data"]["createUser"]["user"]["email"], "ua@example.com",
        "{body}"
    );
    // A refusal audited by the edge carries it too, and so does a logout.
    let viewer = sign_in("ua@example.com").await;
    let other = json!({"server_id": "ua-02", "environment": "dev"});
    assert_eq!(post("/api/v1/servers", Some(&viewer), other).await.0, 403);
    assert_eq!(
        post("/api/v1/auth/logout", Some(&viewer), json!({}))
            .await
            .0,
        204
    );

    let audit = hub.get("/api/v1/audit?page_size=500", Some(&admin)).await.1;
    let items = audit["items"].as_array().unwrap();
    for event in [
        "user_login",
        "server_registered",
        "user_created",
        "permission_denied",
        "user_logout",
    ] {
        let e = items
            .iter()
            .find(|e| e["event_type"] == event && e["actor"]["user_agent"].is_string())
            .unwrap_or_else(|| panic!("no {event} with a user agent: {audit}"));
        assert_eq!(e["actor"]["user_agent"], expected.as_str(), "{e}");
        assert_eq!(e["actor"]["ip_address"], "127.0.0.1", "{e}");
    }
    let (_, _, _, csv) = fetch(&hub, "/api/v1/audit/report?format=csv", Some(&admin)).await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("seq,timestamp,event_type,actor_type,actor_id,actor_ip,actor_user_agent,")
            && csv.contains(&format!(",127.0.0.1,{expected},")),
        "{csv}"
    );
}
