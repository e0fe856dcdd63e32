//! `demo --replicas N`: N hub replicas as their own `greenroom-hub serve` processes on
//! one MongoDB and Redis, each with its config file, the agents spread over them.

use super::*;

/// One replica of the demo: its `serve` process and where it listens.
pub(super) struct Replica {
    pub(super) name: String,
    pub(super) http: SocketAddr,
    pub(super) agents: SocketAddr,
    pub(super) child: tokio::process::Child,
}

/// A free port on 127.0.0.1 (for a replica's agent listener).
pub(super) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A replica's config file (0600: it holds the JWT secret).
pub(super) fn replica_config(
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
pub(super) async fn run_replicas(
    args: DemoArgs,
    data_dir: PathBuf,
    bin: PathBuf,
) -> anyhow::Result<()> {
    if args.mongodb_url.is_none() || args.redis_url.is_none() {
        anyhow::bail!(
            "--replicas {} needs --mongodb-url and --redis-url: replicas keep their truth in MongoDB and share live events through Redis",
            args.replicas
        );
    }
    let config = checked_config(&args, &data_dir)?;
    let store = crate::store::open(&config).await?;
    let (password, generated) = put_admin(store.as_ref()).await?;
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
