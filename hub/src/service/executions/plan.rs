//! Planning an execution: resolving its targets (explicit or by selector), rendering its
//! action (inline or from a template), applying rate control and execution config, and
//! finding every problem at once.

use crate::app::App;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::model::{ExecutionConfig, PageRequest, Server, ServerFilter, SuccessCriteria};
use crate::template;
use greenroom_proto::secrets::{
    connection_string_secrets, connection_string_written_secrets, mask_connection_string,
    mask_secrets_in_text,
};
use greenroom_proto::{Action, ShellCommand};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

use super::{MAX_TARGETS, StartExecution};

/// One target as planned: the exact command it would run, or why it is skipped.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlannedTarget {
    pub server_id: String,
    pub environment: String,
    /// The command (secrets masked) or, for checks, the action as JSON.
    pub command: String,
    /// The command's environment: a template's parameter values (secrets masked).
    pub command_environment: BTreeMap<String, String>,
    pub skipped: bool,
    pub reason: Option<String>,
}

/// Everything an execution would be, before it is stored: what preview shows and start runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub targets: Vec<PlannedTarget>,
    pub(super) action: Action,
    pub(super) shown_action: Value,
    pub(super) parameters: Value,
    pub(super) criteria: Option<SuccessCriteria>,
    pub(super) template: Option<(String, String)>,
    pub(super) config: ExecutionConfig,
    pub(super) max_concurrency: Option<u32>,
    pub(super) error_threshold: Option<u32>,
    pub(super) secrets: Vec<String>,
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
                match app.store.get_server(&caller.tenant_id, id).await? {
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
        environment,
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
                command_environment: environment.clone(),
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
    /// The command's environment as people may see it (secrets masked).
    environment: BTreeMap<String, String>,
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
            // A database connection string is a secret: masked wherever it is shown, and
            // its password (decoded and as written) redacted from results and output.
            let (shown_action, secrets) = match &action {
                Action::DatabaseQuery(q) if !q.connection_string.starts_with("env:") => {
                    let mut shown = raw.clone();
                    shown["connection_string"] =
                        mask_connection_string(&q.connection_string).into();
                    let mut secrets = vec![q.connection_string.clone()];
                    secrets.extend(connection_string_secrets(&q.connection_string));
                    secrets.extend(connection_string_written_secrets(&q.connection_string));
                    (shown, secrets)
                }
                Action::ShellCommand(c) => {
                    let mut shown = raw.clone();
                    shown["command"] = mask_secrets_in_text(&c.command).into();
                    if !c.environment_vars.is_empty() {
                        shown["environment_vars"] = json!(
                            c.environment_vars
                                .iter()
                                .map(|(k, v)| (k.clone(), mask_secrets_in_text(v)))
                                .collect::<BTreeMap<_, _>>()
                        );
                    }
                    (shown, Vec::new())
                }
                _ => (raw.clone(), Vec::new()),
            };
            let (masked_command, environment) = match &action {
                Action::ShellCommand(a) => (
                    mask_secrets_in_text(&a.command),
                    a.environment_vars
                        .iter()
                        .map(|(k, v)| (k.clone(), mask_secrets_in_text(v)))
                        .collect(),
                ),
                _ => (serde_json::to_string(&shown_action)?, BTreeMap::new()),
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
                environment,
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
            // A template's own text may hold a connection string: masked where shown.
            let masked_command = mask_secrets_in_text(&r.command);
            let shown_action = json!({"type": "shell_command", "command": masked_command, "timeout": timeout,
                                      "environment_vars": r.masked_environment});
            Ok(Ok(Rendering {
                masked_command,
                environment: r.masked_environment,
                action: Action::ShellCommand(ShellCommand {
                    command: r.command,
                    timeout: Some(timeout),
                    working_directory: None,
                    environment_vars: r.environment,
                    shell: true,
                }),
                shown_action,
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
