//! The typed inputs of the mutations that used to take JSON: starting an execution (and
//! the execution a schedule starts), a lock, a schedule, a template. GraphQL names and
//! enums throughout; each turns into the request type its service takes, so REST and
//! GraphQL meet in one validation. A value the schema cannot refuse (a JSON document's
//! text, a parameter given twice) is refused here with `INVALID_INPUT` naming the field.

use super::actions::{ActionInput, ParameterInput, ParameterValueInput, parameters_to_wire};
use super::int::Int;
use super::nodes::key_of;
use crate::error::Error;
use crate::model::{
    ExecutionConfig, LockPolicy, LockType, LostJobPolicy, ParamKind, ParameterSpec, Priority,
    ServerSelector, SuccessCriteria, Timestamp, Trigger,
};
use crate::service::executions::StartExecution;
use crate::service::templates::{self, NewTemplate};
use crate::service::{locks::NewLock, schedules::NewSchedule};
use async_graphql::{InputObject, OneofObject};
use serde_json::{Map, Value, json};

/// What to run, where, and how: an inline `action`, or a template (`actionTemplateId`)
/// and its `parameters`; explicit `targetServers` or a `selector`.
#[derive(InputObject, Clone)]
pub struct StartExecutionInput {
    /// An inline action: exactly one operation.
    pub action: Option<ActionInput>,
    /// The template to run (instead of `action`).
    pub action_template_id: Option<String>,
    /// Values of the template's parameters.
    #[graphql(default)]
    pub parameters: Vec<ParameterInput>,
    /// Explicit targets (server ids), or …
    #[graphql(default)]
    pub target_servers: Vec<String>,
    /// … a selector over environment, group, tags and status.
    pub selector: Option<ServerSelector>,
    /// Queue priority; `NORMAL` when not set.
    pub priority: Option<Priority>,
    /// Most targets running at once: a number (`"10"`) or a share of the targets (`"25%"`).
    pub max_concurrency: Option<String>,
    /// Failures after which no new target starts: a number (`"3"`) or a share (`"10%"`).
    pub error_threshold: Option<String>,
    /// Attempts after the first for a job that fails (the template's when not set).
    pub retry_count: Option<Int<u32>>,
    /// Seconds between attempts (the template's when not set).
    pub retry_delay_seconds: Option<Int<u64>>,
    /// Take an execution lock on each server while its job runs (the template's when not set).
    pub requires_lock: Option<bool>,
    /// Fail at once (instead of waiting) on a server locked by someone else.
    pub fail_if_locked: Option<bool>,
    /// What happens to a job whose agent stops reporting: `FAIL` (the default) or `REQUEUE`.
    pub lost_job_policy: Option<LostJobPolicy>,
    /// Run on targets without the template's `applicableServerTags` too.
    #[graphql(default)]
    pub ignore_applicable_tags: bool,
}

impl StartExecutionInput {
    /// The request as `POST /api/v1/executions` takes it (what a schedule stores).
    pub fn to_body(&self) -> Result<Value, Error> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        if let Some(a) = &self.action {
            put("action", a.to_wire().map_err(Error::invalid)?);
        }
        if let Some(t) = &self.action_template_id {
            put("action_template_id", key_of("ActionTemplate", t).into());
        }
        if !self.parameters.is_empty() {
            put(
                "parameters",
                parameters_to_wire(&self.parameters).map_err(Error::invalid)?,
            );
        }
        if !self.target_servers.is_empty() {
            let ids: Vec<String> = self
                .target_servers
                .iter()
                .map(|s| key_of("Server", s))
                .collect();
            put("target_servers", json!(ids));
        }
        let opt = |v: Result<Value, serde_json::Error>| v.map_err(Error::from);
        if let Some(s) = &self.selector {
            put("selector", opt(serde_json::to_value(s))?);
        }
        if let Some(p) = self.priority {
            put("priority", opt(serde_json::to_value(p))?);
        }
        if let Some(v) = &self.max_concurrency {
            put("max_concurrency", v.clone().into());
        }
        if let Some(v) = &self.error_threshold {
            put("error_threshold", v.clone().into());
        }
        if let Some(v) = self.retry_count {
            put("retry_count", v.get().into());
        }
        if let Some(v) = self.retry_delay_seconds {
            put("retry_delay_seconds", v.get().into());
        }
        if let Some(v) = self.requires_lock {
            put("requires_lock", v.into());
        }
        if let Some(f) = self.fail_if_locked {
            let p = if f {
                LockPolicy::Fail
            } else {
                LockPolicy::Wait
            };
            put("lock_policy", opt(serde_json::to_value(p))?);
        }
        if let Some(p) = self.lost_job_policy {
            put("lost_job_policy", opt(serde_json::to_value(p))?);
        }
        if self.ignore_applicable_tags {
            put("ignore_applicable_tags", true.into());
        }
        Ok(Value::Object(m))
    }

    /// The service's request.
    pub fn into_request(self) -> Result<StartExecution, Error> {
        let body = self.to_body()?;
        serde_json::from_value(body).map_err(|e| Error::invalid(format!("input: {e}")))
    }
}

/// A lock on a server: while it is active, only its owner's executions run there.
#[derive(InputObject)]
pub struct AcquireLockInput {
    /// The server to lock.
    pub server_id: String,
    /// Why (shown to everyone who meets the lock).
    pub reason: String,
    /// `MAINTENANCE` (the default) or `EMERGENCY`; `EXECUTION` locks are taken by
    /// executions only.
    #[graphql(default_with = "LockType::Maintenance")]
    pub lock_type: LockType,
    /// Minutes until it ends by itself; the hub's `execution.lock_ttl_minutes` when not set.
    pub ttl_minutes: Option<Int<u32>>,
    /// How many times it may be extended.
    #[graphql(default_with = "Int(3)")]
    pub max_extension_count: Int<u32>,
    /// A priority label for people reading the lock; `normal` when not set.
    pub priority: Option<String>,
}

impl From<AcquireLockInput> for NewLock {
    fn from(i: AcquireLockInput) -> Self {
        NewLock {
            server_id: i.server_id,
            lock_type: i.lock_type,
            reason: i.reason,
            ttl_minutes: i.ttl_minutes.map(Int::get),
            max_extension_count: i.max_extension_count.get(),
            priority: i.priority,
        }
    }
}

/// When a schedule fires: exactly one field is set.
#[derive(OneofObject)]
pub enum TriggerInput {
    /// A cron expression, UTC: 5 fields (`minute hour day month weekday`) or 6–7 with
    /// seconds first.
    Cron(String),
    /// Once, at this time.
    Once(Timestamp),
}

impl From<TriggerInput> for Trigger {
    fn from(t: TriggerInput) -> Self {
        match t {
            TriggerInput::Cron(expression) => Trigger::Cron { expression },
            TriggerInput::Once(at) => Trigger::Once { at },
        }
    }
}

/// A schedule: an execution started at each occurrence of its trigger.
#[derive(InputObject)]
pub struct CreateScheduleInput {
    /// A name for people.
    pub name: String,
    /// When it fires.
    pub trigger: TriggerInput,
    /// The execution it starts each time (as `startExecution` takes it).
    pub execution: StartExecutionInput,
    /// Whether it fires (true when not set).
    #[graphql(default = true)]
    pub enabled: bool,
}

impl CreateScheduleInput {
    pub fn into_new(self) -> Result<NewSchedule, Error> {
        Ok(NewSchedule {
            name: self.name,
            trigger: self.trigger.into(),
            execution: self.execution.to_body()?,
            enabled: self.enabled,
        })
    }
}

/// One parameter a template declares; the command template refers to it as `{name}` (the
/// value reaches the command through its environment, never as part of its text).
#[derive(InputObject)]
pub struct ParameterDefinitionInput {
    /// The name (letters, digits, `_`).
    pub name: String,
    /// Its type.
    #[graphql(name = "type")]
    pub kind: ParamKind,
    /// Whether an execution must give it (when it has no default).
    #[graphql(default)]
    pub required: bool,
    /// The value when an execution gives none.
    pub default: Option<ParameterValueInput>,
    /// What it means, for people filling it in.
    #[graphql(default)]
    pub description: String,
    /// A regular expression a `STRING` value must match (whole value).
    pub validation: Option<String>,
    /// The smallest `INTEGER` value allowed.
    pub min: Option<Int<i64>>,
    /// The largest `INTEGER` value allowed.
    pub max: Option<Int<i64>>,
    /// The allowed values of an `ENUM` parameter.
    #[graphql(default)]
    pub values: Vec<String>,
}

/// How a template's executions run; each field left out takes its default.
#[derive(InputObject, Default)]
pub struct ExecutionConfigInput {
    /// Seconds before a job is stopped (300 when not set).
    pub timeout_seconds: Option<Int<u64>>,
    /// Attempts after the first for a job that fails (0 when not set).
    pub retry_count: Option<Int<u32>>,
    /// Seconds between attempts (0 when not set).
    pub retry_delay_seconds: Option<Int<u64>>,
    /// Take an execution lock on each server while its job runs (false when not set).
    pub requires_lock: Option<bool>,
    /// Run on all targets at once (true when not set) or one at a time.
    pub parallel_execution: Option<bool>,
}

impl From<ExecutionConfigInput> for ExecutionConfig {
    fn from(i: ExecutionConfigInput) -> Self {
        let d = ExecutionConfig::default();
        ExecutionConfig {
            timeout_seconds: i.timeout_seconds.map_or(d.timeout_seconds, Int::get),
            retry_count: i.retry_count.map_or(d.retry_count, Int::get),
            retry_delay_seconds: i
                .retry_delay_seconds
                .map_or(d.retry_delay_seconds, Int::get),
            requires_lock: i.requires_lock.unwrap_or(d.requires_lock),
            parallel_execution: i.parallel_execution.unwrap_or(d.parallel_execution),
        }
    }
}

/// What a result must show to count as success; every field that is set must hold.
#[derive(InputObject, Default)]
pub struct SuccessCriteriaInput {
    /// The exit code (0 when no criterion is set at all).
    pub exit_code: Option<i32>,
    /// Texts the output must contain.
    #[graphql(default)]
    pub output_contains: Vec<String>,
    /// Texts the output must not contain.
    #[graphql(default)]
    pub output_not_contains: Vec<String>,
    /// Most seconds the job may take.
    pub execution_time_max: Option<f64>,
}

impl From<SuccessCriteriaInput> for SuccessCriteria {
    fn from(i: SuccessCriteriaInput) -> Self {
        SuccessCriteria {
            exit_code: i.exit_code,
            output_contains: i.output_contains,
            output_not_contains: i.output_not_contains,
            execution_time_max: i.execution_time_max,
        }
    }
}

/// An action template: a command with typed parameters, how it runs and what counts as
/// success (the specification's template document without its metadata).
#[derive(InputObject)]
pub struct ActionTemplateInput {
    /// A name for people.
    pub name: String,
    /// What it does.
    #[graphql(default)]
    pub description: String,
    /// A grouping (`system` when not set).
    pub category: Option<String>,
    /// The specification's action type (`execution` when not set).
    pub action_type: Option<String>,
    /// Its version (`1.0.0` when not set).
    pub version: Option<String>,
    /// The parameters it declares.
    #[graphql(default)]
    pub parameters: Vec<ParameterDefinitionInput>,
    /// The command, with `{name}` placeholders for its parameters.
    pub command_template: String,
    /// How its executions run.
    #[graphql(default)]
    pub execution_config: ExecutionConfigInput,
    /// What counts as success.
    #[graphql(default)]
    pub success_criteria: SuccessCriteriaInput,
    /// Server tags it applies to (all servers when empty).
    #[graphql(default)]
    pub applicable_server_tags: Vec<String>,
}

impl ActionTemplateInput {
    pub fn into_new(self) -> Result<NewTemplate, Error> {
        let mut parameters = std::collections::BTreeMap::new();
        for p in self.parameters {
            let default = match p.default {
                None => None,
                Some(v) => Some(
                    parameters_to_wire(&[ParameterInput {
                        name: p.name.clone(),
                        value: v,
                    }])
                    .map_err(Error::invalid)?[&p.name]
                        .clone(),
                ),
            };
            let spec = ParameterSpec {
                kind: p.kind,
                required: p.required,
                default,
                description: p.description,
                validation: p.validation,
                min: p.min.map(Int::get),
                max: p.max.map(Int::get),
                values: p.values,
            };
            if parameters.insert(p.name.clone(), spec).is_some() {
                return Err(Error::invalid(format!(
                    "parameters: {:?} is declared twice",
                    p.name
                )));
            }
        }
        Ok(NewTemplate {
            name: self.name,
            description: self.description,
            category: self.category.unwrap_or_else(templates::default_category),
            action_type: self
                .action_type
                .unwrap_or_else(templates::default_action_type),
            version: self.version.unwrap_or_else(templates::default_version),
            parameters,
            execution_config: self.execution_config.into(),
            command_template: self.command_template,
            success_criteria: self.success_criteria.into(),
            applicable_server_tags: self.applicable_server_tags,
        })
    }
}
