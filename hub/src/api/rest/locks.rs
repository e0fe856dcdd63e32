//! `/api/v1/locks` and `/api/v1/schedules`: server locks and scheduled executions.

use super::State;
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Json, Path, Query, Result};
use crate::service::{locks, schedules};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn routes() -> Router<crate::app::App> {
    Router::new()
        .route("/locks", get(list_locks).post(acquire))
        .route("/locks/{id}", get(read_lock).delete(release))
        .route("/locks/{id}/extend", post(extend))
        .route("/locks/{id}/force-release", post(force_release))
        .route("/schedules", get(list_schedules).post(create_schedule))
        .route(
            "/schedules/{id}",
            get(read_schedule).delete(delete_schedule),
        )
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LockQuery {
    /// `true` (default) lists active locks only; `false` includes ended ones.
    active: Option<bool>,
}

async fn list_locks(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<LockQuery>,
) -> Result<Json<Value>> {
    let items = app
        .store
        .list_locks(&caller.tenant_id, q.active.unwrap_or(true))
        .await?;
    Ok(Json(json!({"items": items, "total": items.len()})))
}

async fn acquire(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<locks::NewLock>,
) -> Result<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(
            locks::acquire(&app, &caller, body, &origin).await?,
        )?),
    ))
}

async fn read_lock(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(serde_json::to_value(
        locks::get(&app, &caller, &id).await?,
    )?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Extend {
    minutes: u32,
}

async fn extend(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    Json(b): Json<Extend>,
) -> Result<Json<Value>> {
    Ok(Json(serde_json::to_value(
        locks::extend(&app, &caller, &id, b.minutes, &origin).await?,
    )?))
}

async fn release(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(serde_json::to_value(
        locks::release(&app, &caller, &id, false, &origin).await?,
    )?))
}

async fn force_release(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(serde_json::to_value(
        locks::release(&app, &caller, &id, true, &origin).await?,
    )?))
}

async fn list_schedules(axum::extract::State(app): State, caller: Caller) -> Result<Json<Value>> {
    let items = app.store.list_schedules(&caller.tenant_id).await?;
    Ok(Json(json!({"items": items, "total": items.len()})))
}

async fn create_schedule(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<schedules::NewSchedule>,
) -> Result<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(
            schedules::create(&app, &caller, body, &origin).await?,
        )?),
    ))
}

async fn read_schedule(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let s = schedules::get(&app, &caller, &id).await?;
    let runs = app.store.schedule_runs(&s.id, 100).await?;
    let mut doc = serde_json::to_value(s)?;
    doc["runs"] = serde_json::to_value(runs)?;
    Ok(Json(doc))
}

async fn delete_schedule(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    schedules::delete(&app, &caller, &id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}
