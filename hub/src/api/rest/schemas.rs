//! The shapes of REST answers that are not model types: small answer structs the handlers
//! build (and serialise) themselves, and — marked "described" — schemas of documents the
//! services build as JSON (`ExecutionView::doc`, the audit store's entries, the
//! compliance report, a notification rule as shown). A described schema is only for the
//! OpenAPI document; keep it in step with the JSON it describes (`tests/openapi.rs` checks
//! the required properties of several against real answers).

use crate::model::{
    Circuit, ExecutionState, JobState, Priority, Schedule, ScheduleRun, ServerConfiguration,
    ServerSelector, ServerStatus, Timestamp,
};
use crate::service::executions::PlannedTarget;
use crate::store::LogLine;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// An execution just started.
#[derive(Serialize, ToSchema)]
pub struct Started {
    pub execution_id: String,
    pub status: ExecutionState,
}

impl Started {
    pub fn of(e: &crate::model::Execution) -> Self {
        Self {
            execution_id: e.execution_id.clone(),
            status: e.state,
        }
    }
}

/// An execution started again.
#[derive(Serialize, ToSchema)]
pub struct Rerun {
    pub execution_id: String,
    pub status: ExecutionState,
    pub target_servers: Vec<String>,
}

/// What an execution would run where.
#[derive(Serialize, ToSchema)]
pub struct Preview {
    /// Servers the targets or selector matched.
    pub matched_count: usize,
    /// Of them, those that would run (not skipped).
    pub run_count: usize,
    pub servers: Vec<PlannedTarget>,
}

/// A list that is not paged: all of it, and how many.
#[derive(Serialize, ToSchema)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: usize,
}

impl<T> Listed<T> {
    pub fn of(items: Vec<T>) -> Self {
        Self {
            total: items.len(),
            items,
        }
    }
}

/// A server's health.
#[derive(Serialize, ToSchema)]
pub struct ServerHealth {
    pub server_id: String,
    pub status: ServerStatus,
    pub configuration: ServerConfiguration,
    pub circuit: Circuit,
}

/// A server's heartbeat metrics over a range.
#[derive(Serialize, ToSchema)]
pub struct MetricsHistory {
    pub server_id: String,
    /// `1h`, `24h` or `7d`.
    pub range: String,
    /// Seconds each point covers.
    pub step_seconds: i64,
    pub points: Vec<MetricsPoint>,
}

/// The heartbeats of one step.
#[derive(Serialize, ToSchema)]
pub struct MetricsPoint {
    /// Start of the step.
    pub at: Timestamp,
    /// Heartbeats in it.
    pub samples: i64,
    pub cpu_percent: StatPair,
    pub memory_usage_percent: StatPair,
    pub disk_usage_percent: StatPair,
    pub load1: StatPair,
}

/// A metric's mean and peak over a step.
#[derive(Serialize, ToSchema)]
pub struct StatPair {
    pub avg: f64,
    pub max: f64,
}

/// A template's own consistency.
#[derive(Serialize, ToSchema)]
pub struct TemplateValidation {
    pub id: String,
    pub version: String,
    pub valid: bool,
    pub problems: Vec<String>,
}

/// A schedule and its latest occurrences.
#[derive(Serialize, ToSchema)]
pub struct ScheduleDetail {
    #[serde(flatten)]
    pub schedule: Schedule,
    /// The last 100 occurrences, newest first.
    pub runs: Vec<ScheduleRun>,
}

/// A test event queued for a rule.
#[derive(Serialize, ToSchema)]
pub struct TestSent {
    /// The event's sequence number.
    pub event_id: u64,
    pub rule_id: String,
}

/// The audit chain's verification.
#[derive(Serialize, ToSchema)]
pub struct AuditVerification {
    pub intact: bool,
    /// The first entry whose hash does not match, if any.
    pub first_broken_seq: Option<u64>,
}

/// Described: a notification rule as the API shows it (`service::notifications::public`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PublicRule {
    id: String,
    name: String,
    /// `webhook`, `slack` or `email`.
    channel: String,
    /// The URL's host (or the recipients), never a secret.
    target: String,
    /// Whether a webhook secret is set (never the secret).
    has_secret: bool,
    events: Vec<crate::model::EventKind>,
    enabled: bool,
    created_by: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// Described: an audit entry as listed (the store's `AuditEntry`, its sequence and hash).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AuditRecord {
    seq: u64,
    /// This entry's link in the hash chain (hex).
    hash: String,
    timestamp: Timestamp,
    event_type: String,
    /// `{"type": "user"|"agent"|"system", "id": ..., "ip_address"?, "user_agent"?}`.
    actor: Value,
    /// `{"type": ..., "id": ..., "name"?}`.
    resource: Value,
    details: Value,
    /// `{"success": bool, "error_message"?}`.
    result: Value,
}

/// Described: the compliance report as JSON (`service::report::Report::to_json`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ComplianceReport {
    tenant_id: String,
    /// `{"from": ..., "to": ...}`.
    period: Value,
    generated_at: Timestamp,
    /// `{"intact": bool, "first_broken_seq": int|null}`.
    audit_chain: Value,
    /// Counts: `entries`, `executions_started`, `failures`, `forced_lock_releases`,
    /// `template_changes`, `security_events`.
    summary: Value,
    /// Who ran what where: `{when, who, execution_id, action, where}`.
    executions: Vec<Value>,
    /// Audit entries that record a failure.
    failures: Vec<Value>,
    forced_lock_releases: Vec<Value>,
    template_changes: Vec<Value>,
    security_events: Vec<Value>,
}

/// Described: the specification's `executions` document (`ExecutionView::doc`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ExecutionDoc {
    execution_id: String,
    batch_id: Option<String>,
    initiated_by: String,
    /// `adhoc`, `template` or `scheduled`.
    execution_type: String,
    target_servers: Vec<String>,
    action_template_id: Option<String>,
    /// The action as stored (secrets masked).
    action: Value,
    parameters: Value,
    priority: Priority,
    selector: Option<ServerSelector>,
    template_version: Option<String>,
    /// `max_concurrency` and `error_threshold` as given, and as resolved to numbers.
    rate_control: Value,
    /// `retry_count`, `retry_delay_seconds`, `requires_lock`, `lock_policy`, `lost_job_policy`.
    execution_config: Value,
    schedule_id: Option<String>,
    cancelled_by: Option<String>,
    skipped_reason: Option<String>,
    status: ExecutionStatusDoc,
    timing: ExecutionTimingDoc,
    results: ExecutionResultsDoc,
    logs: LogInfo,
}

/// Described: an execution's state overall and per server.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ExecutionStatusDoc {
    overall: ExecutionState,
    /// By server id: `{"status": <job state>, "progress": 0-100}`.
    per_server: std::collections::BTreeMap<String, Value>,
    /// Percent of the targets that have finished.
    progress: f64,
}

/// Described: when an execution was created, started, is expected to end and ended.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ExecutionTimingDoc {
    created_at: Timestamp,
    started_at: Option<Timestamp>,
    estimated_completion: Option<Timestamp>,
    completed_at: Option<Timestamp>,
    duration_seconds: Option<f64>,
}

/// Described: an execution's results.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ExecutionResultsDoc {
    success_count: usize,
    failure_count: usize,
    total_count: usize,
    details: Vec<JobDetailDoc>,
}

/// Described: one target's job.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct JobDetailDoc {
    server_id: String,
    job_id: String,
    status: JobState,
    exit_code: Option<i32>,
    output: String,
    error_output: String,
    execution_time: f64,
    resource_usage: Value,
    truncated: bool,
    error: Option<String>,
    attempt: u32,
    started_at: Option<Timestamp>,
    finished_at: Option<Timestamp>,
}

/// Described: where an execution's output is. `url` always; the rest on
/// `GET /api/v1/executions/{id}` and its logs.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LogInfo {
    url: String,
    storage_path: Option<String>,
    log_level: Option<String>,
    entries_count: Option<u64>,
    size_bytes: Option<u64>,
}

/// Described: a page of an execution's output lines.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ExecutionLogs {
    execution_id: String,
    url: String,
    storage_path: String,
    log_level: String,
    /// Lines of the execution (of the server, when one is named).
    entries_count: u64,
    size_bytes: u64,
    offset: u64,
    after: Option<u64>,
    limit: u32,
    /// The `offset` of the next page, if any.
    next_offset: Option<u64>,
    /// The cursor of the last line returned (pass it as `after`).
    last_cursor: Option<u64>,
    entries: Vec<LogLine>,
}
