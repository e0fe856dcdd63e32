//! Executions as the CLI reads them: whole, summarised, live, their per-server results and
//! log lines.

use super::*;

/// Every field of `Execution`, per-server output included: `show`, and `run -o json`.
#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Execution {
    pub execution_id: String,
    pub initiated_by: String,
    pub execution_type: String,
    pub target_servers: Vec<String>,
    pub action_template_id: Option<String>,
    pub operation: Option<Action>,
    pub parameter_values: Vec<ParameterValue>,
    pub priority: Priority,
    pub progress: f64,
    pub estimated_completion: Option<Timestamp>,
    pub skipped_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub template_version: Option<String>,
    pub max_concurrency: Option<i32>,
    pub requires_lock: bool,
    pub fail_if_locked: bool,
    pub retry_count: i32,
    pub retry_delay_seconds: i32,
    pub error_threshold: Option<i32>,
    pub overall: ExecutionState,
    pub timing: ExecutionTiming,
    pub results: ExecutionResults,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionTiming {
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub duration_seconds: Option<f64>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionResults {
    pub success_count: i32,
    pub failure_count: i32,
    pub total_count: i32,
    pub details: Vec<JobDetail>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    pub job_id: String,
    pub attempt: i32,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub server_id: String,
    pub status: JobState,
    pub exit_code: Option<i32>,
    pub output: String,
    pub error_output: String,
    pub execution_time: f64,
    pub error: Option<String>,
}

/// An execution in a list: its header and counts, without per-server results.
#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[cynic(graphql_type = "Execution")]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummary {
    pub execution_id: String,
    pub initiated_by: String,
    pub execution_type: String,
    pub target_servers: Vec<String>,
    pub action_template_id: Option<String>,
    pub operation: Option<Action>,
    pub priority: Priority,
    pub progress: f64,
    pub overall: ExecutionState,
    pub timing: ExecutionTiming,
    pub results: ResultCounts,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[cynic(graphql_type = "ExecutionResults")]
#[serde(rename_all = "camelCase")]
pub struct ResultCounts {
    pub success_count: i32,
    pub failure_count: i32,
    pub total_count: i32,
}

#[derive(cynic::QueryFragment, Debug, Clone)]
pub struct ExecutionConnection {
    pub nodes: Vec<ExecutionSummary>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

/// A template parameter's value an execution ran with, as text (secrets `***`).
#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ParameterValue {
    pub name: String,
    pub value: String,
}

/// What an execution runs on each server: one of the action kinds (`-o json` prints it
/// with its `__typename`, as the API answers it).
#[derive(cynic::InlineFragments, Serialize, Debug, Clone)]
#[cynic(exhaustive)]
#[serde(tag = "__typename")]
pub enum Action {
    ShellCommandAction(ShellCommandAction),
    FileValidationAction(FileValidationAction),
    ServiceHealthAction(ServiceHealthAction),
    DatabaseQueryAction(DatabaseQueryAction),
    HttpCheckAction(HttpCheckAction),
    TcpPortAction(TcpPortAction),
    ProcessRunningAction(ProcessRunningAction),
    DiskFreeAction(DiskFreeAction),
    TlsCertificateExpiryAction(TlsCertificateExpiryAction),
    /// A kind this CLI does not know yet.
    #[cynic(fallback)]
    Unknown,
}

impl Action {
    /// What it runs, short, for a person: the command line, or the kind and its target.
    pub fn describe(&self) -> String {
        match self {
            Self::ShellCommandAction(a) => a.command.clone(),
            Self::FileValidationAction(a) => format!("file_validation {}", a.path),
            Self::ServiceHealthAction(a) => format!(
                "service_health {}",
                a.service_name
                    .as_deref()
                    .or(a.health_endpoint.as_deref())
                    .unwrap_or("")
            ),
            Self::DatabaseQueryAction(a) => format!("database_query {}", a.query),
            Self::HttpCheckAction(a) => format!("http_check {}", a.url),
            Self::TcpPortAction(a) => format!("tcp_port {}:{}", a.host, a.port),
            Self::ProcessRunningAction(a) => format!(
                "process_running {}",
                a.name.as_deref().or(a.pattern.as_deref()).unwrap_or("")
            ),
            Self::DiskFreeAction(a) => format!("disk_free {}", a.path),
            Self::TlsCertificateExpiryAction(a) => format!("tls_certificate_expiry {}", a.host),
            Self::Unknown => "an action of a kind this CLI does not know".into(),
        }
    }
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ShellCommandAction {
    pub command: String,
    pub timeout: Option<i32>,
    pub working_directory: Option<String>,
    pub environment_vars: Option<Vec<NameValue>>,
    pub shell: Option<bool>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct FileValidationAction {
    pub path: String,
    pub checks: Vec<String>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ServiceHealthAction {
    pub service_name: Option<String>,
    pub health_endpoint: Option<String>,
    pub expected_response: Option<String>,
    pub expected_status: Option<i32>,
    pub timeout: Option<i32>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseQueryAction {
    pub connection_string: String,
    pub query: String,
    pub expected_result_type: Option<String>,
    pub expected_range: Option<NumberRange>,
    pub timeout: Option<i32>,
    pub allow_writes: Option<bool>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct NumberRange {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct HttpCheckAction {
    pub url: String,
    pub method: Option<String>,
    pub expected_status: Option<i32>,
    pub body_contains: Option<String>,
    pub json: Option<String>,
    pub timeout: Option<i32>,
    pub headers: Option<Vec<NameValue>>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct TcpPortAction {
    pub host: String,
    pub port: i32,
    pub timeout: Option<i32>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ProcessRunningAction {
    pub name: Option<String>,
    pub pattern: Option<String>,
    pub min_count: Option<i32>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct DiskFreeAction {
    pub path: String,
    pub min_free_percent: Option<f64>,
    pub min_free_mb: Option<i32>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct TlsCertificateExpiryAction {
    pub host: String,
    pub port: Option<i32>,
    pub server_name: Option<String>,
    pub min_days_remaining: Option<i32>,
    pub timeout: Option<i32>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct NameValue {
    pub name: String,
    pub value: String,
}

/// What the live view needs of an execution: its state and each server's status, without
/// the output (which arrives as lines).
#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[cynic(graphql_type = "Execution")]
#[serde(rename_all = "camelCase")]
pub struct LiveExecution {
    pub execution_id: String,
    pub target_servers: Vec<String>,
    pub progress: f64,
    pub estimated_completion: Option<Timestamp>,
    pub skipped_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub overall: ExecutionState,
    pub timing: ExecutionTiming,
    pub results: LiveResults,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[cynic(graphql_type = "ExecutionResults")]
#[serde(rename_all = "camelCase")]
pub struct LiveResults {
    pub success_count: i32,
    pub failure_count: i32,
    pub total_count: i32,
    pub details: Vec<LiveJob>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[cynic(graphql_type = "JobDetail")]
#[serde(rename_all = "camelCase")]
pub struct LiveJob {
    pub job_id: String,
    pub attempt: i32,
    pub server_id: String,
    pub status: JobState,
    pub exit_code: Option<i32>,
    pub execution_time: f64,
    pub error: Option<String>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    pub cursor: i32,
    pub server_id: String,
    pub job_id: String,
    pub seq: i32,
    pub stream: String,
    pub data: String,
    pub timestamp: Timestamp,
    pub attempt: i32,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct LogPage {
    pub entries: Vec<LogLine>,
    pub total: i32,
    pub next_offset: Option<i32>,
    pub last_cursor: Option<i32>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionEvent {
    pub kind: ExecutionEventKind,
    pub execution: Option<LiveExecution>,
    pub output: Vec<LogLine>,
    pub missed: i32,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionPreview {
    pub matched_count: i32,
    pub run_count: i32,
    pub servers: Vec<CommandPreview>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct CommandPreview {
    pub server_id: String,
    pub command: Option<String>,
    pub environment: Vec<EnvironmentVariable>,
    pub skipped: bool,
    pub reason: Option<String>,
}

#[derive(cynic::QueryFragment, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: String,
}
