//! Starting executions and reading them back in the specification's shape.

use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::auth::Caller;
use crate::bus::Event;
use crate::error::{Error, Result};
use crate::model::{
    Execution, ExecutionConfig, ExecutionFilter, ExecutionState, Job, JobState, LockPolicy,
    LostJobPolicy, PageRequest, Priority, Role, Server, ServerFilter, ServerSelector,
    SuccessCriteria,
};
use crate::template;
use chrono::Utc;
use greenroom_proto::secrets::mask_connection_string;
use greenroom_proto::{Action, ShellCommand};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Most targets one execution may name.
pub const MAX_TARGETS: usize = 10_000;

/// `POST /api/v1/executions` and the `startExecution` mutation.
#[derive(Debug, Clone, Default, Deserialize)]
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

/// One target as planned: the exact command it would run, or why it is skipped.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlannedTarget {
    pub server_id: String,
    pub environment: String,
    /// The command (secrets masked) or, for checks, the action as JSON.
    pub command: String,
    pub skipped: bool,
    pub reason: Option<String>,
}

/// Everything an execution would be, before it is stored: what preview shows and start runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub targets: Vec<PlannedTarget>,
    action: Action,
    shown_action: Value,
    parameters: Value,
    criteria: Option<SuccessCriteria>,
    template: Option<(String, String)>,
    config: ExecutionConfig,
    max_concurrency: Option<u32>,
    error_threshold: Option<u32>,
    secrets: Vec<String>,
}

/// `"25%"` of `n` (rounded up, at least 1), or a plain count; `what` names the field.
pub fn resolve_rate(what: &str, v: &Value, n: usize) -> std::result::Result<u32, String> {
    let bad = || format!("{what}: expected a number like 10 or a percentage like \"25%\", got {v}");
    let (count, percent) = match v {
        Value::Number(x) => (x.as_u64().ok_or_else(bad)?, false),
        Value::String(s) => match s.trim().strip_suffix('%') {
            Some(p) => (p.trim().parse::<u64>().map_err(|_| bad())?, true),
            None => (s.trim().parse::<u64>().map_err(|_| bad())?, false),
        },
        _ => return Err(bad()),
    };
    if count == 0 || (percent && count > 100) {
        return Err(format!(
            "{what}: must be at least 1{}",
            if percent { "% and at most 100%" } else { "" }
        ));
    }
    Ok(if percent {
        ((n as u64 * count).div_ceil(100)).max(1) as u32
    } else {
        count.min(u32::MAX as u64) as u32
    })
}

/// Resolves targets, renders the action, and checks everything; every problem at once.
pub async fn plan(app: &App, caller: &Caller, req: &StartExecution) -> Result<Plan> {
    let mut problems = Vec::new();
    // Targets.
    let servers: Vec<Server> = match (&req.selector, req.target_servers.is_empty()) {
        (Some(_), false) => {
            return Err(Error::invalid(
                "give either `target_servers` or `selector`, not both",
            ));
        }
        (Some(sel), true) => {
            let filter = ServerFilter {
                environment: sel.environment.clone(),
                status: sel.status,
                server_group: sel.server_group.clone(),
                tags: (!sel.tags.is_empty()).then(|| sel.tags.clone()),
                ..Default::default()
            };
            let mut all = Vec::new();
            for page in 1.. {
                let p = app
                    .store
                    .list_servers(
                        &caller.tenant_id,
                        &filter,
                        PageRequest::new(Some(page), Some(PageRequest::MAX_PAGE_SIZE))?,
                    )
                    .await?;
                let done = p.items.len() < PageRequest::MAX_PAGE_SIZE as usize;
                all.extend(p.items);
                if done || all.len() > MAX_TARGETS {
                    break;
                }
            }
            if all.is_empty() {
                problems.push("selector: matches no server".to_string());
            }
            all
        }
        (None, _) => {
            let mut seen = BTreeSet::new();
            let mut found = Vec::new();
            let mut unknown = Vec::new();
            for id in req
                .target_servers
                .iter()
                .filter(|s| seen.insert(s.as_str()))
            {
                match app.store.get_server(Some(&caller.tenant_id), id).await? {
                    Some(s) => found.push(s),
                    None => unknown.push(id.as_str()),
                }
            }
            if found.is_empty() && unknown.is_empty() {
                problems.push(
                    "target_servers: at least one server is required (or a selector)".to_string(),
                );
            }
            if !unknown.is_empty() {
                problems.push(format!(
                    "target_servers: unknown servers: {}",
                    unknown.join(", ")
                ));
            }
            found
        }
    };
    if servers.len() > MAX_TARGETS {
        problems.push(format!("targets: at most {MAX_TARGETS} servers"));
    }

    // The action.
    let Rendering {
        action,
        shown_action,
        masked_command,
        parameters,
        criteria,
        template,
        mut config,
        tags,
        secrets,
    } = match render_action(app, caller, req).await? {
        Ok(r) => r,
        Err(p) => {
            problems.extend(p);
            return Err(Error::Invalid(problems));
        }
    };
    if let Some(p) = action.validate().err() {
        problems.extend(p.into_iter().map(|p| format!("action.{p}")));
    }
    if let Some(n) = req.retry_count {
        config.retry_count = n;
    }
    if let Some(d) = req.retry_delay_seconds {
        config.retry_delay_seconds = d;
    }
    if let Some(l) = req.requires_lock {
        config.requires_lock = l;
    }
    if config.retry_count > 10 {
        problems.push("retry_count: at most 10".into());
    }
    if config.retry_delay_seconds > 3600 {
        problems.push("retry_delay_seconds: at most 3600".into());
    }

    // Targets, each with its command or the reason it is skipped.
    let targets: Vec<PlannedTarget> = servers
        .iter()
        .map(|s| {
            let lacks = !tags.is_empty()
                && !req.ignore_applicable_tags
                && !s.tags.iter().any(|t| tags.contains(t));
            PlannedTarget {
                server_id: s.server_id.clone(),
                environment: s.environment.clone(),
                command: masked_command.clone(),
                skipped: lacks,
                reason: lacks.then(|| {
                    format!(
                        "has none of the template's applicable tags ({})",
                        tags.join(", ")
                    )
                }),
            }
        })
        .collect();
    let n = targets.len();
    let max_concurrency = match &req.max_concurrency {
        Some(v) => resolve_rate("max_concurrency", v, n)
            .map_err(|e| problems.push(e))
            .ok(),
        None if !config.parallel_execution => Some(1),
        None => None,
    };
    let error_threshold = req.error_threshold.as_ref().and_then(|v| {
        resolve_rate("error_threshold", v, n)
            .map_err(|e| problems.push(e))
            .ok()
    });
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok(Plan {
        targets,
        action,
        shown_action,
        parameters,
        criteria,
        template,
        config,
        max_concurrency,
        error_threshold,
        secrets,
    })
}

/// An action made ready to run: from an inline payload, or a template and its parameters.
struct Rendering {
    action: Action,
    /// What the APIs show: the inline payload, or the template's command with secrets masked.
    shown_action: Value,
    masked_command: String,
    parameters: Value,
    criteria: Option<SuccessCriteria>,
    template: Option<(String, String)>,
    config: ExecutionConfig,
    tags: Vec<String>,
    secrets: Vec<String>,
}

/// The action of a request; `Ok(Err(problems))` when the template's parameters are wrong.
async fn render_action(
    app: &App,
    caller: &Caller,
    req: &StartExecution,
) -> Result<std::result::Result<Rendering, Vec<String>>> {
    match (&req.action, &req.action_template_id) {
        (Some(_), Some(_)) => Err(Error::invalid(
            "give either `action` or `action_template_id`, not both",
        )),
        (None, None) => Err(Error::invalid(
            "`action` or `action_template_id` is required",
        )),
        (Some(raw), None) => {
            let action: Action = serde_json::from_value(raw.clone())
                .map_err(|e| Error::invalid(format!("action: {e}")))?;
            // A database connection string is a secret: masked wherever it is shown.
            let (shown_action, secrets) = match &action {
                Action::DatabaseQuery(q) if !q.connection_string.starts_with("env:") => {
                    let mut shown = raw.clone();
                    shown["connection_string"] =
                        mask_connection_string(&q.connection_string).into();
                    (shown, vec![q.connection_string.clone()])
                }
                _ => (raw.clone(), Vec::new()),
            };
            let masked_command = match &action {
                Action::ShellCommand(a) => a.command.clone(),
                _ => serde_json::to_string(&shown_action)?,
            };
            let config = ExecutionConfig {
                timeout_seconds: action
                    .timeout()
                    .unwrap_or(app.config.execution.default_timeout),
                ..Default::default()
            };
            Ok(Ok(Rendering {
                action,
                shown_action,
                masked_command,
                parameters: req.parameters.clone().unwrap_or_else(|| json!({})),
                criteria: None,
                template: None,
                config,
                tags: Vec::new(),
                secrets,
            }))
        }
        (None, Some(tid)) => {
            let t = app
                .store
                .get_template(&caller.tenant_id, tid)
                .await?
                .ok_or_else(|| Error::NotFound(format!("action template {tid} not found")))?;
            let r = match template::render(&t, req.parameters.as_ref().unwrap_or(&Value::Null)) {
                Ok(r) => r,
                Err(p) => return Ok(Err(p)),
            };
            let timeout = t.execution_config.timeout_seconds;
            Ok(Ok(Rendering {
                action: Action::ShellCommand(ShellCommand {
                    command: r.command,
                    timeout: Some(timeout),
                    working_directory: None,
                    environment_vars: BTreeMap::new(),
                    shell: true,
                }),
                shown_action: json!({"type": "shell_command", "command": r.masked_command, "timeout": timeout}),
                masked_command: r.masked_command,
                parameters: r.redacted_parameters,
                criteria: Some(t.success_criteria.clone()),
                template: Some((t.id.clone(), t.version.clone())),
                config: t.execution_config.clone(),
                tags: t.applicable_server_tags.clone(),
                secrets: r.secrets,
            }))
        }
    }
}

/// Starts an execution: checks, records, audits, and wakes the targets' agents.
pub async fn start(
    app: &App,
    caller: &Caller,
    req: StartExecution,
    ip: Option<&str>,
) -> Result<Execution> {
    start_as(app, caller, req, ip, None).await
}

/// As [`start`], for a schedule's occurrence (`execution_type: scheduled`).
pub async fn start_as(
    app: &App,
    caller: &Caller,
    req: StartExecution,
    ip: Option<&str>,
    schedule_id: Option<&str>,
) -> Result<Execution> {
    caller.require(Role::Operator)?;
    let plan = plan(app, caller, &req).await?;
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
        })
        .collect();
    app.store.insert_execution(&execution, &jobs).await?;
    app.metrics.executions_started.inc();
    tracing::info!(execution_id = %execution_id, targets = plan.targets.len(), initiated_by = %caller.email, "execution started");
    if let Some((tid, _)) = &plan.template
        && let Ok(Some(mut t)) = app.store.get_template(&caller.tenant_id, tid).await
    {
        t.metadata.usage_count += 1;
        let _ = app.store.put_template(&t).await;
    }
    let actor = match schedule_id {
        Some(_) => Actor::System,
        None => Actor::User {
            email: &caller.email,
            ip,
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
        app.bus.wake(&t.server_id);
    }
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
    ip: Option<&str>,
) -> Result<ExecutionView> {
    caller.require(Role::Operator)?;
    let wake = app
        .store
        .cancel_execution(&caller.tenant_id, execution_id, &caller.email, Utc::now())
        .await?
        .ok_or_else(|| Error::NotFound(format!("execution {execution_id} not found")))?;
    for s in &wake {
        app.bus.wake(s);
    }
    let r = Resource {
        kind: "execution",
        id: execution_id,
        name: None,
    };
    audit::record(
        app,
        &caller.tenant_id,
        Actor::User {
            email: &caller.email,
            ip,
        },
        "execution_cancelled",
        r,
        json!({"affected_servers": wake}),
        None,
    )
    .await;
    app.bus.publish(Event::Execution {
        tenant_id: caller.tenant_id.clone(),
        execution_id: execution_id.to_string(),
    });
    view(app, caller, execution_id).await
}

/// An execution with its jobs: what every API shows.
#[derive(Debug, Clone)]
pub struct ExecutionView {
    pub execution: Execution,
    pub jobs: Vec<Job>,
}

impl ExecutionView {
    pub fn success_count(&self) -> usize {
        self.jobs
            .iter()
            .filter(|j| j.state == JobState::Success)
            .count()
    }
    pub fn failure_count(&self) -> usize {
        self.jobs
            .iter()
            .filter(|j| {
                j.state.is_final() && !matches!(j.state, JobState::Success | JobState::Skipped)
            })
            .count()
    }
    /// Overall progress, 0–100: finished targets count whole, running ones half.
    pub fn progress_percent(&self) -> f64 {
        if self.jobs.is_empty() {
            return 100.0;
        }
        let sum: f64 = self
            .jobs
            .iter()
            .map(|j| f64::from(j.state.progress()))
            .sum();
        (sum / self.jobs.len() as f64 * 10.0).round() / 10.0
    }

    /// When the remaining targets should be done, from the mean duration of finished ones
    /// and the concurrency; None before any finished or once all have.
    pub fn eta(&self) -> Option<crate::model::Timestamp> {
        if self.execution.state.is_final() {
            return None;
        }
        let done: Vec<f64> = self
            .jobs
            .iter()
            .filter(|j| j.state.is_final() && j.finished_at.is_some() && j.execution_time > 0.0)
            .map(|j| j.execution_time)
            .collect();
        if done.is_empty() {
            return None;
        }
        let mean = done.iter().sum::<f64>() / done.len() as f64;
        let remaining = self.jobs.iter().filter(|j| !j.state.is_final()).count();
        let lanes = self
            .execution
            .max_concurrency
            .map(|c| c as usize)
            .unwrap_or(remaining)
            .max(1);
        let waves = remaining.div_ceil(lanes) as f64;
        Some(Utc::now() + chrono::Duration::milliseconds((mean * waves * 1000.0) as i64))
    }

    pub fn duration_seconds(&self) -> Option<f64> {
        let e = &self.execution;
        Some((e.completed_at? - e.started_at?).num_milliseconds() as f64 / 1000.0)
    }

    /// The specification's `executions` document.
    pub fn to_json(&self) -> Value {
        let e = &self.execution;
        let per_server: Map<String, Value> = self
            .jobs
            .iter()
            .map(|j| {
                (
                    j.server_id.clone(),
                    json!({"status": j.state, "progress": j.state.progress()}),
                )
            })
            .collect();
        let details: Vec<Value> = self.jobs.iter().map(job_detail).collect();
        json!({
            "execution_id": e.execution_id,
            "batch_id": e.batch_id,
            "initiated_by": e.initiated_by,
            "execution_type": e.execution_type,
            "target_servers": e.target_servers,
            "action_template_id": e.action_template_id,
            "action": e.action,
            "parameters": e.parameters,
            "priority": e.priority,
            "selector": e.selector,
            "template_version": e.template_version,
            "rate_control": {
                "max_concurrency": e.max_concurrency_spec, "error_threshold": e.error_threshold_spec,
                "resolved_max_concurrency": e.max_concurrency, "resolved_error_threshold": e.error_threshold,
            },
            "execution_config": {
                "retry_count": e.retry_count, "retry_delay_seconds": e.retry_delay_seconds,
                "requires_lock": e.requires_lock, "lock_policy": e.lock_policy, "lost_job_policy": e.lost_job_policy,
            },
            "schedule_id": e.schedule_id,
            "cancelled_by": e.cancelled_by,
            "skipped_reason": e.skipped_reason,
            "status": {"overall": e.state, "per_server": per_server, "progress": self.progress_percent()},
            "timing": {
                "created_at": e.created_at,
                "started_at": e.started_at,
                "estimated_completion": self.eta(),
                "completed_at": e.completed_at,
                "duration_seconds": self.duration_seconds(),
            },
            "results": {
                "success_count": self.success_count(),
                "failure_count": self.failure_count(),
                "total_count": self.jobs.len(),
                "details": details,
            },
            "logs": {"url": format!("/api/v1/executions/{}/logs", e.execution_id)},
        })
    }
}

fn job_detail(j: &Job) -> Value {
    json!({
        "server_id": j.server_id,
        "job_id": j.job_id,
        "status": j.state,
        "exit_code": j.exit_code,
        "output": j.output,
        "error_output": j.error_output,
        "execution_time": j.execution_time,
        "resource_usage": j.resource_usage,
        "truncated": j.truncated,
        "error": j.error,
        "attempt": j.attempt,
        "started_at": j.started_at,
        "finished_at": j.finished_at,
    })
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
    let mut items = Vec::with_capacity(p.items.len());
    for execution in p.items {
        let jobs = app.store.jobs_of(&execution.execution_id).await?;
        items.push(ExecutionView { execution, jobs });
    }
    Ok(crate::model::Page {
        items,
        total: p.total,
        page: p.page,
        page_size: p.page_size,
    })
}
