//! The user-facing API: GraphQL (the main API) and the `/api/v1` REST shims, both thin over
//! `crate::service`. Authentication of users happens here, in one extractor.

pub mod graphql;
pub mod rest;
pub mod ws;

use crate::app::App;
use crate::audit::Origin;
use crate::auth::Caller;
use crate::error::Error;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::SocketAddr;

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    bearer_of(&parts.headers)
}

/// The bearer token in these headers, if any.
pub fn bearer_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

impl FromRequestParts<App> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| {
            Error::Unauthenticated("missing `Authorization: Bearer <token>` header".into())
        })?;
        crate::auth::authenticate(&app.keys, app.store.as_ref(), token).await
    }
}

/// The caller's address and user agent, for the audit log.
impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(origin_of(parts))
    }
}

/// The [`Origin`] of a request: its peer address and `User-Agent` header.
pub fn origin_of(parts: &Parts) -> Origin {
    let ip = parts
        .extensions
        .get::<crate::edge::ClientIp>()
        .map(|c| c.0.to_string())
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        });
    let mut origin = Origin::of_request(ip, &parts.headers);
    origin.request_id = parts
        .extensions
        .get::<crate::server::RequestId>()
        .map(|r| r.0.clone());
    origin
}
