//! `greenroom-hub demo`: a hub on the embedded defaults plus N real `greenroom-agent`
//! processes enrolled over mTLS, seeded with sample templates. Ctrl-C stops everything.
//!
//! With `--mongodb-url`, `--redis-url` and `--replicas N`, N hub replicas run as their own
//! `greenroom-hub serve` processes (configs under `<data-dir>/replicas/`), the API on the
//! given port and the next ones, with the agents spread across them and each able to fail
//! over to the others — kill one and watch.

use crate::audit::{self, Actor, Resource};
use crate::auth::{self, random_token};
use crate::config::{Config, ExecutionSection, SecuritySection, ServerSection};
use crate::model::{Role, User};
use crate::server;
use crate::service::templates::{self, NewTemplate};
use crate::store::Store;
use anyhow::Context as _;
use serde_json::json;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "admin@example.com";
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "uat"];
const TAG_SETS: [&[&str]; 3] = [
    &["nginx", "php"],
    &["postgresql", "database"],
    &["redis", "cache", "nginx"],
];

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Where the API and dashboard listen.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Where the agents' mTLS listener binds (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub agent_listen: SocketAddr,
    /// Data directory: CA, database, agents' state.
    #[arg(long, default_value = ".greenroom-demo")]
    pub data_dir: PathBuf,
    /// How many local agents to start.
    #[arg(long, default_value_t = 3)]
    pub agents: usize,
    /// The agent binary; default: `greenroom-agent` beside this binary.
    #[arg(long)]
    pub agent_bin: Option<PathBuf>,
    /// The built dashboard; default: `web/dist` if it exists.
    #[arg(long)]
    pub web_dir: Option<PathBuf>,
    /// Log level of the hub and agents.
    #[arg(long, default_value = "INFO")]
    pub log_level: String,
    /// Keep the data in MongoDB (6.0+, a replica set) instead of the embedded SQLite file.
    #[arg(long, value_name = "URL")]
    pub mongodb_url: Option<String>,
    /// The MongoDB database (with --mongodb-url).
    #[arg(long, default_value = "greenroom_demo")]
    pub database_name: String,
    /// Share live events, wake-ups and rate limits through Redis (needs --mongodb-url).
    #[arg(long, value_name = "URL")]
    pub redis_url: Option<String>,
    /// How many hub replicas to run (more than one needs --mongodb-url and --redis-url).
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
}

/// Saves a user with an argon2 hash of `password` (and audits it).
pub async fn put_user(
    store: &dyn Store,
    email: &str,
    password: &str,
    role: &str,
    tenant: &str,
) -> anyhow::Result<()> {
    auth::check_password_strength(password)?;
    let role = Role::parse(role).with_context(|| format!("unknown role {role}"))?;
    let hash = auth::hash_password(password).await?;
    let user = User::new(email, role, tenant, hash.clone());
    let now = chrono::Utc::now();
    match store.insert_user(&user).await {
        Ok(()) => {}
        Err(crate::store::StoreError::Duplicate { .. }) => {
            // An existing user: a new password and role, and the sessions made with the old
            // password end.
            store
                .modify_user(
                    tenant,
                    email,
                    std::sync::Arc::new(move |u: &mut User| {
                        u.password_hash = hash.clone();
                        u.role = role;
                        u.disabled = false;
                        u.tokens_valid_after = Some(now);
                    }),
                )
                .await?;
            store
                .end_sessions_of(tenant, email, "password_changed", now)
                .await?;
        }
        Err(e) => return Err(e.into()),
    }
    let r = Resource {
        kind: "user",
        id: email,
        name: None,
    };
    audit::record_in(
        store,
        tenant,
        Actor::System,
        "user_saved",
        r,
        json!({"role": role.as_str()}),
        None,
    )
    .await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn wait_for_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

fn default_agent_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("greenroom-agent")))
        .unwrap_or_else(|| PathBuf::from("greenroom-agent"))
}

/// The demo's JWT secret (and so its at-rest key): made once and kept in the data dir, so a
/// restarted demo still reads what it sealed and its users stay signed in.
fn demo_secret(data_dir: &Path) -> String {
    let path = data_dir.join("demo.secret");
    if let Ok(s) = std::fs::read_to_string(&path)
        && s.trim().len() >= 32
    {
        return s.trim().to_string();
    }
    let secret = random_token();
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, secret.as_bytes()));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "could not keep the demo secret; a restart will not read what this run sealed");
    }
    secret
}

fn demo_config(args: &DemoArgs, data_dir: &Path) -> Config {
    let web_dir = args.web_dir.clone().or_else(|| {
        let candidate = PathBuf::from("web/dist");
        candidate.join("index.html").is_file().then_some(candidate)
    });
    Config {
        server: ServerSection {
            listen: args.listen,
            agent_listen: args.agent_listen,
            agent_hostnames: vec!["127.0.0.1".into(), "localhost".into()],
            data_dir: data_dir.to_path_buf(),
            web_dir,
        },
        database: crate::config::DatabaseSection {
            mongodb_url: args.mongodb_url.clone(),
            database_name: args.database_name.clone(),
            ..Default::default()
        },
        redis: crate::config::RedisSection {
            url: args.redis_url.clone(),
            ..Default::default()
        },
        notifications: Default::default(),
        security: SecuritySection {
            jwt_secret: demo_secret(data_dir),
            token_expiry_hours: 8,
            refresh_token_days: 30,
            agent_certificate_days: 90,
            enrollment_token_hours: 1,
            login_max_failures: 5,
            rate_limit_per_minute: 6000,
            login_rate_limit_per_minute: 60,
            graphql_introspection: true,
            cors_origins: Vec::new(),
            tls_cert: None,
            tls_key: None,
            trusted_proxies: Vec::new(),
            encryption_key: None,
        },
        execution: ExecutionSection {
            heartbeat_interval: 5,
            offline_after_seconds: 20,
            lease_seconds: 30,
            ..Default::default()
        },
        logging: crate::config::LoggingSection {
            level: args.log_level.clone(),
            ..Default::default()
        },
    }
}

/// Makes a child end with the demo even when the demo is killed outright (SIGKILL leaves it
/// no chance to stop its agents and replicas, which `kill_on_drop` needs).
fn die_with_parent(mut cmd: tokio::process::Command) -> tokio::process::Command {
    // SAFETY: see `signal_on_parent_death`.
    unsafe {
        cmd.pre_exec(signal_on_parent_death(nix::libc::SIGTERM));
    }
    cmd
}

/// For `pre_exec`: the kernel sends the child `signal` when the thread that started it exits
/// (a runtime worker, or the test's thread, which live as long as their process). Between
/// fork and exec it only calls prctl(2), which is async-signal-safe.
pub fn signal_on_parent_death(
    signal: nix::libc::c_int,
) -> impl FnMut() -> std::io::Result<()> + Send + Sync + 'static {
    move || {
        // SAFETY: prctl with PR_SET_PDEATHSIG takes a plain integer and touches no memory.
        unsafe { nix::libc::prctl(nix::libc::PR_SET_PDEATHSIG, signal) };
        Ok(())
    }
}

/// The shipped library of sample templates (`hub/templates/samples.json`).
pub const SAMPLES: &str = include_str!("../templates/samples.json");

/// Loads templates (the sample library, or a JSON array of template documents) into a
/// tenant, skipping names that exist. Returns (added, skipped).
pub async fn load_templates(
    app: &crate::app::App,
    caller: &auth::Caller,
    json_text: &str,
) -> anyhow::Result<(usize, usize)> {
    let docs: Vec<serde_json::Value> = serde_json::from_str(json_text)
        .context("templates: expected a JSON array of template documents")?;
    let (mut added, mut skipped) = (0, 0);
    for (i, doc) in docs.into_iter().enumerate() {
        let t: NewTemplate =
            serde_json::from_value(doc).with_context(|| format!("template #{}", i + 1))?;
        let name = t.name.clone();
        match templates::create(app, caller, t, &crate::audit::NO_ORIGIN).await {
            Ok(_) => added += 1,
            Err(crate::error::Error::Conflict(_)) => skipped += 1,
            Err(e) => anyhow::bail!("template {name:?}: {e}"),
        }
    }
    Ok((added, skipped))
}

async fn seed_templates(app: &crate::app::App) -> anyhow::Result<()> {
    let admin = auth::Caller::internal(ADMIN_EMAIL, crate::model::DEFAULT_TENANT, Role::Admin);
    load_templates(app, &admin, SAMPLES).await?;
    Ok(())
}

struct Agent {
    server_id: String,
    child: tokio::process::Child,
}

async fn spawn_agent(
    store: &dyn Store,
    bin: &Path,
    dir: &Path,
    index: usize,
    hub_agent_addrs: &[SocketAddr],
    ca_path: &Path,
    log_level: &str,
) -> anyhow::Result<Agent> {
    let env = ENVIRONMENTS[index % ENVIRONMENTS.len()];
    let server_id = format!("demo-{env}-{:02}", index + 1);
    let state = dir.join(&server_id);
    std::fs::create_dir_all(&state)?;
    let token = if state.join("agent.crt").exists() {
        String::new()
    } else {
        crate::service::agents::issue_enrollment_token(
            store,
            crate::model::DEFAULT_TENANT,
            "demo",
            chrono::Duration::hours(1),
            1,
            &Default::default(),
        )
        .await?
    };
    let tags = TAG_SETS[index % TAG_SETS.len()]
        .iter()
        .map(|t| format!("{t:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let config = format!(
        "agent:\n  server_id: {server_id:?}\n  backend_urls: {urls:?}\n  auth_token: \"${{AGENT_AUTH_TOKEN:-}}\"\n  ca_cert: {ca:?}\n  state_dir: {state:?}\n  environment: {env:?}\n  server_group: \"demo\"\n  tags: [{tags}]\nexecution:\n  max_concurrent_jobs: 3\n  default_timeout: 300\n  log_level: {log_level:?}\nsecurity:\n  # The demo runs its agents as whoever runs the demo; installed agents run unprivileged.\n  allow_root: true\nmonitoring:\n  heartbeat_interval: 5\n  health_check_port: 0\n",
        // Its own replica first (spread by index), then the others to fail over to.
        urls = (0..hub_agent_addrs.len())
            .map(|k| format!(
                "https://127.0.0.1:{}",
                hub_agent_addrs[(index + k) % hub_agent_addrs.len()].port()
            ))
            .collect::<Vec<_>>(),
        ca = ca_path.display().to_string(),
        state = state.display().to_string(),
    );
    let config_path = state.join("agent.yaml");
    std::fs::write(&config_path, config)?;
    let log = std::fs::File::create(state.join("agent.log"))?;
    let child = die_with_parent(tokio::process::Command::new(bin))
        .args(["run", "--config"])
        .arg(&config_path)
        .env("AGENT_AUTH_TOKEN", token)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start agent {}", bin.display()))?;
    Ok(Agent { server_id, child })
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    crate::logging::init(&args.log_level, true, None)?;
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let data_dir = std::fs::canonicalize(&args.data_dir)?;
    let bin = args.agent_bin.clone().unwrap_or_else(default_agent_bin);
    if !bin.is_file() {
        anyhow::bail!(
            "agent binary {} not found: build it with `cargo build -p greenroom-agent` or pass --agent-bin",
            bin.display()
        );
    }
    if args.replicas > 1 {
        return run_replicas(args, data_dir, bin).await;
    }
    let config = demo_config(&args, &data_dir);
    if let Err(problems) = config.validate() {
        anyhow::bail!("{}", problems.join("; "));
    }
    let (password, generated) = admin_password();
    // The admin exists before the hub listens, so whoever sees it up can sign in at once.
    {
        let store = crate::store::open(&config).await?;
        put_user(
            store.as_ref(),
            ADMIN_EMAIL,
            &password,
            "admin",
            crate::model::DEFAULT_TENANT,
        )
        .await?;
    }
    let hub = server::start(config).await?;
    let app = hub.app.clone();

    seed_templates(&app).await?;

    let ca_path = data_dir.join("pki").join("ca.crt");
    let agents_dir = data_dir.join("agents");
    let mut agents = Vec::new();
    for i in 0..args.agents {
        agents.push(
            spawn_agent(
                app.store.as_ref(),
                &bin,
                &agents_dir,
                i,
                &[hub.agent_addr],
                &ca_path,
                &args.log_level,
            )
            .await?,
        );
    }
    let url = format!("http://{}", hub.http_addr);
    println!("\nGreenroom is running: {url}");
    println!("  login: {ADMIN_EMAIL}");
    if generated {
        println!("  password: {password}   (set GREENROOM_ADMIN_PASSWORD to choose it)");
    } else {
        println!("  password: from GREENROOM_ADMIN_PASSWORD");
    }
    println!(
        "  agents: {} ({})",
        agents.len(),
        agents
            .iter()
            .map(|a| a.server_id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("  data: {}   Press Ctrl-C to stop.\n", data_dir.display());

    wait_for_signal().await;
    println!("stopping agents and hub");
    for a in &agents {
        if let Some(pid) = a.child.id() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
    }
    for a in &mut agents {
        if tokio::time::timeout(Duration::from_secs(12), a.child.wait())
            .await
            .is_err()
        {
            let _ = a.child.kill().await;
        }
    }
    hub.stop().await;
    Ok(())
}

/// The admin's password: `GREENROOM_ADMIN_PASSWORD`, or a new one (and whether it was made).
fn admin_password() -> (String, bool) {
    match std::env::var("GREENROOM_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_token()[..20].to_string(), true),
    }
}

/// One replica of the demo: its `serve` process and where it listens.
struct Replica {
    name: String,
    http: SocketAddr,
    agents: SocketAddr,
    child: tokio::process::Child,
}

/// A free port on 127.0.0.1 (for a replica's agent listener).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A replica's config file (0600: it holds the JWT secret).
fn replica_config(
    args: &DemoArgs,
    base: &Config,
    dir: &Path,
    http: SocketAddr,
    agents: SocketAddr,
) -> anyhow::Result<PathBuf> {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let web = base
        .server
        .web_dir
        .as_ref()
        .map(|w| format!("  web_dir: {}\n", q(&w.display().to_string())))
        .unwrap_or_default();
    let text = format!(
        "# A replica of `greenroom-hub demo --replicas`.\nserver:\n  listen: \"{http}\"\n  agent_listen: \"{agents}\"\n  agent_hostnames: [\"127.0.0.1\", \"localhost\"]\n  data_dir: {}\n{web}database:\n  mongodb_url: {}\n  database_name: {}\nredis:\n  url: {}\nsecurity:\n  jwt_secret: {}\n  rate_limit_per_minute: {}\n  login_rate_limit_per_minute: {}\nexecution:\n  heartbeat_interval: {}\n  offline_after_seconds: {}\n  lease_seconds: {}\nlogging:\n  level: {}\n",
        q(&dir.display().to_string()),
        q(base.mongodb_url().unwrap_or_default()),
        q(&base.database.database_name),
        q(base.redis_url().unwrap_or_default()),
        q(&base.security.jwt_secret),
        base.security.rate_limit_per_minute,
        base.security.login_rate_limit_per_minute,
        base.execution.heartbeat_interval,
        base.execution.offline_after_seconds,
        base.execution.lease_seconds,
        q(&args.log_level),
    );
    std::fs::create_dir_all(dir)?;
    let path = dir.join("backend_config.yaml");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    std::io::Write::write_all(&mut f, text.as_bytes())?;
    Ok(path)
}

/// The demo with `--replicas N`: N `serve` processes on one MongoDB database and one Redis.
async fn run_replicas(args: DemoArgs, data_dir: PathBuf, bin: PathBuf) -> anyhow::Result<()> {
    if args.mongodb_url.is_none() || args.redis_url.is_none() {
        anyhow::bail!(
            "--replicas {} needs --mongodb-url and --redis-url: replicas keep their truth in MongoDB and share live events through Redis",
            args.replicas
        );
    }
    let config = demo_config(&args, &data_dir);
    if let Err(problems) = config.validate() {
        anyhow::bail!("{}", problems.join("; "));
    }
    let (password, generated) = admin_password();
    let store = crate::store::open(&config).await?;
    put_user(
        store.as_ref(),
        ADMIN_EMAIL,
        &password,
        "admin",
        crate::model::DEFAULT_TENANT,
    )
    .await?;
    // The CA every replica takes from the store, made (or read) here first.
    let pki_dir = data_dir.join("pki");
    crate::ca::shared::startup(store.as_ref(), &pki_dir).await?;
    let pki = crate::ca::HubPki::open(&pki_dir, &config.server.agent_hostnames)?;
    let app = crate::app::App::new(config.clone(), store.clone(), pki);
    seed_templates(&app).await?;

    let exe = std::env::current_exe().context("the hub's own binary")?;
    let mut replicas = Vec::new();
    for i in 0..args.replicas {
        let name = format!("hub-{}", i + 1);
        let http = SocketAddr::new(args.listen.ip(), args.listen.port() + i as u16);
        let agents = match args.agent_listen.port() {
            0 => SocketAddr::new(args.agent_listen.ip(), free_port()?),
            p => SocketAddr::new(args.agent_listen.ip(), p + i as u16),
        };
        let dir = data_dir.join("replicas").join(&name);
        let cfg = replica_config(&args, &config, &dir, http, agents)?;
        let log = std::fs::File::create(dir.join("hub.log"))?;
        let child = die_with_parent(tokio::process::Command::new(&exe))
            .args(["serve", "--config"])
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start replica {name}"))?;
        replicas.push(Replica {
            name,
            http,
            agents,
            child,
        });
    }
    for r in &mut replicas {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while tokio::net::TcpStream::connect(r.http).await.is_err() {
            if let Some(status) = r.child.try_wait()? {
                let log = std::fs::read_to_string(
                    data_dir.join("replicas").join(&r.name).join("hub.log"),
                )
                .unwrap_or_default();
                anyhow::bail!(
                    "replica {} exited ({status}): {}",
                    r.name,
                    log.lines().last().unwrap_or_default()
                );
            }
            if std::time::Instant::now() > deadline {
                anyhow::bail!("replica {} did not start listening on {}", r.name, r.http);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let agent_addrs: Vec<SocketAddr> = replicas.iter().map(|r| r.agents).collect();
    let ca_path = pki_dir.join("ca.crt");
    let agents_dir = data_dir.join("agents");
    let mut agents = Vec::new();
    for i in 0..args.agents {
        agents.push(
            spawn_agent(
                store.as_ref(),
                &bin,
                &agents_dir,
                i,
                &agent_addrs,
                &ca_path,
                &args.log_level,
            )
            .await?,
        );
    }
    println!(
        "\nGreenroom is running: {} replicas on MongoDB and Redis",
        replicas.len()
    );
    for (k, r) in replicas.iter().enumerate() {
        let polling: Vec<&str> = agents
            .iter()
            .enumerate()
            .filter(|(i, _)| i % replicas.len() == k)
            .map(|(_, a)| a.server_id.as_str())
            .collect();
        println!(
            "  {}: http://{}  (pid {}, agents first poll it: {})",
            r.name,
            r.http,
            r.child.id().unwrap_or_default(),
            if polling.is_empty() {
                "none".to_string()
            } else {
                polling.join(", ")
            }
        );
    }
    println!("  login: {ADMIN_EMAIL}");
    if generated {
        println!("  password: {password}   (set GREENROOM_ADMIN_PASSWORD to choose it)");
    } else {
        println!("  password: from GREENROOM_ADMIN_PASSWORD");
    }
    println!(
        "  data: {}   `kill -9` a replica's pid to watch its agents fail over. Ctrl-C stops everything.\n",
        data_dir.display()
    );

    wait_for_signal().await;
    println!("stopping agents and replicas");
    let term = |pid: Option<u32>| {
        if let Some(pid) = pid {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
    };
    for a in &agents {
        term(a.child.id());
    }
    for a in &mut agents {
        if tokio::time::timeout(Duration::from_secs(12), a.child.wait())
            .await
            .is_err()
        {
            let _ = a.child.kill().await;
        }
    }
    for r in &replicas {
        term(r.child.id());
    }
    for r in &mut replicas {
        if tokio::time::timeout(Duration::from_secs(10), r.child.wait())
            .await
            .is_err()
        {
            let _ = r.child.kill().await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::templates::problems;

    #[test]
    fn the_sample_library_has_twenty_valid_templates() {
        let docs: Vec<serde_json::Value> = serde_json::from_str(SAMPLES).unwrap();
        assert!(docs.len() >= 20, "{} samples", docs.len());
        let mut names = std::collections::BTreeSet::new();
        for doc in docs {
            let t: NewTemplate = serde_json::from_value(doc).unwrap();
            assert!(names.insert(t.name.clone()), "duplicate {}", t.name);
            let now = chrono::Utc::now();
            let full = crate::model::ActionTemplate {
                tenant_id: "t".into(),
                id: "x".into(),
                name: t.name.clone(),
                description: t.description,
                category: t.category,
                action_type: t.action_type,
                version: t.version,
                parameters: t.parameters,
                execution_config: t.execution_config,
                command_template: t.command_template,
                success_criteria: t.success_criteria,
                applicable_server_tags: t.applicable_server_tags,
                metadata: crate::model::TemplateMetadata {
                    created_at: now,
                    created_by: "t".into(),
                    updated_at: now,
                    usage_count: 0,
                },
            };
            assert_eq!(problems(&full), Vec::<String>::new(), "{}", t.name);
        }
    }

    #[test]
    fn no_sample_parameter_accepts_a_path_that_climbs_out() {
        let docs: Vec<serde_json::Value> = serde_json::from_str(SAMPLES).unwrap();
        let climbing = [
            "/tmp/../etc",
            "/tmp/x/../../etc/shadow",
            "/var/log/../../root/.ssh/id_rsa",
            "/..",
            "/tmp/..",
            "../etc",
        ];
        let mut checked = 0;
        for doc in &docs {
            let Some(params) = doc["parameters"].as_object() else {
                continue;
            };
            for (name, p) in params {
                let Some(re) = p["validation"].as_str() else {
                    continue;
                };
                // As the hub applies it: the whole value must match.
                let re = regex::Regex::new(&format!("^(?:{re})$")).unwrap();
                for v in climbing {
                    assert!(!re.is_match(v), "{} accepts {name} = {v:?}", doc["name"]);
                }
                checked += 1;
            }
        }
        assert!(checked >= 5, "only {checked} validated parameters");
    }

    /// A sample template, ready to render.
    fn sample(name: &str) -> crate::model::ActionTemplate {
        let docs: Vec<serde_json::Value> = serde_json::from_str(SAMPLES).unwrap();
        let doc = docs.into_iter().find(|d| d["name"] == name).expect(name);
        let t: NewTemplate = serde_json::from_value(doc).unwrap();
        let now = chrono::Utc::now();
        crate::model::ActionTemplate {
            tenant_id: "t".into(),
            id: "x".into(),
            name: t.name,
            description: t.description,
            category: t.category,
            action_type: t.action_type,
            version: t.version,
            parameters: t.parameters,
            execution_config: t.execution_config,
            command_template: t.command_template,
            success_criteria: t.success_criteria,
            applicable_server_tags: t.applicable_server_tags,
            metadata: crate::model::TemplateMetadata {
                created_at: now,
                created_by: "t".into(),
                updated_at: now,
                usage_count: 0,
            },
        }
    }

    #[test]
    fn samples_refuse_path_traversal_and_option_injection() {
        let refused = |name: &str, param: &str, value: &str| {
            let t = sample(name);
            let mut params = json!({param: value});
            if t.parameters.get("port").is_some_and(|p| p.required) {
                params["port"] = 80.into();
            }
            crate::template::render(&t, &params).is_err()
        };
        let accepted = |name: &str, param: &str, value: &str| !refused(name, param, value);
        for bad in [
            "/tmp/../etc",
            "/tmp/..",
            "/var/tmp/x/../../etc",
            "/tmp",
            "/etc/passwd",
            "/tmp/ x",
        ] {
            assert!(refused("Clear a temp directory", "dir", bad), "{bad}");
        }
        assert!(accepted(
            "Clear a temp directory",
            "dir",
            "/tmp/build-cache"
        ));
        for bad in [
            "/etc/shadow",
            "/var/log/../../etc/shadow",
            "/var/log/..",
            "/var/logx",
        ] {
            assert!(refused("Recent errors in a log", "file", bad), "{bad}");
        }
        assert!(accepted(
            "Recent errors in a log",
            "file",
            "/var/log/nginx/error.log"
        ));
        assert!(refused("Disk space", "mount", "/../etc"));
        assert!(accepted("Disk space", "mount", "/var/lib"));
        for (name, param) in [
            ("Service is active", "service"),
            ("Restart a service", "service"),
            ("DNS resolves", "name"),
            ("Process running", "name"),
            ("TLS certificate expiry", "host"),
            ("TCP port open", "host"),
        ] {
            for bad in ["--help", "-H", "-s x"] {
                assert!(refused(name, param, bad), "{name}: {bad}");
            }
        }
    }

    #[test]
    fn no_sample_hands_a_value_to_a_second_interpreter_as_code() {
        // The TCP check runs `bash -c`: its host and port go in as positional arguments.
        let t = sample("TCP port open");
        let r = crate::template::render(&t, &json!({"host": "127.0.0.1", "port": 1})).unwrap();
        assert!(
            r.command.contains("\"/dev/tcp/$1/$2\"' port-check"),
            "{}",
            r.command
        );
    }
}
