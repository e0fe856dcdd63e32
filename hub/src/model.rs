//! The public data model: the specification's collections (`servers`, `action_templates`,
//! `executions` with per-server jobs, `audit_logs`) plus users. These shapes are what the REST
//! API returns, what GraphQL exposes (camelCase) and what every store keeps.

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Utc};
use greenroom_proto::{Action, ResourceUsage};
use serde::{Deserialize, Serialize};

pub type Timestamp = DateTime<Utc>;

/// The tenant every object belongs to when none is named.
pub const DEFAULT_TENANT: &str = "default";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Enum)]
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

#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject)]
pub struct User {
    pub email: String,
    pub role: Role,
    pub tenant_id: String,
    #[graphql(skip)]
    #[serde(skip_serializing)]
    pub password_hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
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

#[derive(Debug, Clone, Default, Serialize, Deserialize, SimpleObject)]
pub struct ServerConfiguration {
    pub agent_version: String,
    pub os_info: String,
    pub max_concurrent_jobs: u32,
    pub timeout_default: u64,
}

/// How the hub recognises the agent of a server. Not exposed over GraphQL.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    pub certificate_fingerprint: Option<String>,
    pub certificate_not_after: Option<Timestamp>,
    pub last_rotation: Option<Timestamp>,
    #[serde(default)]
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject)]
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

#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject)]
pub struct ServerMetadata {
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub last_successful_execution: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject)]
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
    #[graphql(skip)]
    pub credentials: Credentials,
    pub status: ServerStatus,
    pub metadata: ServerMetadata,
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
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
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
            Ok(Self { page, page_size })
        } else {
            Err(crate::error::Error::Invalid(p))
        }
    }
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.page_size)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionState {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl ExecutionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Running,
            Self::Completed,
            Self::Failed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Pending,
    Leased,
    Running,
    Success,
    Failed,
    Timeout,
    Cancelled,
    Skipped,
    Unreachable,
}

impl JobState {
    pub const ALL: [JobState; 9] = [
        Self::Pending,
        Self::Leased,
        Self::Running,
        Self::Success,
        Self::Failed,
        Self::Timeout,
        Self::Cancelled,
        Self::Skipped,
        Self::Unreachable,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Leased => "leased",
            Self::Running => "running",
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
            Self::Unreachable => "unreachable",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Leased | Self::Running)
    }
    /// Progress shown per server: 0 waiting, 50 under way, 100 done.
    pub fn progress(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Leased | Self::Running => 50,
            _ => 100,
        }
    }
}

/// What an execution checks on each result to decide success (the template's `success_criteria`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessCriteria {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_not_contains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_time_max: Option<f64>,
}

/// An execution's header; its per-server jobs are records of their own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Execution {
    pub tenant_id: String,
    pub execution_id: String,
    pub batch_id: Option<String>,
    pub initiated_by: String,
    pub execution_type: String,
    pub target_servers: Vec<String>,
    pub action_template_id: Option<String>,
    /// The action as requested (before per-server rendering), secrets redacted.
    pub action: serde_json::Value,
    pub parameters: serde_json::Value,
    pub success_criteria: Option<SuccessCriteria>,
    pub priority: i32,
    pub state: ExecutionState,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
}

/// One server's part of an execution.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub job_id: String,
    pub tenant_id: String,
    pub execution_id: String,
    pub server_id: String,
    pub state: JobState,
    /// The exact action this server runs.
    pub action: Action,
    pub attempt: u32,
    pub lease_expires_at: Option<Timestamp>,
    pub exit_code: Option<i32>,
    pub output: String,
    pub error_output: String,
    pub execution_time: f64,
    pub resource_usage: ResourceUsage,
    pub truncated: bool,
    pub error: Option<String>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// A typed parameter of an action template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterSpec {
    #[serde(rename = "type")]
    pub kind: ParamKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    #[serde(default)]
    pub description: String,
    /// A regular expression a string value must match (whole value).
    #[serde(default)]
    pub validation: Option<String>,
    /// Allowed values of an `enum` parameter.
    #[serde(default, rename = "values", skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    String,
    Integer,
    Boolean,
    Enum,
    Secret,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionConfig {
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    #[serde(default)]
    pub retry_count: u32,
    #[serde(default)]
    pub retry_delay_seconds: u64,
    #[serde(default)]
    pub requires_lock: bool,
    #[serde(default = "yes")]
    pub parallel_execution: bool,
}

fn default_timeout() -> u64 {
    300
}
fn yes() -> bool {
    true
}

impl Default for ExecutionConfig {
    fn default() -> Self {
        Self {
            timeout_seconds: 300,
            retry_count: 0,
            retry_delay_seconds: 0,
            requires_lock: false,
            parallel_execution: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateMetadata {
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub usage_count: u64,
}

/// The specification's `action_templates` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionTemplate {
    #[serde(default, skip_serializing)]
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub action_type: String,
    pub version: String,
    pub parameters: std::collections::BTreeMap<String, ParameterSpec>,
    pub execution_config: ExecutionConfig,
    pub command_template: String,
    pub success_criteria: SuccessCriteria,
    pub applicable_server_tags: Vec<String>,
    pub metadata: TemplateMetadata,
}

/// One entry of the append-only, hash-chained audit log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEntry {
    pub tenant_id: String,
    pub timestamp: Timestamp,
    pub event_type: String,
    pub actor: serde_json::Value,
    pub resource: serde_json::Value,
    pub details: serde_json::Value,
    pub result: serde_json::Value,
}
