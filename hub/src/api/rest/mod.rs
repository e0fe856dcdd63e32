//! The specification's `/api/v1` endpoints, as thin shims over `crate::service`: auth and
//! administration here, one module per resource beside.

mod executions;
mod locks;
mod servers;
mod templates;

use super::ClientIp;
use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::auth::{self, Caller, TokenPair};
use crate::error::{Error, Json, Query, Result};
use crate::model::{Page, PageRequest, Role};
use crate::service::agents;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<App> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .merge(servers::routes())
        .merge(templates::routes())
        .merge(executions::routes())
        .merge(locks::routes())
        .route("/enrollment-tokens", post(create_enrollment_token))
        .route("/audit", get(list_audit))
        .fallback(|| async { Error::NotFound("no such API endpoint".into()) })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
}

/// A hash of a random password nobody knows, checked for unknown users so that a wrong
/// email costs the same time as a wrong password.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn dummy_hash() -> &'static str {
    DUMMY_HASH
        .get_or_init(|| async {
            auth::hash_password(&auth::random_token())
                .await
                .unwrap_or_default()
        })
        .await
}

async fn login(
    axum::extract::State(app): axum::extract::State<App>,
    ClientIp(ip): ClientIp,
    Json(body): Json<Login>,
) -> Result<Json<TokenPair>> {
    let user = app.store.user_by_email(body.email.trim()).await?;
    let ok = match &user {
        Some(u) => auth::verify_password(&body.password, &u.password_hash).await,
        None => {
            auth::verify_password(&body.password, dummy_hash().await).await;
            false
        }
    };
    let tenant = user
        .as_ref()
        .map(|u| u.tenant_id.clone())
        .unwrap_or_else(|| crate::model::DEFAULT_TENANT.into());
    let tenant = tenant.as_str();
    let actor = Actor::User {
        email: body.email.trim(),
        ip: ip.as_deref(),
    };
    let r = Resource {
        kind: "user",
        id: body.email.trim(),
        name: None,
    };
    match (ok, user) {
        (true, Some(u)) => {
            audit::record(&app, tenant, actor, "user_login", r, json!({}), None).await;
            Ok(Json(app.keys.issue(app.store.as_ref(), &u, None).await?))
        }
        _ => {
            audit::record(
                &app,
                tenant,
                actor,
                "user_login",
                r,
                json!({}),
                Some("invalid email or password"),
            )
            .await;
            Err(Error::Unauthenticated("invalid email or password".into()))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refresh {
    refresh_token: String,
}

async fn refresh(
    axum::extract::State(app): axum::extract::State<App>,
    Json(body): Json<Refresh>,
) -> Result<Json<TokenPair>> {
    Ok(Json(
        app.keys
            .refresh(app.store.as_ref(), &body.refresh_token, chrono::Utc::now())
            .await?,
    ))
}

pub(super) type State = axum::extract::State<App>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    pub environment: Option<String>,
    pub status: Option<String>,
    pub tag: Option<String>,
    pub server_group: Option<String>,
    pub q: Option<String>,
}

impl ListQuery {
    pub(super) fn page(&self) -> Result<PageRequest> {
        PageRequest::new(self.page, self.page_size)
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NewEnrollmentToken {
    #[serde(default)]
    ttl_hours: Option<u64>,
}

async fn create_enrollment_token(
    axum::extract::State(app): State,
    caller: Caller,
    Json(body): Json<NewEnrollmentToken>,
) -> Result<(StatusCode, Json<Value>)> {
    caller.require(Role::Admin)?;
    let hours = body
        .ttl_hours
        .unwrap_or(app.config.security.enrollment_token_hours);
    if hours == 0 || hours > 24 * 30 {
        return Err(Error::invalid("ttl_hours: must be between 1 and 720"));
    }
    let token = agents::create_enrollment_token(
        &app,
        &caller.tenant_id,
        &caller.email,
        chrono::Duration::hours(hours as i64),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"token": token, "expires_in_hours": hours, "ca_pem": app.ca.cert_pem()})),
    ))
}

async fn list_audit(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<Value>>> {
    caller.require(Role::Admin)?;
    Ok(Json(
        app.store.list_audit(&caller.tenant_id, q.page()?).await?,
    ))
}
