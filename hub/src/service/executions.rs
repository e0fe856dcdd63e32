//! Starting executions and reading them back in the specification's shape.

use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::auth::Caller;
use crate::bus::Event;
use crate::error::{Error, Result};
use crate::model::{Execution, ExecutionState, Job, JobState, PageRequest, Role};
use crate::template;
use chrono::Utc;
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
    #[serde(default)]
    pub target_servers: Vec<String>,
    #[serde(default)]
    pub priority: Option<i32>,
    #[serde(default)]
    pub batch_id: Option<String>,
}

/// Starts an execution: checks, records, audits, and wakes the targets' agents.
pub async fn start(
    app: &App,
    caller: &Caller,
    req: StartExecution,
    ip: Option<&str>,
) -> Result<Execution> {
    caller.require(Role::Operator)?;
    let mut problems = Vec::new();
    let targets: Vec<String> = {
        let mut seen = BTreeSet::new();
        req.target_servers
            .iter()
            .filter(|s| seen.insert(s.as_str()))
            .cloned()
            .collect()
    };
    if targets.is_empty() {
        problems.push("target_servers: at least one server is required".to_string());
    } else if targets.len() > MAX_TARGETS {
        problems.push(format!("target_servers: at most {MAX_TARGETS} servers"));
    }
    let mut unknown = Vec::new();
    for id in &targets {
        if app
            .store
            .get_server(Some(&caller.tenant_id), id)
            .await?
            .is_none()
        {
            unknown.push(id.as_str());
        }
    }
    if !unknown.is_empty() {
        problems.push(format!(
            "target_servers: unknown servers: {}",
            unknown.join(", ")
        ));
    }
    let priority = req.priority.unwrap_or(0);
    if !(-100..=100).contains(&priority) {
        problems.push("priority: must be between -100 and 100".into());
    }

    let (action, shown_action, parameters, criteria, template_id) = match (
        req.action,
        req.action_template_id,
    ) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "give either `action` or `action_template_id`, not both",
            ));
        }
        (None, None) => {
            return Err(Error::invalid(
                "`action` or `action_template_id` is required",
            ));
        }
        (Some(raw), None) => {
            let action: Action = serde_json::from_value(raw.clone())
                .map_err(|e| Error::invalid(format!("action: {e}")))?;
            if let Err(p) = action.validate() {
                problems.extend(p.into_iter().map(|p| format!("action.{p}")));
            }
            (
                action,
                raw,
                req.parameters.unwrap_or_else(|| json!({})),
                None,
                None,
            )
        }
        (None, Some(tid)) => {
            let t = app
                .store
                .get_template(&caller.tenant_id, &tid)
                .await?
                .ok_or_else(|| Error::NotFound(format!("action template {tid} not found")))?;
            match template::render(&t, req.parameters.as_ref().unwrap_or(&Value::Null)) {
                Ok(r) => {
                    let action = Action::ShellCommand(ShellCommand {
                        command: r.command,
                        timeout: Some(t.execution_config.timeout_seconds),
                        working_directory: None,
                        environment_vars: BTreeMap::new(),
                        shell: true,
                    });
                    let shown = json!({"type": "shell_command", "command": t.command_template, "timeout": t.execution_config.timeout_seconds});
                    (
                        action,
                        shown,
                        r.redacted_parameters,
                        Some(t.success_criteria.clone()),
                        Some(tid),
                    )
                }
                Err(p) => {
                    problems.extend(p);
                    return Err(Error::Invalid(problems));
                }
            }
        }
    };
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }

    let now = Utc::now();
    let execution_id = format!(
        "exec_{}_{}",
        now.format("%Y%m%d"),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let execution = Execution {
        tenant_id: caller.tenant_id.clone(),
        execution_id: execution_id.clone(),
        batch_id: req.batch_id,
        initiated_by: caller.email.clone(),
        execution_type: if targets.len() == 1 { "single" } else { "bulk" }.into(),
        target_servers: targets.clone(),
        action_template_id: template_id,
        action: shown_action,
        parameters,
        success_criteria: criteria,
        priority,
        state: ExecutionState::Pending,
        created_at: now,
        started_at: None,
        completed_at: None,
    };
    let jobs: Vec<Job> = targets
        .iter()
        .map(|server_id| Job {
            job_id: format!("job_{}", uuid::Uuid::new_v4().simple()),
            tenant_id: caller.tenant_id.clone(),
            execution_id: execution_id.clone(),
            server_id: server_id.clone(),
            state: JobState::Pending,
            action: action.clone(),
            attempt: 0,
            lease_expires_at: None,
            exit_code: None,
            output: String::new(),
            error_output: String::new(),
            execution_time: 0.0,
            resource_usage: Default::default(),
            truncated: false,
            error: None,
            started_at: None,
            finished_at: None,
        })
        .collect();
    app.store.insert_execution(&execution, &jobs).await?;
    app.metrics.executions_started.inc();
    audit::record(
        app,
        &caller.tenant_id,
        Actor::User { email: &caller.email, ip },
        "execution_started",
        Resource { kind: "execution", id: &execution_id, name: Some(action.kind()) },
        json!({"affected_servers": targets, "parameters": execution.parameters, "metadata": {"batch_id": execution.batch_id}}),
        None,
    )
    .await;
    for t in &targets {
        app.bus.wake(t);
    }
    app.bus.publish(Event::Execution {
        tenant_id: caller.tenant_id.clone(),
        execution_id,
    });
    Ok(execution)
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
            "status": {"overall": e.state, "per_server": per_server},
            "timing": {
                "created_at": e.created_at,
                "started_at": e.started_at,
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
    state: Option<&str>,
    page: PageRequest,
) -> Result<crate::model::Page<ExecutionView>> {
    if let Some(s) = state
        && ExecutionState::parse(s).is_none()
    {
        return Err(Error::invalid(format!(
            "status: unknown execution status {s:?}"
        )));
    }
    let p = app
        .store
        .list_executions(&caller.tenant_id, state, page)
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
