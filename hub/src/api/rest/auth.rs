//! `/api/v1/auth/*` (sign-in, refresh, logout) and `/api/v1/users` (admin).

use super::State;
use crate::audit::Origin;
use crate::auth::{Caller, TokenPair};
use crate::error::{Json, Path, Result};
use crate::model::User;
use crate::service::users;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::Deserialize;

pub(super) fn routes() -> Router<crate::app::App> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/users", get(list).post(create))
        .route("/users/{email}", put(update))
}

async fn login(
    axum::extract::State(app): State,
    origin: Origin,
    Json(b): Json<users::Login>,
) -> Result<Json<TokenPair>> {
    Ok(Json(users::login(&app, &b, &origin).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refresh {
    refresh_token: String,
}

async fn refresh(
    axum::extract::State(app): State,
    origin: Origin,
    Json(b): Json<Refresh>,
) -> Result<Json<TokenPair>> {
    Ok(Json(users::refresh(&app, &b.refresh_token, &origin).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LogoutQuery {
    /// End every session of the caller, not only this sign-in.
    #[serde(default)]
    everywhere: bool,
}

async fn logout(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    crate::error::Query(q): crate::error::Query<LogoutQuery>,
) -> Result<StatusCode> {
    users::logout(&app, &caller, q.everywhere, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list(axum::extract::State(app): State, caller: Caller) -> Result<Json<Vec<User>>> {
    Ok(Json(users::list(&app, &caller).await?))
}

async fn create(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(b): Json<users::NewUser>,
) -> Result<(StatusCode, Json<User>)> {
    Ok((
        StatusCode::CREATED,
        Json(users::create(&app, &caller, b, &origin).await?),
    ))
}

async fn update(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(email): Path<String>,
    Json(b): Json<users::UserChange>,
) -> Result<Json<User>> {
    Ok(Json(
        users::update(&app, &caller, &email, b, &origin).await?,
    ))
}
