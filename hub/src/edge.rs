//! The API's edge, applied to every `/api`, `/graphql` and `/ws` request before any handler:
//! rate limits (per user, per client address when anonymous, stricter per address on
//! sign-in; 429 with `Retry-After`), and auditing of every refused permission (403).
//!
//! The client's address is worked out once per request (`ClientIp`, trusted proxies
//! honoured) by the outermost layer in `server`; the counts live behind
//! [`crate::limits::RateLimiter`], shared by replicas when Redis is configured.

use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::error::Error;
use crate::limits::Quota;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::IpAddr;

/// The client's address for this request, set by the outermost layer.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// Requests a minute per user (or per address when anonymous).
pub fn api_quota(app: &App) -> Quota {
    Quota::per_minute("api", app.config.security.rate_limit_per_minute)
}

/// Sign-in attempts a minute per address, whatever the account.
pub fn login_quota(app: &App) -> Quota {
    Quota::per_minute("login", app.config.security.login_rate_limit_per_minute)
}

pub async fn edge(
    State(app): State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_string();
    if !(path.starts_with("/api/") || path.starts_with("/graphql") || path.starts_with("/ws/")) {
        return next.run(req).await;
    }
    let ip = req
        .extensions()
        .get::<ClientIp>()
        .map(|c| c.0.to_string())
        .unwrap_or_else(|| "unknown".into());
    // Only the signature is checked here (cheap): who to count against. Handlers check the
    // session against the store.
    let who = crate::api::bearer_of(req.headers()).and_then(|t| app.keys.verify(t).ok());
    let (quota, key) = match (&who, path.as_str()) {
        (_, "/api/v1/auth/login") => (login_quota(&app), ip.clone()),
        (Some(c), _) => (api_quota(&app), format!("{}/{}", c.tenant_id, c.email)),
        (None, _) => (api_quota(&app), format!("ip:{ip}")),
    };
    if let Err(wait) = app.limiter.hit(&quota, &key).await {
        tracing::warn!(quota = quota.name, %path, "rate limited");
        app.metrics
            .rate_limited
            .with_label_values(&[quota.name])
            .inc();
        return Error::RateLimited {
            message: format!("too many requests; try again in {wait} s"),
            retry_after_secs: wait,
        }
        .into_response();
    }
    let method = req.method().to_string();
    // Kept cheaply (a shared buffer) in case the answer is a 403 to audit.
    let user_agent = req.headers().get(axum::http::header::USER_AGENT).cloned();
    let resp = next.run(req).await;
    if resp.status() == StatusCode::FORBIDDEN
        && let Some(c) = &who
    {
        let origin = crate::audit::Origin::new(Some(ip), user_agent.as_ref());
        let r = Resource {
            kind: "endpoint",
            id: &path,
            name: Some(&method),
        };
        audit::record(
            &app,
            &c.tenant_id,
            Actor::User {
                email: &c.email,
                origin: &origin,
            },
            "permission_denied",
            r,
            json!({"role": c.role}),
            Some("forbidden"),
        )
        .await;
    }
    resp
}
