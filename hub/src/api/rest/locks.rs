//! `/api/v1/locks` and `/api/v1/schedules`: server locks and scheduled executions.

use super::State;
use super::openapi::ErrorBody;
use super::schemas::{Listed, ScheduleDetail};
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Json, Path, Query, Result};
use crate::model::{Schedule, ServerLock};
use crate::service::{locks, schedules};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<crate::app::App> {
    OpenApiRouter::new()
        .routes(routes!(list_locks, acquire))
        .routes(routes!(read_lock, release))
        .routes(routes!(extend))
        .routes(routes!(force_release))
        .routes(routes!(list_schedules, create_schedule))
        .routes(routes!(read_schedule, delete_schedule))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct LockQuery {
    /// `true` (default) lists active locks only; `false` includes ended ones.
    active: Option<bool>,
}

/// The tenant's server locks.
#[utoipa::path(
    get,
    path = "/locks",
    tag = "locks",
    operation_id = "list_locks",
    params(LockQuery),
    responses((status = 200, description = "The locks", body = Listed<ServerLock>))
)]
async fn list_locks(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<LockQuery>,
) -> Result<Json<Listed<ServerLock>>> {
    let items = app
        .store
        .list_locks(&caller.tenant_id, q.active.unwrap_or(true))
        .await?;
    Ok(Json(Listed::of(items)))
}

/// Locks a server for maintenance or an emergency (operators and admins).
#[utoipa::path(
    post,
    path = "/locks",
    tag = "locks",
    operation_id = "acquire_lock",
    request_body = locks::NewLock,
    responses(
        (status = 201, description = "Locked", body = ServerLock),
        (status = 403, description = "Operators and admins only", body = ErrorBody),
        (status = 409, description = "The server is locked already", body = ErrorBody),
    )
)]
async fn acquire(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<locks::NewLock>,
) -> Result<(StatusCode, Json<ServerLock>)> {
    Ok((
        StatusCode::CREATED,
        Json(locks::acquire(&app, &caller, body, &origin).await?),
    ))
}

#[utoipa::path(
    get,
    path = "/locks/{id}",
    tag = "locks",
    operation_id = "get_lock",
    params(("id" = String, Path, description = "Lock id")),
    responses((status = 200, description = "The lock", body = ServerLock))
)]
async fn read_lock(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ServerLock>> {
    Ok(Json(locks::get(&app, &caller, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Extend {
    /// Minutes to add.
    minutes: u32,
}

/// Extends an active lock (its holder, or an admin), up to its `max_extension_count`.
#[utoipa::path(
    post,
    path = "/locks/{id}/extend",
    tag = "locks",
    operation_id = "extend_lock",
    params(("id" = String, Path, description = "Lock id")),
    request_body = Extend,
    responses(
        (status = 200, description = "The lock, extended", body = ServerLock),
        (status = 403, description = "Not the lock's holder", body = ErrorBody),
        (status = 409, description = "The lock has ended or may not be extended again", body = ErrorBody),
    )
)]
async fn extend(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    Json(b): Json<Extend>,
) -> Result<Json<ServerLock>> {
    Ok(Json(
        locks::extend(&app, &caller, &id, b.minutes, &origin).await?,
    ))
}

/// Releases a lock (its holder).
#[utoipa::path(
    delete,
    path = "/locks/{id}",
    tag = "locks",
    operation_id = "release_lock",
    params(("id" = String, Path, description = "Lock id")),
    responses(
        (status = 200, description = "The lock, released", body = ServerLock),
        (status = 403, description = "Not the lock's holder", body = ErrorBody),
        (status = 409, description = "The lock has ended already", body = ErrorBody),
    )
)]
async fn release(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<Json<ServerLock>> {
    Ok(Json(
        locks::release(&app, &caller, &id, false, &origin).await?,
    ))
}

/// Releases a lock whoever holds it (admin); audited and notified.
#[utoipa::path(
    post,
    path = "/locks/{id}/force-release",
    tag = "locks",
    operation_id = "force_release_lock",
    params(("id" = String, Path, description = "Lock id")),
    responses(
        (status = 200, description = "The lock, force-released", body = ServerLock),
        (status = 403, description = "Admins only", body = ErrorBody),
        (status = 409, description = "The lock has ended already", body = ErrorBody),
    )
)]
async fn force_release(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<Json<ServerLock>> {
    Ok(Json(
        locks::release(&app, &caller, &id, true, &origin).await?,
    ))
}

/// The tenant's schedules.
#[utoipa::path(
    get,
    path = "/schedules",
    tag = "schedules",
    operation_id = "list_schedules",
    responses((status = 200, description = "The schedules", body = Listed<Schedule>))
)]
async fn list_schedules(
    axum::extract::State(app): State,
    caller: Caller,
) -> Result<Json<Listed<Schedule>>> {
    let items = app.store.list_schedules(&caller.tenant_id).await?;
    Ok(Json(Listed::of(items)))
}

/// A new schedule (admin): an execution started by a cron expression or once at a time.
#[utoipa::path(
    post,
    path = "/schedules",
    tag = "schedules",
    operation_id = "create_schedule",
    request_body = schedules::NewSchedule,
    responses(
        (status = 201, description = "Created", body = Schedule),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn create_schedule(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<schedules::NewSchedule>,
) -> Result<(StatusCode, Json<Schedule>)> {
    Ok((
        StatusCode::CREATED,
        Json(schedules::create(&app, &caller, body, &origin).await?),
    ))
}

/// A schedule and its last 100 occurrences.
#[utoipa::path(
    get,
    path = "/schedules/{id}",
    tag = "schedules",
    operation_id = "get_schedule",
    params(("id" = String, Path, description = "Schedule id")),
    responses((status = 200, description = "The schedule and its runs", body = ScheduleDetail))
)]
async fn read_schedule(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ScheduleDetail>> {
    let schedule = schedules::get(&app, &caller, &id).await?;
    let runs = app.store.schedule_runs(&schedule.id, 100).await?;
    Ok(Json(ScheduleDetail { schedule, runs }))
}

/// Deletes a schedule (admin).
#[utoipa::path(
    delete,
    path = "/schedules/{id}",
    tag = "schedules",
    operation_id = "delete_schedule",
    params(("id" = String, Path, description = "Schedule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn delete_schedule(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    schedules::delete(&app, &caller, &id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}
