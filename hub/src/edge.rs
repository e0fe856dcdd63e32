//! The API's edge, applied to every `/api`, `/graphql` and `/ws` request before any handler:
//! rate limits (per user, per IP when anonymous, stricter per IP on sign-in; 429 with
//! `Retry-After`), and auditing of every refused permission (403).
//!
//! The counters are in-process fixed one-minute windows: with several hub replicas each
//! enforces its own share (a Redis-backed limiter is the scale-out step).

use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::error::Error;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    /// Counts one request against `key`; Err(seconds to wait) past `limit` a minute.
    pub fn hit(
        &self,
        key: &str,
        limit: u32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), u64> {
        let minute = now.timestamp() / 60;
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if w.len() > 50_000 {
            w.retain(|_, (m, _)| *m == minute);
        }
        let entry = w.entry(key.to_string()).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        if entry.1 > limit {
            Err((60 - now.timestamp() % 60).max(1) as u64)
        } else {
            Ok(())
        }
    }
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
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let who = crate::api::bearer_of(req.headers()).and_then(|t| app.keys.verify(t).ok());
    let sec = &app.config.security;
    let (key, limit) = match (&who, path.as_str()) {
        (_, "/api/v1/auth/login") => (format!("login:{ip}"), sec.login_rate_limit_per_minute),
        (Some(c), _) => (format!("user:{}", c.email), sec.rate_limit_per_minute),
        (None, _) => (format!("ip:{ip}"), sec.rate_limit_per_minute),
    };
    if let Err(wait) = app.limiter.hit(&key, limit, chrono::Utc::now()) {
        tracing::warn!(%key, %path, "rate limited");
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

#[cfg(test)]
mod tests {
    use super::RateLimiter;
    use chrono::TimeZone;

    #[test]
    fn a_window_allows_its_limit_then_says_how_long_to_wait() {
        let rl = RateLimiter::default();
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 45).unwrap();
        assert!(rl.hit("k", 2, t).is_ok());
        assert!(rl.hit("k", 2, t).is_ok());
        assert_eq!(rl.hit("k", 2, t), Err(15));
        assert!(rl.hit("other", 2, t).is_ok(), "keys are separate");
        assert!(
            rl.hit("k", 2, t + chrono::Duration::seconds(20)).is_ok(),
            "a new minute starts afresh"
        );
    }
}
