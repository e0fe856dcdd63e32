//! `/api/v1/executions`: start, preview, history, read, cancel, logs.

use super::State;
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Error, Json, Path, Query, Result};
use crate::model::{ExecutionFilter, ExecutionOrder, ExecutionState, PageRequest};
use crate::service::executions;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn routes() -> Router<crate::app::App> {
    Router::new()
        .route("/executions", get(history).post(start))
        .route("/executions/preview", post(preview))
        .route("/executions/history", get(history))
        .route("/executions/{id}", get(read).delete(cancel))
        .route("/executions/{id}/logs", get(logs))
        .route("/executions/{id}/rerun", post(rerun))
}

async fn start(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<executions::StartExecution>,
) -> Result<(StatusCode, Json<Value>)> {
    let e = executions::start(&app, &caller, body, &origin).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"execution_id": e.execution_id, "status": e.state})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RerunBody {
    #[serde(default)]
    only_failed: bool,
}

/// `POST /api/v1/executions/{id}/rerun` `{"only_failed": false}`: the execution again.
async fn rerun(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    // The body is optional: none means the whole execution again.
    let only_failed = if body.iter().all(u8::is_ascii_whitespace) {
        false
    } else {
        serde_json::from_slice::<RerunBody>(&body)
            .map_err(|e| Error::invalid(format!("body: {e}")))?
            .only_failed
    };
    let e = executions::rerun(&app, &caller, &id, only_failed, &origin).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(
            json!({"execution_id": e.execution_id, "status": e.state, "target_servers": e.target_servers}),
        ),
    ))
}

/// The exact command each target would run (secrets masked), or why it would be skipped.
async fn preview(
    axum::extract::State(app): State,
    caller: Caller,
    Json(body): Json<executions::StartExecution>,
) -> Result<Json<Value>> {
    let plan = executions::plan(&app, &caller, &body).await?;
    let runs = plan.targets.iter().filter(|t| !t.skipped).count();
    Ok(Json(
        json!({"matched_count": plan.targets.len(), "run_count": runs, "servers": plan.targets}),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    status: Option<String>,
    template_id: Option<String>,
    initiated_by: Option<String>,
    server_id: Option<String>,
    environment: Option<String>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// `created_at|execution_id|state|initiated_by[:asc|:desc]`.
    sort: Option<String>,
}

async fn history(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(ExecutionState::parse(s).ok_or_else(|| {
            Error::invalid(format!(
                "status: {s:?} is not one of pending, running, completed, failed, cancelled"
            ))
        })?),
    };
    let order = match q.sort.as_deref() {
        None => ExecutionOrder::default(),
        Some(s) => ExecutionOrder::parse(s).ok_or_else(|| {
            Error::invalid(format!(
                "sort: {s:?} is not one of created_at, execution_id, state, initiated_by (with :asc or :desc)"
            ))
        })?,
    };
    let filter = ExecutionFilter {
        status,
        template_id: q.template_id,
        initiated_by: q.initiated_by,
        server_id: q.server_id,
        environment: q.environment,
        from: q.from,
        to: q.to,
        order,
        seek: Default::default(),
    };
    let p = executions::list(
        &app,
        &caller,
        &filter,
        PageRequest::new(q.page, q.page_size)?,
    )
    .await?;
    let items: Vec<Value> = p.items.iter().map(|v| v.to_json()).collect();
    Ok(Json(
        json!({"items": items, "total": p.total, "page": p.page, "page_size": p.page_size}),
    ))
}

async fn read(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let view = executions::view(&app, &caller, &id).await?;
    let mut doc = view.to_json();
    let (_, count) = app.store.execution_logs(&id, None, 0, 1).await?;
    doc["logs"] = log_info(&app, &id, count).await;
    Ok(Json(doc))
}

async fn log_info(app: &crate::app::App, id: &str, count: u64) -> Value {
    json!({
        "storage_path": crate::logs::path(&app.config.server.data_dir, id),
        "log_level": "INFO",
        "entries_count": count,
        "size_bytes": crate::logs::size(&app.config.server.data_dir, id).await,
        "url": format!("/api/v1/executions/{id}/logs"),
    })
}

async fn cancel(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>)> {
    let view = executions::cancel(&app, &caller, &id, &origin).await?;
    Ok((StatusCode::ACCEPTED, Json(view.to_json())))
}

/// A page of the execution's output lines: in order per server (`offset`), or those stored
/// after a cursor (`after`).
async fn logs(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<executions::LogsRequest>,
) -> Result<Json<Value>> {
    let page = executions::logs(&app, &caller, &id, &q).await?;
    let mut doc = log_info(&app, &id, page.total).await;
    doc["execution_id"] = id.into();
    doc["offset"] = q.offset.unwrap_or(0).into();
    doc["after"] = json!(q.after);
    doc["limit"] = q.limit.unwrap_or(1000).into();
    doc["next_offset"] = json!(page.next_offset);
    doc["last_cursor"] = json!(page.last_cursor);
    doc["entries"] = serde_json::to_value(page.entries)?;
    Ok(Json(doc))
}
