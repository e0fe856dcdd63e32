//! The agent's configuration file, `agent_config.yaml`: the specification's shape plus a few
//! extensions (`ca_cert`, `state_dir`, `environment`, `server_group`, `tags`,
//! `renew_before_expiry_percent`, `health_check_bind`).
//!
//! Loading is parse (one error line naming the file and the field, `${VAR}` expanded by
//! `greenroom_proto::config`) then [`AgentConfig::validate`], which reports every remaining
//! problem at once. Only the hub's address (`agent.backend_url`, or `agent.backend_urls` for
//! several) and `agent.ca_cert` are required.

use greenroom_proto::config::{ConfigError, load_yaml_with};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

/// The whole `agent_config.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub agent: AgentSection,
    #[serde(default)]
    pub execution: ExecutionSection,
    #[serde(default)]
    pub security: SecuritySection,
    #[serde(default)]
    pub monitoring: MonitoringSection,
}

/// `agent:` — who this agent is and which hub it talks to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSection {
    /// Name of this server at the hub; defaults to the hostname.
    #[serde(default = "default_server_id")]
    pub server_id: String,
    /// The hub's agent (mTLS) listener, e.g. `https://hub.example:8443`. Exactly one of
    /// `backend_url` and `backend_urls` is given.
    #[serde(default)]
    pub backend_url: Option<String>,
    /// Several hub addresses (replicas): the agent uses one at a time and moves to the
    /// next when it cannot reach the one it uses (see `client`).
    #[serde(default)]
    pub backend_urls: Option<Vec<String>>,
    /// One-time enrollment token; only needed until the agent is enrolled. An empty value
    /// (e.g. from `${AGENT_AUTH_TOKEN:-}`) counts as absent.
    #[serde(default)]
    pub auth_token: Option<Secret>,
    /// The hub CA certificate (PEM) to trust.
    pub ca_cert: PathBuf,
    /// Where the agent keeps its key (0600), certificate and result outbox.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub server_group: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The certificate is renewed once less than this share (percent) of its lifetime
    /// (`not_after` − `not_before`) is left. At least 1, below 100; fractions allowed.
    #[serde(default = "default_renew_percent")]
    pub renew_before_expiry_percent: f64,
}

/// Default of `agent.renew_before_expiry_percent`.
pub const DEFAULT_RENEW_PERCENT: f64 = 33.0;

/// `execution:` — how many jobs run at once and for how long by default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutionSection {
    pub max_concurrent_jobs: u32,
    /// Seconds a job may run when its action names no timeout.
    pub default_timeout: u64,
    /// Scratch directory; the working directory of jobs that name none.
    pub temp_directory: PathBuf,
    pub log_level: LogLevel,
    /// KiB kept of each output stream of a job (first and last halves); the result says
    /// when output was truncated.
    pub max_output_kb: u64,
    /// Log file (JSON lines), rotated by size; stderr when absent.
    pub log_file: Option<PathBuf>,
    /// Size at which the log file is rotated, MiB.
    pub log_max_size_mb: u64,
    /// Rotated log files kept (`agent.log.1` … `agent.log.N`).
    pub log_max_files: u32,
    /// Seconds running jobs may go on after SIGTERM before they are cancelled.
    pub shutdown_grace_seconds: u64,
}

impl Default for ExecutionSection {
    fn default() -> Self {
        Self {
            max_concurrent_jobs: 3,
            default_timeout: 300,
            temp_directory: PathBuf::from("/tmp/automation"),
            log_level: LogLevel::Info,
            max_output_kb: 1024,
            log_file: None,
            log_max_size_mb: 10,
            log_max_files: 5,
            shutdown_grace_seconds: 30,
        }
    }
}

/// `security:` — the policy applied to every job.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySection {
    /// Globs over the absolute path of the program a job runs (`*` does not cross `/`,
    /// `**` as a whole component does; see `runner::globs`). Empty: every program is
    /// allowed. An invalid glob is a config error naming the field and the rule.
    pub allowed_commands: Vec<String>,
    /// Globs (as `allowed_commands`) of paths no job may name: as an argument, a
    /// redirection, its working directory or a checked file. A rule `/root/*` also covers
    /// `/root` and everything below it.
    pub forbidden_paths: Vec<String>,
    pub resource_limits: ResourceLimits,
    /// The agent refuses to start as root unless this is true.
    pub allow_root: bool,
}

/// `security.resource_limits:`; an absent limit is no limit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResourceLimits {
    /// Share of one core over a job's timeout, enforced as `RLIMIT_CPU` =
    /// timeout × cpu_percent / 100 seconds of CPU per process.
    pub cpu_percent: Option<f64>,
    /// Memory of a job, MiB: `RLIMIT_AS` of each of its processes, and the whole process
    /// group is killed when its resident memory exceeds it.
    pub memory_mb: Option<u64>,
    /// Upper bound on any job's timeout, seconds.
    pub execution_time: Option<u64>,
}

/// `monitoring:` — heartbeat and the local health endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitoringSection {
    pub heartbeat_interval: u64,
    pub metrics_collection: bool,
    /// 0 lets the OS pick a port (logged as `health_addr`).
    pub health_check_port: u16,
    pub health_check_bind: IpAddr,
}

impl Default for MonitoringSection {
    fn default() -> Self {
        Self {
            heartbeat_interval: 30,
            metrics_collection: true,
            health_check_port: 8081,
            health_check_bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }
}

/// Log verbosity; `INFO`, `DEBUG`, `WARN`/`WARNING`, `ERROR`, `TRACE`, any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    /// The `tracing` filter directive for this level.
    pub fn as_filter(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

impl TryFrom<String> for LogLevel {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.to_ascii_uppercase().as_str() {
            "TRACE" => Ok(LogLevel::Trace),
            "DEBUG" => Ok(LogLevel::Debug),
            "INFO" => Ok(LogLevel::Info),
            "WARN" | "WARNING" => Ok(LogLevel::Warn),
            "ERROR" => Ok(LogLevel::Error),
            _ => Err(format!(
                "unknown log level {s:?}: use INFO, DEBUG, WARN or ERROR"
            )),
        }
    }
}

/// A secret string: never shown by `Debug`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Names of the `${VAR}`s on `auth_token:` lines.
fn token_vars(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("auth_token:"))
    {
        let mut rest = line;
        while let Some(pos) = rest.find("${") {
            rest = &rest[pos + 2..];
            let end = rest.find(['}', ':']).unwrap_or(rest.len());
            names.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    names
}

fn default_server_id() -> String {
    crate::metrics::hostname()
}

fn default_renew_percent() -> f64 {
    DEFAULT_RENEW_PERCENT
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("/var/lib/greenroom-agent")
}

impl AgentConfig {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{name}: cannot read: {e}")))?;
        Self::from_yaml_with(&text, &name, |k| std::env::var(k).ok())
    }

    /// Parses and validates YAML text with an explicit `${VAR}` lookup.
    ///
    /// A variable used on the `auth_token:` line may be unset (it reads as empty): the
    /// token is only needed until the agent is enrolled, so the usual
    /// `auth_token: "${AGENT_AUTH_TOKEN}"` keeps working once the variable is gone.
    pub fn from_yaml_with(
        text: &str,
        source: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let optional = token_vars(text);
        let cfg: Self = load_yaml_with(text, source, |k| {
            lookup(k).or_else(|| optional.iter().any(|o| o == k).then(String::new))
        })?;
        cfg.validate(source)?;
        Ok(cfg)
    }

    /// The enrollment token, if one is configured and not empty.
    pub fn auth_token(&self) -> Option<&str> {
        self.agent
            .auth_token
            .as_ref()
            .map(Secret::expose)
            .filter(|t| !t.trim().is_empty())
    }

    /// The hub addresses, in order, each without a trailing `/`: `backend_urls`, or the one
    /// `backend_url`.
    pub fn backend_urls(&self) -> Vec<String> {
        let list = match (&self.agent.backend_urls, &self.agent.backend_url) {
            (Some(list), _) => list.clone(),
            (None, Some(one)) => vec![one.clone()],
            (None, None) => Vec::new(),
        };
        list.iter()
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .collect()
    }

    /// What is wrong with `backend_url` / `backend_urls`, one message per problem.
    fn backend_problems(&self) -> Vec<String> {
        let (one, list) = (&self.agent.backend_url, &self.agent.backend_urls);
        let urls: Vec<(String, &String)> = match (one, list) {
            (Some(_), Some(_)) => {
                return vec![
                    "agent.backend_url and agent.backend_urls: give one of them, not both".into(),
                ];
            }
            (None, None) => {
                return vec![
                    "agent.backend_url (or agent.backend_urls, a list): the hub's address is required".into(),
                ];
            }
            (Some(u), None) => vec![("agent.backend_url".to_string(), u)],
            (None, Some(list)) if list.is_empty() => {
                return vec!["agent.backend_urls: must list at least one address".into()];
            }
            (None, Some(list)) => list
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("agent.backend_urls[{i}]"), u))
                .collect(),
        };
        let mut problems = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for (field, raw) in urls {
            match reqwest::Url::parse(raw.trim()) {
                Ok(u) if u.scheme() != "https" => problems.push(format!(
                    "{field}: must be an https:// URL, got {:?}",
                    u.scheme()
                )),
                Ok(u) if u.host_str().is_none() => problems.push(format!("{field}: has no host")),
                Ok(u) => {
                    let key = u.as_str().trim_end_matches('/').to_string();
                    if seen.contains(&key) {
                        problems.push(format!("{field}: {raw:?} is listed twice"));
                    }
                    seen.push(key);
                }
                Err(e) => problems.push(format!("{field}: {raw:?}: {e}")),
            }
        }
        problems
    }

    /// Checks what parsing cannot; every problem is reported at once, in one line.
    pub fn validate(&self, source: &str) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if let Err(e) = greenroom_pki::validate_server_id(&self.agent.server_id) {
            problems.push(format!("agent.server_id: {e}"));
        }
        problems.extend(self.backend_problems());
        match std::fs::read_to_string(&self.agent.ca_cert) {
            Ok(text) if !text.contains("-----BEGIN CERTIFICATE-----") => problems.push(format!(
                "agent.ca_cert: {} holds no PEM certificate",
                self.agent.ca_cert.display()
            )),
            Ok(_) => {}
            Err(e) => problems.push(format!(
                "agent.ca_cert: cannot read {}: {e}",
                self.agent.ca_cert.display()
            )),
        }
        if self.agent.state_dir.as_os_str().is_empty() {
            problems.push("agent.state_dir: must not be empty".into());
        }
        let renew = self.agent.renew_before_expiry_percent;
        if !(1.0..100.0).contains(&renew) {
            problems.push(format!(
                "agent.renew_before_expiry_percent: must be at least 1 and below 100 (share of the certificate's lifetime left when it is renewed), got {renew}"
            ));
        }
        let ex = &self.execution;
        if !(1..=1000).contains(&ex.max_concurrent_jobs) {
            problems.push(format!(
                "execution.max_concurrent_jobs: must be 1-1000, got {}",
                ex.max_concurrent_jobs
            ));
        }
        let max = greenroom_proto::action::MAX_TIMEOUT_SECS;
        if !(1..=max).contains(&ex.default_timeout) {
            problems.push(format!(
                "execution.default_timeout: must be 1-{max} seconds, got {}",
                ex.default_timeout
            ));
        }
        if ex.max_output_kb == 0 {
            problems.push("execution.max_output_kb: must be at least 1".into());
        }
        if ex.log_max_size_mb == 0 {
            problems.push("execution.log_max_size_mb: must be at least 1".into());
        }
        if ex.log_max_files == 0 {
            problems.push("execution.log_max_files: must be at least 1".into());
        }
        for (field, patterns) in [
            ("security.allowed_commands", &self.security.allowed_commands),
            ("security.forbidden_paths", &self.security.forbidden_paths),
        ] {
            if let Err(bad) = crate::runner::globs::Rules::compile(field, patterns) {
                problems.extend(bad);
            }
        }
        let limits = &self.security.resource_limits;
        if limits.memory_mb == Some(0) {
            problems.push("security.resource_limits.memory_mb: must be at least 1".into());
        }
        if limits.execution_time == Some(0) {
            problems.push("security.resource_limits.execution_time: must be at least 1".into());
        }
        if limits.cpu_percent.is_some_and(|c| c.is_nan() || c <= 0.0) {
            problems.push("security.resource_limits.cpu_percent: must be above 0".into());
        }
        if !(1..=3600).contains(&self.monitoring.heartbeat_interval) {
            problems.push(format!(
                "monitoring.heartbeat_interval: must be 1-3600 seconds, got {}",
                self.monitoring.heartbeat_interval
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            // A problem that quotes a value (a URL) never shows a password in it.
            let text = format!("{source}: {}", problems.join("; "));
            Err(ConfigError(greenroom_proto::secrets::mask_secrets_in_text(
                &text,
            )))
        }
    }
}

#[cfg(test)]
mod tests;
