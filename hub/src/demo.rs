//! `greenroom-hub demo`: a hub on the embedded defaults plus N real `greenroom-agent`
//! processes enrolled over mTLS, seeded with sample templates. Ctrl-C stops everything.

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
    let mut user = User::new(email, role, tenant, hash);
    // A new password ends the sessions made with the old one.
    user.tokens_valid_after = Some(chrono::Utc::now());
    store.upsert_user(&user).await?;
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
        database: Default::default(),
        redis: Default::default(),
        notifications: Default::default(),
        security: SecuritySection {
            jwt_secret: random_token(),
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
    hub_agent_addr: SocketAddr,
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
        "agent:\n  server_id: {server_id:?}\n  backend_url: \"https://127.0.0.1:{port}\"\n  auth_token: \"${{AGENT_AUTH_TOKEN:-}}\"\n  ca_cert: {ca:?}\n  state_dir: {state:?}\n  environment: {env:?}\n  server_group: \"demo\"\n  tags: [{tags}]\nexecution:\n  max_concurrent_jobs: 3\n  default_timeout: 300\n  log_level: {log_level:?}\nsecurity:\n  # The demo runs its agents as whoever runs the demo; installed agents run unprivileged.\n  allow_root: true\nmonitoring:\n  heartbeat_interval: 5\n  health_check_port: 0\n",
        port = hub_agent_addr.port(),
        ca = ca_path.display().to_string(),
        state = state.display().to_string(),
    );
    let config_path = state.join("agent.yaml");
    std::fs::write(&config_path, config)?;
    let log = std::fs::File::create(state.join("agent.log"))?;
    let child = tokio::process::Command::new(bin)
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
    let config = demo_config(&args, &data_dir);
    let (password, generated) = match std::env::var("GREENROOM_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_token()[..20].to_string(), true),
    };
    // The admin exists before the hub listens, so whoever sees it up can sign in at once.
    {
        let store = crate::store::sqlite::SqliteStore::open(&config.sqlite_path())?;
        put_user(
            &store,
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
                hub.agent_addr,
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
}
