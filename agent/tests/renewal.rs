//! Certificate renewal against the real hub binary (harness: `tests/common`): an agent whose
//! certificate is due renews it right after enrollment, the hub records and accepts only the
//! new certificate, and the same agent process runs a job afterwards — it switched identity
//! without a restart. An agent with the default threshold does not renew.

mod common;

use common::{Agent, Hub, until};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// Sets `agent.renew_before_expiry_percent` in a config the harness wrote.
fn set_renew_percent(config: &Path, percent: &str) {
    let text = std::fs::read_to_string(config).unwrap();
    let text = text.replacen(
        "agent:\n",
        &format!("agent:\n  renew_before_expiry_percent: {percent}\n"),
        1,
    );
    std::fs::write(config, text).unwrap();
}

/// The audit entries of `event_type` about server `server_id`.
async fn audit(hub: &Hub, token: &str, event_type: &str, server_id: &str) -> Vec<Value> {
    let (status, page) = hub.get("/api/v1/audit?page_size=500", token).await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == event_type && e["resource"]["id"] == server_id)
        .cloned()
        .collect()
}

fn fingerprint_on_disk(config: &Path) -> String {
    let pem = std::fs::read_to_string(config.with_file_name("agent.crt")).unwrap();
    greenroom_pki::fingerprint_pem(&pem).unwrap()
}

async fn server_fingerprint(hub: &Hub, token: &str, server_id: &str) -> String {
    let (status, server) = hub
        .get(&format!("/api/v1/servers/{server_id}"), token)
        .await;
    assert_eq!(status, 200, "{server}");
    server["credentials"]["certificate_fingerprint"]
        .as_str()
        .unwrap_or_else(|| panic!("no fingerprint: {server}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_certificate_is_renewed_and_used_without_a_restart() {
    let hub = Hub::start().await;
    // The hub back-dates not_before by 5 minutes, so a fresh 90-day certificate has
    // ≈ 99.996 % of its lifetime left: a threshold of 99.999 % makes it due at once.
    // (99 % would be reached only after 1 % of 90 days, ≈ 21.6 hours.)
    let renewing = hub.agent_config("renew-01", hub.agent_port, "");
    set_renew_percent(&renewing, "99.999");
    let steady = hub.agent_config("steady-01", hub.agent_port, "");
    let mut agent = Agent::start(&renewing);
    let mut steady_agent = Agent::start(&steady);
    let token = hub.login().await;
    hub.wait_online(&token, "renew-01").await;
    hub.wait_online(&token, "steady-01").await;

    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let renewed = loop {
        let found = audit(&hub, &token, "agent_certificate_renewed", "renew-01").await;
        if let Some(e) = found.first() {
            break e.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no agent_certificate_renewed in the audit log; agent log:\n{}",
            agent.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let enrolled = audit(&hub, &token, "agent_enrolled", "renew-01").await;
    assert_eq!(enrolled.len(), 1, "{enrolled:?}");
    let first = enrolled[0]["details"]["certificate_fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        renewed["details"]["previous_fingerprint"], first,
        "{renewed}"
    );

    // The hub's record, the audit entry and the agent's file agree on the new certificate.
    until("the agent to log the renewal", 10, || {
        agent.log().contains("certificate renewed")
    })
    .await;
    let on_disk = fingerprint_on_disk(&renewing);
    assert_ne!(on_disk, first, "agent.crt was not replaced");
    assert_eq!(server_fingerprint(&hub, &token, "renew-01").await, on_disk);
    assert_eq!(renewed["details"]["certificate_fingerprint"], on_disk);
    let dir = renewing.parent().unwrap();
    assert!(!dir.join("agent.key.new").exists() && !dir.join("agent.crt.new").exists());

    // The same process runs a job with the new identity (the old one is refused by now).
    let id = hub
        .execute(
            &token,
            "renew-01",
            json!({"type": "shell_command", "command": "echo after-renewal"}),
        )
        .await;
    let done = hub.finished(&token, &id, 30).await;
    let d = &done["results"]["details"][0];
    assert_eq!(
        (d["status"].as_str(), d["output"].as_str()),
        (Some("success"), Some("after-renewal\n")),
        "{done}\nagent log:\n{}",
        agent.log()
    );
    assert!(
        agent.proc.0.try_wait().unwrap().is_none(),
        "the agent exited:\n{}",
        agent.log()
    );
    let log = agent.log();
    assert_eq!(
        log.matches("certificate renewed").count(),
        1,
        "renewed once, not in a loop:\n{log}"
    );
    assert!(!log.contains("no longer accepts"), "{log}");
    let renewals = audit(&hub, &token, "agent_certificate_renewed", "renew-01").await;
    assert_eq!(renewals.len(), 1, "{renewals:?}");

    // Meanwhile the agent with the default 33 % kept its certificate.
    assert!(
        audit(&hub, &token, "agent_certificate_renewed", "steady-01")
            .await
            .is_empty()
    );
    assert_eq!(
        server_fingerprint(&hub, &token, "steady-01").await,
        fingerprint_on_disk(&steady)
    );
    assert!(
        !steady_agent
            .log()
            .contains("renewing the agent certificate"),
        "{}",
        steady_agent.log()
    );
    assert_eq!(
        steady_agent.terminate(Duration::from_secs(30)),
        Some(0),
        "{}",
        steady_agent.log()
    );
    assert_eq!(
        agent.terminate(Duration::from_secs(30)),
        Some(0),
        "{}",
        agent.log()
    );
}
