//! The demo's agents: real `greenroom-agent` processes, each enrolled with a one-time
//! token, spread over the environments and tag sets, ended with the demo.

use super::*;

pub(super) const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "uat"];

pub(super) const TAG_SETS: [&[&str]; 3] = [
    &["nginx", "php"],
    &["postgresql", "database"],
    &["redis", "cache", "nginx"],
];

pub(super) fn default_agent_bin() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("greenroom-agent")))
        .unwrap_or_else(|| PathBuf::from("greenroom-agent"))
}

/// Makes a child end with the demo even when the demo is killed outright (SIGKILL leaves it
/// no chance to stop its agents and replicas, which `kill_on_drop` needs).
pub(super) fn die_with_parent(mut cmd: tokio::process::Command) -> tokio::process::Command {
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

pub(super) struct Agent {
    pub(super) server_id: String,
    pub(super) child: tokio::process::Child,
}

pub(super) async fn spawn_agent(
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
