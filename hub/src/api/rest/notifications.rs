//! `/api/v1/notifications`: per-tenant notification rules (admin), a test send, and the
//! delivery history.

use super::State;
use super::openapi::ErrorBody;
use super::schemas::{self, PublicRule, TestSent};
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Json, Path, Query, Result};
use crate::model::{Delivery, Page, PageRequest};
use crate::service::notifications::{self as notes, RuleInput};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn routes() -> OpenApiRouter<crate::app::App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, update, delete))
        .routes(routes!(test))
        .routes(routes!(deliveries))
}

/// The tenant's notification rules (admin); targets masked, secrets never shown.
#[utoipa::path(
    get,
    path = "/notifications/rules",
    tag = "notifications",
    operation_id = "list_notification_rules",
    responses(
        (status = 200, description = "The rules", body = schemas::Listed<PublicRule>),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn list(axum::extract::State(app): State, caller: Caller) -> Result<Json<Value>> {
    let items: Vec<Value> = notes::list(&app, &caller)
        .await?
        .iter()
        .map(notes::public)
        .collect();
    Ok(Json(json!({"total": items.len(), "items": items})))
}

/// A new notification rule (admin).
#[utoipa::path(
    post,
    path = "/notifications/rules",
    tag = "notifications",
    operation_id = "create_notification_rule",
    request_body = RuleInput,
    responses(
        (status = 201, description = "Created", body = PublicRule),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn create(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<RuleInput>,
) -> Result<(StatusCode, Json<Value>)> {
    let rule = notes::create(&app, &caller, body, &origin).await?;
    Ok((StatusCode::CREATED, Json(notes::public(&rule))))
}

#[utoipa::path(
    get,
    path = "/notifications/rules/{id}",
    tag = "notifications",
    operation_id = "get_notification_rule",
    params(("id" = String, Path, description = "Rule id")),
    responses(
        (status = 200, description = "The rule", body = PublicRule),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn read(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(notes::public(&notes::get(&app, &caller, &id).await?)))
}

/// Replaces a rule (admin).
#[utoipa::path(
    put,
    path = "/notifications/rules/{id}",
    tag = "notifications",
    operation_id = "update_notification_rule",
    params(("id" = String, Path, description = "Rule id")),
    request_body = RuleInput,
    responses(
        (status = 200, description = "The rule as replaced", body = PublicRule),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn update(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
    Json(body): Json<RuleInput>,
) -> Result<Json<Value>> {
    let rule = notes::update(&app, &caller, &id, body, &origin).await?;
    Ok(Json(notes::public(&rule)))
}

/// Deletes a rule (admin).
#[utoipa::path(
    delete,
    path = "/notifications/rules/{id}",
    tag = "notifications",
    operation_id = "delete_notification_rule",
    params(("id" = String, Path, description = "Rule id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn delete(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    notes::delete(&app, &caller, &id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a test event through the rule (admin); its delivery shows in the history.
#[utoipa::path(
    post,
    path = "/notifications/rules/{id}/test",
    tag = "notifications",
    operation_id = "test_notification_rule",
    params(("id" = String, Path, description = "Rule id")),
    responses(
        (status = 202, description = "The test event is queued", body = TestSent),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn test(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<TestSent>)> {
    let event_id = notes::test(&app, &caller, &id, &origin).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(TestSent {
            event_id,
            rule_id: id,
        }),
    ))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DeliveryQuery {
    /// Only this rule's deliveries.
    rule_id: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
}

/// The delivery history, newest first (admin).
#[utoipa::path(
    get,
    path = "/notifications/deliveries",
    tag = "notifications",
    operation_id = "list_notification_deliveries",
    params(DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<Delivery>),
        (status = 403, description = "Admins only", body = ErrorBody),
    )
)]
async fn deliveries(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<Page<Delivery>>> {
    let page = PageRequest::new(q.page, q.page_size)?;
    Ok(Json(
        notes::deliveries(&app, &caller, q.rule_id.as_deref(), page).await?,
    ))
}
