//! `/api/v1/servers`: list, register, read, change, deregister, health, metrics over time,
//! run one action.

use super::{ListQuery, State};
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Error, Json, Path, Query, Result};
use crate::model::{MetricsRange, Page, Server, ServerFilter, ServerState};
use crate::service::{executions, server_metrics, servers};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

pub(super) fn routes() -> Router<crate::app::App> {
    Router::new()
        .route("/servers", get(list).post(create))
        .route("/servers/{id}", get(read).put(update).delete(remove))
        .route("/servers/{id}/health", get(health))
        .route("/servers/{id}/metrics", get(metrics_history))
        .route("/servers/{id}/actions", post(run_on_server))
        .route("/servers/{id}/revoke", post(revoke))
}

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

async fn read(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Server>> {
    Ok(Json(servers::get(&app, &caller, &id).await?))
}

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

async fn remove(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    servers::delete(&app, &caller, &id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn health(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let s = servers::get(&app, &caller, &id).await?;
    Ok(Json(
        json!({"server_id": s.server_id, "status": s.status, "configuration": s.configuration,
                   "circuit": {"consecutive_failures": s.circuit.consecutive_failures, "open_until": s.circuit.open_until}}),
    ))
}

#[derive(serde::Deserialize)]
struct RangeQuery {
    range: Option<String>,
}

/// `GET /api/v1/servers/{id}/metrics?range=1h|24h|7d` (default 1h): the server's heartbeat
/// metrics over time, each point with every metric's mean and peak.
async fn metrics_history(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Result<Json<Value>> {
    let asked = q.range.as_deref().unwrap_or("1h");
    let range = MetricsRange::parse(asked)
        .ok_or_else(|| Error::invalid(format!("range: {asked:?} is not one of 1h, 24h, 7d")))?;
    let points = server_metrics::history(&app, &caller, &id, range, chrono::Utc::now()).await?;
    let stat = |s: crate::model::Stat, n: i64| json!({"avg": s.mean(n), "max": s.max});
    let points: Vec<Value> = points
        .iter()
        .map(|p| {
            json!({
                "at": p.at,
                "samples": p.samples,
                "cpu_percent": stat(p.stats.cpu, p.samples),
                "memory_usage_percent": stat(p.stats.memory, p.samples),
                "disk_usage_percent": stat(p.stats.disk, p.samples),
                "load1": stat(p.stats.load, p.samples),
            })
        })
        .collect();
    Ok(Json(
        json!({"server_id": id, "range": asked, "step_seconds": range.step(), "points": points}),
    ))
}

/// One action on one server: the body of `POST /api/v1/executions` without targets.
async fn run_on_server(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    Json(mut req): Json<executions::StartExecution>,
) -> Result<(StatusCode, Json<Value>)> {
    if !req.target_servers.is_empty() || req.selector.is_some() {
        return Err(Error::invalid(
            "this endpoint runs on the server in its path; leave out target_servers and selector",
        ));
    }
    req.target_servers = vec![id];
    let e = executions::start(&app, &caller, req, &origin).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"execution_id": e.execution_id, "status": e.state})),
    ))
}

/// Revokes the server's agent certificate (admin); the agent is refused from its next request.
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
