//! Real hosts on one machine, for the fault suite: every agent in a network namespace of its
//! own, joined to the hub by a veth pair on a bridge that the test creates, so a link is
//! really cut (the veth taken down: packets vanish, no reset is sent), made lossy (an
//! nftables `numgen random` drop inside the namespace, both directions) or slowed, and
//! restored. The addresses are a /24 of 10.200.0.0/13 picked from the test's process id;
//! the bridge holds `.1`, where the hub's agent listener binds, and each host the next one.
//! Everything is removed when the [`Lan`] is dropped (and leftovers of dead test processes
//! when the next one starts).
//!
//! Needs root, `ip` (iproute2) and `nft` (nftables); CI runs as root. This machine's kernel
//! has no `sch_netem`, so delay is not a qdisc: [`DelayRelay`] is a TCP relay on the bridge
//! that holds every chunk for a fixed time in each direction (the hub sees the relay's
//! address, the agent a slow path), which is what a long link does to a TLS stream.

use std::process::Command;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// Runs `ip`/`nft` and friends; panics with their stderr when they fail.
pub fn sh(args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the fault suite needs iproute2 and nftables)",
                args[0]
            )
        });
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn quiet(args: &[&str]) {
    let _ = Command::new(args[0]).args(&args[1..]).output();
}

/// Fails at once, with what is missing, where the suite cannot run.
pub fn require_root_and_tools() {
    let uid = Command::new("id").arg("-u").output().unwrap().stdout;
    assert_eq!(
        String::from_utf8_lossy(&uid).trim(),
        "0",
        "the fault suite makes network namespaces: run it as root (make test-faults; CI runs as root)"
    );
    for tool in ["ip", "nft"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap()
                .status
                .success(),
            "the fault suite needs `{tool}`: apt-get install -y iproute2 nftables (make test-faults installs them)"
        );
    }
}

/// A bridge with its hosts: one network of this test.
pub struct Lan {
    tag: u32,
    prefix: String,
    bridge: String,
    hosts: AtomicU32,
}

/// One host: a namespace with `eth0` on the bridge.
pub struct Host {
    pub ns: String,
    /// The bridge side of its veth: down = cable pulled.
    link: String,
    pub addr: String,
}

fn pid_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes namespaces and bridges that test processes which are gone left behind.
fn sweep_leftovers() {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        if let Some(pid) = name
            .strip_prefix("grf")
            .and_then(|r| r.split('x').next())
            .and_then(|p| p.parse::<u32>().ok())
            && !pid_alive(pid)
        {
            quiet(&["ip", "netns", "del", name]);
        }
    }
    let out = Command::new("ip")
        .args(["-o", "link", "show", "type", "bridge"])
        .output()
        .unwrap();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split(':').nth(1).unwrap_or("").trim();
        if let Some(pid) = name.strip_prefix("grb").and_then(|p| p.parse::<u32>().ok())
            && !pid_alive(pid)
        {
            quiet(&["ip", "link", "del", name]);
        }
    }
}

impl Lan {
    pub fn new() -> Lan {
        require_root_and_tools();
        sweep_leftovers();
        let tag = std::process::id();
        let prefix = format!("10.{}.{}", 200 + (tag / 256) % 8, tag % 256);
        let bridge = format!("grb{tag}");
        sh(&["ip", "link", "add", &bridge, "type", "bridge"]);
        sh(&[
            "ip",
            "addr",
            "add",
            &format!("{prefix}.1/24"),
            "dev",
            &bridge,
        ]);
        sh(&["ip", "link", "set", &bridge, "up"]);
        Lan {
            tag,
            prefix,
            bridge,
            hosts: AtomicU32::new(0),
        }
    }

    /// The hub's address on this network.
    pub fn hub_addr(&self) -> String {
        format!("{}.1", self.prefix)
    }

    /// A new host on the bridge.
    pub fn host(&self) -> Host {
        let n = self.hosts.fetch_add(1, Ordering::SeqCst);
        assert!(n < 250, "one /24 holds 250 hosts");
        let ns = format!("grf{}x{n}", self.tag);
        let link = format!("grh{}x{n}", self.tag);
        let peer = format!("grp{}x{n}", self.tag);
        let addr = format!("{}.{}", self.prefix, n + 2);
        sh(&["ip", "netns", "add", &ns]);
        sh(&[
            "ip", "link", "add", &link, "type", "veth", "peer", "name", &peer,
        ]);
        sh(&["ip", "link", "set", &peer, "netns", &ns]);
        sh(&["ip", "link", "set", &link, "master", &self.bridge, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["ip", "netns", "exec", &ns];
            all.extend_from_slice(args);
            sh(&all);
        };
        inside(&["ip", "link", "set", &peer, "name", "eth0"]);
        inside(&["ip", "addr", "add", &format!("{addr}/24"), "dev", "eth0"]);
        inside(&["ip", "link", "set", "eth0", "up"]);
        inside(&["ip", "link", "set", "lo", "up"]);
        Host { ns, link, addr }
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for n in 0..self.hosts.load(Ordering::SeqCst) {
            quiet(&["ip", "netns", "del", &format!("grf{}x{n}", self.tag)]);
            quiet(&["ip", "link", "del", &format!("grh{}x{n}", self.tag)]);
        }
        quiet(&["ip", "link", "del", &self.bridge]);
    }
}

impl Host {
    /// The command prefix that starts a program on this host.
    pub fn launcher(&self) -> Vec<String> {
        ["ip", "netns", "exec", &self.ns].map(String::from).to_vec()
    }

    /// Pulls the cable: packets in flight and after are lost, no connection is reset.
    pub fn cut(&self) {
        sh(&["ip", "link", "set", &self.link, "down"]);
    }

    /// Plugs it back in.
    pub fn restore(&self) {
        sh(&["ip", "link", "set", &self.link, "up"]);
    }

    /// Drops `percent` % of the packets in each direction, at random, until [`Host::clear`].
    pub fn lossy(&self, percent: u32) {
        let rules = format!(
            "table inet fault {{\n chain in {{ type filter hook input priority 0; iifname \"eth0\" numgen random mod 100 < {percent} counter drop; }}\n chain out {{ type filter hook output priority 0; oifname \"eth0\" numgen random mod 100 < {percent} counter drop; }}\n}}\n"
        );
        let file = std::env::temp_dir().join(format!("{}.nft", self.ns));
        std::fs::write(&file, rules).unwrap();
        sh(&[
            "ip",
            "netns",
            "exec",
            &self.ns,
            "nft",
            "-f",
            file.to_str().unwrap(),
        ]);
        let _ = std::fs::remove_file(file);
    }

    /// Ends the loss; how many packets it dropped.
    pub fn clear(&self) -> u64 {
        let out = Command::new("ip")
            .args([
                "netns", "exec", &self.ns, "nft", "list", "table", "inet", "fault",
            ])
            .output()
            .unwrap();
        let dropped = String::from_utf8_lossy(&out.stdout)
            .split("packets ")
            .skip(1)
            .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
            .sum();
        sh(&[
            "ip", "netns", "exec", &self.ns, "nft", "delete", "table", "inet", "fault",
        ]);
        dropped
    }
}

/// A TCP relay that delays every chunk by `each_way` in each direction.
pub struct DelayRelay {
    pub port: u16,
    /// Chunks held so far, both directions.
    pub delayed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl DelayRelay {
    /// Listens on `bind_ip` (a free port) and relays to `to`.
    pub async fn start(bind_ip: &str, to: std::net::SocketAddr, each_way: Duration) -> DelayRelay {
        let listener = tokio::net::TcpListener::bind((bind_ip, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let delayed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let count = delayed.clone();
        let task = tokio::spawn(async move {
            while let Ok((down, _)) = listener.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    let Ok(up) = tokio::net::TcpStream::connect(to).await else {
                        return;
                    };
                    let (dr, dw) = down.into_split();
                    let (ur, uw) = up.into_split();
                    tokio::join!(
                        hold(dr, uw, each_way, &count),
                        hold(ur, dw, each_way, &count)
                    );
                });
            }
        });
        DelayRelay {
            port,
            delayed,
            task,
        }
    }
}

impl Drop for DelayRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies `from` to `to`, each chunk written `delay` after it was read, in order.
async fn hold(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
    count: &AtomicU64,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let writer = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0
                || tx
                    .send((tokio::time::Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
            {
                break;
            }
            count.fetch_add(1, Ordering::Relaxed);
        }
    };
    tokio::join!(reader, writer);
}
