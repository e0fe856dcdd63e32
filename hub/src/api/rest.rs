//! The specification's `/api/v1` endpoints, as thin shims over `crate::service`.

use super::ClientIp;
use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::auth::{self, Caller, TokenPair};
use crate::error::{Error, Json, Path, Query, Result};
use crate::model::{Page, PageRequest, Role, Server, ServerFilter, ServerState};
use crate::service::{agents, executions, servers, templates};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<App> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/servers", get(list_servers).post(create_server))
        .route(
            "/servers/{id}",
            get(get_server).put(update_server).delete(delete_server),
        )
        .route("/servers/{id}/health", get(server_health))
        .route("/servers/{id}/actions", post(run_on_server))
        .route("/actions", get(list_actions).post(create_action))
        .route("/actions/{id}", get(get_action))
        .route("/executions", get(list_executions).post(start_execution))
        .route("/executions/history", get(list_executions))
        .route("/executions/{id}", get(get_execution))
        .route("/executions/{id}/logs", get(execution_logs))
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

type State = axum::extract::State<App>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    environment: Option<String>,
    status: Option<String>,
    tag: Option<String>,
    q: Option<String>,
}

impl ListQuery {
    fn page(&self) -> Result<PageRequest> {
        PageRequest::new(self.page, self.page_size)
    }
}

async fn list_servers(
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
    };
    Ok(Json(
        app.store
            .list_servers(&caller.tenant_id, &filter, q.page()?)
            .await?,
    ))
}

async fn create_server(
    axum::extract::State(app): State,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Json(body): Json<servers::NewServer>,
) -> Result<(StatusCode, Json<Server>)> {
    Ok((
        StatusCode::CREATED,
        Json(servers::register(&app, &caller, body, ip.as_deref()).await?),
    ))
}

async fn get_server(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Server>> {
    Ok(Json(servers::get(&app, &caller, &id).await?))
}

async fn update_server(
    axum::extract::State(app): State,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Json(body): Json<servers::ServerChange>,
) -> Result<Json<Server>> {
    Ok(Json(
        servers::update(&app, &caller, &id, body, ip.as_deref()).await?,
    ))
}

async fn delete_server(
    axum::extract::State(app): State,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    servers::delete(&app, &caller, &id, ip.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn server_health(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let s = servers::get(&app, &caller, &id).await?;
    Ok(Json(
        json!({"server_id": s.server_id, "status": s.status, "configuration": s.configuration}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunOnServer {
    #[serde(default)]
    action: Option<Value>,
    #[serde(default)]
    action_template_id: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    priority: Option<i32>,
}

async fn run_on_server(
    axum::extract::State(app): State,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Json(b): Json<RunOnServer>,
) -> Result<(StatusCode, Json<Value>)> {
    let req = executions::StartExecution {
        action: b.action,
        action_template_id: b.action_template_id,
        parameters: b.parameters,
        target_servers: vec![id],
        priority: b.priority,
        batch_id: None,
    };
    let e = executions::start(&app, &caller, req, ip.as_deref()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"execution_id": e.execution_id})),
    ))
}

async fn list_actions(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>> {
    let p = app
        .store
        .list_templates(&caller.tenant_id, q.q.as_deref(), q.page()?)
        .await?;
    Ok(Json(serde_json::to_value(p)?))
}

async fn create_action(
    axum::extract::State(app): State,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Json(body): Json<templates::NewTemplate>,
) -> Result<(StatusCode, Json<Value>)> {
    let t = templates::create(&app, &caller, body, ip.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(t)?)))
}

async fn get_action(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(serde_json::to_value(
        templates::get(&app, &caller, &id).await?,
    )?))
}

async fn start_execution(
    axum::extract::State(app): State,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Json(body): Json<executions::StartExecution>,
) -> Result<(StatusCode, Json<Value>)> {
    let e = executions::start(&app, &caller, body, ip.as_deref()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"execution_id": e.execution_id, "status": e.state})),
    ))
}

async fn list_executions(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>> {
    let p = executions::list(&app, &caller, q.status.as_deref(), q.page()?).await?;
    let items: Vec<Value> = p.items.iter().map(|v| v.to_json()).collect();
    Ok(Json(
        json!({"items": items, "total": p.total, "page": p.page, "page_size": p.page_size}),
    ))
}

async fn get_execution(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(executions::view(&app, &caller, &id).await?.to_json()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LogsQuery {
    after_seq: Option<u64>,
}

async fn execution_logs(
    axum::extract::State(app): State,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<LogsQuery>,
) -> Result<Json<Value>> {
    // Tenant check first: the logs of another tenant's execution are "not found".
    executions::view(&app, &caller, &id).await?;
    let lines = app.store.execution_logs(&id, q.after_seq).await?;
    Ok(Json(
        json!({"execution_id": id, "entries": lines, "entries_count": lines.len()}),
    ))
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
