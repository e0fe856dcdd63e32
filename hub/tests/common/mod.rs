//! Test harness: the real `greenroom-hub` and `greenroom-agent` binaries, started as child
//! processes on 127.0.0.1 with their own data directories, and a REST client.

#![allow(dead_code, unused_imports)]

mod agent;
mod executions;
pub mod gqlws;
pub mod graphql;
pub mod netns;
pub mod pdf;
mod store;

pub use agent::*;
pub use executions::*;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ADMIN: &str = "admin@example.com";
pub const PASSWORD: &str = "correct-horse-battery-staple";

pub fn hub_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_greenroom-hub"))
}

/// The agent binary, built beside the hub's (`make test` builds the workspace first).
pub fn agent_bin() -> PathBuf {
    let p = hub_bin().with_file_name("greenroom-agent");
    assert!(
        p.is_file(),
        "{} is missing: run `cargo build -p greenroom-agent` first (make test does)",
        p.display()
    );
    p
}

pub use greenroom_hub::testkit::Redis;

/// The config sections of a hub replica: MongoDB database `database` and this Redis.
pub fn replica_sections(database: &str, redis: &Redis) -> String {
    format!(
        "{}redis:\n  url: \"{}\"\n",
        mongodb_section(database),
        redis.url()
    )
}

/// A child process killed when dropped.
pub struct Proc(pub Child);

impl Proc {
    /// SIGKILL, whatever the run: a crash, as the test means it.
    pub fn crash(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        // Under coverage (cargo llvm-cov sets LLVM_PROFILE_FILE) a process writes what it ran
        // only when it exits on its own: ask first (SIGTERM), kill 5 s later.
        if std::env::var_os("LLVM_PROFILE_FILE").is_some() {
            let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.crash();
    }
}

pub struct Hub {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub http: String,
    pub agent_port: u16,
    pub proc: Proc,
    pub client: reqwest::Client,
}

/// The execution section most tests use: fast heartbeats, short leases.
pub const FAST: &str = "heartbeat_interval: 2\n  offline_after_seconds: 10\n  lease_seconds: 20";

pub fn write_config(dir: &Path, extra: &str) -> PathBuf {
    write_config_with(dir, FAST, "127.0.0.1:0", "127.0.0.1:0", extra)
}

/// The store every test hub uses: SQLite in its data dir, or, when `GREENROOM_TEST_STORE` is
/// `mongodb` (`make test` runs the integration suites a second time so), a database of its own
/// on the MongoDB server of `greenroom_hub::testkit` — the whole product on MongoDB.
pub fn store_section() -> String {
    match std::env::var("GREENROOM_TEST_STORE").as_deref() {
        Ok("mongodb") => mongodb_section(&greenroom_hub::testkit::database_name()),
        Ok("sqlite") | Ok("") | Err(_) => String::new(),
        Ok(other) => panic!("GREENROOM_TEST_STORE={other}: expected sqlite or mongodb"),
    }
}

/// The specification's `database:` section for a MongoDB database of this name.
pub fn mongodb_section(database: &str) -> String {
    mongodb_section_at(&greenroom_hub::testkit::mongodb_url(), database)
}

/// The `database:` section for database `database` on the MongoDB server at `url`.
pub fn mongodb_section_at(url: &str, database: &str) -> String {
    format!(
        "database:\n  mongodb_url: \"{url}\"\n  database_name: \"{database}\"\n  connection_pool_size: 20\n"
    )
}

/// A config with this `execution:` section (indented two spaces) and listeners.
pub fn write_config_with(
    dir: &Path,
    execution: &str,
    listen: &str,
    agent_listen: &str,
    extra: &str,
) -> PathBuf {
    write_config_full(dir, execution, "", listen, agent_listen, extra)
}

/// As [`write_config_with`], with more lines of `security:` (each indented two spaces).
pub fn write_config_full(
    dir: &Path,
    execution: &str,
    security: &str,
    listen: &str,
    agent_listen: &str,
    extra: &str,
) -> PathBuf {
    let store = if extra.contains("database:") {
        String::new()
    } else {
        store_section()
    };
    let cfg = format!(
        "server:\n  listen: \"{listen}\"\n  agent_listen: \"{agent_listen}\"\n  data_dir: {:?}\nsecurity:\n  jwt_secret: \"{}\"\n{security}execution:\n  {execution}\nlogging:\n  level: \"INFO\"\n{store}{extra}",
        dir.display().to_string(),
        "s".repeat(40)
    );
    let path = dir.join("backend_config.yaml");
    std::fs::write(&path, cfg).unwrap();
    path
}

/// Runs a command (a hub verb), asserting it succeeds; its trimmed stdout.
pub fn run_ok(cmd: &mut Command) -> String {
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
        Self::start_with(FAST).await
    }

    /// A hub whose config has this `execution:` section.
    pub async fn start_with(execution: &str) -> Hub {
        let dir = tempfile::tempdir().unwrap();
        let config = write_config_with(dir.path(), execution, "127.0.0.1:0", "127.0.0.1:0", "");
        Self::start_in(dir, config).await
    }

    /// A hub with more lines of `security:` (each indented two spaces, newline-terminated).
    pub async fn start_secured(security: &str) -> Hub {
        let dir = tempfile::tempdir().unwrap();
        let config =
            write_config_full(dir.path(), FAST, security, "127.0.0.1:0", "127.0.0.1:0", "");
        Self::start_in(dir, config).await
    }

    /// A hub on an existing data dir and config (a restart).
    pub async fn start_in(dir: tempfile::TempDir, config: PathBuf) -> Hub {
        // reqwest is built without a default crypto provider (one provider: ring).
        let _ = rustls::crypto::ring::default_provider().install_default();
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
        // The hub logs the addresses it bound (ports were 0) in its "hub listening" line.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = dir.path().join(format!("hub-{}.log", child.id()));
        std::thread::spawn(move || {
            let mut file = std::fs::File::create(log).unwrap();
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                use std::io::Write;
                let _ = writeln!(file, "{line}");
                if !sent && line.contains("hub listening") {
                    let v: Value = serde_json::from_str(&line).unwrap_or_default();
                    let _ = tx.send(v["fields"].clone());
                    sent = true;
                }
            }
        });
        let fields = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("hub did not start (see hub.log)");
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
            proc: Proc(child),
            client: reqwest::Client::new(),
        }
    }

    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("pki").join("ca.crt")
    }

    pub fn enroll_token(&self) -> String {
        run_ok(
            Command::new(hub_bin())
                .args(["enroll-token", "--config"])
                .arg(&self.config),
        )
    }

    /// Starts an agent with a fresh enrollment token.
    pub fn agent(&self, server_id: &str, environment: &str) -> Agent {
        self.spawn_agent(server_id, environment, &["e2e"], 2)
    }

    fn spawn_agent(
        &self,
        server_id: &str,
        environment: &str,
        tags: &[&str],
        max_jobs: u32,
    ) -> Agent {
        self.spawn_agent_in(
            server_id,
            environment,
            (tags, max_jobs, 2),
            &self.enroll_token(),
            server_id,
            &[],
        )
    }

    /// An agent that heartbeats every `secs` seconds (the hub's `execution.heartbeat_interval`
    /// must be at least as long, or the agent follows the hub's).
    pub fn agent_heartbeating(&self, server_id: &str, environment: &str, secs: u64) -> Agent {
        self.spawn_agent_in(
            server_id,
            environment,
            (&["e2e"], 2, secs),
            &self.enroll_token(),
            server_id,
            &[],
        )
    }

    /// An agent that polls this hub first and fails over to `others` (replicas of it).
    pub fn agent_across(&self, server_id: &str, environment: &str, others: &[&Hub]) -> Agent {
        let ports: Vec<u16> = others.iter().map(|h| h.agent_port).collect();
        self.spawn_agent_in(
            server_id,
            environment,
            (&["e2e"], 2, 2),
            &self.enroll_token(),
            server_id,
            &ports,
        )
    }

    /// An agent enrolling with this token, its state in `agents/<state>`.
    pub fn agent_with_token(
        &self,
        server_id: &str,
        environment: &str,
        token: &str,
        state: &str,
    ) -> Agent {
        self.spawn_agent_in(server_id, environment, (&["e2e"], 2, 2), token, state, &[])
    }

    /// An agent with these tags and slots, enrolling with `token` (state in
    /// `agents/<state_name>`), polling this hub first and then `failover_ports`.
    fn spawn_agent_in(
        &self,
        server_id: &str,
        environment: &str,
        opts: (&[&str], u32, u64),
        token: &str,
        state_name: &str,
        failover_ports: &[u16],
    ) -> Agent {
        let urls: Vec<String> = std::iter::once(self.agent_port)
            .chain(failover_ports.iter().copied())
            .map(|p| format!("https://127.0.0.1:{p}"))
            .collect();
        self.spawn_agent_at(server_id, environment, opts, token, state_name, &urls, &[])
    }

    /// An agent polling `urls`, started through `launcher` (a command prefix such as
    /// `ip netns exec NS`; empty: directly).
    #[allow(clippy::too_many_arguments)]
    pub fn spawn_agent_at(
        &self,
        server_id: &str,
        environment: &str,
        (tags, max_jobs, heartbeat): (&[&str], u32, u64),
        token: &str,
        state_name: &str,
        urls: &[String],
        launcher: &[String],
    ) -> Agent {
        let state = self.dir.path().join("agents").join(state_name);
        std::fs::create_dir_all(&state).unwrap();
        let cfg = format!(
            "agent:\n  server_id: {server_id:?}\n  backend_urls: {urls:?}\n  auth_token: {:?}\n  ca_cert: {:?}\n  state_dir: {:?}\n  environment: {environment:?}\n  tags: {tags:?}\nexecution:\n  max_concurrent_jobs: {max_jobs}\nsecurity:\n  allow_root: true\nmonitoring:\n  heartbeat_interval: {heartbeat}\n  health_check_port: 0\n",
            token,
            self.ca_path().display().to_string(),
            state.display().to_string(),
        );
        std::fs::write(state.join("agent.yaml"), cfg).unwrap();
        std::fs::File::create(state.join("agent.log")).unwrap();
        let mut agent = Agent {
            server_id: server_id.into(),
            state,
            launcher: launcher.to_vec(),
            proc: None,
        };
        agent.respawn();
        agent
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

    /// Creates (or resets) a user with the test password through the CLI verb.
    pub fn add_user(&self, email: &str, role: &str, tenant: &str) {
        run_ok(
            Command::new(hub_bin())
                .args([
                    "create-user",
                    "--email",
                    email,
                    "--role",
                    role,
                    "--tenant",
                    tenant,
                    "--config",
                ])
                .arg(&self.config)
                .env("GREENROOM_PASSWORD", PASSWORD),
        );
    }

    /// Signs in as `email` (the test password); the access token.
    pub async fn login_as(&self, email: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// Any method; a JSON body unless it is null. The answer's JSON (null when none).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(m, format!("{}{path}", self.http));
        if !body.is_null() {
            req = req.json(&body);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A GET whose answer is text (`/metrics`, CSV): the body, whatever the status.
    pub async fn text(&self, path: &str, token: Option<&str>) -> String {
        let mut req = self.client.get(format!("{}{path}", self.http));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap().text().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.request("POST", path, token, body).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.request("GET", path, token, Value::Null).await
    }

    /// Polls until `f` holds for the GET answer, or panics after `secs`.
    pub async fn wait_for(
        &self,
        path: &str,
        token: &str,
        secs: u64,
        f: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let (status, body) = self.get(path, Some(token)).await;
            if status == 200 && f(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on {path}: last answer {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(
            self.dir
                .path()
                .join(format!("hub-{}.log", self.proc.0.id())),
        )
        .unwrap_or_default()
    }

    /// The MongoDB URL and database this hub's config names, when it runs on MongoDB.
    pub fn mongodb(&self) -> Option<(String, String)> {
        let text = std::fs::read_to_string(&self.config).ok()?;
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(key))
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        Some((value("mongodb_url:")?, value("database_name:")?))
    }

    /// Kills the hub process (SIGKILL) and hands back its data dir and config (for a restart).
    pub fn crash(mut self) -> (tempfile::TempDir, PathBuf) {
        self.proc.crash();
        self.stop()
    }

    /// Stops the hub process and hands back its data dir and config (for a restart).
    pub fn stop(self) -> (tempfile::TempDir, PathBuf) {
        let Hub {
            dir, config, proc, ..
        } = self;
        drop(proc);
        (dir, config)
    }

    /// Starts an agent with extra YAML appended under `execution:` (e.g. max_concurrent_jobs).
    pub fn agent_with(
        &self,
        server_id: &str,
        environment: &str,
        tags: &[&str],
        max_jobs: u32,
    ) -> Agent {
        self.spawn_agent(server_id, environment, tags, max_jobs)
    }
}

/// A free TCP port on 127.0.0.1 (bound and released; fine for tests on one machine).
/// The value of the first sample in Prometheus text `text` whose line starts with
/// `name_and_labels` (0 when there is none).
pub fn metric(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name_and_labels))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
