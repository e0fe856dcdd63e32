//! GraphQL output types that are views over the model: pages, executions, templates,
//! previews, logs, locks, schedules, audit.

use crate::model::{JobState, Server, Timestamp};
use crate::service::executions::ExecutionView;
use async_graphql::{Json, Object, SimpleObject};

#[derive(SimpleObject)]
pub struct ServerPage {
    pub items: Vec<Server>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

#[derive(SimpleObject)]
pub struct ExecutionPage {
    pub items: Vec<ExecutionView>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

#[derive(SimpleObject)]
pub struct ExecutionTiming {
    created_at: crate::model::Timestamp,
    started_at: Option<crate::model::Timestamp>,
    completed_at: Option<crate::model::Timestamp>,
    duration_seconds: Option<f64>,
}

/// One server's job of an execution: its state and result.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct JobDetail {
    job_id: String,
    attempt: u32,
    started_at: Option<Timestamp>,
    finished_at: Option<Timestamp>,
    server_id: String,
    status: JobState,
    exit_code: Option<i32>,
    /// The output kept of the job (up to the agent's cap): costs 5.
    #[graphql(complexity = 5)]
    output: String,
    #[graphql(complexity = 5)]
    error_output: String,
    execution_time: f64,
    error: Option<String>,
}

#[async_graphql::ComplexObject]
impl JobDetail {
    /// The server the job ran on; null once the server has been deregistered.
    async fn server(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<Server>> {
        super::links::server(ctx, &self.server_id).await
    }
}

#[derive(SimpleObject)]
pub struct ExecutionResults {
    success_count: usize,
    failure_count: usize,
    total_count: usize,
    details: Vec<JobDetail>,
}

#[Object(name = "Execution")]
impl ExecutionView {
    async fn execution_id(&self) -> &str {
        &self.execution.execution_id
    }
    async fn initiated_by(&self) -> &str {
        &self.execution.initiated_by
    }
    async fn execution_type(&self) -> &str {
        &self.execution.execution_type
    }
    async fn target_servers(&self) -> &[String] {
        &self.execution.target_servers
    }
    async fn action_template_id(&self) -> Option<&str> {
        self.execution.action_template_id.as_deref()
    }
    /// The template it ran (as it is now: `templateVersion` is the version it ran);
    /// null for an inline action or a template deleted since.
    async fn template(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<TemplateView>> {
        let Some(id) = &self.execution.action_template_id else {
            return Ok(None);
        };
        Ok(super::links::template(ctx, id).await?.map(TemplateView))
    }
    async fn action(&self) -> Json<&serde_json::Value> {
        Json(&self.execution.action)
    }
    async fn parameters(&self) -> Json<&serde_json::Value> {
        Json(&self.execution.parameters)
    }
    async fn priority(&self) -> crate::model::Priority {
        self.execution.priority
    }
    /// 0–100.
    async fn progress(&self) -> f64 {
        self.progress_percent()
    }
    async fn estimated_completion(&self) -> Option<Timestamp> {
        self.eta()
    }
    async fn skipped_reason(&self) -> Option<&str> {
        self.execution.skipped_reason.as_deref()
    }
    async fn cancelled_by(&self) -> Option<&str> {
        self.execution.cancelled_by.as_deref()
    }
    async fn template_version(&self) -> Option<&str> {
        self.execution.template_version.as_deref()
    }
    async fn max_concurrency(&self) -> Option<u32> {
        self.execution.max_concurrency
    }
    /// Whether each job takes an execution lock on its server while it runs.
    async fn requires_lock(&self) -> bool {
        self.execution.requires_lock
    }
    /// Whether a job on a server someone else has locked is skipped at once (true) or
    /// waits for the lock to end (false).
    async fn fail_if_locked(&self) -> bool {
        self.execution.lock_policy == crate::model::LockPolicy::Fail
    }
    /// Attempts after the first for a job that fails.
    async fn retry_count(&self) -> u32 {
        self.execution.retry_count
    }
    async fn retry_delay_seconds(&self) -> u64 {
        self.execution.retry_delay_seconds
    }
    async fn error_threshold(&self) -> Option<u32> {
        self.execution.error_threshold
    }
    async fn overall(&self) -> crate::model::ExecutionState {
        self.execution.state
    }
    async fn timing(&self) -> ExecutionTiming {
        let e = &self.execution;
        ExecutionTiming {
            created_at: e.created_at,
            started_at: e.started_at,
            completed_at: e.completed_at,
            duration_seconds: self.duration_seconds(),
        }
    }
    /// Each server's result: counted as 10 servers' worth of cost.
    #[graphql(complexity = "1 + 10 * child_complexity")]
    async fn results(&self) -> ExecutionResults {
        ExecutionResults {
            success_count: self.success_count(),
            failure_count: self.failure_count(),
            total_count: self.jobs.len(),
            details: self
                .jobs
                .iter()
                .map(|j| JobDetail {
                    job_id: j.job_id.clone(),
                    attempt: j.attempt,
                    started_at: j.started_at,
                    finished_at: j.finished_at,
                    server_id: j.server_id.clone(),
                    status: j.state,
                    exit_code: j.exit_code,
                    output: j.output.clone(),
                    error_output: j.error_output.clone(),
                    execution_time: j.execution_time,
                    error: j.error.clone(),
                })
                .collect(),
        }
    }
}

/// An action template as GraphQL shows it.
pub struct TemplateView(pub crate::model::ActionTemplate);

#[Object(name = "ActionTemplate")]
impl TemplateView {
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    async fn action_type(&self) -> &str {
        &self.0.action_type
    }
    async fn version(&self) -> &str {
        &self.0.version
    }
    async fn parameters(
        &self,
    ) -> Json<&std::collections::BTreeMap<String, crate::model::ParameterSpec>> {
        Json(&self.0.parameters)
    }
    async fn command_template(&self) -> &str {
        &self.0.command_template
    }
    async fn execution_config(&self) -> Json<&crate::model::ExecutionConfig> {
        Json(&self.0.execution_config)
    }
    async fn success_criteria(&self) -> Json<&crate::model::SuccessCriteria> {
        Json(&self.0.success_criteria)
    }
    async fn applicable_server_tags(&self) -> &[String] {
        &self.0.applicable_server_tags
    }
    /// What the hub finds wrong with the template as stored (placeholders declared,
    /// patterns compile, criteria well formed); empty when it is valid. REST:
    /// `GET /api/v1/actions/{id}/validate`.
    async fn problems(&self) -> Vec<String> {
        crate::service::templates::problems(&self.0)
    }
    async fn metadata(&self) -> TemplateMetadataView {
        let m = &self.0.metadata;
        TemplateMetadataView {
            created_at: m.created_at,
            created_by: m.created_by.clone(),
            updated_at: m.updated_at,
            usage_count: m.usage_count,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "TemplateMetadata")]
pub struct TemplateMetadataView {
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub usage_count: u64,
}

/// A variable of a command's environment (a template parameter's value: secrets `***`).
#[derive(SimpleObject)]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: String,
}

/// One target of a preview: the exact command (secrets masked) or why it is skipped.
#[derive(SimpleObject)]
pub struct CommandPreview {
    pub server_id: String,
    pub command: Option<String>,
    /// The command's environment: a template's parameter values, which the command refers
    /// to as `${GREENROOM_PARAM_<name>}` (values never become part of the command).
    pub environment: Vec<EnvironmentVariable>,
    pub skipped: bool,
    pub reason: Option<String>,
}

#[derive(SimpleObject)]
pub struct ExecutionPreview {
    pub matched_count: usize,
    pub run_count: usize,
    pub servers: Vec<CommandPreview>,
}

/// A schedule as GraphQL shows it.
pub struct ScheduleView(pub crate::model::Schedule);

#[Object(name = "Schedule")]
impl ScheduleView {
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn trigger(&self) -> Json<&crate::model::Trigger> {
        Json(&self.0.trigger)
    }
    async fn execution(&self) -> Json<&serde_json::Value> {
        Json(&self.0.execution)
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    async fn next_run_at(&self) -> Option<Timestamp> {
        self.0.next_run_at
    }
    async fn last_run_at(&self) -> Option<Timestamp> {
        self.0.last_run_at
    }
}

#[derive(SimpleObject)]
pub struct AuditPage {
    pub items: Vec<Json<serde_json::Value>>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

/// What a cron expression means in time: its next occurrences (UTC), or what is wrong with it.
#[derive(SimpleObject)]
pub struct CronPreview {
    /// Whether the hub accepts the expression as a schedule's `trigger.expression`.
    pub valid: bool,
    /// The next occurrences after now, soonest first (empty when not valid).
    pub next_runs: Vec<Timestamp>,
    /// The one problem with the expression, naming the field (when not valid).
    pub error: Option<String>,
}

/// Narrows the audit log; every field that is set narrows, all together.
#[derive(async_graphql::InputObject, Default)]
#[graphql(name = "AuditFilter")]
pub struct AuditFilterInput {
    /// Entries of this event type (e.g. `user_login`, `execution_started`).
    pub event_type: Option<String>,
    /// Entries of none of these event types (e.g. `["user_login", "user_logout"]` folds
    /// sign-ins away).
    pub exclude_event_types: Option<Vec<String>>,
    /// Entries by this actor: a user's e-mail, an agent's server id or `greenroom-hub`.
    pub actor: Option<String>,
    /// Entries about a resource of this type (`execution`, `action_template`, `server`,
    /// `user`, `schedule`, `server_lock`, ...).
    pub resource_type: Option<String>,
    /// Entries about the resource with this id.
    pub resource_id: Option<String>,
    /// Written at or after.
    pub from: Option<Timestamp>,
    /// Written before.
    pub to: Option<Timestamp>,
}

impl From<AuditFilterInput> for crate::audit::AuditFilter {
    fn from(f: AuditFilterInput) -> Self {
        Self {
            event_type: f.event_type,
            exclude_event_types: f.exclude_event_types.unwrap_or_default(),
            actor: f.actor,
            resource_type: f.resource_type,
            resource_id: f.resource_id,
            from: f.from,
            to: f.to,
        }
    }
}

#[derive(SimpleObject)]
pub struct AuditVerification {
    pub intact: bool,
    /// The sequence number of the first entry that does not match the chain.
    pub first_broken_seq: Option<u64>,
}

/// A new enrollment token: shown once, never stored in the clear.
#[derive(SimpleObject)]
pub struct EnrollmentToken {
    pub token: String,
    pub uses: u32,
    pub expires_in_hours: u32,
    /// The hub CA certificate (PEM) the agent must trust (`agent.ca_cert`).
    pub ca_pem: String,
    /// SHA-256 of the CA certificate (hex), for `greenroom-agent enroll --ca-sha256`.
    pub ca_sha256: String,
    /// Where agents reach this hub (`--hub`).
    pub hub_url: String,
    /// The command that enrolls a server with this token and starts its agent.
    pub enroll_command: String,
}

impl From<crate::service::agents::IssuedToken> for EnrollmentToken {
    fn from(t: crate::service::agents::IssuedToken) -> Self {
        Self {
            token: t.token,
            uses: t.uses,
            expires_in_hours: u32::try_from(t.expires_in_hours).unwrap_or(u32::MAX),
            ca_pem: t.ca_pem,
            ca_sha256: t.ca_sha256,
            hub_url: t.hub_url,
            enroll_command: t.enroll_command,
        }
    }
}
