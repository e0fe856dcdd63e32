//! Schedules: executions started by cron expressions or once at a given time.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// When a schedule fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Trigger {
    /// A cron expression with seconds (`sec min hour day-of-month month day-of-week`), UTC.
    Cron { expression: String },
    /// Once, at this time.
    Once { at: Timestamp },
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Secret values of `execution` (secret parameters, a connection string), by JSON
    /// pointer into it (`/parameters/password`); `execution` shows them as `***`. Never
    /// answered by the API, sealed at rest, put back only when an occurrence starts.
    #[serde(default, skip_serializing)]
    pub secrets: std::collections::BTreeMap<String, serde_json::Value>,
}

impl Schedule {
    /// Moves secret values out of `execution` into `secrets`, leaving `***` in their place:
    /// the values of `secret_parameters` (the template's secret parameters) and an inline
    /// action's database connection string.
    pub fn take_secrets(&mut self, secret_parameters: &[String]) {
        let mut pointers: Vec<String> = secret_parameters
            .iter()
            .map(|p| format!("/parameters/{}", p.replace('~', "~0").replace('/', "~1")))
            .collect();
        pointers.push("/action/connection_string".into());
        for ptr in pointers {
            if let Some(v) = self.execution.pointer_mut(&ptr)
                && !v.is_null()
                && v.as_str() != Some(crate::template::REDACTED)
            {
                let value = std::mem::replace(v, crate::template::REDACTED.into());
                self.secrets.insert(ptr, value);
            }
        }
    }

    /// `execution` with its secret values put back: what an occurrence starts.
    pub fn execution_with_secrets(&self) -> serde_json::Value {
        let mut e = self.execution.clone();
        for (ptr, value) in &self.secrets {
            if let Some(v) = e.pointer_mut(ptr) {
                *v = value.clone();
            }
        }
        e
    }
}

/// One occurrence: fired (with its execution) or missed (the hub was down, or it failed to start).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct ScheduleRun {
    /// The schedule's own id.
    pub schedule_id: String,
    /// The occurrence it was for (UTC).
    pub occurrence_at: Timestamp,
    /// `fired`, `missed` or `failed`.
    pub status: String,
    /// The execution it started, when it started one.
    pub execution_id: Option<String>,
    /// Why it was missed or failed.
    pub detail: Option<String>,
    /// When the hub recorded it.
    pub recorded_at: Timestamp,
}
