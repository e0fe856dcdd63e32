//! Schedules: executions started by cron expressions or once at a given time.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Trigger {
    /// A cron expression with seconds (`sec min hour day-of-month month day-of-week`), UTC.
    Cron { expression: String },
    /// Once, at this time.
    Once { at: Timestamp },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schedule {
    #[serde(default, skip_serializing)]
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    pub trigger: Trigger,
    /// The execution to start: the body of `POST /api/v1/executions`.
    pub execution: serde_json::Value,
    pub enabled: bool,
    pub created_by: String,
    /// The role of its creator when it was made; occurrences run with it.
    pub created_by_role: super::Role,
    pub created_at: Timestamp,
    pub next_run_at: Option<Timestamp>,
    pub last_run_at: Option<Timestamp>,
}

/// One occurrence: fired (with its execution) or missed (the hub was down, or it failed to start).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduleRun {
    pub schedule_id: String,
    pub occurrence_at: Timestamp,
    pub status: String,
    pub execution_id: Option<String>,
    pub detail: Option<String>,
    pub recorded_at: Timestamp,
}
