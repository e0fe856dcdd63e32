//! `/api/v1/actions`: action templates — list, create, read, replace, delete, validate.

use super::State;
use super::openapi::ErrorBody;
use super::schemas::TemplateValidation;
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Json, Path, Query, Result};
use crate::model::{ActionTemplate, Page, PageRequest};
use crate::service::templates;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<crate::app::App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, remove))
        .routes(routes!(validate))
}

/// Filters of the template list.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct TemplateQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    /// Part of the name.
    q: Option<String>,
}

/// A page of the tenant's action templates (secret defaults shown as `***`).
#[utoipa::path(
    get,
    path = "/actions",
    tag = "actions",
    operation_id = "list_actions",
    params(TemplateQuery),
    responses((status = 200, description = "A page of templates", body = Page<ActionTemplate>))
)]
async fn list(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<TemplateQuery>,
) -> Result<Json<Page<ActionTemplate>>> {
    let page = PageRequest::new(q.page, q.page_size)?;
    Ok(Json(
        templates::list(&app, &caller, q.q.as_deref(), page).await?,
    ))
}

/// A new action template (admin).
#[utoipa::path(
    post,
    path = "/actions",
    tag = "actions",
    operation_id = "create_action",
    request_body = templates::NewTemplate,
    responses(
        (status = 201, description = "Created", body = ActionTemplate),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn create(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<templates::NewTemplate>,
) -> Result<(StatusCode, Json<ActionTemplate>)> {
    let t = templates::create(&app, &caller, body, &origin).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[utoipa::path(
    get,
    path = "/actions/{id}",
    tag = "actions",
    operation_id = "get_action",
    params(("id" = String, Path, description = "Template id")),
    responses((status = 200, description = "The template", body = ActionTemplate))
)]
async fn read(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ActionTemplate>> {
    Ok(Json(templates::get(&app, &caller, &id).await?))
}

/// Replaces a template (admin); its version is the one given.
#[utoipa::path(
    put,
    path = "/actions/{id}",
    tag = "actions",
    operation_id = "update_action",
    params(("id" = String, Path, description = "Template id")),
    request_body = templates::NewTemplate,
    responses(
        (status = 200, description = "The template as replaced", body = ActionTemplate),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn update(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    Json(body): Json<templates::NewTemplate>,
) -> Result<Json<ActionTemplate>> {
    Ok(Json(
        templates::update(&app, &caller, &id, body, &origin).await?,
    ))
}

/// Deletes a template (admin).
#[utoipa::path(
    delete,
    path = "/actions/{id}",
    tag = "actions",
    operation_id = "delete_action",
    params(("id" = String, Path, description = "Template id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
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
#[utoipa::path(
    get,
    path = "/actions/{id}/validate",
    tag = "actions",
    operation_id = "validate_action",
    params(("id" = String, Path, description = "Template id")),
    responses((status = 200, description = "Whether the template is consistent, and its problems", body = TemplateValidation))
)]
async fn validate(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<TemplateValidation>> {
    let t = templates::get(&app, &caller, &id).await?;
    let problems = templates::problems(&t);
    Ok(Json(TemplateValidation {
        valid: problems.is_empty(),
        id: t.id,
        version: t.version,
        problems,
    }))
}
