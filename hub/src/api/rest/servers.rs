//! `/api/v1/servers`: list, register, read, change, deregister, health, metrics over time,
//! run one action.

use super::openapi::ErrorBody;
use super::schemas::{MetricsHistory, MetricsPoint, ServerHealth, Started, StatPair};
use super::{ListQuery, State};
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Error, Json, Path, Query, Result};
use crate::model::{MetricsRange, Page, Server, ServerFilter, ServerState};
use crate::service::{executions, server_metrics, servers};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<crate::app::App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, remove))
        .routes(routes!(health))
        .routes(routes!(metrics_history))
        .routes(routes!(run_on_server))
        .routes(routes!(revoke))
}

/// A page of the tenant's servers, filtered.
#[utoipa::path(
    get,
    path = "/servers",
    tag = "servers",
    operation_id = "list_servers",
    params(ListQuery),
    responses((status = 200, description = "A page of servers", body = Page<Server>))
)]
async fn list(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<Server>>> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(ServerState::parse(s).ok_or_else(|| {
            Error::invalid(format!(
                "status: {s:?} is not one of idle, busy, maintenance, unreachable, error"
            ))
        })?),
    };
    let filter = ServerFilter {
        environment: q.environment.clone(),
        status,
        tag: q.tag.clone(),
        q: q.q.clone(),
        server_group: q.server_group.clone(),
        tags: None,
        seek: Default::default(),
    };
    Ok(Json(
        app.store
            .list_servers(&caller.tenant_id, &filter, q.page()?)
            .await?,
    ))
}

/// Pre-registers a server (admin); its agent enrolls into this record later.
#[utoipa::path(
    post,
    path = "/servers",
    tag = "servers",
    operation_id = "create_server",
    request_body = servers::NewServer,
    responses(
        (status = 201, description = "Registered", body = Server),
        (status = 403, description = "Admins only", body = ErrorBody),
        (status = 409, description = "A server with this id exists", body = ErrorBody),
    )
)]
async fn create(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<servers::NewServer>,
) -> Result<(StatusCode, Json<Server>)> {
    Ok((
        StatusCode::CREATED,
        Json(servers::register(&app, &caller, body, &origin).await?),
    ))
}

#[utoipa::path(
    get,
    path = "/servers/{id}",
    tag = "servers",
    operation_id = "get_server",
    params(("id" = String, Path, description = "Server id")),
    responses((status = 200, description = "The server", body = Server))
)]
async fn read(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Server>> {
    Ok(Json(servers::get(&app, &caller, &id).await?))
}

/// Changes a server's facts, or puts it in or out of maintenance (admin).
#[utoipa::path(
    put,
    path = "/servers/{id}",
    tag = "servers",
    operation_id = "update_server",
    params(("id" = String, Path, description = "Server id")),
    request_body = servers::ServerChange,
    responses(
        (status = 200, description = "The server as changed", body = Server),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn update(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    Json(body): Json<servers::ServerChange>,
) -> Result<Json<Server>> {
    Ok(Json(
        servers::update(&app, &caller, &id, body, &origin).await?,
    ))
}

/// Deregisters a server (admin); its jobs still queued end `unreachable` at once.
#[utoipa::path(
    delete,
    path = "/servers/{id}",
    tag = "servers",
    operation_id = "delete_server",
    params(("id" = String, Path, description = "Server id")),
    responses(
        (status = 204, description = "Deregistered"),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn remove(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    servers::delete(&app, &caller, &id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The server's state, latest metrics, agent configuration and circuit breaker.
#[utoipa::path(
    get,
    path = "/servers/{id}/health",
    tag = "servers",
    operation_id = "server_health",
    params(("id" = String, Path, description = "Server id")),
    responses((status = 200, description = "The server's health", body = ServerHealth))
)]
async fn health(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ServerHealth>> {
    let s = servers::get(&app, &caller, &id).await?;
    Ok(Json(ServerHealth {
        server_id: s.server_id,
        status: s.status,
        configuration: s.configuration,
        circuit: s.circuit,
    }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RangeQuery {
    /// `1h` (default), `24h` or `7d`.
    range: Option<String>,
}

/// `GET /api/v1/servers/{id}/metrics?range=1h|24h|7d` (default 1h): the server's heartbeat
/// metrics over time, each point with every metric's mean and peak.
#[utoipa::path(
    get,
    path = "/servers/{id}/metrics",
    tag = "servers",
    operation_id = "server_metrics",
    params(("id" = String, Path, description = "Server id"), RangeQuery),
    responses((status = 200, description = "The server's metrics over the range", body = MetricsHistory))
)]
async fn metrics_history(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<MetricsHistory>> {
    let asked = q.range.as_deref().unwrap_or("1h");
    let range = MetricsRange::parse(asked)
        .ok_or_else(|| Error::invalid(format!("range: {asked:?} is not one of 1h, 24h, 7d")))?;
    let points = server_metrics::history(&app, &caller, &id, range, chrono::Utc::now()).await?;
    let stat = |s: crate::model::Stat, n: i64| StatPair {
        avg: s.mean(n),
        max: s.max,
    };
    let points = points
        .iter()
        .map(|p| MetricsPoint {
            at: p.at,
            samples: p.samples,
            cpu_percent: stat(p.stats.cpu, p.samples),
            memory_usage_percent: stat(p.stats.memory, p.samples),
            disk_usage_percent: stat(p.stats.disk, p.samples),
            load1: stat(p.stats.load, p.samples),
        })
        .collect();
    Ok(Json(MetricsHistory {
        server_id: id,
        range: asked.to_string(),
        step_seconds: range.step(),
        points,
    }))
}

/// One action on one server: the body of `POST /api/v1/executions` without targets.
#[utoipa::path(
    post,
    path = "/servers/{id}/actions",
    tag = "servers",
    operation_id = "run_on_server",
    params(("id" = String, Path, description = "Server id")),
    request_body(content = executions::StartExecution, description = "As `POST /api/v1/executions`, without `target_servers` and `selector`"),
    responses(
        (status = 202, description = "Started", body = Started),
        (status = 403, description = "Operators and admins only", body = ErrorBody),
    )
)]
async fn run_on_server(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    Json(mut req): Json<executions::StartExecution>,
) -> Result<(StatusCode, Json<Started>)> {
    if !req.target_servers.is_empty() || req.selector.is_some() {
        return Err(Error::invalid(
            "this endpoint runs on the server in its path; leave out target_servers and selector",
        ));
    }
    req.target_servers = vec![id];
    let e = executions::start(&app, &caller, req, &origin).await?;
    Ok((StatusCode::ACCEPTED, Json(Started::of(&e))))
}

/// Revokes the server's agent certificate (admin); the agent is refused from its next request.
#[utoipa::path(
    post,
    path = "/servers/{id}/revoke",
    tag = "servers",
    operation_id = "revoke_server",
    params(("id" = String, Path, description = "Server id")),
    responses(
        (status = 200, description = "The server, its certificate revoked", body = Server),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn revoke(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<Json<Server>> {
    Ok(Json(
        crate::service::agents::revoke(&app, &caller, &id, &origin).await?,
    ))
}
