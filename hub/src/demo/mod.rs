//! `greenroom-hub demo`: a hub on the embedded defaults plus N real `greenroom-agent`
//! processes enrolled over mTLS, seeded with sample templates. Ctrl-C stops everything.
//!
//! With `--mongodb-url`, `--redis-url` and `--replicas N`, N hub replicas run as their own
//! `greenroom-hub serve` processes (configs under `<data-dir>/replicas/`), the API on the
//! given port and the next ones, with the agents spread across them and each able to fail
//! over to the others — kill one and watch.

mod agents;
mod replicas;
mod samples;

pub use agents::signal_on_parent_death;
pub use samples::{SAMPLES, load_templates};

use crate::audit::{self, Actor, Resource};
use crate::auth::{self, random_token};
use crate::config::{Config, ExecutionSection, SecuritySection, ServerSection};
use crate::model::{Role, User};
use crate::server;
use crate::service::templates::{self, NewTemplate};
use crate::store::Store;
use agents::*;
use anyhow::Context as _;
use replicas::*;
use samples::*;
use serde_json::json;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "admin@example.com";

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
            graphql_cost_per_minute: 10_000_000,
            graphql_persisted_queries: Default::default(),
            graphql_persisted_queries_manifest: None,
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
    let config = checked_config(&args, &data_dir)?;
    // The admin exists before the hub listens, so whoever sees it up can sign in at once.
    let (password, generated) = {
        let store = crate::store::open(&config).await?;
        put_admin(store.as_ref()).await?
    };
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

/// The demo's config, every problem with it refused at once.
fn checked_config(args: &DemoArgs, data_dir: &Path) -> anyhow::Result<Config> {
    let config = demo_config(args, data_dir);
    if let Err(problems) = config.validate() {
        anyhow::bail!("{}", problems.join("; "));
    }
    Ok(config)
}

/// Creates (or resets) the demo's admin; its password and whether it was made here.
async fn put_admin(store: &dyn Store) -> anyhow::Result<(String, bool)> {
    let (password, generated) = admin_password();
    put_user(
        store,
        ADMIN_EMAIL,
        &password,
        "admin",
        crate::model::DEFAULT_TENANT,
    )
    .await?;
    Ok((password, generated))
}

/// The admin's password: `GREENROOM_ADMIN_PASSWORD`, or a new one (and whether it was made).
fn admin_password() -> (String, bool) {
    match std::env::var("GREENROOM_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_token()[..20].to_string(), true),
    }
}
