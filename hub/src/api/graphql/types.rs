//! GraphQL output types that are views over the model: pages, executions, templates,
//! previews, logs, locks (the audit log's are in `audit`, schedules' in `schedules`).

use super::actions::{Action, ParameterValue, parameters_from_wire};
use super::connections::connection;
use crate::model::{JobState, Server, Timestamp};
use crate::service::executions::ExecutionView;
use async_graphql::{Json, Object, SimpleObject};

pub use super::audit::*;
pub use super::schedules::*;

connection!(
    /// A page of servers.
    ServerConnection,
    ServerEdge,
    Server,
    paged
);
connection!(
    /// A page of the execution history.
    ExecutionConnection,
    ExecutionEdge,
    ExecutionView,
    paged
);
connection!(
    /// A page of the audit log.
    AuditEntryConnection,
    AuditEntryEdge,
    AuditEntryView,
    paged
);
connection!(
    /// A page of action templates.
    ActionTemplateConnection,
    ActionTemplateEdge,
    TemplateView
);
connection!(
    /// A page of server locks.
    ServerLockConnection,
    ServerLockEdge,
    crate::model::ServerLock
);
connection!(
    /// A page of schedules.
    ScheduleConnection,
    ScheduleEdge,
    ScheduleView
);
connection!(
    /// A page of a schedule's occurrences.
    ScheduleRunConnection,
    ScheduleRunEdge,
    crate::model::ScheduleRun
);
connection!(
    /// A page of users.
    UserConnection,
    UserEdge,
    crate::model::User
);

/// Locks newest first (by when they were taken, then id), cut to the window.
pub fn lock_connection(
    mut items: Vec<crate::model::ServerLock>,
    w: &super::connections::Window,
) -> ServerLockConnection {
    // Keys that sort ascending as the list runs: newest first.
    let key = |l: &crate::model::ServerLock| {
        let ms = l.timing.acquired_at.timestamp_millis().max(0);
        format!("{:013}:{}", 9_999_999_999_999 - ms, l.lock_id)
    };
    items.sort_by_key(key);
    let total = items.len() as u64;
    let (page, prev, next) = w.cut(items, key);
    let page = page
        .into_iter()
        .map(|l| {
            let cursor = super::connections::encode("serverLocks", &key(&l));
            (l, cursor)
        })
        .collect();
    ServerLockConnection::new(page, prev, next, total, w.count)
}

/// When an execution was created, started and ended.
#[derive(SimpleObject)]
pub struct ExecutionTiming {
    /// When it was accepted.
    created_at: crate::model::Timestamp,
    /// When it left `PENDING` (its first job was taken); null before.
    started_at: Option<crate::model::Timestamp>,
    /// When it reached its final state; null until then.
    completed_at: Option<crate::model::Timestamp>,
    /// Seconds from `startedAt` to `completedAt`; null until it has ended.
    duration_seconds: Option<f64>,
}

/// One server's job of an execution: its state and result.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct JobDetail {
    /// The job's id.
    job_id: String,
    /// Its current attempt: 1 for the first, more after retries; 0 before its first.
    attempt: u32,
    /// When its agent took the current attempt; null before.
    started_at: Option<Timestamp>,
    /// When it reached its final state; null until then.
    finished_at: Option<Timestamp>,
    /// The server it runs on.
    server_id: String,
    /// Its state.
    status: JobState,
    /// The command's exit code; null when it has not exited (not run yet, timed out,
    /// cancelled, skipped).
    exit_code: Option<i32>,
    /// The output kept of the job (up to the agent's cap): costs 5.
    #[graphql(complexity = 5)]
    output: String,
    /// The standard error kept of the job (up to the agent's cap), with the agent's own
    /// notes: costs 5.
    #[graphql(complexity = 5)]
    error_output: String,
    /// Seconds the command ran, as its agent measured.
    execution_time: f64,
    /// Why it did not succeed (an unmet success criterion, why it was skipped, a lost
    /// agent, …); null when nothing went wrong.
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

/// An execution's jobs and how many succeeded and failed.
#[derive(SimpleObject)]
pub struct ExecutionResults {
    /// Jobs that succeeded.
    success_count: usize,
    /// Jobs that ended without success (skipped ones are not failures).
    failure_count: usize,
    /// Jobs in all: one per target.
    total_count: usize,
    /// Each target's job.
    details: Vec<JobDetail>,
}

/// An action run on one or more servers: one job per target server, with its settings,
/// state, progress and results.
#[Object(name = "Execution")]
impl ExecutionView {
    /// The execution's global id.
    pub(super) async fn id(&self) -> async_graphql::ID {
        super::nodes::global_id("Execution", &self.execution.execution_id)
    }
    /// The execution's own id (REST's `execution_id`).
    async fn execution_id(&self) -> &str {
        &self.execution.execution_id
    }
    /// The user who started it (e-mail address); for a schedule's, the schedule's creator.
    async fn initiated_by(&self) -> &str {
        &self.execution.initiated_by
    }
    /// The user who started it; null for a schedule's or the hub's own runs, a user since
    /// deleted, or (unless you are an admin) someone else.
    async fn initiator(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<crate::model::User>> {
        super::links::user(ctx, &self.execution.initiated_by).await
    }
    /// `single` (one target), `bulk` (several) or `scheduled` (started by a schedule).
    async fn execution_type(&self) -> &str {
        &self.execution.execution_type
    }
    /// The ids of the servers it targets, skipped ones included.
    async fn target_servers(&self) -> &[String] {
        &self.execution.target_servers
    }
    /// The template it runs (its `templateId`); null for an inline action.
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
    /// The action as JSON.
    #[graphql(deprecation = "Use `operation`: the same action, typed.")]
    async fn action(&self) -> Json<&serde_json::Value> {
        Json(&self.execution.action)
    }
    /// The parameters as JSON.
    #[graphql(deprecation = "Use `parameterValues`: the same values, typed.")]
    async fn parameters(&self) -> Json<&serde_json::Value> {
        Json(&self.execution.parameters)
    }
    /// What it runs on each server (a template's command rendered), secrets masked `***`.
    async fn operation(&self) -> Option<Action> {
        Action::from_wire(&self.execution.action)
    }
    /// The template parameter values it ran with (secrets `***`), by name.
    async fn parameter_values(&self) -> Vec<ParameterValue> {
        parameters_from_wire(&self.execution.parameters)
    }
    /// Its queue priority.
    async fn priority(&self) -> crate::model::Priority {
        self.execution.priority
    }
    /// 0–100.
    async fn progress(&self) -> f64 {
        self.progress_percent()
    }
    /// When the remaining jobs should be done, from the mean duration of finished ones and
    /// the concurrency; null before any job has finished and once the execution has ended.
    async fn estimated_completion(&self) -> Option<Timestamp> {
        self.eta()
    }
    /// Why targets were skipped without running (the error threshold was reached); null
    /// otherwise.
    async fn skipped_reason(&self) -> Option<&str> {
        self.execution.skipped_reason.as_deref()
    }
    /// Who cancelled it (e-mail address); null unless cancelled.
    async fn cancelled_by(&self) -> Option<&str> {
        self.execution.cancelled_by.as_deref()
    }
    /// The template's version when it started; null for an inline action.
    async fn template_version(&self) -> Option<&str> {
        self.execution.template_version.as_deref()
    }
    /// Most jobs running at once, as a number of servers; null for no limit.
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
    /// Seconds between a failed attempt and the next.
    async fn retry_delay_seconds(&self) -> u64 {
        self.execution.retry_delay_seconds
    }
    /// Failed jobs after which the jobs not yet started are skipped, as a number of
    /// servers; null for no threshold.
    async fn error_threshold(&self) -> Option<u32> {
        self.execution.error_threshold
    }
    /// Its state.
    async fn overall(&self) -> crate::model::ExecutionState {
        self.execution.state
    }
    /// When it was created, started and ended.
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

/// A reusable action: a command template with typed parameters, how its executions run
/// and what counts as success.
#[Object(name = "ActionTemplate")]
impl TemplateView {
    /// The template's global id (arguments that take a template id take it too).
    pub(super) async fn id(&self) -> async_graphql::ID {
        super::nodes::global_id("ActionTemplate", &self.0.id)
    }
    /// The template's own id (the specification's `id`; REST's).
    async fn template_id(&self) -> &str {
        &self.0.id
    }
    /// Its name, for people.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it does, for people.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// `system`, `database`, `application`, `network` or `security`.
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// `validation`, `execution` or `maintenance`.
    async fn action_type(&self) -> &str {
        &self.0.action_type
    }
    /// Its version (e.g. `1.0.0`); an update that keeps the number bumps its last part.
    async fn version(&self) -> &str {
        &self.0.version
    }
    /// The parameters as the template document's JSON map.
    #[graphql(deprecation = "Use `parameterDefinitions`: the same parameters, typed.")]
    async fn parameters(
        &self,
    ) -> Json<&std::collections::BTreeMap<String, crate::model::ParameterSpec>> {
        Json(&self.0.parameters)
    }
    /// The parameters it declares, by name.
    async fn parameter_definitions(&self) -> Vec<ParameterDefinition> {
        self.0
            .parameters
            .iter()
            .map(|(name, p)| ParameterDefinition::of(name, p))
            .collect()
    }
    /// The shell command, with a `{name}` placeholder for each parameter.
    async fn command_template(&self) -> &str {
        &self.0.command_template
    }
    /// How its executions run, as JSON.
    #[graphql(deprecation = "Use `executionSettings`: the same settings, typed.")]
    async fn execution_config(&self) -> Json<&crate::model::ExecutionConfig> {
        Json(&self.0.execution_config)
    }
    /// What counts as success, as JSON.
    #[graphql(deprecation = "Use `successConditions`: the same criteria, typed.")]
    async fn success_criteria(&self) -> Json<&crate::model::SuccessCriteria> {
        Json(&self.0.success_criteria)
    }
    /// How its executions run.
    async fn execution_settings(&self) -> &crate::model::ExecutionConfig {
        &self.0.execution_config
    }
    /// What a result must show to count as success.
    async fn success_conditions(&self) -> &crate::model::SuccessCriteria {
        &self.0.success_criteria
    }
    /// A target must carry at least one of these tags, or it is skipped (unless the
    /// execution sets `ignoreApplicableTags`); empty for any server.
    async fn applicable_server_tags(&self) -> &[String] {
        &self.0.applicable_server_tags
    }
    /// What the hub finds wrong with the template as stored (placeholders declared,
    /// patterns compile, criteria well formed); empty when it is valid. REST:
    /// `GET /api/v1/actions/{id}/validate`.
    async fn problems(&self) -> Vec<String> {
        crate::service::templates::problems(&self.0)
    }
    /// When and by whom it was made, and how often it ran.
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

/// Bookkeeping of an action template.
#[derive(SimpleObject)]
#[graphql(name = "TemplateMetadata")]
pub struct TemplateMetadataView {
    /// When it was created.
    pub created_at: Timestamp,
    /// The admin who created it (e-mail address).
    pub created_by: String,
    /// When it was last changed.
    pub updated_at: Timestamp,
    /// How many executions have run it.
    pub usage_count: u64,
}

/// A variable of a command's environment (a template parameter's value: secrets `***`).
#[derive(SimpleObject)]
pub struct EnvironmentVariable {
    /// The variable's name (`GREENROOM_PARAM_<parameter>`).
    pub name: String,
    /// Its value; `***` for a secret parameter.
    pub value: String,
}

/// One target of a preview: the exact command (secrets masked) or why it is skipped.
#[derive(SimpleObject)]
pub struct CommandPreview {
    /// The target server.
    pub server_id: String,
    /// The command it would run (secrets `***`); null when it is skipped.
    pub command: Option<String>,
    /// The command's environment: a template's parameter values, which the command refers
    /// to as `${GREENROOM_PARAM_<name>}` (values never become part of the command).
    pub environment: Vec<EnvironmentVariable>,
    /// Whether the target would be skipped (it lacks the template's applicable tags).
    pub skipped: bool,
    /// Why it would be skipped; null otherwise.
    pub reason: Option<String>,
}

/// What an execution would do, without starting it.
#[derive(SimpleObject)]
pub struct ExecutionPreview {
    /// Servers the targets or the selector match.
    pub matched_count: usize,
    /// Of those, the servers it would run on (not skipped).
    pub run_count: usize,
    /// Each matched server, with its command or why it is skipped.
    pub servers: Vec<CommandPreview>,
}

/// A new enrollment token: shown once, never stored in the clear.
#[derive(SimpleObject)]
pub struct EnrollmentToken {
    /// The token agents enroll with (`--token`); it cannot be read again.
    pub token: String,
    /// How many agents may enroll with it.
    pub uses: u32,
    /// Hours from now until it stops working.
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

/// One parameter a template declares.
#[derive(SimpleObject)]
pub struct ParameterDefinition {
    /// Its name; the command template refers to it as `{name}`.
    pub name: String,
    /// Its type.
    #[graphql(name = "type")]
    pub kind: crate::model::ParamKind,
    /// Whether an execution must give it (when it has no default).
    pub required: bool,
    /// The value when an execution gives none, as text (`***` for a secret's).
    pub default: Option<String>,
    /// What it means.
    pub description: String,
    /// A regular expression a `STRING` value must match.
    pub validation: Option<String>,
    /// The smallest `INTEGER` value allowed.
    pub min: Option<i64>,
    /// The largest `INTEGER` value allowed.
    pub max: Option<i64>,
    /// The allowed values of an `ENUM` parameter.
    pub values: Vec<String>,
}

impl ParameterDefinition {
    fn of(name: &str, p: &crate::model::ParameterSpec) -> Self {
        Self {
            name: name.to_string(),
            kind: p.kind,
            required: p.required,
            default: p
                .default
                .as_ref()
                .filter(|d| !d.is_null())
                .map(|d| match d {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            description: p.description.clone(),
            validation: p.validation.clone(),
            min: p.min,
            max: p.max,
            values: p.values.clone(),
        }
    }
}

#[async_graphql::ComplexObject]
impl crate::model::ServerLock {
    /// The lock's global id.
    pub(super) async fn id(&self) -> async_graphql::ID {
        super::nodes::global_id("ServerLock", &self.lock_id)
    }
}

#[async_graphql::ComplexObject]
impl crate::model::User {
    /// The user's global id.
    pub(super) async fn id(&self) -> async_graphql::ID {
        super::nodes::global_id("User", &self.email)
    }
}
