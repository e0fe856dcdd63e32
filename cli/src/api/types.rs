//! The GraphQL types the CLI reads, as cynic fragments of the checked-in `schema.graphql`
//! (a field that does not exist there, or has another type, fails the build).
//!
//! Each struct also derives `Serialize` with the schema's field names, so `-o json` prints
//! exactly the API's shapes. Full fragments (`Server`, `Execution`, `ActionTemplate`,
//! `ServerLock`, `LogLine`) select every field of their type that describes the object
//! itself (not the connections and related objects reachable from it, such as
//! `Server.locks` or `Execution.template`), and never a deprecated one; the lighter ones
//! (`ExecutionSummary`, `LiveExecution`) leave out the per-server output.
//!
//! Lists arrive as connections (`…Connection { nodes pageInfo totalCount }`), mutations as
//! payloads (`{ <object> userErrors }`); `super::Client` turns both into plain values.

use super::schema;
use serde::Serialize;

mod executions;
pub use executions::*;

/// The `DateTime` scalar: the hub's RFC 3339 text, kept as it came (so `-o json` shows it
/// unchanged), and the instant it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    raw: String,
    at: chrono::DateTime<chrono::Utc>,
}

impl Timestamp {
    pub fn at(&self) -> chrono::DateTime<chrono::Utc> {
        self.at
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    fn from(at: chrono::DateTime<chrono::Utc>) -> Self {
        Timestamp {
            raw: at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            at,
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        let at = chrono::DateTime::parse_from_rfc3339(&raw)
            .map_err(|e| serde::de::Error::custom(format!("bad timestamp {raw:?}: {e}")))?
            .with_timezone(&chrono::Utc);
        Ok(Timestamp { raw, at })
    }
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionState {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl ExecutionState {
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
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
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Leased | Self::Running)
    }
    pub fn is_active(self) -> bool {
        matches!(self, Self::Leased | Self::Running)
    }
    /// Ended without success (skipped is counted apart).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Timeout | Self::Cancelled | Self::Unreachable
        )
    }
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
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
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
            Self::Idle => "idle",
            Self::Busy => "busy",
            Self::Maintenance => "maintenance",
            Self::Unreachable => "unreachable",
            Self::Error => "error",
        }
    }
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    High,
    Normal,
    Low,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Viewer,
    Operator,
    Admin,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockType {
    Execution,
    Maintenance,
    Emergency,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockStatus {
    Active,
    Released,
    Expired,
    ForceReleased,
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParameterType {
    String,
    Integer,
    Boolean,
    Enum,
    Secret,
}

impl ParameterType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Enum => "enum",
            Self::Secret => "secret",
        }
    }
}

/// The codes of `userErrors`: what the user can fix (input, a missing record, a conflict);
/// any other code is kept as it came.
#[derive(cynic::Enum, Clone, Debug, PartialEq, Eq)]
#[cynic(non_exhaustive)]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    Conflict,
    #[cynic(fallback)]
    Other(String),
}

impl ErrorCode {
    /// The code as the hub spells it (`NOT_FOUND`).
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidInput => "INVALID_INPUT",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::Other(code) => code,
        }
    }
}

#[derive(cynic::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionEventKind {
    Snapshot,
    Update,
    Output,
    Missed,
}

// ---- users -------------------------------------------------------------------------------

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub email: String,
    pub role: Role,
    pub tenant_id: String,
    pub disabled: bool,
}

// ---- servers -----------------------------------------------------------------------------

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Server {
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
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ServerConfiguration {
    pub agent_version: String,
    pub os_info: String,
    pub max_concurrent_jobs: i32,
    pub timeout_default: i32,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub certificate_fingerprint: Option<String>,
    pub certificate_not_after: Option<Timestamp>,
    pub last_rotation: Option<Timestamp>,
    pub revoked: bool,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatus {
    pub current: ServerState,
    pub last_heartbeat: Option<Timestamp>,
    pub uptime_seconds: i32,
    pub load_average: Vec<f64>,
    pub cpu_percent: f64,
    pub memory_usage_percent: f64,
    pub disk_usage_percent: f64,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ServerMetadata {
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub last_successful_execution: Option<Timestamp>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct ServerConnection {
    pub nodes: Vec<Server>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

// ---- templates ---------------------------------------------------------------------------

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ActionTemplate {
    /// The global id (opaque); people and `Execution.actionTemplateId` use `template_id`.
    pub id: cynic::Id,
    pub template_id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub action_type: String,
    pub version: String,
    pub parameter_definitions: Vec<ParameterDefinition>,
    pub command_template: String,
    pub execution_settings: ExecutionConfig,
    pub success_conditions: SuccessCriteria,
    pub applicable_server_tags: Vec<String>,
    pub metadata: TemplateMetadata,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ParameterDefinition {
    pub name: String,
    #[cynic(rename = "type")]
    #[serde(rename = "type")]
    pub kind: ParameterType,
    pub required: bool,
    pub default: Option<String>,
    pub description: String,
    pub validation: Option<String>,
    pub min: Option<i32>,
    pub max: Option<i32>,
    pub values: Vec<String>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionConfig {
    pub timeout_seconds: i32,
    pub retry_count: i32,
    pub retry_delay_seconds: i32,
    pub requires_lock: bool,
    pub parallel_execution: bool,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct SuccessCriteria {
    pub exit_code: Option<i32>,
    pub output_contains: Vec<String>,
    pub output_not_contains: Vec<String>,
    pub execution_time_max: Option<f64>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct ActionTemplateConnection {
    pub nodes: Vec<ActionTemplate>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct TemplateMetadata {
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub usage_count: i32,
}

// ---- locks -------------------------------------------------------------------------------

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ServerLock {
    pub lock_id: String,
    pub server_id: String,
    pub lock_type: LockType,
    pub locked_by: LockOwner,
    pub lock_metadata: LockMetadata,
    pub timing: LockTiming,
    pub status: LockStatus,
    pub fencing_token: i32,
    pub released_by: Option<String>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct ServerLockConnection {
    pub nodes: Vec<ServerLock>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

// ---- connections and payloads ------------------------------------------------------------

/// Where a page lies in its list: read forwards from `end_cursor` while `has_next_page`.
#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// A problem with a mutation's request that the user can fix.
#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct UserError {
    pub field: Option<Vec<String>>,
    pub code: ErrorCode,
    pub message: String,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
#[cynic(graphql_type = "ExecutionPayload")]
pub struct ExecutionSummaryPayload {
    pub execution: Option<ExecutionSummary>,
    pub user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct ServerLockPayload {
    pub lock: Option<ServerLock>,
    pub user_errors: Vec<UserError>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct LockOwner {
    pub process_id: String,
    pub execution_id: Option<String>,
    pub user_id: String,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct LockMetadata {
    pub reason: String,
    pub priority: String,
    pub estimated_duration_minutes: Option<i32>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct LockTiming {
    pub acquired_at: Timestamp,
    pub expires_at: Timestamp,
    pub max_extension_count: i32,
    pub current_extensions: i32,
    pub released_at: Option<Timestamp>,
}

// ---- inputs ------------------------------------------------------------------------------

#[derive(cynic::InputObject, Debug, Clone, Default)]
pub struct ServerFilter {
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub status: Option<ServerState>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub server_group: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
pub struct ExecutionFilter {
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub status: Option<ExecutionState>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub initiated_by: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
#[cynic(graphql_type = "ServerSelectorInput")]
pub struct ServerSelector {
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub server_group: Option<String>,
    pub tags: Vec<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub status: Option<ServerState>,
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
pub struct StartExecutionInput {
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionInput>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub action_template_id: Option<String>,
    pub parameters: Vec<ParameterInput>,
    pub target_servers: Vec<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub selector: Option<ServerSelector>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub error_threshold: Option<String>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub retry_count: Option<i32>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub retry_delay_seconds: Option<i32>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub requires_lock: Option<bool>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub fail_if_locked: Option<bool>,
    pub ignore_applicable_tags: bool,
}

/// An inline action: exactly one operation (the CLI runs commands).
#[derive(cynic::InputObject, Debug, Clone)]
pub enum ActionInput {
    ShellCommand(ShellCommandInput),
}

#[derive(cynic::InputObject, Debug, Clone, Default)]
pub struct ShellCommandInput {
    pub command: String,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i32>,
}

/// A template parameter's value, typed as the template declares it.
#[derive(cynic::InputObject, Debug, Clone, PartialEq)]
pub struct ParameterInput {
    pub name: String,
    pub value: ParameterValueInput,
}

#[derive(cynic::InputObject, Debug, Clone, PartialEq)]
pub enum ParameterValueInput {
    String(String),
    Int(i32),
    Boolean(bool),
}

#[derive(cynic::InputObject, Debug, Clone)]
pub struct AcquireLockInput {
    pub server_id: String,
    pub reason: String,
    pub lock_type: LockType,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub ttl_minutes: Option<i32>,
    #[cynic(skip_serializing_if = "Option::is_none")]
    pub max_extension_count: Option<i32>,
}
