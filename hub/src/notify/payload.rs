//! What a notification says: one JSON document per event (webhooks get it as is; Slack and
//! email render its `summary` and details as text). Built from the same masked views the
//! API shows, so no secret parameter or connection string can appear in it.

use crate::app::App;
use crate::model::{EventKind, StoredEvent};
use crate::service::executions::ExecutionView;
use serde_json::{Value, json};

/// At most this many failed servers are listed by name.
const FAILED_LISTED: usize = 20;

pub async fn build(app: &App, ev: &StoredEvent) -> Value {
    let (summary, details) = match ev.kind {
        EventKind::ExecutionCompleted
        | EventKind::ExecutionFailed
        | EventKind::ExecutionCancelled => execution(app, ev).await,
        EventKind::ServerUnreachable => {
            let host = ev.details["hostname"].as_str().unwrap_or(&ev.subject);
            (
                format!(
                    "Server {} ({host}) stopped sending heartbeats and is unreachable",
                    ev.subject
                ),
                ev.details.clone(),
            )
        }
        EventKind::LockForced => (
            format!(
                "Lock {} on server {} was force-released by {}",
                ev.subject,
                ev.details["server_id"].as_str().unwrap_or("?"),
                ev.details["released_by"].as_str().unwrap_or("?")
            ),
            ev.details.clone(),
        ),
        EventKind::Test => (
            "Test notification from Greenroom: this rule's channel works".to_string(),
            ev.details.clone(),
        ),
    };
    json!({
        "event": ev.kind.as_str(),
        "event_id": ev.seq,
        "tenant_id": ev.tenant_id,
        "subject": ev.subject,
        "occurred_at": ev.at,
        "summary": summary,
        "details": details,
    })
}

async fn execution(app: &App, ev: &StoredEvent) -> (String, Value) {
    let id = &ev.subject;
    let execution = app.store.get_execution(&ev.tenant_id, id).await;
    let jobs = app.store.jobs_of(id).await;
    let (Ok(Some(execution)), Ok(jobs)) = (execution, jobs) else {
        return (
            format!("Execution {id} ended ({})", ev.kind.as_str()),
            ev.details.clone(),
        );
    };
    let v = ExecutionView { execution, jobs };
    let e = &v.execution;
    let what = e.action["type"]
        .as_str()
        .or(e.action_template_id.as_deref())
        .unwrap_or("action");
    let summary = match ev.kind {
        EventKind::ExecutionFailed => format!(
            "Execution {id} ({what}) failed on {} of {} servers",
            v.failure_count(),
            v.jobs.len()
        ),
        EventKind::ExecutionCancelled => format!(
            "Execution {id} ({what}) was cancelled by {}",
            e.cancelled_by.as_deref().unwrap_or("?")
        ),
        _ => format!(
            "Execution {id} ({what}) completed on {} of {} servers",
            v.success_count(),
            v.jobs.len()
        ),
    };
    let details = json!({
        "execution_id": id,
        "state": e.state.as_str(),
        "action": what,
        "initiated_by": e.initiated_by,
        "success_count": v.success_count(),
        "failure_count": v.failure_count(),
        "total_count": v.jobs.len(),
        "failed_servers": v.failed_servers().take(FAILED_LISTED).collect::<Vec<_>>(),
        "started_at": e.started_at,
        "completed_at": e.completed_at,
    });
    (summary, details)
}
