//! `/api/v1/notifications`: per-tenant notification rules (admin), a test send, and the
//! delivery history.

use super::State;
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::{Json, Path, Query, Result};
use crate::model::PageRequest;
use crate::service::notifications::{self as notes, RuleInput};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn routes() -> Router<crate::app::App> {
    Router::new()
        .route("/notifications/rules", get(list).post(create))
        .route(
            "/notifications/rules/{id}",
            get(read).put(update).delete(delete),
        )
        .route("/notifications/rules/{id}/test", post(test))
        .route("/notifications/deliveries", get(deliveries))
}

async fn list(axum::extract::State(app): State, caller: Caller) -> Result<Json<Value>> {
    let items: Vec<Value> = notes::list(&app, &caller)
        .await?
        .iter()
        .map(notes::public)
        .collect();
    Ok(Json(json!({"total": items.len(), "items": items})))
}

async fn create(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Json(body): Json<RuleInput>,
) -> Result<(StatusCode, Json<Value>)> {
    let rule = notes::create(&app, &caller, body, &origin).await?;
    Ok((StatusCode::CREATED, Json(notes::public(&rule))))
}

async fn read(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(notes::public(&notes::get(&app, &caller, &id).await?)))
}

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

async fn delete(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    notes::delete(&app, &caller, &id, &origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test(
    axum::extract::State(app): State,
    caller: Caller,
    origin: Origin,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>)> {
    let seq = notes::test(&app, &caller, &id, &origin).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"event_id": seq, "rule_id": id})),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DeliveryQuery {
    rule_id: Option<String>,
    page: Option<u32>,
    page_size: Option<u32>,
}

async fn deliveries(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<Value>> {
    let page = PageRequest::new(q.page, q.page_size)?;
    let p = notes::deliveries(&app, &caller, q.rule_id.as_deref(), page).await?;
    Ok(Json(
        json!({"items": p.items, "total": p.total, "page": p.page, "page_size": p.page_size}),
    ))
}
