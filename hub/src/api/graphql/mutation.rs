//! Mutation root: executions (start, cancel), templates, locks, schedules.

use super::types::*;
use super::{Coded, app, caller, origin};
use crate::error::Error;
use crate::model::{LockPolicy, Priority, ServerLock, ServerSelector};
use crate::service::executions::{self, ExecutionView, StartExecution};
use crate::service::{locks, schedules, templates};
use async_graphql::{Context, ErrorExtensions, InputObject, Json, Object, Result};

#[derive(InputObject)]
pub struct StartExecutionInput {
    /// An inline action: one operation's payload, e.g. `{"type":"shell_command","command":"uptime"}`.
    action: Option<Json<serde_json::Value>>,
    action_template_id: Option<String>,
    parameters: Option<Json<serde_json::Value>>,
    /// Explicit targets, or …
    #[graphql(default)]
    target_servers: Vec<String>,
    /// … a selector.
    selector: Option<ServerSelector>,
    priority: Option<Priority>,
    /// `"10"` or `"25%"`.
    max_concurrency: Option<String>,
    /// `"3"` or `"10%"`.
    error_threshold: Option<String>,
    retry_count: Option<u32>,
    retry_delay_seconds: Option<u64>,
    requires_lock: Option<bool>,
    /// Fail at once (instead of waiting) on a server locked by someone else.
    fail_if_locked: Option<bool>,
    #[graphql(default)]
    ignore_applicable_tags: bool,
}

impl StartExecutionInput {
    pub(super) fn into_request(self) -> Result<StartExecution> {
        Ok(StartExecution {
            action: self.action.map(|j| j.0),
            action_template_id: self.action_template_id,
            parameters: self.parameters.map(|j| j.0),
            target_servers: self.target_servers,
            selector: self.selector,
            priority: self.priority,
            max_concurrency: self.max_concurrency.map(serde_json::Value::String),
            error_threshold: self.error_threshold.map(serde_json::Value::String),
            batch_id: None,
            ignore_applicable_tags: self.ignore_applicable_tags,
            retry_count: self.retry_count,
            retry_delay_seconds: self.retry_delay_seconds,
            requires_lock: self.requires_lock,
            lock_policy: self.fail_if_locked.map(|f| {
                if f {
                    LockPolicy::Fail
                } else {
                    LockPolicy::Wait
                }
            }),
            lost_job_policy: None,
        })
    }
}

/// Turns a JSON input into one of our request types, naming what is wrong.
fn parse<T: serde::de::DeserializeOwned>(what: &str, v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| Error::invalid(format!("{what}: {e}")).extend())
}

#[derive(Default)]
pub struct CoreMutation;

#[Object]
impl CoreMutation {
    async fn start_execution(
        &self,
        ctx: &Context<'_>,
        input: StartExecutionInput,
    ) -> Result<ExecutionView> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let e = executions::start(app, caller, input.into_request()?, origin(ctx))
            .await
            .coded()?;
        executions::view(app, caller, &e.execution_id).await.coded()
    }

    /// Runs an execution again, as you: the same action (template and parameters, or the
    /// inline action) with the same options, on the same servers — or, with `onlyFailed`,
    /// on those whose job did not succeed (once it has ended). Refused for an execution
    /// that ran with secrets the hub masked (it does not keep them).
    async fn rerun_execution(
        &self,
        ctx: &Context<'_>,
        execution_id: String,
        #[graphql(default = false)] only_failed: bool,
    ) -> Result<ExecutionView> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let e = executions::rerun(app, caller, &execution_id, only_failed, origin(ctx))
            .await
            .coded()?;
        executions::view(app, caller, &e.execution_id).await.coded()
    }

    /// Pending targets never start; running ones are stopped by their agents.
    async fn cancel_execution(
        &self,
        ctx: &Context<'_>,
        execution_id: String,
    ) -> Result<ExecutionView> {
        executions::cancel(app(ctx)?, caller(ctx)?, &execution_id, origin(ctx))
            .await
            .coded()
    }

    /// `input`: the specification's template document without `metadata`.
    async fn create_action_template(
        &self,
        ctx: &Context<'_>,
        input: Json<serde_json::Value>,
    ) -> Result<TemplateView> {
        let new = parse("input", input.0)?;
        Ok(TemplateView(
            templates::create(app(ctx)?, caller(ctx)?, new, origin(ctx))
                .await
                .coded()?,
        ))
    }

    async fn update_action_template(
        &self,
        ctx: &Context<'_>,
        id: String,
        input: Json<serde_json::Value>,
    ) -> Result<TemplateView> {
        let new = parse("input", input.0)?;
        Ok(TemplateView(
            templates::update(app(ctx)?, caller(ctx)?, &id, new, origin(ctx))
                .await
                .coded()?,
        ))
    }

    async fn delete_action_template(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        templates::delete(app(ctx)?, caller(ctx)?, &id, origin(ctx))
            .await
            .coded()?;
        Ok(true)
    }

    /// Admin: a new user of the caller's tenant. `role`: viewer, operator or admin.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        role: crate::model::Role,
    ) -> Result<crate::model::User> {
        let new = crate::service::users::NewUser {
            email,
            password,
            role,
        };
        crate::service::users::create(app(ctx)?, caller(ctx)?, new, origin(ctx))
            .await
            .coded()
    }

    /// Admin: change a user's role, disable or enable them, or set a new password.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        email: String,
        role: Option<crate::model::Role>,
        disabled: Option<bool>,
        password: Option<String>,
    ) -> Result<crate::model::User> {
        let change = crate::service::users::UserChange {
            role,
            disabled,
            password,
        };
        crate::service::users::update(app(ctx)?, caller(ctx)?, &email, change, origin(ctx))
            .await
            .coded()
    }

    /// Admin: revoke a server's agent certificate; the agent is refused from its next request.
    async fn revoke_agent(
        &self,
        ctx: &Context<'_>,
        server_id: String,
    ) -> Result<crate::model::Server> {
        crate::service::agents::revoke(app(ctx)?, caller(ctx)?, &server_id, origin(ctx))
            .await
            .coded()
    }

    /// Admin: a new enrollment token (shown once), the CA certificate agents must trust and
    /// the enroll command filled in. `ttlHours` defaults to the hub's
    /// `security.enrollment_token_hours`.
    async fn create_enrollment_token(
        &self,
        ctx: &Context<'_>,
        ttl_hours: Option<u32>,
        #[graphql(default = 1)] uses: u32,
        environment: Option<String>,
        #[graphql(default)] tags: Vec<String>,
    ) -> Result<EnrollmentToken> {
        let req = crate::service::agents::TokenRequest {
            ttl_hours: ttl_hours.map(u64::from),
            uses: Some(uses),
            scope: crate::service::agents::TokenScope { environment, tags },
        };
        crate::service::agents::create_enrollment_token(app(ctx)?, caller(ctx)?, req)
            .await
            .map(EnrollmentToken::from)
            .coded()
    }

    /// `input`: `{server_id, reason, lock_type?: maintenance|emergency, ttl_minutes?, max_extension_count?}`.
    async fn acquire_lock(
        &self,
        ctx: &Context<'_>,
        input: Json<serde_json::Value>,
    ) -> Result<ServerLock> {
        let new = parse("input", input.0)?;
        locks::acquire(app(ctx)?, caller(ctx)?, new, origin(ctx))
            .await
            .coded()
    }

    async fn extend_lock(
        &self,
        ctx: &Context<'_>,
        lock_id: String,
        minutes: u32,
    ) -> Result<ServerLock> {
        locks::extend(app(ctx)?, caller(ctx)?, &lock_id, minutes, origin(ctx))
            .await
            .coded()
    }

    async fn release_lock(&self, ctx: &Context<'_>, lock_id: String) -> Result<ServerLock> {
        locks::release(app(ctx)?, caller(ctx)?, &lock_id, false, origin(ctx))
            .await
            .coded()
    }

    /// Admin: ends someone else's lock (audited as forced).
    async fn force_release_lock(&self, ctx: &Context<'_>, lock_id: String) -> Result<ServerLock> {
        locks::release(app(ctx)?, caller(ctx)?, &lock_id, true, origin(ctx))
            .await
            .coded()
    }

    /// `input`: `{name, trigger: {type: cron, expression} | {type: once, at}, execution: {...}, enabled?}`.
    async fn create_schedule(
        &self,
        ctx: &Context<'_>,
        input: Json<serde_json::Value>,
    ) -> Result<ScheduleView> {
        let new = parse("input", input.0)?;
        Ok(ScheduleView(
            schedules::create(app(ctx)?, caller(ctx)?, new, origin(ctx))
                .await
                .coded()?,
        ))
    }

    async fn delete_schedule(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        schedules::delete(app(ctx)?, caller(ctx)?, &id, origin(ctx))
            .await
            .coded()?;
        Ok(true)
    }
}
