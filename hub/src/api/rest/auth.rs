//! `/api/v1/auth/*` (sign-in, refresh, logout) and `/api/v1/users` (admin).

use super::State;
use super::openapi::ErrorBody;
use crate::audit::Origin;
use crate::auth::{Caller, TokenPair};
use crate::error::{Json, Path, Result};
use crate::model::User;
use crate::service::users;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<crate::app::App> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(list, create))
        .routes(routes!(update))
}

/// Signs in: an access token and a refresh token. Public.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    operation_id = "login",
    security(()),
    request_body = users::Login,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Wrong email or password, or a disabled account", body = ErrorBody),
    )
)]
async fn login(
    axum::extract::State(app): State,
    origin: Origin,
    Json(b): Json<users::Login>,
) -> Result<Json<TokenPair>> {
    Ok(Json(users::login(&app, &b, &origin).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Refresh {
    refresh_token: String,
}

/// A new token pair for a refresh token (which is used up). Public: the refresh token is
/// the credential.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    operation_id = "refresh",
    security(()),
    request_body = Refresh,
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, description = "The refresh token is invalid, expired or already used", body = ErrorBody),
    )
)]
async fn refresh(
    axum::extract::State(app): State,
    origin: Origin,
    Json(b): Json<Refresh>,
) -> Result<Json<TokenPair>> {
    Ok(Json(users::refresh(&app, &b.refresh_token, &origin).await?))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct LogoutQuery {
    /// End every session of the caller, not only this sign-in.
    #[serde(default)]
    everywhere: bool,
}

/// Ends this sign-in (or, with `everywhere=true`, every session of the caller).
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    operation_id = "logout",
    params(LogoutQuery),
    responses((status = 204, description = "Signed out"))
)]
async fn logout(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    crate::error::Query(q): crate::error::Query<LogoutQuery>,
) -> Result<StatusCode> {
    users::logout(&app, &caller, q.everywhere, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's users (admin).
#[utoipa::path(
    get,
    path = "/users",
    tag = "auth",
    operation_id = "list_users",
    responses(
        (status = 200, description = "The tenant's users", body = Vec<User>),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn list(axum::extract::State(app): State, caller: Caller) -> Result<Json<Vec<User>>> {
    Ok(Json(users::list(&app, &caller).await?))
}

/// A new user of the caller's tenant (admin).
#[utoipa::path(
    post,
    path = "/users",
    tag = "auth",
    operation_id = "create_user",
    request_body = users::NewUser,
    responses(
        (status = 201, description = "Created", body = User),
        (status = 403, description = "Admins only", body = ErrorBody),
        (status = 409, description = "A user with this email exists", body = ErrorBody),
    )
)]
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

/// Changes a user's role, password or whether it is disabled (admin).
#[utoipa::path(
    put,
    path = "/users/{email}",
    tag = "auth",
    operation_id = "update_user",
    params(("email" = String, Path, description = "The user's email")),
    request_body = users::UserChange,
    responses(
        (status = 200, description = "The user as changed", body = User),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
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
