//! Harness for tests against the real binaries: the hub (`greenroom-hub`, found beside the
//! agent binary — `make test` builds every binary first), agents started as child processes
//! with their own state directories, a REST client, and a TCP proxy between agent and hub
//! that a test can cut and restore. Every process is killed when its handle is dropped.
//! (Adapted from hub/tests/common; not shared, so the two crates stay independent.)

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub const ADMIN: &str = "admin@example.com";
pub const PASSWORD: &str = "correct-horse-battery-staple";

pub fn agent_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_greenroom-agent"))
}

pub fn hub_bin() -> PathBuf {
    let p = agent_bin().with_file_name("greenroom-hub");
    assert!(
        p.is_file(),
        "{} is missing: build it first (`cargo build -p greenroom-hub`; `make test` does)",
        p.display()
    );
    p
}

/// A child process killed (SIGKILL) and reaped when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A config file with a placeholder CA, for `run-once` and `check-config`.
pub fn local_config(dir: &Path, extra: &str) -> PathBuf {
    let ca = dir.join("ca.crt");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let path = dir.join("agent.yaml");
    std::fs::write(
        &path,
        format!(
            "agent:\n  backend_url: https://127.0.0.1:1\n  ca_cert: {:?}\n  state_dir: {:?}\n{extra}",
            ca.display().to_string(),
            dir.join("state").display().to_string()
        ),
    )
    .unwrap();
    path
}

/// Runs `greenroom-agent run-once` with `action`; returns (exit code, result JSON, stderr).
pub fn run_once(config: &Path, action: &Value) -> (i32, Value, String) {
    let out = Command::new(agent_bin())
        .args(["run-once", "--config"])
        .arg(config)
        .arg("--action")
        .arg(action.to_string())
        .output()
        .expect("run the agent binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("run-once printed no JSON ({e}): {stdout}\n{stderr}"));
    (out.status.code().unwrap_or(-1), v, stderr)
}

pub struct Hub {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub http: String,
    pub agent_port: u16,
    pub proc: Proc,
    pub client: reqwest::Client,
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run hub verb");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Hub {
    pub async fn start() -> Hub {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("backend_config.yaml");
        std::fs::write(
            &config,
            format!(
                "server:\n  listen: \"127.0.0.1:0\"\n  agent_listen: \"127.0.0.1:0\"\n  data_dir: {:?}\nsecurity:\n  jwt_secret: \"{}\"\nexecution:\n  heartbeat_interval: 2\n  offline_after_seconds: 30\n  lease_seconds: 30\nlogging:\n  level: \"INFO\"\n",
                dir.path().display().to_string(),
                "s".repeat(40)
            ),
        )
        .unwrap();
        run_ok(
            Command::new(hub_bin())
                .args([
                    "create-user",
                    "--role",
                    "admin",
                    "--email",
                    ADMIN,
                    "--config",
                ])
                .arg(&config)
                .env("GREENROOM_PASSWORD", PASSWORD),
        );
        let mut child = Command::new(hub_bin())
            .args(["serve", "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = dir.path().join("hub.log");
        std::thread::spawn(move || {
            use std::io::Write;
            let mut file = std::fs::File::create(log).unwrap();
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(file, "{line}");
                if !sent && line.contains("hub listening") {
                    let v: Value = serde_json::from_str(&line).unwrap_or_default();
                    let _ = tx.send(v["fields"].clone());
                    sent = true;
                }
            }
        });
        let proc = Proc(child);
        let fields = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the hub did not start (see hub.log)");
        let http = format!("http://{}", fields["http_addr"].as_str().unwrap());
        let agent_port = fields["agent_addr"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        Hub {
            dir,
            config,
            http,
            agent_port,
            proc,
            client: reqwest::Client::new(),
        }
    }

    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("pki").join("ca.crt")
    }

    /// Writes an agent config pointing at `port` (the hub's, or a proxy's).
    pub fn agent_config(&self, server_id: &str, port: u16, extra: &str) -> PathBuf {
        let url = format!("backend_url: \"https://127.0.0.1:{port}\"");
        self.agent_config_with(server_id, &url, extra)
    }

    /// Writes an agent config with several hub addresses (`agent.backend_urls`), in order.
    pub fn agent_config_urls(&self, server_id: &str, ports: &[u16], extra: &str) -> PathBuf {
        let list: Vec<String> = ports
            .iter()
            .map(|p| format!("\"https://127.0.0.1:{p}\""))
            .collect();
        let urls = format!("backend_urls: [{}]", list.join(", "));
        self.agent_config_with(server_id, &urls, extra)
    }

    /// A fresh enrollment token from the hub's `enroll-token` verb.
    pub fn enroll_token(&self) -> String {
        run_ok(
            Command::new(hub_bin())
                .args(["enroll-token", "--config"])
                .arg(&self.config),
        )
    }

    fn agent_config_with(&self, server_id: &str, address: &str, extra: &str) -> PathBuf {
        let state = self.dir.path().join("agents").join(server_id);
        std::fs::create_dir_all(&state).unwrap();
        let token = self.enroll_token();
        let cfg = format!(
            "agent:\n  server_id: {server_id:?}\n  {address}\n  auth_token: {token:?}\n  ca_cert: {:?}\n  state_dir: {:?}\n  tags: [\"agent-it\"]\nsecurity:\n  allow_root: true\nmonitoring:\n  heartbeat_interval: 2\n  health_check_port: 0\n{extra}",
            self.ca_path().display().to_string(),
            state.display().to_string(),
        );
        let path = state.join("agent.yaml");
        std::fs::write(&path, cfg).unwrap();
        path
    }

    pub async fn login(&self) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": ADMIN, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.0, 200, "{}", r.1);
        r.1["access_token"].as_str().unwrap().to_string()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.client.post(format!("{}{path}", self.http)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let resp = self
            .client
            .get(format!("{}{path}", self.http))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete(&self, path: &str, token: &str) -> u16 {
        self.client
            .delete(format!("{}{path}", self.http))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Polls until `f` holds for the GET answer, or panics after `secs` with the last answer.
    pub async fn wait_for(
        &self,
        path: &str,
        token: &str,
        secs: u64,
        what: &str,
        f: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let (status, body) = self.get(path, token).await;
            if status == 200 && f(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {secs} s waiting for {what}: last answer {status} {body}\nhub log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `server_id` is known and idle.
    pub async fn wait_online(&self, token: &str, server_id: &str) {
        self.wait_for(
            "/api/v1/servers?tag=agent-it",
            token,
            30,
            &format!("{server_id} online"),
            |v| {
                v["items"].as_array().is_some_and(|items| {
                    items
                        .iter()
                        .any(|s| s["server_id"] == server_id && s["status"]["current"] == "idle")
                })
            },
        )
        .await;
    }

    /// Starts an execution of `action` on `server_id`; returns its id.
    pub async fn execute(&self, token: &str, server_id: &str, action: Value) -> String {
        let (status, body) = self
            .post(
                "/api/v1/executions",
                Some(token),
                json!({"action": action, "target_servers": [server_id]}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        body["execution_id"].as_str().unwrap().to_string()
    }

    /// The execution's per-server results once it is no longer pending or running.
    pub async fn finished(&self, token: &str, id: &str, secs: u64) -> Value {
        self.wait_for(
            &format!("/api/v1/executions/{id}"),
            token,
            secs,
            &format!("execution {id} to finish"),
            |v| !matches!(v["status"]["overall"].as_str(), Some("pending" | "running")),
        )
        .await
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("hub.log")).unwrap_or_default()
    }
}

/// A running agent binary with its log file.
pub struct Agent {
    pub config: PathBuf,
    pub proc: Proc,
}

impl Agent {
    pub fn start(config: &Path) -> Agent {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(config.with_file_name("agent.log"))
            .unwrap();
        let child = Command::new(agent_bin())
            .args(["run", "--config"])
            .arg(config)
            .env_remove("RUST_LOG")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Agent {
            config: config.to_path_buf(),
            proc: Proc(child),
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.config.with_file_name("agent.log")).unwrap_or_default()
    }

    pub fn outbox(&self) -> Vec<PathBuf> {
        let dir = self.config.with_file_name("outbox");
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(self.proc.0.id() as i32)
    }

    /// SIGTERM, then waits (bounded) for the exit status.
    pub fn terminate(&mut self, limit: Duration) -> Option<i32> {
        nix::sys::signal::kill(self.pid(), nix::sys::signal::Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.proc.0.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "the agent did not exit within {limit:?} of SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Polls `f` until it holds, or panics after `secs` naming `what`.
pub async fn until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP proxy on 127.0.0.1 to `target`; `cut` closes every connection and refuses new ones
/// (they are accepted and dropped at once) until `restore`.
pub struct Proxy {
    pub port: u16,
    /// Connections accepted and forwarded so far.
    pub forwarded: Arc<std::sync::atomic::AtomicUsize>,
    up: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: u16) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = watch::channel(0u64);
        let (up2, gen2) = (up.clone(), generation.clone());
        let forwarded = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = forwarded.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the agent sees a reset
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let mut cut = gen2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy {
            port,
            forwarded,
            up,
            generation,
            task,
        }
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    pub fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.generation.send_modify(|g| *g += 1);
    }
}
