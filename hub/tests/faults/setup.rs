//! The fault suite's setup: hubs on a test network, agents on hosts of their own, the two
//! replica fleet, small disks, and the steps every case takes (start, wait, run).

use super::ledger::{Row, mark_env, marked};
use crate::common::netns::{DelayRelay, Host, Lan};
use crate::common::*;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// libfaketime (Debian's `faketime` package; `scripts/faults.sh` installs it).
pub const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// Short leases (20 s; the agent renews them while a job runs) and heartbeats every 2 s, so a
/// lapse is quick to reach.
pub const SHORT: &str = FAST;

/// The production defaults (lease 90 s, heartbeat 30 s), for faults of the network's quality:
/// what they test is the product as deployed, not a lease shortened for the test.
pub const PRODUCTION: &str =
    "heartbeat_interval: 30\n  offline_after_seconds: 60\n  lease_seconds: 90";

/// A hub (short leases) whose agent listener binds `agent_ip` on a fixed port (a restart
/// keeps it), with a certificate for that address.
pub async fn hub_on(agent_ip: &str) -> Hub {
    hub_in(tempfile::tempdir().unwrap(), agent_ip, SHORT, "").await
}

/// A hub in `dir` with this `execution:` section and `extra` config sections (a `database:` section replaces
/// the test store).
pub async fn hub_in(dir: tempfile::TempDir, agent_ip: &str, execution: &str, extra: &str) -> Hub {
    let port = std::net::TcpListener::bind((agent_ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("{agent_ip}:{port}");
    let config = write_config_with(dir.path(), execution, "127.0.0.1:0", &listen, extra);
    let text = std::fs::read_to_string(&config).unwrap().replace(
        &format!("  agent_listen: \"{listen}\"\n"),
        &format!("  agent_listen: \"{listen}\"\n  agent_hostnames: [\"{agent_ip}\"]\n"),
    );
    std::fs::write(&config, text).unwrap();
    Hub::start_in(dir, config).await
}

/// An enrollment token for `uses` agents.
pub fn token_for(hub: &Hub, uses: usize) -> String {
    run_ok(
        std::process::Command::new(hub_bin())
            .args(["enroll-token", "--uses", &uses.to_string(), "--config"])
            .arg(&hub.config),
    )
}

/// Agent `id`, started through `launcher` (its host, a fake clock…), polling `url`.
pub fn agent_at(hub: &Hub, id: &str, token: &str, url: &str, launcher: &[String]) -> Agent {
    let state = hub.dir.path().join("agents").join(id);
    let mut launch = launcher.to_vec();
    launch.extend(mark_env(&state));
    hub.spawn_agent_at(
        id,
        "faults",
        (&["faults"], 2, 2),
        token,
        id,
        &[url.to_string()],
        &launch,
    )
}

/// One agent on each of `n` new hosts of `lan`, polling the hub at `port` on the bridge.
pub fn agents_on_hosts(hub: &Hub, lan: &Lan, n: usize, port: u16) -> Vec<(Host, Agent)> {
    let token = token_for(hub, n);
    let url = format!("https://{}:{port}", lan.hub_addr());
    (0..n)
        .map(|i| {
            let host = lan.host();
            let agent = agent_at(hub, &format!("f-{i:03}"), &token, &url, &host.launcher());
            (host, agent)
        })
        .collect()
}

/// Waits until every agent's server is online at the hub.
pub async fn wait_online(hub: &Hub, token: &str, agents: &[&Agent], secs: u64) {
    for a in agents {
        hub.wait_for(
            &format!("/api/v1/servers/{}", a.server_id),
            token,
            secs,
            |v| v["status"]["current"] == "idle" || v["status"]["current"] == "online",
        )
        .await;
    }
}

/// Starts `command` on every agent's server; the execution id.
pub async fn run_on(hub: &Hub, token: &str, agents: &[&Agent], command: &str) -> String {
    let targets: Vec<&str> = agents.iter().map(|a| a.server_id.as_str()).collect();
    start_execution(
        hub,
        token,
        json!({"action": {"type": "shell_command", "command": command}, "target_servers": targets}),
    )
    .await
}

/// Waits until the command tagged `tag` has started on every agent.
pub async fn wait_marked(agents: &[&Agent], tag: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !agents.iter().all(|a| super::ledger::runs(a, tag) >= 1) {
        assert!(
            Instant::now() < deadline,
            "the jobs did not start within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A hub on a network of its own and `n` agents, each on a host of its own, all online;
/// agents reach the hub directly or through a relay holding every chunk `relay` each way.
/// Fields drop in order: agents, relay, hub, then the network.
pub struct Net {
    pub fleet: Vec<(Host, Agent)>,
    pub relay: Option<DelayRelay>,
    pub hub: Hub,
    pub token: String,
    pub lan: Lan,
}

impl Net {
    pub async fn start(n: usize, execution: &str, extra: &str, relay: Option<Duration>) -> Net {
        let lan = Lan::new();
        let hub = hub_in(
            tempfile::tempdir().unwrap(),
            &lan.hub_addr(),
            execution,
            extra,
        )
        .await;
        let token = hub.login().await;
        let relay = match relay {
            Some(each_way) => {
                let to = format!("{}:{}", lan.hub_addr(), hub.agent_port)
                    .parse()
                    .unwrap();
                Some(DelayRelay::start(&lan.hub_addr(), to, each_way).await)
            }
            None => None,
        };
        let port = relay.as_ref().map_or(hub.agent_port, |r| r.port);
        let fleet = agents_on_hosts(&hub, &lan, n, port);
        let net = Net {
            fleet,
            relay,
            hub,
            token,
            lan,
        };
        wait_online(&net.hub, &net.token, &net.agents(), 120).await;
        net
    }

    pub fn agents(&self) -> Vec<&Agent> {
        self.fleet.iter().map(|(_, a)| a).collect()
    }

    /// Runs `marked(tag, work)` on every agent and waits until it started everywhere.
    pub async fn start_marked(&self, tag: &str, work: &str) -> String {
        let agents = self.agents();
        let id = run_on(&self.hub, &self.token, &agents, &marked(tag, work)).await;
        wait_marked(&agents, tag, 30).await;
        id
    }
}

pub fn every_job(rows: &[Row], state: &str) -> Vec<String> {
    rows.iter()
        .filter(|r| r.hub != state)
        .map(|r| format!("{}: expected {state}, the hub says {}", r.server_id, r.hub))
        .collect()
}

/// Two replicas on one MongoDB database (a SecantusDB of the case's own) and a
/// `redis-server` of its own, and six agents: half poll A first, half B, each failing over to
/// the other. Fields drop in order: agents, replicas, then Redis and the database.
pub struct Replicas {
    pub agents: Vec<Agent>,
    pub a: Option<Hub>,
    /// A's data dir and config once it was killed.
    pub crashed: Option<(tempfile::TempDir, std::path::PathBuf)>,
    pub b: Hub,
    pub token: String,
    pub redis: greenroom_hub::testkit::Redis,
    pub _db: greenroom_hub::testkit::Secantus,
}

impl Replicas {
    pub async fn start() -> Replicas {
        let db = greenroom_hub::testkit::Secantus::start();
        let redis = greenroom_hub::testkit::Redis::start();
        let sections = format!(
            "{}redis:\n  url: \"{}\"\n",
            mongodb_section_at(&db.url(), "faults"),
            redis.url()
        );
        let a = hub_in(tempfile::tempdir().unwrap(), "127.0.0.1", SHORT, &sections).await;
        let b = hub_in(tempfile::tempdir().unwrap(), "127.0.0.1", SHORT, &sections).await;
        // Each start resets the admin's password: sign in once both run.
        let token = b.login().await;
        let enroll = token_for(&a, 6);
        let url = |h: &Hub| format!("https://127.0.0.1:{}", h.agent_port);
        let agents: Vec<Agent> = (0..6)
            .map(|i| {
                let id = format!("r-{i}");
                let state = a.dir.path().join("agents").join(&id);
                let urls = if i % 2 == 0 {
                    [url(&a), url(&b)]
                } else {
                    [url(&b), url(&a)]
                };
                a.spawn_agent_at(
                    &id,
                    "faults",
                    (&["faults"], 2, 2),
                    &enroll,
                    &id,
                    &urls,
                    &mark_env(&state),
                )
            })
            .collect();
        wait_online(&b, &token, &agents.iter().collect::<Vec<_>>(), 60).await;
        Replicas {
            agents,
            a: Some(a),
            crashed: None,
            b,
            token,
            redis,
            _db: db,
        }
    }

    pub fn agents(&self) -> Vec<&Agent> {
        self.agents.iter().collect()
    }

    /// Runs `marked(tag, work)` on every agent, started through B, once it started everywhere.
    pub async fn start_marked(&self, tag: &str, work: &str) -> String {
        let agents = self.agents();
        let id = run_on(&self.b, &self.token, &agents, &marked(tag, work)).await;
        wait_marked(&agents, tag, 30).await;
        id
    }
}

/// A tmpfs of `size` mounted at `dir`, unmounted when dropped.
pub struct SmallDisk(pub std::path::PathBuf);

impl SmallDisk {
    pub fn mount(dir: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(dir).unwrap();
        crate::common::netns::sh(&[
            "mount",
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size}"),
            "tmpfs",
            dir.to_str().unwrap(),
        ]);
        SmallDisk(dir.to_path_buf())
    }

    /// Fills what is left with one file; removing it gives the space back.
    pub fn fill(&self) -> std::path::PathBuf {
        let filler = self.0.join("filler");
        let _ = std::process::Command::new("dd")
            .args(["if=/dev/zero", "bs=4k"])
            .arg(format!("of={}", filler.display()))
            .output();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .output();
    }
}
