//! `/api/v1/executions`: start, preview, history, read, cancel, logs.

use super::State;
use super::openapi::ErrorBody;
use super::schemas::{ExecutionDoc, ExecutionLogs, Preview, Rerun, Started};
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Error, Json, Path, Query, Result};
use crate::model::{ExecutionFilter, ExecutionOrder, ExecutionState, Page, PageRequest};
use crate::service::executions;
use crate::service::executions::{ExecutionView, logs_url};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<crate::app::App> {
    OpenApiRouter::new()
        .routes(routes!(list, start))
        .routes(routes!(preview))
        .routes(routes!(history))
        .routes(routes!(read, cancel))
        .routes(routes!(logs))
        .routes(routes!(rerun))
}

/// Starts an execution: an inline action or a template, on named servers or a selector.
#[utoipa::path(
    post,
    path = "/executions",
    tag = "executions",
    operation_id = "start_execution",
    request_body = executions::StartExecution,
    responses(
        (status = 202, description = "Started", body = Started),
        (status = 403, description = "Operators and admins only", body = ErrorBody),
    )
)]
async fn start(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<executions::StartExecution>,
) -> Result<(StatusCode, Json<Started>)> {
    let e = executions::start(&app, &caller, body, &origin).await?;
    Ok((StatusCode::ACCEPTED, Json(Started::of(&e))))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RerunBody {
    /// Only the targets that failed (or were cancelled or unreachable).
    #[serde(default)]
    only_failed: bool,
}

/// `POST /api/v1/executions/{id}/rerun` `{"only_failed": false}`: the execution again.
/// The body is optional.
#[utoipa::path(
    post,
    path = "/executions/{id}/rerun",
    tag = "executions",
    operation_id = "rerun_execution",
    params(("id" = String, Path, description = "Execution id")),
    request_body(content = Option<RerunBody>, description = "Optional; none means the whole execution again"),
    responses(
        (status = 202, description = "Started again", body = Rerun),
        (status = 403, description = "Operators and admins only", body = ErrorBody),
        (status = 409, description = "`only_failed` while the execution is still running", body = ErrorBody),
    )
)]
async fn rerun(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Rerun>)> {
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
        Json(Rerun {
            execution_id: e.execution_id,
            status: e.state,
            target_servers: e.target_servers,
        }),
    ))
}

/// The exact command each target would run (secrets masked), or why it would be skipped.
#[utoipa::path(
    post,
    path = "/executions/preview",
    tag = "executions",
    operation_id = "preview_execution",
    request_body = executions::StartExecution,
    responses(
        (status = 200, description = "What would run where", body = Preview),
        (status = 403, description = "Operators and admins only", body = ErrorBody),
    )
)]
async fn preview(
    axum::extract::State(app): State,
    caller: Caller,
    Json(body): Json<executions::StartExecution>,
) -> Result<Json<Preview>> {
    let plan = executions::plan(&app, &caller, &body).await?;
    let run_count = plan.targets.iter().filter(|t| !t.skipped).count();
    Ok(Json(Preview {
        matched_count: plan.targets.len(),
        run_count,
        servers: plan.targets,
    }))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    status: Option<String>,
    template_id: Option<String>,
    initiated_by: Option<String>,
    server_id: Option<String>,
    environment: Option<String>,
    /// Created at or after this time (RFC 3339).
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// Created before this time (RFC 3339).
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// `created_at|execution_id|state|initiated_by[:asc|:desc]`.
    sort: Option<String>,
}

/// The execution history, filtered and sorted (the same as `GET /api/v1/executions/history`).
#[utoipa::path(
    get,
    path = "/executions",
    tag = "executions",
    operation_id = "list_executions",
    params(HistoryQuery),
    responses((status = 200, description = "A page of executions", body = Page<ExecutionDoc>))
)]
async fn list(state: State, caller: Caller, query: Query<HistoryQuery>) -> Result<Response> {
    history(state, caller, query).await
}

/// The execution history, filtered and sorted.
#[utoipa::path(
    get,
    path = "/executions/history",
    tag = "executions",
    operation_id = "execution_history",
    params(HistoryQuery),
    responses((status = 200, description = "A page of executions", body = Page<ExecutionDoc>))
)]
async fn history(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<HistoryQuery>,
) -> Result<Response> {
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
    Ok(Json(Page {
        items: p.items.iter().map(ExecutionView::doc).collect(),
        total: p.total,
        page: p.page,
        page_size: p.page_size,
    })
    .into_response())
}

/// The execution document, with where its output is.
#[utoipa::path(
    get,
    path = "/executions/{id}",
    tag = "executions",
    operation_id = "get_execution",
    params(("id" = String, Path, description = "Execution id")),
    responses((status = 200, description = "The execution", body = ExecutionDoc))
)]
async fn read(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let view = executions::view(&app, &caller, &id).await?;
    let (_, count) = app.store.execution_logs(&id, None, 0, 1).await?;
    let logs = log_info(&app, &id, count).await;
    Ok(Json(view.doc_with_logs(logs)).into_response())
}

async fn log_info(app: &crate::app::App, id: &str, count: u64) -> Value {
    json!({
        "storage_path": crate::logs::path(&app.config.server.data_dir, id),
        "log_level": "INFO",
        "entries_count": count,
        "size_bytes": crate::logs::size(&app.config.server.data_dir, id).await,
        "url": logs_url(id),
    })
}

/// Cancels an execution: pending targets do not start, running ones are stopped.
#[utoipa::path(
    delete,
    path = "/executions/{id}",
    tag = "executions",
    operation_id = "cancel_execution",
    params(("id" = String, Path, description = "Execution id")),
    responses(
        (status = 202, description = "Cancelling; the execution as it is now", body = ExecutionDoc),
        (status = 403, description = "Operators and admins only", body = ErrorBody),
    )
)]
async fn cancel(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<Response> {
    let view = executions::cancel(&app, &caller, &id, &origin).await?;
    Ok((StatusCode::ACCEPTED, Json(view.doc())).into_response())
}

/// A page of the execution's output lines: in order per server (`offset`), or those stored
/// after a cursor (`after`).
#[utoipa::path(
    get,
    path = "/executions/{id}/logs",
    tag = "executions",
    operation_id = "execution_logs",
    params(("id" = String, Path, description = "Execution id"), executions::LogsRequest),
    responses((status = 200, description = "A page of output lines", body = ExecutionLogs))
)]
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
