//! `greenroom-agent enroll`: one command that makes a fresh server an enrolled agent.
//!
//! In order, so that nothing is half done when something fails:
//! 1. check the arguments and refuse to replace an enrolled identity without `--force`;
//! 2. get the hub's CA: `--ca-file`, or `--ca-sha256` (see `pin`: one unverified request,
//!    then only the CA with that fingerprint is trusted);
//! 3. write the CA file (`ca.crt` beside the config), then the config to `CONFIG.new` (so an unwritable path fails
//!    before the one-time token is spent), and create the state directory;
//! 4. enroll through `identity::enroll_with` (the daemon's own enrollment, with a bounded
//!    number of attempts), which saves the key (0600), certificate and trust bundle;
//! 5. move the config into place (an existing different one is kept as `CONFIG.bak`), hand
//!    the files to the service user when run as root (see `files`);
//! 6. start the service when that is surely wanted and possible (see `service`), else say
//!    what is next.
//!
//! The token is used in memory only: the config never holds it.

pub mod files;
pub mod pin;
pub mod service;

use crate::config::{AgentConfig, Secret};
use crate::identity;
use files::{AgentSection, Ownership};
pub use service::ServiceStart;
use std::path::{Path, PathBuf};

/// Attempts per enrollment before the hub counts as unreachable (with backoff between).
const ATTEMPTS: u32 = 3;

/// What `greenroom-agent enroll` was asked.
#[derive(Debug, Clone)]
pub struct EnrollArgs {
    pub hubs: Vec<String>,
    pub token: String,
    pub ca_sha256: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub server_id: Option<String>,
    pub environment: Option<String>,
    pub tags: Vec<String>,
    pub config: PathBuf,
    pub state_dir: PathBuf,
    pub service_user: String,
    pub force: bool,
    /// Leave the service alone (see `service`).
    pub no_start: bool,
    pub systemd: service::Systemd,
}

/// Why enrollment did not happen; `Display` is the one line shown. Exit status 2 for
/// bad arguments, 1 for everything else.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failed(String),
}

impl EnrollError {
    pub fn exit_code(&self) -> u8 {
        match self {
            EnrollError::Usage(_) => 2,
            EnrollError::Failed(_) => 1,
        }
    }
}

/// What was done, for the closing message.
#[derive(Debug)]
pub struct Enrolled {
    pub server_id: String,
    pub config: PathBuf,
    pub ca_cert: PathBuf,
    pub state_dir: PathBuf,
    pub owner: Ownership,
    pub backup: Option<PathBuf>,
    /// The service user does not exist although run as root.
    pub missing_user: bool,
    /// Whether the service was started.
    pub service: ServiceStart,
}

impl Enrolled {
    /// The lines printed after a successful enrollment.
    pub fn message(&self, service_user: &str) -> String {
        let mut m = format!(
            "enrolled as {}: certificate and key in {}, config {}, CA {}\n",
            self.server_id,
            self.state_dir.display(),
            self.config.display(),
            self.ca_cert.display()
        );
        if let Some(b) = &self.backup {
            m.push_str(&format!("the previous config is kept as {}\n", b.display()));
        }
        if self.missing_user {
            m.push_str(&format!(
                "note: the user {service_user} does not exist, so the files stay with root: give them to the user that runs the agent\n"
            ));
        }
        match (&self.service, self.owner) {
            (ServiceStart::Started, _) => m.push_str(
                "started: greenroom-agent.service is enabled and running (journalctl -u greenroom-agent to follow it)\n",
            ),
            (ServiceStart::Failed(why), _) => m.push_str(&format!(
                "the service did not start: {why}\nnext: fix that, then systemctl enable --now greenroom-agent\n"
            )),
            (ServiceStart::NotTried(_), Ownership::Service { .. }) => {
                m.push_str("next: systemctl enable --now greenroom-agent\n")
            }
            (ServiceStart::NotTried(_), Ownership::Caller) => m.push_str(&format!(
                "next: systemctl enable --now greenroom-agent (or: greenroom-agent run --config {})\n",
                self.config.display()
            )),
        }
        m
    }
}

/// `path` with `suffix` appended to its file name (`a.yaml` → `a.yaml.new`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn failed(e: impl std::fmt::Display) -> EnrollError {
    EnrollError::Failed(e.to_string())
}

/// Checks what can be checked before contacting anyone.
fn check_args(args: &EnrollArgs) -> Result<(Vec<String>, String, Option<String>), EnrollError> {
    if args.hubs.is_empty() {
        return Err(EnrollError::Usage(
            "--hub: give the hub's agent address, e.g. https://hub.example:8443".into(),
        ));
    }
    let mut hubs = Vec::new();
    for hub in &args.hubs {
        match reqwest::Url::parse(hub) {
            Ok(u) if u.scheme() == "https" && u.host_str().is_some() => {
                hubs.push(hub.trim_end_matches('/').to_string())
            }
            Ok(_) => {
                return Err(EnrollError::Usage(format!(
                    "--hub {hub:?}: must be an https:// URL with a host"
                )));
            }
            Err(e) => return Err(EnrollError::Usage(format!("--hub {hub:?}: {e}"))),
        }
    }
    if args.token.trim().is_empty() {
        return Err(EnrollError::Usage("--token: must not be empty".into()));
    }
    let server_id = args
        .server_id
        .clone()
        .unwrap_or_else(crate::metrics::hostname);
    greenroom_pki::validate_server_id(&server_id)
        .map_err(|e| EnrollError::Usage(format!("--server-id {server_id:?}: {e}")))?;
    let pin = match (&args.ca_sha256, &args.ca_file) {
        (Some(fp), None) => Some(pin::parse_fingerprint(fp).map_err(EnrollError::Usage)?),
        (None, Some(_)) => None,
        _ => {
            return Err(EnrollError::Usage(
                "give the hub's CA as --ca-sha256 FINGERPRINT or --ca-file PATH (one of them)"
                    .into(),
            ));
        }
    };
    Ok((hubs, server_id, pin))
}

/// Enrolls this server (see the module docs).
pub async fn run(args: &EnrollArgs) -> Result<Enrolled, EnrollError> {
    let (hubs, server_id, pin) = check_args(args)?;
    if identity::is_enrolled(&args.state_dir) && !args.force {
        return Err(failed(format!(
            "already enrolled: {} holds an identity; use --force to enroll again (with a new token)",
            args.state_dir.join("agent.crt").display()
        )));
    }
    let ca_pem = match (&pin, &args.ca_file) {
        (Some(pin), _) => {
            let answer = pin::fetch_unverified(&hubs).await.map_err(failed)?;
            pin::pinned_ca(&answer, pin).map_err(failed)?
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| failed(format!("--ca-file {}: {e}", path.display())))?;
            greenroom_pki::fingerprint_pem(&text).map_err(|e| {
                failed(format!(
                    "--ca-file {}: not a PEM certificate: {e}",
                    path.display()
                ))
            })?;
            text
        }
        (None, None) => unreachable!("check_args requires one"),
    };
    let config_dir = args
        .config
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let ca_cert = config_dir.join("ca.crt");
    let section = AgentSection {
        server_id: server_id.clone(),
        backend_urls: hubs,
        ca_cert: ca_cert.clone(),
        state_dir: args.state_dir.clone(),
        environment: args.environment.clone().unwrap_or_default(),
        tags: args.tags.clone(),
    };
    let text = files::render_config(files::TEMPLATE, &section);

    // Everything that can fail on this machine, before the token is spent.
    files::write_file(&ca_cert, &ca_pem, 0o644).map_err(failed)?;
    let staged = with_suffix(&args.config, ".new");
    files::write_file(&staged, &text, 0o640).map_err(failed)?;
    identity::prepare_state_dir(&args.state_dir).map_err(failed)?;
    let probe = args.state_dir.join(".enroll-probe");
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| failed(format!("cannot write in {}: {e}", args.state_dir.display())))?;
    let mut cfg = AgentConfig::from_yaml_with(&text, &args.config.display().to_string(), |k| {
        std::env::var(k).ok()
    })
    .map_err(|e| failed(format!("the config to write does not load: {e}")))?;
    cfg.agent.auth_token = Some(Secret::new(args.token.trim()));

    if let Err(e) = identity::enroll_with(&cfg, Some(ATTEMPTS)).await {
        let _ = std::fs::remove_file(&staged);
        return Err(failed(e));
    }

    let backup = match std::fs::read_to_string(&args.config) {
        Ok(old) if old != text => {
            let bak = with_suffix(&args.config, ".bak");
            std::fs::rename(&args.config, &bak).map_err(|e| {
                failed(format!(
                    "cannot keep the previous config as {}: {e}",
                    bak.display()
                ))
            })?;
            Some(bak)
        }
        _ => None,
    };
    std::fs::rename(&staged, &args.config)
        .map_err(|e| failed(format!("cannot write {}: {e}", args.config.display())))?;
    let is_root = nix::unistd::geteuid().is_root();
    let user = files::lookup_user(&args.service_user);
    let owner = files::ownership(is_root, user);
    files::apply_ownership(owner, &args.config, &args.state_dir).map_err(failed)?;
    let service = match service::reason_not_to_start(
        args.no_start,
        matches!(owner, Ownership::Service { .. }),
        &args.config,
        &args.state_dir,
        &args.systemd,
    ) {
        Some(why) => ServiceStart::NotTried(why),
        None => service::start(&args.systemd),
    };
    Ok(Enrolled {
        server_id,
        config: args.config.clone(),
        ca_cert,
        state_dir: args.state_dir.clone(),
        owner,
        backup,
        missing_user: is_root && user.is_none(),
        service,
    })
}
