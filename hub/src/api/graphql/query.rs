//! Query root: servers, templates, executions (with history filters, preview and logs),
//! locks, schedules, the audit log.

use super::types::*;
use super::{Coded, app, caller, page};
use crate::error::Error;
use crate::model::{ExecutionFilter, PageRequest, Role, Server, ServerFilter, User};
use crate::service::executions::{self, ExecutionView};
use async_graphql::{Context, ErrorExtensions, Json, Object, Result};

#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let c = caller(ctx)?;
        let u = app(ctx)?
            .store
            .get_user(&c.tenant_id, &c.email)
            .await
            .coded()?;
        u.ok_or_else(|| Error::Unauthenticated("user no longer exists".into()).extend())
    }

    #[graphql(complexity = "1 + page_size.clamp(1, 500) as usize * child_complexity")]
    async fn servers(
        &self,
        ctx: &Context<'_>,
        filter: Option<ServerFilter>,
        #[graphql(default = 1)] page: i32,
        #[graphql(default = 50)] page_size: i32,
    ) -> Result<ServerPage> {
        let c = caller(ctx)?;
        let p = app(ctx)?
            .store
            .list_servers(
                &c.tenant_id,
                &filter.unwrap_or_default(),
                self::page(page, page_size)?,
            )
            .await
            .coded()?;
        Ok(ServerPage {
            items: p.items,
            total: p.total,
            page: p.page,
            page_size: p.page_size,
        })
    }

    async fn server(&self, ctx: &Context<'_>, server_id: String) -> Result<Option<Server>> {
        let c = caller(ctx)?;
        app(ctx)?
            .store
            .get_server(&c.tenant_id, &server_id)
            .await
            .coded()
    }

    #[graphql(complexity = "1 + 50 * child_complexity")]
    async fn action_templates(&self, ctx: &Context<'_>) -> Result<Vec<TemplateView>> {
        let c = caller(ctx)?;
        let all = PageRequest::new(Some(1), Some(PageRequest::MAX_PAGE_SIZE)).coded()?;
        let p = crate::service::templates::list(app(ctx)?, c, None, all)
            .await
            .coded()?;
        Ok(p.items.into_iter().map(TemplateView).collect())
    }

    async fn action_template(&self, ctx: &Context<'_>, id: String) -> Result<Option<TemplateView>> {
        match crate::service::templates::get(app(ctx)?, caller(ctx)?, &id).await {
            Ok(t) => Ok(Some(TemplateView(t))),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e.extend()),
        }
    }

    /// Execution history, newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "1 + page_size.clamp(1, 500) as usize * child_complexity")]
    async fn executions(
        &self,
        ctx: &Context<'_>,
        filter: Option<ExecutionFilter>,
        #[graphql(default = 1)] page: i32,
        #[graphql(default = 50)] page_size: i32,
        #[graphql(desc = "The order; newest first by default.")] order_by: Option<
            crate::model::ExecutionOrder,
        >,
    ) -> Result<ExecutionPage> {
        let mut filter = filter.unwrap_or_default();
        filter.order = order_by.unwrap_or_default();
        let p = executions::list(
            app(ctx)?,
            caller(ctx)?,
            &filter,
            self::page(page, page_size)?,
        )
        .await
        .coded()?;
        Ok(ExecutionPage {
            items: p.items,
            total: p.total,
            page: p.page,
            page_size: p.page_size,
        })
    }

    async fn execution(
        &self,
        ctx: &Context<'_>,
        execution_id: String,
    ) -> Result<Option<ExecutionView>> {
        match executions::view(app(ctx)?, caller(ctx)?, &execution_id).await {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e.extend()),
        }
    }

    /// What an execution would run on each target (secrets masked), without starting it.
    async fn preview_execution(
        &self,
        ctx: &Context<'_>,
        input: super::mutation::StartExecutionInput,
    ) -> Result<ExecutionPreview> {
        let req = input.into_request()?;
        let plan = executions::plan(app(ctx)?, caller(ctx)?, &req)
            .await
            .coded()?;
        let servers: Vec<CommandPreview> = plan
            .targets
            .into_iter()
            .map(|t| CommandPreview {
                server_id: t.server_id,
                environment: t
                    .command_environment
                    .into_iter()
                    .map(|(name, value)| EnvironmentVariable { name, value })
                    .collect(),
                command: (!t.skipped).then_some(t.command),
                skipped: t.skipped,
                reason: t.reason,
            })
            .collect();
        Ok(ExecutionPreview {
            matched_count: servers.len(),
            run_count: servers.iter().filter(|s| !s.skipped).count(),
            servers,
        })
    }

    /// A page of an execution's output lines: in order per server from `offset`, or, with
    /// `after` (a line's cursor), the lines stored after it in the order they were stored.
    #[graphql(complexity = "1 + (limit.clamp(1, 10_000) as usize).div_ceil(10) * child_complexity")]
    async fn execution_logs(
        &self,
        ctx: &Context<'_>,
        execution_id: String,
        server_id: Option<String>,
        offset: Option<u64>,
        after: Option<u64>,
        #[graphql(default = 1000)] limit: u32,
    ) -> Result<executions::LogPage> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let q = executions::LogsRequest {
            server_id,
            offset,
            after,
            limit: Some(limit),
        };
        executions::logs(app, caller, &execution_id, &q)
            .await
            .coded()
    }

    #[graphql(complexity = "1 + 50 * child_complexity")]
    async fn server_locks(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true)] active_only: bool,
    ) -> Result<Vec<crate::model::ServerLock>> {
        let c = caller(ctx)?;
        app(ctx)?
            .store
            .list_locks(&c.tenant_id, active_only)
            .await
            .coded()
    }

    #[graphql(complexity = "1 + 50 * child_complexity")]
    async fn schedules(&self, ctx: &Context<'_>) -> Result<Vec<ScheduleView>> {
        let c = caller(ctx)?;
        Ok(app(ctx)?
            .store
            .list_schedules(&c.tenant_id)
            .await
            .coded()?
            .into_iter()
            .map(ScheduleView)
            .collect())
    }

    /// The next `count` (at most 50) occurrences of a schedule's cron expression: standard
    /// 5-field cron (`minute hour day month weekday`) or 6–7 fields with seconds first, UTC.
    /// A bad expression is not an error: `valid` is false and `error` says what is wrong.
    async fn cron_preview(
        &self,
        ctx: &Context<'_>,
        expression: String,
        #[graphql(default = 5)] count: i32,
    ) -> Result<CronPreview> {
        caller(ctx)?;
        let count = usize::try_from(count.clamp(1, 50)).unwrap_or(5);
        Ok(
            match crate::service::schedules::preview(&expression, count, chrono::Utc::now()) {
                Ok(next_runs) => CronPreview {
                    valid: true,
                    next_runs,
                    error: None,
                },
                Err(e) => CronPreview {
                    valid: false,
                    next_runs: vec![],
                    error: Some(e),
                },
            },
        )
    }

    /// The tenant's users (admin).
    #[graphql(complexity = "1 + 50 * child_complexity")]
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        crate::service::users::list(app(ctx)?, caller(ctx)?)
            .await
            .coded()
    }

    /// The tenant's audit log, newest first, narrowed by `filter` (admin).
    #[graphql(complexity = "1 + page_size.clamp(1, 500) as usize * child_complexity")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilterInput>,
        #[graphql(default = 1)] page: i32,
        #[graphql(default = 50)] page_size: i32,
    ) -> Result<AuditPage> {
        let p = crate::service::audit::list(
            app(ctx)?,
            caller(ctx)?,
            filter.unwrap_or_default().into(),
            self::page(page, page_size)?,
        )
        .await
        .coded()?;
        Ok(AuditPage {
            items: p.items.into_iter().map(Json).collect(),
            total: p.total,
            page: p.page,
            page_size: p.page_size,
        })
    }

    /// Recomputes the audit hash chain (admin).
    async fn verify_audit_chain(&self, ctx: &Context<'_>) -> Result<AuditVerification> {
        caller(ctx)?.require(Role::Admin).coded()?;
        let broken = crate::audit::verify(app(ctx)?).await.coded()?;
        Ok(AuditVerification {
            intact: broken.is_none(),
            first_broken_seq: broken,
        })
    }
}
