//! The public data model: the specification's collections (`servers`, `action_templates`,
//! `executions` with per-server jobs, `audit_logs`) plus users. These shapes are what the REST
//! API returns, what GraphQL exposes (camelCase) and what every store keeps.

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod executions;
mod history;
mod locks;
mod metrics;
mod notifications;
mod schedules;
mod templates;

pub use executions::*;
pub use history::*;
pub use locks::*;
pub use metrics::*;
pub use notifications::*;
pub use schedules::*;
pub use templates::*;

pub type Timestamp = DateTime<Utc>;

/// The tenant every object belongs to when none is named.
pub const DEFAULT_TENANT: &str = "default";

/// What a user may do within their tenant; each role may do everything the one before it may.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Enum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads servers, templates, executions, locks and schedules; changes nothing.
    Viewer,
    /// Also starts, re-runs and cancels executions, and takes and releases server locks.
    Operator,
    /// Also manages templates, servers, agents, users, schedules and notification rules,
    /// and reads the audit log.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

/// A user of one tenant. `(tenant_id, email)` is the key: the same address may belong to
/// users of several tenants, and one tenant never learns of another's users.
#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct User {
    /// The user's e-mail address (lowercase), which they sign in with.
    pub email: String,
    /// What the user may do.
    pub role: Role,
    /// The tenant the user belongs to.
    pub tenant_id: String,
    #[graphql(skip)]
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// A disabled user cannot sign in, and their sessions end.
    #[serde(default)]
    pub disabled: bool,
    /// Access tokens issued before this instant are refused (password change, disabling):
    /// a second line of defence beside the sessions they belonged to, which end too.
    #[graphql(skip)]
    #[serde(default, skip_serializing)]
    pub tokens_valid_after: Option<Timestamp>,
}

impl User {
    pub fn new(email: &str, role: Role, tenant_id: &str, password_hash: String) -> Self {
        Self {
            email: email.to_lowercase(),
            role,
            tenant_id: tenant_id.into(),
            password_hash,
            disabled: false,
            tokens_valid_after: None,
        }
    }
}

/// One sign-in: every access and refresh token issued from it carries its id, and all of
/// them stop working the moment it ends (logout, password change, the user disabled, a
/// refresh token replayed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub session_id: String,
    pub tenant_id: String,
    pub email: String,
    pub created_at: Timestamp,
    /// When its refresh tokens stop working (`security.refresh_token_days` after sign-in).
    pub expires_at: Timestamp,
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
    /// Why it ended: `logout`, `password_changed`, `user_disabled`, `refresh_token_reused`, ...
    #[serde(default)]
    pub end_reason: Option<String>,
}

impl Session {
    /// Whether tokens of this session may still be used at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.ended_at.is_none() && self.expires_at > now
    }
}

/// A server's state as the hub sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServerState {
    /// Its agent reports in and runs no job.
    Idle,
    /// Its agent reports in and is running at least one job.
    Busy,
    /// An admin put it in maintenance (`updateServer`); heartbeats leave it so until an
    /// admin takes it out.
    Maintenance,
    /// No heartbeat within the hub's cutoff (or none yet, for a server registered ahead of
    /// its agent).
    Unreachable,
    /// In error. Part of the data model; the hub itself does not put a server in this state.
    Error,
}

impl ServerState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerState::Idle => "idle",
            ServerState::Busy => "busy",
            ServerState::Maintenance => "maintenance",
            ServerState::Unreachable => "unreachable",
            ServerState::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Idle,
            Self::Busy,
            Self::Maintenance,
            Self::Unreachable,
            Self::Error,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// How a server's agent is set up, as its latest heartbeat reported.
#[derive(Debug, Clone, Default, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct ServerConfiguration {
    /// The agent's version; empty until its first heartbeat.
    pub agent_version: String,
    /// The operating system the agent runs on (e.g. `Ubuntu 22.04.3 LTS`).
    pub os_info: String,
    /// Most jobs the agent runs at once.
    pub max_concurrent_jobs: u32,
    /// Seconds the agent lets a job run when its action sets no timeout.
    pub timeout_default: u64,
}

/// How the hub recognises the agent of a server: its certificate's fingerprint and expiry
/// (neither is secret), and whether it was revoked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct Credentials {
    /// SHA-256 fingerprint of the agent's current certificate; null before it enrolls.
    pub certificate_fingerprint: Option<String>,
    /// When the agent's current certificate expires; null before it enrolls.
    pub certificate_not_after: Option<Timestamp>,
    /// When the agent was last issued a certificate (enrollment or renewal).
    pub last_rotation: Option<Timestamp>,
    /// Whether an admin revoked the agent (`revokeAgent`): the hub refuses its requests.
    #[serde(default)]
    pub revoked: bool,
    /// SHA-256 fingerprint of the CA certificate that issued the current certificate; unknown
    /// for certificates issued before the hub recorded it (learnt at the next heartbeat).
    #[graphql(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_fingerprint: Option<String>,
    /// The hash of the trust bundle the agent last reported holding (CA rotation: whether it
    /// will trust the hub's certificate from the next CA).
    #[graphql(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_bundle_sha256: Option<String>,
}

/// A server's state and the metrics of its latest heartbeat (zero before the first).
#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct ServerStatus {
    /// The server's state.
    pub current: ServerState,
    /// When the hub last heard from its agent; null if never.
    pub last_heartbeat: Option<Timestamp>,
    /// Seconds since the server booted.
    pub uptime_seconds: u64,
    /// The 1-, 5- and 15-minute load averages.
    pub load_average: Vec<f64>,
    /// CPU in use, percent (0–100).
    pub cpu_percent: f64,
    /// Memory in use, percent (0–100).
    pub memory_usage_percent: f64,
    /// Disk space in use, percent (0–100).
    pub disk_usage_percent: f64,
}

impl Default for ServerStatus {
    fn default() -> Self {
        Self {
            current: ServerState::Unreachable,
            last_heartbeat: None,
            uptime_seconds: 0,
            load_average: vec![0.0; 3],
            cpu_percent: 0.0,
            memory_usage_percent: 0.0,
            disk_usage_percent: 0.0,
        }
    }
}

/// Bookkeeping of a server record.
#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct ServerMetadata {
    /// When the server was registered or first enrolled.
    pub created_at: Timestamp,
    /// The admin who registered it, or `enrollment` when its agent enrolled first.
    pub created_by: String,
    /// When an admin or a certificate change (enrollment, renewal, revocation) last changed
    /// it; heartbeats do not count.
    pub updated_at: Timestamp,
    /// When a job last finished successfully on it; null if none has.
    pub last_successful_execution: Option<Timestamp>,
}

/// A managed server: its facts, agent certificate, state and latest metrics, and its
/// metrics over time (`metricsHistory`).
#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct Server {
    #[graphql(skip)]
    #[serde(default, skip_serializing)]
    pub tenant_id: String,
    /// The server's own id, unique within the tenant (also its agent certificate's name).
    pub server_id: String,
    /// Its host name, as its agent reports it.
    pub hostname: String,
    /// Its IP address, as its agent reports it; empty until it does.
    pub ip_address: String,
    /// Its environment: `dev`, `staging`, `uat` or `preprod`.
    pub environment: String,
    /// The group it belongs to (e.g. `web-tier`); empty when none.
    pub server_group: String,
    /// Free-form labels, used by selectors and templates' `applicableServerTags`.
    pub tags: Vec<String>,
    /// What its agent can do (e.g. `shell_execution`, `service_management`).
    pub capabilities: Vec<String>,
    /// How its agent is set up.
    pub configuration: ServerConfiguration,
    /// Its agent's certificate.
    pub credentials: Credentials,
    /// Its state and latest metrics.
    pub status: ServerStatus,
    /// When and by whom it was registered, and its last success.
    pub metadata: ServerMetadata,
    /// The per-agent circuit breaker: while open, the hub offers this server no work.
    #[serde(default)]
    pub circuit: Circuit,
}

/// What an agent's request is authenticated with: the server its certificate belongs to,
/// read without the rest of the record. Every agent request reads it, and decoding a whole
/// server document was a third of that read's cost (`docs/performance.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct AgentIdentity {
    pub tenant_id: String,
    pub server_id: String,
    /// The fingerprint of the server's current certificate.
    pub certificate_fingerprint: Option<String>,
    /// Whether an admin revoked the agent.
    pub revoked: bool,
    /// The CA that issued the current certificate, when the hub knows it.
    pub issuer_fingerprint: Option<String>,
    /// While in the future, the hub offers the server no work ([`Circuit::open_until`]).
    pub circuit_open_until: Option<Timestamp>,
}

/// Consecutive jobs this server's agent lost (leased, never reported), and the cool-down.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, SimpleObject,
)]
pub struct Circuit {
    /// Jobs leased to the agent in a row that it never reported.
    pub consecutive_failures: u32,
    /// While in the future, the hub offers the server no work (null when closed).
    pub open_until: Option<Timestamp>,
}

/// Filters of a server list; every field narrows.
#[derive(Debug, Clone, Default, Deserialize, async_graphql::InputObject)]
#[graphql(name = "ServerFilter")]
pub struct ServerFilter {
    /// Servers of this environment.
    pub environment: Option<String>,
    /// Servers in this state.
    pub status: Option<ServerState>,
    /// Servers carrying this tag.
    pub tag: Option<String>,
    /// Substring (case-insensitive) of server id, hostname, IP address or a tag.
    pub q: Option<String>,
    /// Servers of this group.
    pub server_group: Option<String>,
    /// Servers carrying all of these tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Where a keyset page starts (GraphQL cursors); the key is the server id.
    #[graphql(skip)]
    #[serde(skip)]
    pub seek: Seek,
}

/// A keyset page of a list: the items strictly after and/or before a key, in the list's
/// own order, read from the end when `from_end` (Relay's `last`; the items still come in
/// list order). Keys are the list's unique sort key as text (each list says which). A
/// page read this way neither skips nor repeats an item when others are inserted or
/// deleted meanwhile, unlike an offset. With a seek the store reads from the start of the
/// range (the page request's offset is not used) and `total` counts the whole filtered
/// list, not the range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seek {
    pub after: Option<String>,
    pub before: Option<String>,
    pub from_end: bool,
}

impl Seek {
    /// Whether the list is read by key (else by offset).
    pub fn is_active(&self) -> bool {
        self.after.is_some() || self.before.is_some() || self.from_end
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

/// Page request: 1-based page, 1..=500 items.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: u32,
    pub page_size: u32,
    /// Items to skip instead of whole pages (a GraphQL offset cursor); None: by page.
    pub skip: Option<u64>,
}

impl PageRequest {
    pub const MAX_PAGE_SIZE: u32 = 500;

    pub fn new(page: Option<u32>, page_size: Option<u32>) -> crate::error::Result<Self> {
        let page = page.unwrap_or(1);
        let page_size = page_size.unwrap_or(50);
        let mut p = Vec::new();
        if page == 0 {
            p.push("page: must be 1 or more".to_string());
        }
        if page_size == 0 || page_size > Self::MAX_PAGE_SIZE {
            p.push(format!(
                "page_size: must be between 1 and {}",
                Self::MAX_PAGE_SIZE
            ));
        }
        if p.is_empty() {
            Ok(Self {
                page,
                page_size,
                skip: None,
            })
        } else {
            Err(crate::error::Error::Invalid(p))
        }
    }
    pub fn offset(&self) -> u64 {
        self.skip
            .unwrap_or(u64::from(self.page.max(1) - 1) * u64::from(self.page_size))
    }
}

/// One entry of the append-only, hash-chained audit log.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub tenant_id: String,
    pub timestamp: Timestamp,
    pub event_type: String,
    pub actor: serde_json::Value,
    pub resource: serde_json::Value,
    pub details: serde_json::Value,
    pub result: serde_json::Value,
}
