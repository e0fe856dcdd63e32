//! Query root: servers, templates, executions (with history filters, preview and logs),
//! locks, schedules, the audit log.

use super::connections::{self, Read, Window};
use super::int::Int;
use super::nodes::{self, Node};
use super::types::*;
use super::{Coded, app, caller};
use crate::error::Error;
use crate::model::{ExecutionFilter, PageRequest, Role, Server, ServerFilter, User};
use crate::service::executions::{self, ExecutionView};
use async_graphql::{Context, ErrorExtensions, ID, Object, Result};

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

    /// Any object by its global id (null when it does not exist or is not yours to see).
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id (an object's `id`).")] id: ID,
    ) -> Result<Option<Node>> {
        nodes::load(ctx, &id).await
    }

    /// Objects by their global ids, in the order asked (null for each that does not exist
    /// or is not yours to see); at most 100.
    #[graphql(complexity = "1 + ids.len().min(100) * child_complexity")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids (objects' `id`).")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > 100 {
            return Err(Error::invalid(format!("ids: at most 100, got {}", ids.len())).extend());
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            out.push(nodes::load(ctx, id).await?);
        }
        Ok(out)
    }

    /// The tenant's servers by id, narrowed by `filter`.
    #[graphql(complexity = "connections::cost(first, last, page_size, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn servers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field that is set narrows.")] filter: Option<
            ServerFilter,
        >,
        #[graphql(desc = "The first `first` servers (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the servers after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` servers (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the servers before it.")] before: Option<String>,
        #[graphql(deprecation = "Use `first`/`after`.", desc = "A 1-based page number.")]
        page: Option<i32>,
        #[graphql(deprecation = "Use `first`/`after`.", desc = "Servers per page.")]
        page_size: Option<i32>,
    ) -> Result<ServerConnection> {
        let c = caller(ctx)?;
        let read = Read::new("servers", first, after, last, before, page, page_size).coded()?;
        let mut filter = filter.unwrap_or_default();
        filter.seek = read.seek();
        let p = app(ctx)?
            .store
            .list_servers(&c.tenant_id, &filter, read.page_request())
            .await
            .coded()?;
        let (items, prev, next, asked) = read.finish(p.items, p.total);
        let items = items
            .into_iter()
            .map(|s| {
                let cursor = connections::encode("servers", &s.server_id);
                (s, cursor)
            })
            .collect();
        Ok(ServerConnection::new(items, prev, next, p.total, asked))
    }

    /// One server, by its id (or global id).
    async fn server(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The server's id or global id.")] server_id: String,
    ) -> Result<Option<Server>> {
        let c = caller(ctx)?;
        app(ctx)?
            .store
            .get_server(&c.tenant_id, &nodes::key_of("Server", &server_id))
            .await
            .coded()
    }

    /// The tenant's action templates, by name.
    #[graphql(complexity = "connections::cost(first, last, None, child_complexity)")]
    async fn action_templates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first `first` templates (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the templates after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` templates (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the templates before it.")] before: Option<String>,
    ) -> Result<ActionTemplateConnection> {
        let w = Window::new("actionTemplates", first, after, last, before).coded()?;
        let c = caller(ctx)?;
        let all = PageRequest::new(Some(1), Some(PageRequest::MAX_PAGE_SIZE)).coded()?;
        let p = crate::service::templates::list(app(ctx)?, c, None, all)
            .await
            .coded()?;
        let key = |t: &crate::model::ActionTemplate| format!("{}\u{0}{}", t.name, t.id);
        let mut items = p.items;
        items.sort_by_key(key);
        let total = items.len() as u64;
        let (page, prev, next) = w.cut(items, key);
        let page = page
            .into_iter()
            .map(|t| {
                let cursor = connections::encode("actionTemplates", &key(&t));
                (TemplateView(t), cursor)
            })
            .collect();
        Ok(ActionTemplateConnection::new(
            page, prev, next, total, w.count,
        ))
    }

    /// One action template, by its id (or global id).
    async fn action_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The template's id or global id.")] id: String,
    ) -> Result<Option<TemplateView>> {
        let id = nodes::key_of("ActionTemplate", &id);
        match crate::service::templates::get(app(ctx)?, caller(ctx)?, &id).await {
            Ok(t) => Ok(Some(TemplateView(t))),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e.extend()),
        }
    }

    /// Execution history, newest first unless `orderBy` says otherwise.
    #[graphql(complexity = "connections::cost(first, last, page_size, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn executions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field that is set narrows.")] filter: Option<
            ExecutionFilter,
        >,
        #[graphql(desc = "The first `first` executions (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the executions after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` executions (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the executions before it.")] before: Option<String>,
        #[graphql(deprecation = "Use `first`/`after`.", desc = "A 1-based page number.")]
        page: Option<i32>,
        #[graphql(deprecation = "Use `first`/`after`.", desc = "Executions per page.")]
        page_size: Option<i32>,
        #[graphql(desc = "The order; newest first by default.")] order_by: Option<
            crate::model::ExecutionOrder,
        >,
    ) -> Result<ExecutionConnection> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let mut filter = filter.unwrap_or_default();
        filter.order = order_by.unwrap_or_default();
        let read = Read::new("executions", first, after, last, before, page, page_size).coded()?;
        super::history::page(app, caller, filter, read).await
    }

    /// One execution, by its id (or global id).
    async fn execution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The execution's id or global id.")] execution_id: String,
    ) -> Result<Option<ExecutionView>> {
        let id = nodes::key_of("Execution", &execution_id);
        match executions::view(app(ctx)?, caller(ctx)?, &id).await {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e.extend()),
        }
    }

    /// What an execution would run on each target (secrets masked), without starting it.
    async fn preview_execution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The execution, as `startExecution` would take it.")]
        input: super::inputs::StartExecutionInput,
    ) -> Result<ExecutionPreview> {
        let req = input.into_request().coded()?;
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
    #[graphql(
        complexity = "1 + (limit.get().clamp(1, 10_000) as usize).div_ceil(10) * child_complexity"
    )]
    async fn execution_logs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The execution's id.")] execution_id: String,
        #[graphql(desc = "Only this server's lines (not with `after`).")] server_id: Option<String>,
        #[graphql(desc = "Lines to skip in per-server order (0 when not set).")] offset: Option<
            Int<u64>,
        >,
        #[graphql(desc = "A line's `cursor`: the lines stored after it (not with `offset`).")]
        after: Option<Int<u64>>,
        #[graphql(default_with = "Int(1000)", desc = "Most lines to return, 1–10000.")] limit: Int<
            u32,
        >,
    ) -> Result<executions::LogPage> {
        let (app, caller) = (app(ctx)?, caller(ctx)?);
        let q = executions::LogsRequest {
            server_id,
            offset: offset.map(Int::get),
            after: after.map(Int::get),
            limit: Some(limit.get()),
        };
        executions::logs(app, caller, &execution_id, &q)
            .await
            .coded()
    }

    /// The tenant's server locks, newest first: active ones only unless `activeOnly` is
    /// false.
    #[graphql(complexity = "connections::cost(first, last, None, child_complexity)")]
    async fn server_locks(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = true, desc = "Only locks in force now.")] active_only: bool,
        #[graphql(desc = "The first `first` locks (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the locks after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` locks (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the locks before it.")] before: Option<String>,
    ) -> Result<ServerLockConnection> {
        let w = Window::new("serverLocks", first, after, last, before).coded()?;
        let c = caller(ctx)?;
        let items = app(ctx)?
            .store
            .list_locks(&c.tenant_id, active_only)
            .await
            .coded()?;
        Ok(lock_connection(items, &w))
    }

    /// One schedule, by its id (or global id).
    async fn schedule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The schedule's id or global id.")] id: String,
    ) -> Result<Option<ScheduleView>> {
        let c = caller(ctx)?;
        Ok(app(ctx)?
            .store
            .get_schedule(&c.tenant_id, &nodes::key_of("Schedule", &id))
            .await
            .coded()?
            .map(ScheduleView))
    }

    /// The tenant's schedules, by name.
    #[graphql(complexity = "connections::cost(first, last, None, child_complexity)")]
    async fn schedules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first `first` schedules (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the schedules after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` schedules (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the schedules before it.")] before: Option<String>,
    ) -> Result<ScheduleConnection> {
        let w = Window::new("schedules", first, after, last, before).coded()?;
        let c = caller(ctx)?;
        let items = app(ctx)?.store.list_schedules(&c.tenant_id).await.coded()?;
        let key = |s: &crate::model::Schedule| format!("{}\u{0}{}", s.name, s.id);
        let (page, prev, next, total) = w.page_of("schedules", items, key);
        let page = page
            .into_iter()
            .map(|(x, c)| (ScheduleView(x), c))
            .collect();
        Ok(ScheduleConnection::new(page, prev, next, total, w.count))
    }

    /// The next `count` (at most 50) occurrences of a schedule's cron expression: standard
    /// 5-field cron (`minute hour day month weekday`) or 6–7 fields with seconds first, UTC.
    /// A bad expression is not an error: `valid` is false and `error` says what is wrong.
    async fn cron_preview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cron expression.")] expression: String,
        #[graphql(default = 5, desc = "How many occurrences (1–50; clamped).")] count: i32,
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

    /// The tenant's users by e-mail address (admin).
    #[graphql(complexity = "connections::cost(first, last, None, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first `first` users (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the users after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` users (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the users before it.")] before: Option<String>,
    ) -> Result<UserConnection> {
        let w = Window::new("users", first, after, last, before).coded()?;
        let mut items = crate::service::users::list(app(ctx)?, caller(ctx)?)
            .await
            .coded()?;
        items.sort_by(|a, b| a.email.cmp(&b.email));
        let total = items.len() as u64;
        let (page, prev, next) = w.cut(items, |u| u.email.clone());
        let page = page
            .into_iter()
            .map(|u| {
                let cursor = connections::encode("users", &u.email);
                (u, cursor)
            })
            .collect();
        Ok(UserConnection::new(page, prev, next, total, w.count))
    }

    /// The tenant's audit log, newest first, narrowed by `filter` (admin).
    #[graphql(complexity = "connections::cost(first, last, page_size, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the log; every field that is set narrows.")] filter: Option<
            AuditFilterInput,
        >,
        #[graphql(desc = "The first `first` entries (after `after`).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the entries after it.")] after: Option<String>,
        #[graphql(desc = "The last `last` entries (before `before`).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the entries before it.")] before: Option<String>,
        #[graphql(deprecation = "Use `first`/`after`.", desc = "A 1-based page number.")]
        page: Option<i32>,
        #[graphql(deprecation = "Use `first`/`after`.", desc = "Entries per page.")]
        page_size: Option<i32>,
    ) -> Result<AuditEntryConnection> {
        let read = Read::new("auditLog", first, after, last, before, page, page_size).coded()?;
        if let Read::Window(w) = &read
            && w.after
                .iter()
                .chain(w.before.iter())
                .any(|k| k.parse::<u64>().is_err())
        {
            return Err(Error::invalid("after, before: not a cursor of this list").extend());
        }
        let mut filter: crate::audit::AuditFilter = filter.unwrap_or_default().into();
        filter.seek = read.seek();
        let p = crate::service::audit::list(app(ctx)?, caller(ctx)?, filter, read.page_request())
            .await
            .coded()?;
        let (items, prev, next, asked) = read.finish(p.items, p.total);
        let items = items
            .into_iter()
            .map(|v| {
                let e = AuditEntryView::of(v);
                let cursor = connections::encode("auditLog", &e.seq.to_string());
                (e, cursor)
            })
            .collect();
        Ok(AuditEntryConnection::new(items, prev, next, p.total, asked))
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
