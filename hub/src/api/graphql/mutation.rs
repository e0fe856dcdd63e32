//! Mutation root: executions (start, re-run, cancel), templates, users, agents, locks,
//! schedules. Every mutation answers a payload (`payloads`): its object, or `userErrors`.

use super::inputs::{
    AcquireLockInput, ActionTemplateInput, CreateScheduleInput, StartExecutionInput,
};
use super::int::Int;
use super::nodes::key_of;
use super::payloads::{DeletePayload, payload};
use super::types::*;
use super::{app, caller, origin};
use crate::model::{Server, ServerLock, User};
use crate::service::executions::{self, ExecutionView};
use crate::service::{locks, schedules, templates};
use async_graphql::{Context, Object, Result};

payload!(
    /// What `startExecution`, `rerunExecution` and `cancelExecution` answer.
    ExecutionPayload { execution: ExecutionView }
);
payload!(
    /// What `createActionTemplate` and `updateActionTemplate` answer.
    ActionTemplatePayload { action_template: TemplateView }
);
payload!(
    /// What `createUser` and `updateUser` answer.
    UserPayload { user: User }
);
payload!(
    /// What `revokeAgent`, `registerServer` and `updateServer` answer.
    ServerPayload { server: Server }
);
payload!(
    /// What `createEnrollmentToken` answers.
    EnrollmentTokenPayload { enrollment_token: EnrollmentToken }
);
payload!(
    /// What the lock mutations answer.
    ServerLockPayload { lock: ServerLock }
);
payload!(
    /// What `createSchedule` answers.
    SchedulePayload { schedule: ScheduleView }
);

#[derive(Default)]
pub struct CoreMutation;

/// A started execution, as `execution` shows it.
async fn started(
    app: &crate::app::App,
    caller: &crate::auth::Caller,
    r: crate::error::Result<crate::model::Execution>,
) -> crate::error::Result<ExecutionView> {
    executions::view(app, caller, &r?.execution_id).await
}

#[Object]
impl CoreMutation {
    /// Starts an execution: an inline `action` or a template, on explicit targets or a
    /// selector.
    async fn start_execution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to run, where, and how.")] input: StartExecutionInput,
    ) -> Result<ExecutionPayload> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let r = match input.into_request() {
            Ok(req) => {
                let r = executions::start(app, caller, req, origin(ctx)).await;
                started(app, caller, r).await
            }
            Err(e) => Err(e),
        };
        ExecutionPayload::of(r, &["input"])
    }

    /// Runs an execution again, as you: the same action (template and parameters, or the
    /// inline action) with the same options, on the same servers — or, with `onlyFailed`,
    /// on those whose job did not succeed (once it has ended). Refused for an execution
    /// that ran with secrets the hub masked (it does not keep them).
    async fn rerun_execution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The execution to run again.")] execution_id: String,
        #[graphql(default = false, desc = "Only the servers whose job did not succeed.")]
        only_failed: bool,
    ) -> Result<ExecutionPayload> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let r = executions::rerun(
            app,
            caller,
            &key_of("Execution", &execution_id),
            only_failed,
            origin(ctx),
        )
        .await;
        ExecutionPayload::of(started(app, caller, r).await, &[])
    }

    /// Cancels an execution: pending targets never start; running ones are stopped by their
    /// agents.
    async fn cancel_execution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The execution to cancel.")] execution_id: String,
    ) -> Result<ExecutionPayload> {
        let r = executions::cancel(
            app(ctx)?,
            caller(ctx)?,
            &key_of("Execution", &execution_id),
            origin(ctx),
        )
        .await;
        ExecutionPayload::of(r, &[])
    }

    /// Admin: a new action template.
    async fn create_action_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new template.")] input: ActionTemplateInput,
    ) -> Result<ActionTemplatePayload> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let r = match input.into_new() {
            Ok(new) => templates::create(app, caller, new, origin(ctx))
                .await
                .map(TemplateView),
            Err(e) => Err(e),
        };
        ActionTemplatePayload::of(r, &["input"])
    }

    /// Admin: replaces a template (its version is the one given; executions keep the
    /// version they ran).
    async fn update_action_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template's id.")] id: String,
        #[graphql(desc = "The template as it should be.")] input: ActionTemplateInput,
    ) -> Result<ActionTemplatePayload> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let r = match input.into_new() {
            Ok(new) => templates::update(
                app,
                caller,
                &key_of("ActionTemplate", &id),
                new,
                origin(ctx),
            )
            .await
            .map(TemplateView),
            Err(e) => Err(e),
        };
        ActionTemplatePayload::of(r, &["input"])
    }

    /// Admin: deletes a template (executions that ran it keep their record).
    async fn delete_action_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template's id.")] id: String,
    ) -> Result<DeletePayload> {
        let r = templates::delete(
            app(ctx)?,
            caller(ctx)?,
            &key_of("ActionTemplate", &id),
            origin(ctx),
        )
        .await;
        DeletePayload::of(r, &id, &[])
    }

    /// Admin: a new user of the caller's tenant.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Their sign-in e-mail address.")] email: String,
        #[graphql(desc = "Their first password.", secret)] password: String,
        #[graphql(desc = "What they may do.")] role: crate::model::Role,
    ) -> Result<UserPayload> {
        let new = crate::service::users::NewUser {
            email,
            password,
            role,
        };
        let r = crate::service::users::create(app(ctx)?, caller(ctx)?, new, origin(ctx)).await;
        UserPayload::of(r, &[])
    }

    /// Admin: change a user's role, disable or enable them, or set a new password.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's e-mail address.")] email: String,
        #[graphql(desc = "A new role.")] role: Option<crate::model::Role>,
        #[graphql(desc = "True disables the user (their sessions end); false enables them.")]
        disabled: Option<bool>,
        #[graphql(desc = "A new password.", secret)] password: Option<String>,
    ) -> Result<UserPayload> {
        let change = crate::service::users::UserChange {
            role,
            disabled,
            password,
        };
        let r = crate::service::users::update(app(ctx)?, caller(ctx)?, &email, change, origin(ctx))
            .await;
        UserPayload::of(r, &[])
    }

    /// Admin: revoke a server's agent certificate; the agent is refused from its next request.
    async fn revoke_agent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The server whose agent is revoked.")] server_id: String,
    ) -> Result<ServerPayload> {
        let r = crate::service::agents::revoke(
            app(ctx)?,
            caller(ctx)?,
            &key_of("Server", &server_id),
            origin(ctx),
        )
        .await;
        ServerPayload::of(r, &[])
    }

    /// Admin: a new enrollment token (shown once), the CA certificate agents must trust and
    /// the enroll command filled in.
    async fn create_enrollment_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Hours it stays valid; the hub's `security.enrollment_token_hours` when not set."
        )]
        ttl_hours: Option<Int<u32>>,
        #[graphql(default_with = "Int(1)", desc = "How many agents may enroll with it.")] uses: Int<
            u32,
        >,
        #[graphql(desc = "The environment enrolled servers are placed in.")] environment: Option<
            String,
        >,
        #[graphql(default, desc = "Tags enrolled servers get.")] tags: Vec<String>,
    ) -> Result<EnrollmentTokenPayload> {
        let req = crate::service::agents::TokenRequest {
            ttl_hours: ttl_hours.map(|h| u64::from(h.get())),
            uses: Some(uses.get()),
            scope: crate::service::agents::TokenScope { environment, tags },
        };
        let r = crate::service::agents::create_enrollment_token(app(ctx)?, caller(ctx)?, req)
            .await
            .map(EnrollmentToken::from);
        EnrollmentTokenPayload::of(r, &[])
    }

    /// Locks a server: while the lock is active only your executions run there.
    async fn acquire_lock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The server to lock, why and for how long.")] input: AcquireLockInput,
    ) -> Result<ServerLockPayload> {
        let r = locks::acquire(app(ctx)?, caller(ctx)?, input.into(), origin(ctx)).await;
        ServerLockPayload::of(r, &["input"])
    }

    /// Extends your lock by `minutes` (at most its `maxExtensionCount` times).
    async fn extend_lock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The lock.")] lock_id: String,
        #[graphql(desc = "Minutes added.")] minutes: Int<u32>,
    ) -> Result<ServerLockPayload> {
        let r = locks::extend(
            app(ctx)?,
            caller(ctx)?,
            &key_of("ServerLock", &lock_id),
            minutes.get(),
            origin(ctx),
        )
        .await;
        ServerLockPayload::of(r, &[])
    }

    /// Ends your lock.
    async fn release_lock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The lock.")] lock_id: String,
    ) -> Result<ServerLockPayload> {
        let r = locks::release(
            app(ctx)?,
            caller(ctx)?,
            &key_of("ServerLock", &lock_id),
            false,
            origin(ctx),
        )
        .await;
        ServerLockPayload::of(r, &[])
    }

    /// Admin: ends someone else's lock (audited as forced).
    async fn force_release_lock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The lock.")] lock_id: String,
    ) -> Result<ServerLockPayload> {
        let r = locks::release(
            app(ctx)?,
            caller(ctx)?,
            &key_of("ServerLock", &lock_id),
            true,
            origin(ctx),
        )
        .await;
        ServerLockPayload::of(r, &[])
    }

    /// Admin: a schedule that starts an execution at each occurrence of its trigger.
    async fn create_schedule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The schedule.")] input: CreateScheduleInput,
    ) -> Result<SchedulePayload> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let r = match input.into_new() {
            Ok(new) => schedules::create(app, caller, new, origin(ctx))
                .await
                .map(ScheduleView),
            Err(e) => Err(e),
        };
        SchedulePayload::of(r, &["input"])
    }

    /// Admin: deletes a schedule (executions it started stay).
    async fn delete_schedule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The schedule's id.")] id: String,
    ) -> Result<DeletePayload> {
        let r = schedules::delete(
            app(ctx)?,
            caller(ctx)?,
            &key_of("Schedule", &id),
            origin(ctx),
        )
        .await;
        DeletePayload::of(r, &id, &[])
    }
}
