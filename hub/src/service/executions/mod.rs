//! Starting executions and reading them back in the specification's shape: `plan` resolves
//! targets and renders the action (what preview shows and start runs), `view` is what every
//! API shows.

mod live;
mod plan;
mod rerun;
mod view;

pub use live::{Live, SNAPSHOT_TAIL, watch};
pub use plan::{Plan, PlannedTarget, plan, resolve_rate};
pub use rerun::rerun;
pub use view::{ExecutionView, logs_url};

use crate::app::App;
use crate::audit::{self, Actor, Origin, Resource};
use crate::auth::Caller;
use crate::bus::Event;
use crate::error::{Error, Result};
use crate::model::{
    Execution, ExecutionFilter, ExecutionState, Job, JobState, LockPolicy, LostJobPolicy,
    PageRequest, Priority, Role, ServerSelector,
};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

/// Most targets one execution may name.
pub const MAX_TARGETS: usize = 10_000;

/// `POST /api/v1/executions` and the `startExecution` mutation.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartExecution {
    /// An inline action (one of the operations' payloads) …
    #[serde(default)]
    pub action: Option<Value>,
    /// … or a template and its parameters.
    #[serde(default)]
    pub action_template_id: Option<String>,
    #[serde(default)]
    pub parameters: Option<Value>,
    /// Explicit targets …
    #[serde(default)]
    pub target_servers: Vec<String>,
    /// … or a selector over environment, group, tags and status.
    #[serde(default)]
    pub selector: Option<ServerSelector>,
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Most targets running at once: a number (`10`) or a percentage of the targets (`"25%"`).
    #[serde(default)]
    pub max_concurrency: Option<Value>,
    /// Failures after which no new target starts: a number or a percentage.
    #[serde(default)]
    pub error_threshold: Option<Value>,
    #[serde(default)]
    pub batch_id: Option<String>,
    /// Run on targets without the template's `applicable_server_tags` too.
    #[serde(default)]
    pub ignore_applicable_tags: bool,
    /// Overrides of the template's `execution_config` (or settings for an inline action).
    #[serde(default)]
    pub retry_count: Option<u32>,
    #[serde(default)]
    pub retry_delay_seconds: Option<u64>,
    #[serde(default)]
    pub requires_lock: Option<bool>,
    /// `wait` (default) for a server locked by someone else, or `fail` at once.
    #[serde(default)]
    pub lock_policy: Option<LockPolicy>,
    /// `fail` (default: a job whose agent vanished is `unreachable`) or `requeue`.
    #[serde(default)]
    pub lost_job_policy: Option<LostJobPolicy>,
}

/// Starts an execution: checks, records, audits, and wakes the targets' agents.
pub async fn start(
    app: &App,
    caller: &Caller,
    req: StartExecution,
    origin: &Origin,
) -> Result<Execution> {
    start_as(app, caller, req, origin, None).await
}

/// Refuses a new execution while the tenant has `execution.max_concurrent_executions`
/// pending or running. Checked before the execution is written: replicas starting
/// executions at the same instant may each pass it (the limit protects the fleet from a
/// runaway script or schedule, not an exact count).
async fn check_room(app: &App, tenant: &str) -> Result<()> {
    let max = u64::from(app.config.execution.max_concurrent_executions);
    let mut open = 0;
    for status in [ExecutionState::Pending, ExecutionState::Running] {
        let filter = ExecutionFilter {
            status: Some(status),
            ..Default::default()
        };
        open += app
            .store
            .list_executions(tenant, &filter, PageRequest::new(Some(1), Some(1))?)
            .await?
            .total;
    }
    if open >= max {
        return Err(Error::RateLimited {
            message: format!(
                "{open} executions are pending or running, the most execution.max_concurrent_executions allows ({max}): wait for one to finish, or cancel one"
            ),
            retry_after_secs: 10,
        });
    }
    Ok(())
}

/// As [`start`], for a schedule's occurrence (`execution_type: scheduled`).
pub async fn start_as(
    app: &App,
    caller: &Caller,
    req: StartExecution,
    origin: &Origin,
    schedule_id: Option<&str>,
) -> Result<Execution> {
    caller.require(Role::Operator)?;
    let plan = plan(app, caller, &req).await?;
    check_room(app, &caller.tenant_id).await?;
    let now = Utc::now();
    let execution_id = format!(
        "exec_{}_{}",
        now.format("%Y%m%d"),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let mut environments: Vec<String> =
        plan.targets.iter().map(|t| t.environment.clone()).collect();
    environments.sort();
    environments.dedup();
    let execution = Execution {
        tenant_id: caller.tenant_id.clone(),
        execution_id: execution_id.clone(),
        batch_id: req.batch_id.clone(),
        initiated_by: caller.email.clone(),
        execution_type: match (schedule_id, plan.targets.len()) {
            (Some(_), _) => "scheduled",
            (None, 1) => "single",
            _ => "bulk",
        }
        .into(),
        target_servers: plan.targets.iter().map(|t| t.server_id.clone()).collect(),
        environments,
        selector: req.selector.clone(),
        action_template_id: plan.template.as_ref().map(|t| t.0.clone()),
        template_version: plan.template.as_ref().map(|t| t.1.clone()),
        action: plan.shown_action.clone(),
        parameters: plan.parameters.clone(),
        success_criteria: plan.criteria.clone(),
        priority: req.priority.unwrap_or_default(),
        max_concurrency_spec: req.max_concurrency.as_ref().map(rate_text),
        error_threshold_spec: req.error_threshold.as_ref().map(rate_text),
        max_concurrency: plan.max_concurrency,
        error_threshold: plan.error_threshold,
        retry_count: plan.config.retry_count,
        retry_delay_seconds: plan.config.retry_delay_seconds,
        requires_lock: plan.config.requires_lock,
        lock_policy: req.lock_policy.unwrap_or_default(),
        lost_job_policy: req.lost_job_policy.unwrap_or_default(),
        schedule_id: schedule_id.map(str::to_string),
        cancelled_by: None,
        skipped_reason: None,
        state: ExecutionState::Pending,
        created_at: now,
        started_at: None,
        completed_at: None,
    };
    let jobs: Vec<Job> = plan
        .targets
        .iter()
        .map(|t| Job {
            request_id: origin.request_id.clone(),
            job_id: format!("job_{}", uuid::Uuid::new_v4().simple()),
            tenant_id: caller.tenant_id.clone(),
            execution_id: execution_id.clone(),
            server_id: t.server_id.clone(),
            state: if t.skipped {
                JobState::Skipped
            } else {
                JobState::Pending
            },
            action: plan.action.clone(),
            attempt: 0,
            lease_expires_at: None,
            exit_code: None,
            output: String::new(),
            error_output: String::new(),
            execution_time: 0.0,
            resource_usage: Default::default(),
            truncated: false,
            error: t.reason.clone(),
            started_at: None,
            finished_at: t.skipped.then_some(now),
            not_before: None,
            max_attempts: 1 + plan.config.retry_count,
            lock_id: None,
            fencing_token: None,
            cancel_requested: false,
            cancel_sent_at: None,
            secrets: plan.secrets.clone(),
            priority: execution.priority,
            queued_at: now,
        })
        .collect();
    app.store.insert_execution(&execution, &jobs).await?;
    app.metrics.executions_started.inc();
    tracing::info!(execution_id = %execution_id, targets = plan.targets.len(), initiated_by = %caller.email, "execution started");
    if let Some((tid, _)) = &plan.template
        && let Err(e) = app.store.count_template_use(&caller.tenant_id, tid).await
    {
        tracing::warn!(error = %e, template = %tid, "could not count a template's use");
    }
    let actor = match schedule_id {
        Some(_) => Actor::System,
        None => Actor::User {
            email: &caller.email,
            origin,
        },
    };
    audit::record(
        app,
        &caller.tenant_id,
        actor,
        "execution_started",
        Resource { kind: "execution", id: &execution_id, name: Some(plan.action.kind()) },
        json!({
            "affected_servers": execution.target_servers,
            "parameters": execution.parameters,
            "metadata": {"batch_id": execution.batch_id, "schedule_id": schedule_id, "initiated_by": caller.email, "template_version": execution.template_version},
        }),
        None,
    )
    .await;
    for t in plan.targets.iter().filter(|t| !t.skipped) {
        app.bus.wake(&caller.tenant_id, &t.server_id);
    }
    app.bus.publish(Event::Feed {
        tenant_id: caller.tenant_id.clone(),
        execution_id: execution_id.clone(),
        kind: crate::bus::FeedKind::Started,
    });
    app.bus.publish(Event::Execution {
        tenant_id: caller.tenant_id.clone(),
        execution_id,
    });
    Ok(execution)
}

fn rate_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Cancels an execution: pending targets never start, running ones are stopped by their agents.
pub async fn cancel(
    app: &App,
    caller: &Caller,
    execution_id: &str,
    origin: &Origin,
) -> Result<ExecutionView> {
    caller.require(Role::Operator)?;
    let wake = app
        .store
        .cancel_execution(&caller.tenant_id, execution_id, &caller.email, Utc::now())
        .await?
        .ok_or_else(|| Error::NotFound(format!("execution {execution_id} not found")))?;
    for s in &wake {
        app.bus.wake(&caller.tenant_id, s);
    }
    let r = Resource {
        kind: "execution",
        id: execution_id,
        name: None,
    };
    audit::by_caller(
        app,
        caller,
        origin,
        "execution_cancelled",
        r,
        json!({"affected_servers": wake}),
    )
    .await;
    app.bus.publish(Event::Execution {
        tenant_id: caller.tenant_id.clone(),
        execution_id: execution_id.to_string(),
    });
    view(app, caller, execution_id).await
}

/// One execution of the caller's tenant, with its jobs.
pub async fn view(app: &App, caller: &Caller, execution_id: &str) -> Result<ExecutionView> {
    let execution = app
        .store
        .get_execution(&caller.tenant_id, execution_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("execution {execution_id} not found")))?;
    let jobs = app.store.jobs_of(execution_id).await?;
    Ok(ExecutionView { execution, jobs })
}

/// A page of executions, newest first.
pub async fn list(
    app: &App,
    caller: &Caller,
    filter: &ExecutionFilter,
    page: PageRequest,
) -> Result<crate::model::Page<ExecutionView>> {
    let p = app
        .store
        .list_executions(&caller.tenant_id, filter, page)
        .await?;
    let ids: Vec<String> = p.items.iter().map(|e| e.execution_id.clone()).collect();
    let mut by_execution: std::collections::HashMap<String, Vec<Job>> =
        std::collections::HashMap::new();
    for j in app.store.jobs_of_many(&ids).await? {
        by_execution
            .entry(j.execution_id.clone())
            .or_default()
            .push(j);
    }
    let items = p
        .items
        .into_iter()
        .map(|execution| {
            let jobs = by_execution
                .remove(&execution.execution_id)
                .unwrap_or_default();
            ExecutionView { execution, jobs }
        })
        .collect();
    Ok(crate::model::Page {
        items,
        total: p.total,
        page: p.page,
        page_size: p.page_size,
    })
}

/// Which output lines to read: a page in order per server (`offset`), or, with `after`, the
/// lines stored after a cursor in the order they were stored (for following a live run).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogsRequest {
    pub server_id: Option<String>,
    pub offset: Option<u64>,
    pub after: Option<u64>,
    pub limit: Option<u32>,
}

/// A page of output lines and where the next one starts.
#[derive(Debug, Clone, async_graphql::SimpleObject)]
pub struct LogPage {
    /// The lines, in the order asked for.
    pub entries: Vec<crate::store::LogLine>,
    /// Lines of the execution (of the server, when one is named).
    pub total: u64,
    /// The `offset` of the next page in per-server order, if any.
    pub next_offset: Option<u64>,
    /// The cursor of the last line returned (pass it as `after` for the next ones).
    pub last_cursor: Option<u64>,
}

/// A page of an execution's output lines the caller may read.
pub async fn logs(app: &App, caller: &Caller, id: &str, q: &LogsRequest) -> Result<LogPage> {
    // Tenant check first: the logs of another tenant's execution are "not found".
    view(app, caller, id).await?;
    let limit = q.limit.unwrap_or(1000);
    if limit == 0 || limit > 10_000 {
        return Err(Error::invalid("limit: must be between 1 and 10000"));
    }
    let server = q.server_id.as_deref();
    let (entries, total, next_offset) = match (q.after, q.offset) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid("give either offset or after, not both"));
        }
        (Some(_), _) if server.is_some() => {
            return Err(Error::invalid(
                "after reads every server's lines; drop server_id",
            ));
        }
        (Some(after), None) => {
            let lines = app
                .store
                .execution_output(
                    id,
                    crate::store::OutputWindow::After(after),
                    limit,
                    chrono::Utc::now(),
                )
                .await?;
            let (_, total) = app.store.execution_logs(id, None, 0, 1).await?;
            (lines, total, None)
        }
        (None, offset) => {
            let offset = offset.unwrap_or(0);
            let (lines, total) = app.store.execution_logs(id, server, offset, limit).await?;
            let next = offset + lines.len() as u64;
            (lines, total, (next < total).then_some(next))
        }
    };
    Ok(LogPage {
        last_cursor: entries.last().map(|l| l.cursor),
        entries,
        total,
        next_offset,
    })
}
