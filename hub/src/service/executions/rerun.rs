//! Running an execution again: the same action (template and parameters, or the inline
//! action), on the same servers — all of them, or only those whose job did not succeed —
//! with the same options (priority, rate control, retries, locks, lost-job policy). What
//! the hub masked when it stored the execution (secret parameters, passwords in commands
//! and connection strings) it does not have, so such an execution is refused with the
//! reason instead of re-run with `***` in place of a secret.

use super::{StartExecution, start};
use crate::app::App;
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::model::{Execution, JobState, Role};
use crate::template::REDACTED;
use serde_json::Value;

/// Whether any text in `v` holds the hub's mask.
fn masked(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains(REDACTED),
        Value::Array(a) => a.iter().any(masked),
        Value::Object(o) => o.values().any(masked),
        _ => false,
    }
}

/// The request that runs `e` again on `targets`.
fn request(e: &Execution, targets: Vec<String>) -> StartExecution {
    let template = e.action_template_id.is_some();
    StartExecution {
        action: (!template).then(|| e.action.clone()),
        action_template_id: e.action_template_id.clone(),
        parameters: template.then(|| e.parameters.clone()),
        target_servers: targets,
        selector: None,
        priority: Some(e.priority),
        max_concurrency: e.max_concurrency_spec.clone().map(Value::String),
        error_threshold: e.error_threshold_spec.clone().map(Value::String),
        batch_id: e.batch_id.clone(),
        // These servers were accepted for this action before.
        ignore_applicable_tags: true,
        retry_count: Some(e.retry_count),
        retry_delay_seconds: Some(e.retry_delay_seconds),
        requires_lock: Some(e.requires_lock),
        lock_policy: Some(e.lock_policy),
        lost_job_policy: Some(e.lost_job_policy),
    }
}

/// Starts execution `id` again (as the caller); with `only_failed`, on the servers whose
/// job did not succeed (failed, timed out, unreachable, cancelled or skipped).
pub async fn rerun(
    app: &App,
    caller: &Caller,
    id: &str,
    only_failed: bool,
    origin: &Origin,
) -> Result<Execution> {
    caller.require(Role::Operator)?;
    let e = app
        .store
        .get_execution(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("execution {id} not found")))?;
    if masked(&e.action) || masked(&e.parameters) {
        return Err(Error::invalid(format!(
            "execution {id} ran with secrets the hub masked when it stored it ({REDACTED}); it does not keep them, so it cannot run it again: start it anew with the secrets"
        )));
    }
    let targets: Vec<String> = if only_failed {
        if !e.state.is_final() {
            return Err(Error::Conflict(format!(
                "execution {id} is still {}: retry its failed servers once it has ended",
                e.state.as_str()
            )));
        }
        let mut failed: Vec<String> = app
            .store
            .jobs_of(id)
            .await?
            .into_iter()
            .filter(|j| j.state.is_final() && j.state != JobState::Success)
            .map(|j| j.server_id)
            .collect();
        failed.sort();
        failed.dedup();
        if failed.is_empty() {
            return Err(Error::invalid(format!(
                "execution {id} has no failed server to retry: every job succeeded"
            )));
        }
        failed
    } else {
        e.target_servers.clone()
    };
    start(app, caller, request(&e, targets), origin).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_mask_anywhere_in_the_stored_action_or_parameters_is_found() {
        assert!(masked(&json!({"pw": "***"})));
        assert!(masked(&json!({"command": "curl -u admin:*** http://x"})));
        assert!(masked(&json!([{"env": {"TOKEN": "***"}}])));
        assert!(!masked(&json!({"command": "echo hi", "n": 3, "on": true})));
    }
}
