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
    Viewer,
    Operator,
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
    pub email: String,
    pub role: Role,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServerState {
    Idle,
    Busy,
    Maintenance,
    Unreachable,
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

#[derive(Debug, Clone, Default, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct ServerConfiguration {
    pub agent_version: String,
    pub os_info: String,
    pub max_concurrent_jobs: u32,
    pub timeout_default: u64,
}

/// How the hub recognises the agent of a server: its certificate's fingerprint and expiry
/// (neither is secret), and whether it was revoked.
#[derive(Debug, Clone, Default, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct Credentials {
    pub certificate_fingerprint: Option<String>,
    pub certificate_not_after: Option<Timestamp>,
    pub last_rotation: Option<Timestamp>,
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

#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct ServerStatus {
    pub current: ServerState,
    pub last_heartbeat: Option<Timestamp>,
    pub uptime_seconds: u64,
    pub load_average: Vec<f64>,
    pub cpu_percent: f64,
    pub memory_usage_percent: f64,
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

#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct ServerMetadata {
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
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
    pub server_id: String,
    pub hostname: String,
    pub ip_address: String,
    pub environment: String,
    pub server_group: String,
    pub tags: Vec<String>,
    pub capabilities: Vec<String>,
    pub configuration: ServerConfiguration,
    pub credentials: Credentials,
    pub status: ServerStatus,
    pub metadata: ServerMetadata,
    /// The per-agent circuit breaker: while open, the hub offers this server no work.
    #[graphql(skip)]
    #[serde(default)]
    pub circuit: Circuit,
}

/// Consecutive jobs this server's agent lost (leased, never reported), and the cool-down.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Circuit {
    pub consecutive_failures: u32,
    pub open_until: Option<Timestamp>,
}

/// Filters of a server list; every field narrows.
#[derive(Debug, Clone, Default, Deserialize, async_graphql::InputObject)]
#[graphql(name = "ServerFilter")]
pub struct ServerFilter {
    pub environment: Option<String>,
    pub status: Option<ServerState>,
    pub tag: Option<String>,
    /// Substring (case-insensitive) of server id, hostname, IP address or a tag.
    pub q: Option<String>,
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
