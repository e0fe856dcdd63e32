//! The fault suite (`make test-faults`, also part of `make test`): the real hub and real agent
//! processes, agents on hosts of their own (network namespaces on a bridge, `common::netns`),
//! and a fault injected while an execution runs — an agent killed, its link cut for less and
//! for more than its lease, 30 % packet loss and a 500 ms round trip during a fan-out, the hub
//! killed and restarted, its MongoDB server killed and restarted, one of two replicas killed,
//! Redis restarted under two replicas, the agent's clock five minutes off, the agent's outbox
//! disk full, the hub's disk full. Each case checks every job's final state at the hub against
//! what happened on its agent (`faults/ledger.rs`) and writes a verdict line that
//! `scripts/faults.sh` turns into the table of `docs/reliability.md`.
//!
//! Root only (namespaces, nftables, tmpfs mounts), so every case is `#[ignore]`d for a plain
//! `cargo test`; `make test-faults` runs them (`--run-ignored only`).

mod common;
#[path = "faults/ledger.rs"]
mod ledger;
#[path = "faults/setup.rs"]
mod setup;

use common::netns::{Host, Lan};
use common::*;
use ledger::{Verdict, marked, rows_when_acked};
use serde_json::{Value, json};
use setup::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn agent_killed_mid_job() {
    let mut net = Net::start(3, SHORT, "", None).await;
    let id = net.start_marked("kill", "sleep 3; echo done").await;
    net.fleet[0].1.kill();
    let done = wait_final(&net.hub, &net.token, &id, 90).await;
    // Restarted, the agent must not run the job again.
    net.fleet[0].1.respawn();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rows = rows_when_acked(&done, &net.agents(), "kill").await;
    let mut unexpected = every_job(&rows[1..], "success");
    if rows[0].hub != "unreachable" {
        unexpected.push(format!("the killed agent's job: {}", rows[0].hub));
    }
    Verdict {
        case: "agent SIGKILL mid-job",
        fault: "1 of 3 agents killed while `sleep 3` runs, restarted after the execution ended",
        injected: 1,
        rows: &rows,
        unexpected,
    }
    .settle();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn link_cut_shorter_than_the_lease() {
    let net = Net::start(2, SHORT, "", None).await;
    let id = net.start_marked("short", "sleep 2; echo done").await;
    let (host, _) = &net.fleet[0];
    host.cut();
    tokio::time::sleep(Duration::from_secs(10)).await; // half the lease
    host.restore();
    let done = wait_final(&net.hub, &net.token, &id, 90).await;
    let rows = rows_when_acked(&done, &net.agents(), "short").await;
    Verdict {
        case: "link cut shorter than the lease",
        fault: "1 of 2 agents' link down 10 s (lease 20 s) while its job runs",
        injected: 1,
        rows: &rows,
        unexpected: every_job(&rows, "success"),
    }
    .settle();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn link_cut_longer_than_the_lease_fences_the_late_result() {
    let net = Net::start(2, SHORT, "", None).await;
    let (hub, token, agents) = (&net.hub, &net.token, net.agents());
    let id = net.start_marked("long", "sleep 5; echo done").await;
    let (host, cut_agent) = &net.fleet[0];
    host.cut();
    // The lease (20 s) lapses while the agent still runs the job and then holds its result.
    let done = wait_final(hub, token, &id, 90).await;
    host.restore();
    // Back on the network, the agent offers its result: the hub must not store it (fenced:
    // acknowledged as not stored, or refused).
    let job_id = done["results"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["server_id"] == cut_agent.server_id.as_str())
        .unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cut_agent.log().lines().any(|l| {
        l.contains(&job_id)
            && (l.contains("the hub will never accept this result")
                || l.contains("result delivered"))
    }) {
        assert!(
            Instant::now() < deadline,
            "the late result was never offered: {}",
            cut_agent.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = wait_final(hub, token, &id, 5).await;
    let rows = rows_when_acked(&after, &agents, "long").await;
    let mut unexpected = every_job(&rows[1..], "success");
    if rows[0].hub != "unreachable" {
        unexpected.push(format!("the cut agent's job: {}", rows[0].hub));
    }
    if rows[0].finished.as_deref() != Some("success") {
        unexpected.push("the cut agent did not finish its job while cut off".into());
    }
    if done["results"] != after["results"] {
        unexpected.push("the late result changed the recorded outcome".into());
    }
    Verdict {
        case: "link cut longer than the lease",
        fault: "1 of 2 agents' link down until its lease (20 s) lapsed; its late result offered after",
        injected: 1,
        rows: &rows,
        unexpected,
    }
    .settle();
}

/// A fan-out of `n` agents, each on its own host (the hub at its production lease and
/// heartbeat), with `fault` applied to every host once
/// they are online and `heal` after (it answers how many faults it saw), or through a relay
/// holding every chunk `via_relay` each way; every job must succeed exactly once.
async fn fan_out_through(
    n: usize,
    case: &str,
    fault_text: &str,
    tag: &str,
    via_relay: Option<Duration>,
    fault: impl Fn(&Host),
    heal: impl Fn(&Host) -> u64,
) {
    let net = Net::start(n, PRODUCTION, "", via_relay).await;
    let (hub, token, fleet, agents) = (&net.hub, &net.token, &net.fleet, net.agents());
    for (host, _) in fleet {
        fault(host);
    }
    let relayed_before = net
        .relay
        .as_ref()
        .map_or(0, |r| r.delayed.load(std::sync::atomic::Ordering::Relaxed));
    let id = run_on(hub, token, &agents, &marked(tag, "echo done")).await;
    let done = wait_final(hub, token, &id, 300).await;
    let rows = rows_when_acked(&done, &agents, tag).await;
    let mut injected: u64 = fleet.iter().map(|(host, _)| heal(host)).sum();
    if let Some(r) = &net.relay {
        injected += r.delayed.load(std::sync::atomic::Ordering::Relaxed) - relayed_before;
    }
    let mut unexpected = every_job(&rows, "success");
    if injected == 0 {
        unexpected.push("no fault was injected".into());
    }
    Verdict {
        case,
        fault: fault_text,
        injected: injected as usize,
        unexpected,
        rows: &rows,
    }
    .settle();
}

/// How many agents the fan-out cases run (`FAULT_FANOUT`, default 100).
fn fan_out_size() -> usize {
    std::env::var("FAULT_FANOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn fan_out_through_30_percent_packet_loss() {
    let n = fan_out_size();
    fan_out_through(
        n,
        "30 % packet loss during a fan-out",
        &format!("{n} agents, each host dropping 30 % of packets both ways (nftables); faults = packets dropped"),
        "lossy",
        None,
        |h| h.lossy(30),
        |h| h.clear(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn fan_out_through_a_500_ms_round_trip() {
    let n = fan_out_size();
    fan_out_through(
        n,
        "500 ms round trip during a fan-out",
        &format!(
            "{n} agents through a relay holding every chunk 250 ms each way; faults = chunks held"
        ),
        "slow",
        Some(Duration::from_millis(250)),
        |_| {},
        |_| 0,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn hub_killed_mid_execution_and_restarted() {
    let net = Net::start(5, SHORT, "", None).await;
    let id = net.start_marked("hubkill", "sleep 3; echo done").await;
    let Net {
        fleet, hub, lan, ..
    } = net;
    let (dir, config) = hub.crash();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let hub = Hub::start_in(dir, config).await;
    let token = hub.login().await;
    let done = wait_final(&hub, &token, &id, 90).await;
    let agents: Vec<&Agent> = fleet.iter().map(|(_, a)| a).collect();
    let rows = rows_when_acked(&done, &agents, "hubkill").await;
    drop(lan);
    Verdict {
        case: "hub SIGKILL mid-execution, restarted (SQLite)",
        fault: "the hub killed while 5 agents run `sleep 3`, started again 2 s later on its data",
        injected: 1,
        unexpected: every_job(&rows, "success"),
        rows: &rows,
    }
    .settle();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn mongodb_server_killed_mid_execution_and_restarted() {
    let mut db = greenroom_hub::testkit::Secantus::start_durable();
    let store = mongodb_section_at(&db.url(), "faults");
    let net = Net::start(5, SHORT, &store, None).await;
    let id = net.start_marked("dbkill", "sleep 3; echo done").await;
    // Down for 5 s while every job runs and reports: results wait in the agents' outboxes.
    tokio::task::block_in_place(|| db.restart(Duration::from_secs(5)));
    let done = wait_final(&net.hub, &net.token, &id, 120).await;
    let rows = rows_when_acked(&done, &net.agents(), "dbkill").await;
    Verdict {
        case: "MongoDB server SIGKILL mid-execution, restarted",
        fault: "the hub's MongoDB-compatible server (SecantusDB) killed while 5 agents run `sleep 3`, started again on its data 5 s later",
        injected: 1,
        unexpected: every_job(&rows, "success"),
        rows: &rows,
    }
    .settle();
}

/// A case on two replicas: a `sleep 3` on every agent, started through B, `fault` while it
/// runs; every job must succeed, once.
async fn on_replicas(tag: &str, case: &str, fault_text: &str, fault: impl FnOnce(&mut Replicas)) {
    let mut r = Replicas::start().await;
    let id = r.start_marked(tag, "sleep 3; echo done").await;
    tokio::task::block_in_place(|| fault(&mut r));
    let done = wait_final(&r.b, &r.token, &id, 90).await;
    let rows = rows_when_acked(&done, &r.agents(), tag).await;
    Verdict {
        case,
        fault: fault_text,
        injected: 1,
        unexpected: every_job(&rows, "success"),
        rows: &rows,
    }
    .settle();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn a_replica_killed_mid_execution() {
    on_replicas(
        "replica",
        "a replica SIGKILL mid-execution (2 replicas, MongoDB + Redis)",
        "replica A killed while 6 agents (3 polling A first) run `sleep 3`; they fail over to B",
        // A's data dir (the agents' state is in it) is kept until the case ends.
        |r| r.crashed = r.a.take().map(Hub::crash),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn redis_restarted_mid_execution() {
    on_replicas(
        "redis",
        "Redis restarted mid-execution (2 replicas)",
        "Redis killed while 6 agents across 2 replicas run `sleep 3`, an empty one started 1 s later",
        |r| r.redis.restart(Duration::from_secs(1)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn agent_clocks_five_minutes_off() {
    let hub = hub_on("127.0.0.1").await;
    let token = hub.login().await;
    let enroll = token_for(&hub, 2);
    let url = format!("https://127.0.0.1:{}", hub.agent_port);
    // libfaketime preloaded by `env`, which execs the agent: the process the test holds (and
    // kills at the end) is the agent itself. The `faketime` wrapper would fork it instead, and
    // the agent would outlive the test.
    let skewed = |offset: &str| {
        vec![
            "env".to_string(),
            format!("LD_PRELOAD={LIBFAKETIME}"),
            format!("FAKETIME={offset}"),
            "FAKETIME_DONT_FAKE_MONOTONIC=1".to_string(),
        ]
    };
    let ahead = agent_at(&hub, "f-ahead", &enroll, &url, &skewed("+5m"));
    let behind = agent_at(&hub, "f-behind", &enroll, &url, &skewed("-5m"));
    let agents = [&ahead, &behind];
    wait_online(&hub, &token, &agents, 60).await;
    let before = chrono::Utc::now();
    let id = run_on(
        &hub,
        &token,
        &agents,
        &marked("clock", "sleep 1; echo done"),
    )
    .await;
    let done = wait_final(&hub, &token, &id, 60).await;
    let after = chrono::Utc::now();
    let rows = rows_when_acked(&done, &agents, "clock").await;
    let mut unexpected = every_job(&rows, "success");
    // The fault is real: each agent's own log is stamped by its skewed clock.
    for (agent, minutes) in [(&ahead, 5), (&behind, -5)] {
        let stamped = agent
            .log()
            .lines()
            .next()
            .and_then(|l| serde_json::from_str::<Value>(l).ok())
            .and_then(|v| v["timestamp"].as_str().map(str::to_string))
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
        let off = stamped.map(|t| (t.with_timezone(&chrono::Utc) - before).num_seconds());
        if off.is_none_or(|s| (s - minutes * 60).abs() >= 60) {
            unexpected.push(format!(
                "{}: its clock is not {minutes} min off (its first log line is {off:?} s from the hub's)",
                agent.server_id
            ));
        }
    }
    // The hub's own clock times jobs: a skewed agent must not move them out of the run.
    for d in done["results"]["details"].as_array().unwrap() {
        for field in ["started_at", "finished_at"] {
            let at = d[field]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            let within = at.is_some_and(|t| {
                t >= before - chrono::Duration::seconds(2)
                    && t <= after + chrono::Duration::seconds(2)
            });
            if !within {
                unexpected.push(format!(
                    "{}: {field} {} is outside the run ({before} .. {after})",
                    d["server_id"], d[field]
                ));
            }
        }
    }
    Verdict {
        case: "agent clock ±5 minutes",
        fault: "one agent 5 minutes ahead, one 5 minutes behind (libfaketime)",
        injected: 2,
        rows: &rows,
        unexpected,
    }
    .settle();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn agent_outbox_disk_full() {
    let lan = Lan::new();
    let hub = hub_on(&lan.hub_addr()).await;
    let token = hub.login().await;
    // Mounted before the agent starts: `ip netns exec` gives it a copy of the mount table.
    let disk = SmallDisk::mount(&hub.dir.path().join("agents/f-000/outbox"), "64k");
    let fleet = agents_on_hosts(&hub, &lan, 1, hub.agent_port);
    let (host, agent) = &fleet[0];
    wait_online(&hub, &token, &[agent], 60).await;
    let filler = disk.fill();
    // Cut off, the result can only wait in the agent: on a full disk, in its memory.
    let id = run_on(&hub, &token, &[agent], &marked("full", "echo done")).await;
    wait_marked(&[agent], "full", 30).await;
    host.cut();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !agent
        .log()
        .contains("could not write the result to the outbox")
    {
        assert!(
            Instant::now() < deadline,
            "no clear error for the full disk: {}",
            agent.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    std::fs::remove_file(&filler).unwrap(); // space returns
    host.restore();
    let done = wait_final(&hub, &token, &id, 60).await;
    let rows = rows_when_acked(&done, &[agent], "full").await;
    let mut unexpected = every_job(&rows, "success");
    let line = agent
        .log()
        .lines()
        .find(|l| l.contains("could not write the result to the outbox"))
        .unwrap_or_default()
        .to_string();
    if !line.contains("No space left on device") {
        unexpected.push(format!("the error does not say the disk is full: {line}"));
    }
    for entry in std::fs::read_dir(agent.state.join("outbox")).unwrap() {
        let p = entry.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        if p.extension().is_some_and(|e| e == "json")
            && serde_json::from_str::<Value>(&text).is_err()
        {
            unexpected.push(format!("a corrupt outbox entry: {}", p.display()));
        }
    }
    drop(disk);
    Verdict {
        case: "agent outbox disk full",
        fault: "the agent's outbox on a full 64 KiB disk while its link is cut; space and link back after",
        injected: 1,
        rows: &rows,
        unexpected,
    }
    .settle();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fault suite: needs root and network namespaces; run by make test-faults"]
async fn hub_disk_full() {
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(dir.path(), "48m");
    let hub = hub_in(dir, "127.0.0.1", SHORT, "").await;
    let token = hub.login().await;
    let enroll = token_for(&hub, 1);
    let url = format!("https://127.0.0.1:{}", hub.agent_port);
    let agent = agent_at(&hub, "f-disk", &enroll, &url, &[]);
    wait_online(&hub, &token, &[&agent], 60).await;
    let first = run_on(&hub, &token, &[&agent], &marked("before", "echo before")).await;
    let kept = wait_final(&hub, &token, &first, 30).await;
    let filler = disk.fill();
    let mut unexpected = Vec::new();
    // New work is refused with a clear error, never a 500; what the hub has stays readable.
    let (status, body) = hub
        .post(
            "/api/v1/executions",
            Some(&token),
            json!({"action": {"type": "shell_command", "command": "echo during"}, "target_servers": ["f-disk"]}),
        )
        .await;
    if status != 507 || !body.to_string().to_lowercase().contains("disk") {
        unexpected.push(format!("a new execution on a full disk: {status} {body}"));
    }
    let (status, again) = hub
        .get(&format!("/api/v1/executions/{first}"), Some(&token))
        .await;
    if status != 200 || again["results"] != kept["results"] {
        unexpected.push(format!(
            "the earlier execution on a full disk: {status} {again}"
        ));
    }
    std::fs::remove_file(&filler).unwrap();
    let after = run_on(&hub, &token, &[&agent], &marked("after", "echo after")).await;
    let done = wait_final(&hub, &token, &after, 30).await;
    let mut rows = rows_when_acked(&kept, &[&agent], "before").await;
    rows.extend(rows_when_acked(&done, &[&agent], "after").await);
    unexpected.extend(every_job(&rows, "success"));
    drop(agent);
    drop(hub);
    Verdict {
        case: "hub disk full",
        fault: "the hub's data directory on a 48 MiB disk, filled; space given back after",
        injected: 1,
        rows: &rows,
        unexpected,
    }
    .settle();
}
