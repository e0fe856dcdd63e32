//! Two hub replicas (real `greenroom-hub serve` processes) on one MongoDB database
//! (SecantusDB, or `MONGODB_URL`) and a real `redis-server` of the test's own, with real
//! agents split between them, each able to fail over to the other.
//!
//! One fleet, any replica: an execution started on A completes on agents polling B and a
//! watcher on B sees its output live; a replica killed with SIGKILL mid-execution loses
//! nothing (every result recorded once, no job run twice); Redis restarted mid-execution
//! loses nothing; a schedule's occurrences fire once each with both replicas ticking.

mod common;

use common::*;
use futures::StreamExt as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// A replica on the shared database and Redis.
async fn replica(sections: &str) -> Hub {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), sections);
    Hub::start_in(dir, config).await
}

/// How many times each agent started a job of `execution` (from its own log).
fn starts(agents: &[Agent], execution: &str) -> BTreeMap<String, usize> {
    agents
        .iter()
        .map(|a| {
            let n = a
                .log()
                .lines()
                .filter(|l| l.contains("\"job started\"") && l.contains(execution))
                .count();
            (a.server_id.clone(), n)
        })
        .collect()
}

/// Every target succeeded once, with `marker` in its output, and ran its job once.
fn all_once(done: &Value, agents: &[Agent], id: &str, marker: &str) {
    assert_eq!(done["status"]["overall"], "completed", "{done}");
    let details = done["results"]["details"].as_array().unwrap();
    let servers: BTreeSet<&str> = details
        .iter()
        .map(|d| d["server_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        (details.len(), servers.len()),
        (agents.len(), agents.len()),
        "one result per server: {done}"
    );
    for d in details {
        assert_eq!(d["status"], "success", "{d}");
        assert_eq!(
            d["output"].as_str().unwrap().matches(marker).count(),
            1,
            "{d}"
        );
    }
    for (server, n) in starts(agents, id) {
        assert_eq!(n, 1, "{server} ran the job {n} times");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_share_one_fleet_and_lose_nothing_when_one_dies() {
    let mut redis = Redis::start();
    let sections = replica_sections(&greenroom_hub::testkit::database_name(), &redis);
    let a = replica(&sections).await;
    let b = replica(&sections).await;
    // One CA for both: an agent enrolled through either is trusted by both.
    assert_eq!(
        std::fs::read(a.ca_path()).unwrap(),
        std::fs::read(b.ca_path()).unwrap()
    );
    let ids: Vec<String> = (1..=10).map(|i| format!("rep-{i:02}")).collect();
    let agents: Vec<Agent> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            if i % 2 == 0 {
                a.agent_across(id, "dev", &[&b])
            } else {
                b.agent_across(id, "dev", &[&a])
            }
        })
        .collect();
    let on_b: Vec<&str> = ids.iter().skip(1).step_by(2).map(String::as_str).collect();
    let token = a.login().await;
    let every: Vec<&str> = ids.iter().map(String::as_str).collect();
    wait_idle(&b, &token, &every).await;

    // Started on A for the agents polling B; watched live from B.
    let id = start_execution(
        &a,
        &token,
        json!({"action": {"type": "shell_command", "command": "sleep 1; echo live-from-a"}, "target_servers": on_b}),
    )
    .await;
    let ws = format!(
        "{}/ws/executions/{id}?token={token}",
        b.http.replace("http://", "ws://")
    );
    let (mut watch, _) = tokio_tungstenite::connect_async(&ws).await.unwrap();
    let mut streamed = 0;
    let mut last = Value::Null;
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(60), watch.next())
        .await
        .expect("the watcher on B kept hearing")
    {
        let Message::Text(t) = msg.unwrap() else {
            continue;
        };
        let m: Value = serde_json::from_str(&t).unwrap();
        match m["type"].as_str() {
            Some("output") => streamed += m.to_string().matches("live-from-a").count(),
            Some("update") | Some("snapshot") => last = m,
            _ => {}
        }
        if last["execution"]["status"]["overall"] == "completed" {
            break;
        }
    }
    assert_eq!(
        streamed,
        on_b.len(),
        "B's watcher saw each line as it came: {last}"
    );
    let done = wait_final(&a, &token, &id, 60).await;
    assert_eq!(
        done["results"]["success_count"],
        on_b.len() as u64,
        "{done}"
    );

    // A replica dies (SIGKILL) while every agent runs a job: the agents that polled it fail
    // over to B, their results are recorded once, and no job runs twice.
    let id = start_execution(
        &b,
        &token,
        json!({"action": {"type": "shell_command", "command": "sleep 3; echo survived-the-kill"}, "target_servers": every}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while starts(&agents, &id).values().sum::<usize>() < agents.len() {
        assert!(
            Instant::now() < deadline,
            "not every agent started: {:?}",
            starts(&agents, &id)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (a_dir, a_config) = a.crash();
    let done = wait_final(&b, &token, &id, 90).await;
    all_once(&done, &agents, &id, "survived-the-kill");

    // Back to two replicas (A restarted on its data dir; its start resets the admin's
    // password, which ends the admin's sessions: sign in again).
    let a = Hub::start_in(a_dir, a_config).await;
    let token = a.login().await;

    // Redis restarts (empty) while jobs run: nothing is lost, and afterwards wake-ups and
    // live events cross again.
    let id = start_execution(
        &a,
        &token,
        json!({"action": {"type": "shell_command", "command": "sleep 2; echo through-the-restart"}, "target_servers": every}),
    )
    .await;
    redis.restart(Duration::from_millis(500));
    let done = wait_final(&a, &token, &id, 90).await;
    all_once(&done, &agents, &id, "through-the-restart");
    for (name, hub) in [("A", &a), ("B", &b)] {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !hub.log().contains("Redis link back") {
            assert!(
                Instant::now() < deadline,
                "replica {name} did not reconnect to Redis"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let id = start_execution(
        &a,
        &token,
        json!({"action": {"type": "shell_command", "command": "echo after-redis"}, "target_servers": on_b}),
    )
    .await;
    let done = wait_final(&b, &token, &id, 60).await;
    assert_eq!(
        done["results"]["success_count"],
        on_b.len() as u64,
        "{done}"
    );

    // A schedule firing every second, with both replicas ticking: each occurrence once.
    let (status, s) = a
        .post(
            "/api/v1/schedules",
            Some(&token),
            json!({"name": "every second", "trigger": {"type": "cron", "expression": "* * * * * *"},
                   "execution": {"action": {"type": "shell_command", "command": "echo tick"}, "target_servers": [ids[0]]}}),
        )
        .await;
    assert_eq!(status, 201, "{s}");
    let sid = s["id"].as_str().unwrap().to_string();
    // Wait for three occurrences (slow machines take longer; nothing here is timed).
    let until = Instant::now() + Duration::from_secs(60);
    let fired_count = |sched: &Value| {
        sched["runs"].as_array().map_or(0, |r| {
            r.iter().filter(|r| r["execution_id"].is_string()).count()
        })
    };
    let sched = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (_, sched) = b
            .get(&format!("/api/v1/schedules/{sid}"), Some(&token))
            .await;
        if fired_count(&sched) >= 3 || Instant::now() > until {
            break sched;
        }
    };
    let runs = sched["runs"].as_array().expect("the schedule's runs");
    let fired: Vec<&Value> = runs
        .iter()
        .filter(|r| r["execution_id"].is_string())
        .collect();
    assert!(
        fired.len() >= 3,
        "the schedule fired {} times in 60 s: {sched}",
        fired.len()
    );
    let occurrences: BTreeSet<&str> = runs
        .iter()
        .map(|r| r["occurrence_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        occurrences.len(),
        runs.len(),
        "an occurrence was recorded twice: {sched}"
    );
    let executions: BTreeSet<&str> = fired
        .iter()
        .map(|r| r["execution_id"].as_str().unwrap())
        .collect();
    assert_eq!(executions.len(), fired.len(), "{sched}");
    // The schedule keeps firing while this reads: the runs read before the history are all
    // in it, and everything in it is a run recorded by the time the runs are read again.
    let (_, history) = a
        .get("/api/v1/executions/history?page_size=100", Some(&token))
        .await;
    let scheduled: BTreeSet<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["schedule_id"] == sid)
        .map(|e| e["execution_id"].as_str().unwrap())
        .collect();
    let (_, later) = b
        .get(&format!("/api/v1/schedules/{sid}"), Some(&token))
        .await;
    let recorded: BTreeSet<&str> = later["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["execution_id"].as_str())
        .collect();
    assert!(
        executions.is_subset(&scheduled),
        "a fired run without its execution: {scheduled:?} {sched}"
    );
    assert!(
        scheduled.is_subset(&recorded),
        "an execution no run accounts for (fired twice?): {scheduled:?} {later}"
    );
    let (status, _) = a
        .request(
            "DELETE",
            &format!("/api/v1/schedules/{sid}"),
            Some(&token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    drop(b);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_runs_replicas_and_says_what_they_need() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let redis = Redis::start();
    let url = greenroom_hub::testkit::mongodb_url();
    let database = greenroom_hub::testkit::database_name();
    let dir = tempfile::tempdir().unwrap();
    // Replicas without Redis: one clear line.
    let out = std::process::Command::new(hub_bin())
        .args([
            "demo",
            "--replicas",
            "2",
            "--mongodb-url",
            &url,
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--redis-url"),
        "{err}"
    );

    let port = two_free_ports();
    let demo = Proc(
        std::process::Command::new(hub_bin())
            .args(["demo", "--agents", "2", "--replicas", "2", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--mongodb-url", &url, "--database-name", &database])
            .args(["--redis-url", &redis.url()])
            .arg("--agent-bin")
            .arg(agent_bin())
            .env("GREENROOM_ADMIN_PASSWORD", PASSWORD)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("demo.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    let demo_log = || {
        let mut text = std::fs::read_to_string(dir.path().join("demo.log")).unwrap_or_default();
        for r in ["hub-1", "hub-2"] {
            let log = dir.path().join("replicas").join(r).join("hub.log");
            let tail: Vec<String> = std::fs::read_to_string(log)
                .unwrap_or_default()
                .lines()
                .rev()
                .take(3)
                .map(str::to_string)
                .collect();
            text += &format!("\n{r}: {tail:?}");
        }
        text
    };
    // Through the second replica (the next port): both agents, one on each replica.
    let client = reqwest::Client::new();
    let http = format!("http://127.0.0.1:{}", port + 1);
    let deadline = Instant::now() + Duration::from_secs(90);
    let token = loop {
        assert!(
            Instant::now() < deadline,
            "the second replica did not come up: {}",
            demo_log()
        );
        if let Ok(r) = client
            .post(format!("{http}/api/v1/auth/login"))
            .json(&json!({"email": ADMIN, "password": PASSWORD}))
            .send()
            .await
            && r.status().is_success()
        {
            let v: Value = r.json().await.unwrap();
            break v["access_token"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let get = |path: String| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            client
                .get(path)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let servers = loop {
        assert!(
            Instant::now() < deadline,
            "the demo's agents did not come online"
        );
        let v = get(format!("{http}/api/v1/servers")).await;
        let idle: Vec<String> = v["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .filter(|s| s["status"]["current"] == "idle")
            .map(|s| s["server_id"].as_str().unwrap().to_string())
            .collect();
        if idle.len() == 2 {
            break idle;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let started: Value = client
        .post(format!("{http}/api/v1/executions"))
        .bearer_auth(&token)
        .json(&json!({"action": {"type": "shell_command", "command": "echo across-replicas"}, "target_servers": servers}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["execution_id"].as_str().unwrap().to_string();
    loop {
        assert!(Instant::now() < deadline, "the execution did not finish");
        let v = get(format!("{http}/api/v1/executions/{id}")).await;
        if v["status"]["overall"] == "completed" {
            assert_eq!(v["results"]["success_count"], 2, "{v}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Killed outright, the demo takes its replicas and agents with it (they used to run on,
    // orphaned, until someone found them).
    let children = || -> Vec<String> {
        let mine = dir.path().to_string_lossy().into_owned();
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .filter(|c| c.contains(&mine) && !c.contains(" demo "))
            .collect()
    };
    assert_eq!(
        children().len(),
        4,
        "2 replicas and 2 agents: {:?}",
        children()
    );
    drop(demo);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !children().is_empty() {
        assert!(
            Instant::now() < deadline,
            "outlived the demo: {:?}",
            children()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A port free together with the next one, below the range the kernel hands out for port 0
/// (so another test's listeners, bound meanwhile, do not take the second).
fn two_free_ports() -> u16 {
    let start = 20_000 + (std::process::id() % 9_000) as u16;
    (start..30_000)
        .step_by(7)
        .find(|p| {
            std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
        })
        .expect("two free ports")
}
