//! `/api/v1/actions`: action templates — list, create, read, replace, delete, validate.

use super::State;
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Json, Path, Query, Result};
use crate::model::PageRequest;
use crate::service::templates;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn routes() -> Router<crate::app::App> {
    Router::new()
        .route("/actions", get(list).post(create))
        .route("/actions/{id}", get(read).put(update).delete(remove))
        .route("/actions/{id}/validate", get(validate))
}

/// Filters of the template list.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TemplateQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    /// Part of the name.
    q: Option<String>,
}

async fn list(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<TemplateQuery>,
) -> Result<Json<Value>> {
    let page = PageRequest::new(q.page, q.page_size)?;
    let p = templates::list(&app, &caller, q.q.as_deref(), page).await?;
    Ok(Json(serde_json::to_value(p)?))
}

async fn create(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<templates::NewTemplate>,
) -> Result<(StatusCode, Json<Value>)> {
    let t = templates::create(&app, &caller, body, &origin).await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(t)?)))
}

async fn read(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(serde_json::to_value(
        templates::get(&app, &caller, &id).await?,
    )?))
}

async fn update(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    Json(body): Json<templates::NewTemplate>,
) -> Result<Json<Value>> {
    Ok(Json(serde_json::to_value(
        templates::update(&app, &caller, &id, body, &origin).await?,
    )?))
}

async fn remove(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    templates::delete(&app, &caller, &id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The template's own consistency: placeholders declared, regexes compile, criteria sane.
async fn validate(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let t = templates::get(&app, &caller, &id).await?;
    let problems = templates::problems(&t);
    Ok(Json(
        json!({"id": t.id, "version": t.version, "valid": problems.is_empty(), "problems": problems}),
    ))
}
