//! The agent binary against the real hub binary over mTLS: results survive SIGKILL and a
//! network cut (through a TCP proxy the test cuts) and are recorded exactly once; SIGTERM
//! lets short jobs finish and cancels the rest; a cancellation from the hub kills the whole
//! process group; a check job reports through the hub.

mod common;

use common::{Agent, Hub, Proxy, until};
use serde_json::json;
use std::time::Duration;

fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit(')')
                .next()
                .map(|r| r.trim_start().starts_with(['Z', 'X']))
        })
        .is_some_and(|zombie| !zombie)
}

fn read_pid(path: &std::path::Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_survives_sigkill_and_a_network_cut_and_is_recorded_once() {
    let hub = Hub::start().await;
    let proxy = Proxy::start(hub.agent_port).await;
    let config = hub.agent_config("outbox-01", proxy.port, "");
    let mut agent = Agent::start(&config);
    let token = hub.login().await;
    hub.wait_online(&token, "outbox-01").await;

    // 1. A network cut while the job runs: it finishes during the cut, its result waits in
    //    the outbox, and arrives once the link is back.
    let id = hub
        .execute(
            &token,
            "outbox-01",
            json!({"type": "shell_command", "command": "sleep 2; echo after-the-cut"}),
        )
        .await;
    until("the first job to start", 20, || {
        agent.log().matches("job started").count() == 1
    })
    .await;
    proxy.cut();
    until("the result to wait in the outbox", 20, || {
        !agent.outbox().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await; // a few failed delivery attempts
    assert_eq!(agent.outbox().len(), 1, "{}", agent.log());
    proxy.restore();
    let done = hub.finished(&token, &id, 60).await;
    let details = done["results"]["details"].as_array().expect("details");
    assert_eq!(details.len(), 1, "{done}");
    assert_eq!(details[0]["status"], "success", "{done}");
    assert_eq!(details[0]["output"], "after-the-cut\n", "{done}");
    until("the outbox to empty", 20, || agent.outbox().is_empty()).await;

    // 2. SIGKILL after the job finished but before it was reported: the next start reports it.
    let id = hub
        .execute(
            &token,
            "outbox-01",
            json!({"type": "shell_command", "command": "sleep 1; echo survived"}),
        )
        .await;
    until("the second job to start", 20, || {
        agent.log().matches("job started").count() == 2
    })
    .await;
    proxy.cut();
    until("the result to wait in the outbox", 20, || {
        !agent.outbox().is_empty()
    })
    .await;
    agent.proc.0.kill().expect("SIGKILL");
    agent.proc.0.wait().expect("reap");
    assert_eq!(
        agent.outbox().len(),
        1,
        "the result is on disk after SIGKILL"
    );
    proxy.restore();
    let agent = Agent::start(&config);
    let done = hub.finished(&token, &id, 60).await;
    let details = done["results"]["details"].as_array().expect("details");
    assert_eq!(details.len(), 1, "{done}");
    assert_eq!(
        (details[0]["status"].as_str(), details[0]["output"].as_str()),
        (Some("success"), Some("survived\n")),
        "{done}"
    );
    until("the outbox to empty after the restart", 20, || {
        agent.outbox().is_empty()
    })
    .await;
    assert!(
        agent.log().contains("resent results left in the outbox"),
        "{}",
        agent.log()
    );
    let (_, again) = hub.get(&format!("/api/v1/executions/{id}"), &token).await;
    assert_eq!(
        again["results"]["details"].as_array().map(Vec::len),
        Some(1),
        "recorded once: {again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_short_jobs_finish_and_cancels_the_rest() {
    let hub = Hub::start().await;
    let config = hub.agent_config(
        "graceful-01",
        hub.agent_port,
        "execution:\n  max_concurrent_jobs: 2\n  shutdown_grace_seconds: 3\n",
    );
    let mut agent = Agent::start(&config);
    let token = hub.login().await;
    hub.wait_online(&token, "graceful-01").await;
    let pidfile = hub.dir.path().join("long.pid");
    let short = hub
        .execute(
            &token,
            "graceful-01",
            json!({"type": "shell_command", "command": "sleep 1; echo finished-in-grace"}),
        )
        .await;
    let long = hub
        .execute(&token, "graceful-01", json!({"type": "shell_command", "command": format!("echo $$ > {}; sleep 60", pidfile.display())}))
        .await;
    until("both jobs to start", 20, || {
        agent.log().matches("job started").count() == 2
    })
    .await;
    until("the long job's pid", 10, || read_pid(&pidfile).is_some()).await;
    let pid = read_pid(&pidfile).unwrap();
    assert_eq!(
        agent.terminate(Duration::from_secs(30)),
        Some(0),
        "{}",
        agent.log()
    );
    assert!(
        !running(pid),
        "the cancelled job's process {pid} survived the agent"
    );
    let done = hub.finished(&token, &short, 20).await;
    assert_eq!(done["results"]["details"][0]["status"], "success", "{done}");
    assert_eq!(
        done["results"]["details"][0]["output"],
        "finished-in-grace\n"
    );
    let done = hub.finished(&token, &long, 20).await;
    assert_eq!(
        done["results"]["details"][0]["status"], "cancelled",
        "{done}"
    );
    assert!(
        agent.outbox().is_empty(),
        "results were delivered before exit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_from_the_hub_kills_the_whole_process_group() {
    let hub = Hub::start().await;
    let config = hub.agent_config("cancel-01", hub.agent_port, "");
    let agent = Agent::start(&config);
    let token = hub.login().await;
    hub.wait_online(&token, "cancel-01").await;
    let bg = hub.dir.path().join("bg.pid");
    let id = hub
        .execute(&token, "cancel-01", json!({"type": "shell_command", "command": format!("sleep 120 & echo $! > {}; sleep 120", bg.display())}))
        .await;
    until("the background child's pid", 20, || read_pid(&bg).is_some()).await;
    let child = read_pid(&bg).unwrap();
    assert!(running(child));
    let status = hub
        .delete(&format!("/api/v1/executions/{id}"), &token)
        .await;
    assert!((200..300).contains(&status), "cancel answered {status}");
    let done = hub.finished(&token, &id, 30).await;
    hub.wait_for(
        &format!("/api/v1/executions/{id}"),
        &token,
        30,
        "the job's cancelled result",
        |v| v["results"]["details"][0]["status"] == "cancelled",
    )
    .await;
    until("the background child to be killed", 10, || !running(child)).await;
    let log = agent.log();
    assert!(
        log.contains("the hub asked to cancel this job"),
        "{log}\n{done}"
    );
    // Which path carried it (the lease poll needs a hub that accepts `capacity`).
    eprintln!(
        "cancellation came by {}",
        if log.contains("\"source\":\"lease\"") {
            "lease"
        } else {
            "heartbeat"
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_job_reports_through_the_hub() {
    let hub = Hub::start().await;
    let config = hub.agent_config("checks-01", hub.agent_port, "");
    let _agent = Agent::start(&config);
    let token = hub.login().await;
    hub.wait_online(&token, "checks-01").await;
    let file = hub.dir.path().join("export.sql");
    std::fs::write(&file, "-- dump\nCOMMIT;\n").unwrap();
    let id = hub
        .execute(&token, "checks-01", json!({"type": "file_validation", "path": file, "checks": ["exists", "readable", "size_lt_mb:1", "modified_within:1h", "contains:COMMIT"]}))
        .await;
    let done = hub.finished(&token, &id, 30).await;
    let d = &done["results"]["details"][0];
    assert_eq!(
        (d["status"].as_str(), d["exit_code"].as_i64()),
        (Some("success"), Some(0)),
        "{done}"
    );
    assert!(
        d["output"]
            .as_str()
            .unwrap()
            .contains("5 of 5 checks passed"),
        "{d}"
    );
    let id = hub
        .execute(
            &token,
            "checks-01",
            json!({"type": "tcp_port", "host": "127.0.0.1", "port": 1, "timeout": 2}),
        )
        .await;
    let done = hub.finished(&token, &id, 30).await;
    let d = &done["results"]["details"][0];
    assert_eq!(
        (d["status"].as_str(), d["exit_code"].as_i64()),
        (Some("failed"), Some(1)),
        "{done}"
    );
}

/// `max_concurrent_jobs: 1`: three jobs that would collide on a lock directory if two ran
/// at once all succeed — the rest waited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_than_max_concurrent_jobs_run() {
    let hub = Hub::start().await;
    let config = hub.agent_config(
        "serial-01",
        hub.agent_port,
        "execution:\n  max_concurrent_jobs: 1\n",
    );
    let _agent = Agent::start(&config);
    let token = hub.login().await;
    hub.wait_online(&token, "serial-01").await;
    let lock = hub.dir.path().join("lock");
    let cmd = format!("mkdir {0} || exit 9; sleep 0.5; rmdir {0}", lock.display());
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            hub.execute(
                &token,
                "serial-01",
                json!({"type": "shell_command", "command": cmd}),
            )
            .await,
        );
    }
    for id in ids {
        let done = hub.finished(&token, &id, 30).await;
        assert_eq!(
            done["results"]["details"][0]["status"], "success",
            "two jobs ran at once: {done}"
        );
    }
}
