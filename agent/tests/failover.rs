//! Several hub addresses (`agent.backend_urls`) against the real hub binary: an agent whose
//! first address is dead enrolls, heartbeats and runs jobs through the second; an agent
//! whose address dies mid-job (a TCP proxy in front of the hub, dropped) moves to the other
//! proxy, and the job's result is recorded exactly once.

mod common;

use common::{Agent, Hub, Proxy, closed_port, until};
use serde_json::{Value, json};

fn only_detail(done: &Value) -> &Value {
    let details = done["results"]["details"].as_array().expect("details");
    assert_eq!(details.len(), 1, "{done}");
    &details[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_first_address_is_skipped_for_enrollment_heartbeats_and_jobs() {
    let hub = Hub::start().await;
    let dead = closed_port();
    let config = hub.agent_config_urls("failover-01", &[dead, hub.agent_port], "");
    let agent = Agent::start(&config);
    let token = hub.login().await;
    hub.wait_online(&token, "failover-01").await;
    let id = hub
        .execute(
            &token,
            "failover-01",
            json!({"type": "shell_command", "command": "echo through-the-second-address"}),
        )
        .await;
    let done = hub.finished(&token, &id, 60).await;
    let detail = only_detail(&done);
    assert_eq!(detail["status"], "success", "{done}");
    assert_eq!(detail["output"], "through-the-second-address\n", "{done}");
    let log = agent.log();
    let switch = log
        .lines()
        .find(|l| l.contains("switched hub address"))
        .unwrap_or_else(|| panic!("no switch logged:\n{log}"));
    assert!(
        switch.contains(&format!("127.0.0.1:{dead}"))
            && switch.contains(&format!("127.0.0.1:{}", hub.agent_port)),
        "{switch}"
    );
    assert!(log.contains("enrolled"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_running_while_its_address_dies_is_reported_once_through_the_other() {
    let hub = Hub::start().await;
    let first = Proxy::start(hub.agent_port).await;
    let second = Proxy::start(hub.agent_port).await;
    let second_port = second.port;
    let config = hub.agent_config_urls("failover-02", &[first.port, second.port], "");
    let agent = Agent::start(&config);
    let token = hub.login().await;
    hub.wait_online(&token, "failover-02").await;
    assert!(
        first.forwarded() > 0,
        "the agent starts on the first address"
    );

    let id = hub
        .execute(
            &token,
            "failover-02",
            json!({"type": "shell_command", "command": "sleep 3; echo survived-the-switch"}),
        )
        .await;
    until("the job to start", 20, || {
        agent.log().contains("job started")
    })
    .await;
    let before = second.forwarded();
    drop(first); // its listener closes and its open connections are cut
    let done = hub.finished(&token, &id, 60).await;
    let detail = only_detail(&done);
    assert_eq!(
        (detail["status"].as_str(), detail["output"].as_str()),
        (Some("success"), Some("survived-the-switch\n")),
        "{done}"
    );
    assert!(
        second.forwarded() > before,
        "the result went through the second address"
    );
    let log = agent.log();
    assert!(
        log.lines().any(|l| l.contains("switched hub address")
            && l.contains(&format!("127.0.0.1:{second_port}"))),
        "{log}"
    );
    until("the outbox to empty", 20, || agent.outbox().is_empty()).await;

    // Later jobs run through the second address.
    let id2 = hub
        .execute(
            &token,
            "failover-02",
            json!({"type": "shell_command", "command": "echo later"}),
        )
        .await;
    let later = hub.finished(&token, &id2, 60).await;
    assert_eq!(only_detail(&later)["status"], "success", "{later}");

    // Recorded once: the first execution still has one result, delivered once.
    let (_, again) = hub.get(&format!("/api/v1/executions/{id}"), &token).await;
    assert_eq!(only_detail(&again)["output"], "survived-the-switch\n");
    let job_id = detail["job_id"].as_str().expect("job id").to_string();
    let delivered = agent
        .log()
        .lines()
        .filter(|l| l.contains("result delivered") && l.contains(&job_id))
        .count();
    assert_eq!(delivered, 1, "{}", agent.log());
}
