//! `GET|POST /graphql`: a signed-in caller's one operation per request.
//!
//! The body is read up to [`MAX_BODY`] (413 beyond), the document checked by `guard`
//! before the schema sees it (400), mutations only over POST (405 for GET), subscriptions
//! only over `/graphql/ws`. Every error carries `extensions.code`; a document the schema
//! refuses as a whole (invalid, too costly) is answered 400, field errors 200 with `data`.
//! Every answer says what it cost (`extensions.cost`); a request the caller's cost budget
//! cannot pay is answered 429 `RATE_LIMITED` with `Retry-After`. With persisted queries on,
//! the document is looked up (or refused, 400) before anything else (`persisted`).

use super::guard;
use crate::app::App;
use crate::auth::Caller;
use crate::error::Error;
use async_graphql::parser::types::OperationType;
use async_graphql::{ServerError, Value};
use async_graphql_axum::GraphQLResponse;
use axum::Extension;
use axum::extract::{FromRequestParts, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Request bodies up to 1 MiB, as `/api/v1`.
pub const MAX_BODY: usize = 1024 * 1024;

/// A GraphQL-shaped error answer: `{"errors": [{"message", "extensions": {"code"}}]}`.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"errors": [{"message": message, "extensions": {"code": code}}]});
    let mut resp = (status, axum::Json(body)).into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    }
    resp
}

/// One of our errors, shaped for GraphQL.
fn from_error(e: Error) -> Response {
    let (code, status) = e.code_and_status();
    let mut resp = error_response(status, &code.to_uppercase(), &e.public_message());
    if let Error::RateLimited {
        retry_after_secs, ..
    } = e
        && let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn refused(e: &ServerError) -> Response {
    let code = e
        .extensions
        .as_ref()
        .and_then(|x| x.get("code"))
        .and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "GRAPHQL_VALIDATION_FAILED".into());
    error_response(StatusCode::BAD_REQUEST, &code, &e.message)
}

/// The code a request-level error gets when the schema did not give it one.
fn code_of(e: &ServerError) -> &'static str {
    if e.message.contains("too complex") {
        "QUERY_TOO_COSTLY"
    } else if e.message.contains("nested too deep") {
        "QUERY_TOO_DEEP"
    } else {
        "GRAPHQL_VALIDATION_FAILED"
    }
}

pub async fn http_handler(
    State(app): State<App>,
    Extension(schema): Extension<super::GreenroomSchema>,
    req: axum::extract::Request,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &app).await {
        Ok(c) => c,
        Err(e) => return from_error(e),
    };
    let origin = crate::api::origin_of(&parts);
    let get = parts.method == Method::GET;
    let mut request = if get {
        match async_graphql::http::parse_query_string(parts.uri.query().unwrap_or("")) {
            Ok(r) => r,
            Err(e) => {
                return error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", &e.to_string());
            }
        }
    } else {
        let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(b) => b,
            Err(_) => {
                return error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    &format!("request bodies are limited to {MAX_BODY} bytes"),
                );
            }
        };
        if bytes.first() == Some(&b'[') {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "batched requests are not accepted; send one operation per request",
            );
        }
        match serde_json::from_slice::<async_graphql::Request>(&bytes) {
            Ok(r) => r,
            Err(e) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    &format!("the body is not a GraphQL request (JSON with `query`): {e}"),
                );
            }
        }
    };
    if let Some(persisted) = schema.data::<std::sync::Arc<super::persisted::Persisted>>()
        && let Err(e) = persisted.resolve(&mut request)
    {
        return refused(&e);
    }
    let doc = match guard::parse(&request.query) {
        Ok(d) => d,
        Err(e) => return refused(&e),
    };
    match guard::operation_type(&doc, request.operation_name.as_deref()) {
        Some(OperationType::Mutation) if get => {
            return error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "mutations are only accepted over POST",
            );
        }
        Some(OperationType::Subscription) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "subscriptions run over the WebSocket at /graphql/ws",
            );
        }
        _ => {}
    }
    request.set_parsed_query(doc);
    let who = caller.clone();
    let mut resp = schema
        .execute(request.data(caller).data(origin.clone()))
        .await;
    super::audit_refusals(&app, &who, &origin, &resp).await;
    // A document refused as a whole: no data, errors without a path.
    let whole = resp.data == Value::Null
        && !resp.errors.is_empty()
        && resp.errors.iter().all(|e| e.path.is_empty());
    for e in &mut resp.errors {
        let code = code_of(e);
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", code);
        }
    }
    let mut retry_after = None;
    let status = if whole {
        resp.errors
            .iter()
            .filter_map(|e| e.extensions.as_ref())
            .find_map(|x| match x.get("code") {
                Some(Value::String(s)) if s == "UNAUTHENTICATED" => Some(StatusCode::UNAUTHORIZED),
                Some(Value::String(s)) if s == "RATE_LIMITED" => {
                    retry_after = x.get("retryAfter").map(|v| v.to_string());
                    Some(StatusCode::TOO_MANY_REQUESTS)
                }
                _ => None,
            })
            .unwrap_or(StatusCode::BAD_REQUEST)
    } else {
        StatusCode::OK
    };
    let mut out = GraphQLResponse::from(resp).into_response();
    *out.status_mut() = status;
    if let Some(v) = retry_after.and_then(|v| header::HeaderValue::from_str(&v).ok()) {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    out
}
