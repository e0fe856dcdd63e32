//! The hub's configuration: the specification's backend_config.yaml, plus a `server:` section
//! for listeners and directories. Fields are validated at load and every problem is reported
//! at once; secrets are never printed.

mod validate;

use greenroom_proto::config::{ConfigError, load_yaml_file};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default)]
    pub database: DatabaseSection,
    #[serde(default)]
    pub redis: RedisSection,
    pub security: SecuritySection,
    #[serde(default)]
    pub execution: ExecutionSection,
    #[serde(default)]
    pub logging: LoggingSection,
    #[serde(default)]
    pub notifications: NotificationsSection,
}

/// Listeners and directories (an extension of the specification's file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// The API and dashboard listener (plain HTTP; put TLS in front of it in production).
    pub listen: SocketAddr,
    /// The agent listener (mTLS, certificates from the hub's CA).
    pub agent_listen: SocketAddr,
    /// Names and addresses agents use to reach the agent listener; they go into its certificate.
    pub agent_hostnames: Vec<String>,
    /// Where the CA, the hub's certificate and the embedded database live.
    pub data_dir: PathBuf,
    /// The built dashboard (`web/dist`); not served when absent.
    pub web_dir: Option<PathBuf>,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            listen: ([127, 0, 0, 1], 8000).into(),
            agent_listen: ([127, 0, 0, 1], 8443).into(),
            agent_hostnames: vec!["127.0.0.1".into(), "localhost".into()],
            data_dir: PathBuf::from("/var/lib/greenroom"),
            web_dir: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSection {
    /// MongoDB connection string (6.0+, a replica set: transactions are used); empty means
    /// the embedded SQLite store.
    pub mongodb_url: Option<String>,
    pub database_name: String,
    pub connection_pool_size: u32,
    /// The SQLite file; defaults to `<data_dir>/greenroom.db`.
    pub sqlite_path: Option<PathBuf>,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        Self {
            mongodb_url: None,
            database_name: "automation_system".into(),
            connection_pool_size: 50,
            sqlite_path: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisSection {
    /// Redis URL; empty means the in-process bus (one hub). With it, hub replicas share live
    /// events, agent wake-ups, rate-limit counts and session ends.
    pub url: Option<String>,
    /// The channel that carries agent wake-ups between replicas. The job queue itself is the
    /// store's `jobs` collection (leased in transactions), so Redis losing it loses nothing.
    pub job_queue: String,
    /// The channel that carries live events (output, execution and server changes, the
    /// executions feed, session ends) between replicas.
    pub pubsub_channel: String,
}

impl Default for RedisSection {
    fn default() -> Self {
        Self {
            url: None,
            job_queue: "automation_jobs".into(),
            pubsub_channel: "automation_events".into(),
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySection {
    /// HMAC key for access tokens; at least 32 characters.
    pub jwt_secret: String,
    #[serde(default = "default_token_hours")]
    pub token_expiry_hours: u64,
    #[serde(default = "default_refresh_days")]
    pub refresh_token_days: u64,
    /// Validity of agent certificates the CA signs.
    #[serde(default = "default_cert_days")]
    pub agent_certificate_days: i64,
    /// Default lifetime (hours, 1–720) of enrollment tokens: `greenroom-hub enroll-token`,
    /// REST `POST /api/v1/enrollment-tokens` and GraphQL `createEnrollmentToken` when they
    /// name none.
    #[serde(default = "default_enroll_hours")]
    pub enrollment_token_hours: u64,
    /// Sign-in attempts per account from one address, without a success between them,
    /// before further attempts are limited to one a minute.
    #[serde(default = "default_login_failures")]
    pub login_max_failures: u32,
    /// API requests a minute per user (or per IP when anonymous).
    #[serde(default = "default_rate")]
    pub rate_limit_per_minute: u32,
    /// Sign-in attempts a minute per IP.
    #[serde(default = "default_login_rate")]
    pub login_rate_limit_per_minute: u32,
    /// Serve GraphQL introspection (schema discovery) to signed-in users; on by default
    /// (integrators' tools need it). Anonymous callers never reach GraphQL.
    #[serde(default = "yes")]
    pub graphql_introspection: bool,
    /// GraphQL cost points a user may spend a minute (each request spends its
    /// `extensions.cost.requested`, at least 1; the budget refills continuously). Beyond
    /// it GraphQL answers 429 `RATE_LIMITED` until enough has refilled.
    #[serde(default = "default_graphql_cost")]
    pub graphql_cost_per_minute: u32,
    /// `off` (any document) or `allowlist`: GraphQL answers only the documents in the
    /// persisted-query manifest (`graphql_persisted_queries_manifest`, or the dashboard's
    /// `persisted-operations.json` in `server.web_dir`).
    #[serde(default)]
    pub graphql_persisted_queries: PersistedQueries,
    /// The manifest for `graphql_persisted_queries: allowlist`: a JSON object of SHA-256
    /// (hex) to document, as GraphQL Code Generator's `persisted-documents.json`.
    #[serde(default)]
    pub graphql_persisted_queries_manifest: Option<PathBuf>,
    /// Addresses (or CIDR ranges) of load balancers and proxies in front of the hub whose
    /// `X-Forwarded-For` is believed: rate limits and the audit log then see the client's
    /// address. Empty: every request's address is its peer's.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The key that seals secrets at rest (at least 32 characters; e.g.
    /// `${GREENROOM_ENCRYPTION_KEY}`). When absent or empty it is derived from `jwt_secret`. Every
    /// replica needs the same; changing it makes secrets sealed with the old one unreadable.
    #[serde(default)]
    pub encryption_key: Option<String>,
    /// Origins allowed to call the API from a browser (CORS); none by default.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// TLS for the API listener: PEM certificate chain and key. Plain HTTP when absent.
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
}

/// Whether GraphQL answers any document or only persisted ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersistedQueries {
    #[default]
    Off,
    Allowlist,
}

impl SecuritySection {
    /// The persisted-query manifest `allowlist` reads: the one named, else the dashboard's.
    pub fn persisted_queries_manifest(&self, web_dir: Option<&Path>) -> Option<PathBuf> {
        match self.graphql_persisted_queries {
            PersistedQueries::Off => None,
            PersistedQueries::Allowlist => self
                .graphql_persisted_queries_manifest
                .clone()
                .or_else(|| web_dir.map(|d| d.join("persisted-operations.json"))),
        }
    }
}

impl std::fmt::Debug for SecuritySection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecuritySection")
            .field("jwt_secret", &"***")
            .field(
                "encryption_key",
                &self.encryption_key.as_ref().map(|_| "***"),
            )
            .field("token_expiry_hours", &self.token_expiry_hours)
            .field("refresh_token_days", &self.refresh_token_days)
            .finish_non_exhaustive()
    }
}

fn yes() -> bool {
    true
}
fn default_token_hours() -> u64 {
    8
}
fn default_refresh_days() -> u64 {
    30
}
fn default_cert_days() -> i64 {
    90
}
fn default_enroll_hours() -> u64 {
    24
}
fn default_login_failures() -> u32 {
    5
}
fn default_rate() -> u32 {
    1200
}
fn default_login_rate() -> u32 {
    30
}
fn default_graphql_cost() -> u32 {
    10_000_000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutionSection {
    pub max_concurrent_executions: u32,
    pub default_timeout: u64,
    pub lock_ttl_minutes: u64,
    /// Overrides `lock_ttl_minutes` with seconds (tests and short maintenance windows).
    pub lock_ttl_seconds: Option<u64>,
    /// How long a leased job stays with an agent without a heartbeat naming it.
    pub lease_seconds: u64,
    /// Heartbeat interval the hub asks agents for.
    pub heartbeat_interval: u64,
    /// A server not heard from for this long is marked unreachable.
    pub offline_after_seconds: u64,
    /// A job no agent has taken this long after it was queued (or became due again) ends
    /// `unreachable`, so an execution aimed at a server that never returns still ends;
    /// 0 waits for ever.
    pub delivery_timeout_seconds: u64,
}

impl Default for ExecutionSection {
    fn default() -> Self {
        Self {
            max_concurrent_executions: 100,
            default_timeout: 300,
            lock_ttl_minutes: 30,
            lock_ttl_seconds: None,
            lease_seconds: 90,
            heartbeat_interval: 30,
            offline_after_seconds: 60,
            delivery_timeout_seconds: 3600,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    pub level: String,
    pub format: String,
    pub file_path: Option<PathBuf>,
    pub max_file_size: Option<String>,
    pub retention_days: Option<u32>,
}

impl Default for LoggingSection {
    fn default() -> Self {
        Self {
            level: "INFO".into(),
            format: "json".into(),
            file_path: None,
            max_file_size: None,
            retention_days: None,
        }
    }
}

/// How notifications are delivered (rules themselves are per tenant, in the store).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsSection {
    /// Attempts per delivery before it is marked failed.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles each time (at most an hour).
    pub retry_base_seconds: u64,
    /// Per attempt, for HTTP and SMTP alike.
    pub timeout_seconds: u64,
    /// The mail relay for `email` rules.
    pub smtp: Option<SmtpSection>,
}

impl Default for NotificationsSection {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            retry_base_seconds: 30,
            timeout_seconds: 10,
            smtp: None,
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSection {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    pub from: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Upgrade the connection with STARTTLS (required when a password is set, unless the
    /// relay is on loopback).
    #[serde(default)]
    pub starttls: bool,
}

fn default_smtp_port() -> u16 {
    25
}

impl std::fmt::Debug for SmtpSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSection")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("starttls", &self.starttls)
            .finish()
    }
}

impl Config {
    /// Reads, expands and validates a config file; the error is one line per problem.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let cfg: Config = load_yaml_file(path)?;
        cfg.validate().map_err(|problems| {
            ConfigError(format!("{}: {}", path.display(), problems.join("; ")))
        })?;
        Ok(cfg)
    }

    /// The log file and its rotation size, when logging goes to a file.
    pub fn log_file(&self) -> Option<(&Path, u64)> {
        let size = self
            .logging
            .max_file_size
            .as_deref()
            .and_then(|s| greenroom_proto::logfile::parse_size(s).ok())
            .unwrap_or(100 << 20);
        self.logging.file_path.as_deref().map(|p| (p, size))
    }

    /// How long a lock taken for a job lasts before it must be extended.
    pub fn lock_ttl(&self) -> chrono::Duration {
        match self.execution.lock_ttl_seconds {
            Some(s) => chrono::Duration::seconds(s as i64),
            None => chrono::Duration::minutes(self.execution.lock_ttl_minutes as i64),
        }
    }

    /// `redis.url`, when set (an empty value means the in-process bus: one hub).
    pub fn redis_url(&self) -> Option<&str> {
        self.redis
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
    }

    /// `database.mongodb_url`, when set (an empty value means the embedded SQLite store).
    pub fn mongodb_url(&self) -> Option<&str> {
        self.database
            .mongodb_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
    }

    /// The trusted proxies, parsed (validation refused any that does not parse).
    pub fn trusted_proxies(&self) -> Vec<ipnet::IpNet> {
        self.security
            .trusted_proxies
            .iter()
            .filter_map(|p| parse_net(p))
            .collect()
    }

    /// `security.encryption_key`, when set (empty: derived from `jwt_secret`).
    fn encryption_key(&self) -> Option<&str> {
        self.security
            .encryption_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
    }

    /// The key material that seals secrets at rest.
    pub fn sealing_key(&self) -> &[u8] {
        self.encryption_key()
            .unwrap_or(&self.security.jwt_secret)
            .as_bytes()
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.database
            .sqlite_path
            .clone()
            .unwrap_or_else(|| self.server.data_dir.join("greenroom.db"))
    }
}

/// `10.0.0.5` or `10.0.0.0/8`.
fn parse_net(s: &str) -> Option<ipnet::IpNet> {
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use greenroom_proto::config::load_yaml_with;

    const SPEC_EXAMPLE: &str = r#"
database:
  mongodb_url: "${MONGODB_URL:-}"
  database_name: "automation_system"
  connection_pool_size: 50
redis:
  url: "${REDIS_URL:-}"
  job_queue: "automation_jobs"
  pubsub_channel: "automation_events"
security:
  jwt_secret: "${JWT_SECRET}"
  token_expiry_hours: 8
  refresh_token_days: 30
execution:
  max_concurrent_executions: 100
  default_timeout: 300
  lock_ttl_minutes: 30
logging:
  level: "INFO"
  format: "json"
  file_path: "/var/log/automation/backend.log"
  max_file_size: "100MB"
  retention_days: 90
"#;

    fn env(k: &str) -> Option<String> {
        (k == "JWT_SECRET").then(|| "x".repeat(40))
    }

    #[test]
    fn the_specifications_example_loads() {
        let cfg: Config = load_yaml_with(SPEC_EXAMPLE, "backend_config.yaml", env).unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.execution.lock_ttl_minutes, 30);
        assert_eq!(cfg.server.listen.port(), 8000);
        assert!(!format!("{cfg:?}").contains("xxxxxxxx"), "secret printed");
    }

    #[test]
    fn problems_are_reported_together_and_name_fields() {
        let text = SPEC_EXAMPLE.replace("level: \"INFO\"", "level: \"LOUD\"");
        let mut cfg: Config = load_yaml_with(&text, "b.yaml", env).unwrap();
        cfg.security.jwt_secret = "short".into();
        let p = cfg.validate().unwrap_err();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("security.jwt_secret"));
        assert!(p[1].contains("logging.level"));
    }

    #[test]
    fn the_delivery_timeout_is_bounded() {
        let mut cfg: Config = load_yaml_with(SPEC_EXAMPLE, "b.yaml", env).unwrap();
        assert_eq!(cfg.execution.delivery_timeout_seconds, 3600);
        cfg.execution.delivery_timeout_seconds = 0;
        assert!(cfg.validate().is_ok(), "0 waits for ever");
        cfg.execution.delivery_timeout_seconds = u64::MAX;
        let p = cfg.validate().unwrap_err();
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("execution.delivery_timeout_seconds") && p[0].contains("30 days"),
            "{p:?}"
        );
    }

    #[test]
    fn log_rotation_size_is_read_and_checked() {
        let mut cfg: Config = load_yaml_with(SPEC_EXAMPLE, "b.yaml", env).unwrap();
        assert_eq!(cfg.log_file().map(|(_, n)| n), Some(100 << 20));
        cfg.logging.max_file_size = Some("huge".into());
        let p = cfg.validate().unwrap_err();
        assert!(
            p.iter().any(|e| e.contains("logging.max_file_size")),
            "{p:?}"
        );
    }

    #[test]
    fn graphql_budget_and_persisted_queries_are_checked() {
        let text = SPEC_EXAMPLE.replace(
            "  refresh_token_days: 30\n",
            "  refresh_token_days: 30\n  graphql_cost_per_minute: 0\n  graphql_persisted_queries: allowlist\n",
        );
        let cfg: Config = load_yaml_with(&text, "b.yaml", env).unwrap();
        let p = cfg.validate().unwrap_err();
        assert!(
            p.iter()
                .any(|e| e.contains("graphql_cost_per_minute") && e.contains("at least 1")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|e| e.contains("graphql_persisted_queries") && e.contains("manifest")),
            "{p:?}"
        );
        let text = SPEC_EXAMPLE.replace(
            "  refresh_token_days: 30\n",
            "  refresh_token_days: 30\n  graphql_cost_per_minute: -5\n",
        );
        let err = load_yaml_with::<Config>(&text, "b.yaml", env).unwrap_err();
        assert!(err.0.contains("graphql_cost_per_minute"), "{err}");
        let text = SPEC_EXAMPLE.replace(
            "  refresh_token_days: 30\n",
            "  refresh_token_days: 30\n  graphql_persisted_queries: allowlist\n  graphql_persisted_queries_manifest: /nonexistent/m.json\n",
        );
        let cfg: Config = load_yaml_with(&text, "b.yaml", env).unwrap();
        let p = cfg.validate().unwrap_err();
        assert!(
            p.iter().any(|e| e.contains("cannot read the manifest")),
            "{p:?}"
        );
        let defaults: Config = load_yaml_with(SPEC_EXAMPLE, "b.yaml", env).unwrap();
        assert_eq!(defaults.security.graphql_cost_per_minute, 10_000_000);
        assert_eq!(
            defaults.security.graphql_persisted_queries,
            PersistedQueries::Off
        );
    }

    #[test]
    fn unset_variable_and_unknown_field_are_clear() {
        let err = load_yaml_with::<Config>(SPEC_EXAMPLE, "b.yaml", |_| None).unwrap_err();
        assert!(err.0.contains("JWT_SECRET is not set"), "{err}");
        let text = format!("{SPEC_EXAMPLE}\nexecution_typo: 1\n");
        let err = load_yaml_with::<Config>(&text, "b.yaml", env).unwrap_err();
        assert!(err.0.contains("execution_typo"), "{err}");
    }
}
