//! The hub's one error type, and the one table that maps each error to a stable code and an
//! HTTP status. Errors become REST and GraphQL responses here and nowhere else; internal
//! details are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use greenroom_proto::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NotFound(String),
    /// Input that is wrong; every problem found is listed.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// An agent that may not talk to the hub: `code` is `unknown_agent`, `certificate_revoked`, ...
    #[error("{message}")]
    AgentRefused { code: &'static str, message: String },
    #[error("{0}")]
    Unavailable(String),
    /// The hub's storage is full: new work is refused, what is stored stays readable.
    #[error("{0}")]
    InsufficientStorage(String),
    /// A request body over the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many requests (or sign-in attempts); try again after this many seconds.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// Something broke inside the hub. The detail is logged where the error is made and
    /// never shown: `Display` is the same generic text for every internal error.
    #[error("internal error; see the hub log")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(vec![msg.into()])
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        let detail = e.to_string();
        tracing::error!(error = %detail, "internal error");
        Error::Internal(detail)
    }

    /// Stable machine-readable code and HTTP status: the one table.
    pub fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            Error::NotFound(_) => ("not_found", StatusCode::NOT_FOUND),
            Error::Invalid(_) => ("invalid_input", StatusCode::UNPROCESSABLE_ENTITY),
            Error::Unauthenticated(_) => ("unauthenticated", StatusCode::UNAUTHORIZED),
            Error::Forbidden(_) => ("forbidden", StatusCode::FORBIDDEN),
            Error::Conflict(_) => ("conflict", StatusCode::CONFLICT),
            Error::AgentRefused { code, .. } => (code, StatusCode::UNAUTHORIZED),
            Error::Unavailable(_) => ("unavailable", StatusCode::SERVICE_UNAVAILABLE),
            Error::InsufficientStorage(_) => {
                ("insufficient_storage", StatusCode::INSUFFICIENT_STORAGE)
            }
            Error::PayloadTooLarge(_) => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE),
            Error::RateLimited { .. } => ("rate_limited", StatusCode::TOO_MANY_REQUESTS),
            Error::Internal(_) => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// The message a caller may see (never an internal detail).
    pub fn public_message(&self) -> String {
        self.to_string()
    }

    pub fn body(&self) -> ErrorBody {
        let (code, _) = self.code_and_status();
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: self.public_message(),
            },
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (_, status) = self.code_and_status();
        let mut resp = (status, axum::Json(self.body())).into_response();
        if let Error::RateLimited {
            retry_after_secs, ..
        } = self
            && let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.max(1).to_string())
        {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}

impl async_graphql::ErrorExtensions for Error {
    /// The GraphQL error: the public message, and `extensions.code` (e.g. `NOT_FOUND`).
    fn extend(&self) -> async_graphql::Error {
        let (code, _) = self.code_and_status();
        async_graphql::Error::new(self.public_message())
            .extend_with(|_, ext| ext.set("code", code.to_uppercase()))
    }
}

impl From<crate::store::StoreError> for Error {
    /// Store errors a caller did not handle itself: a missing or duplicate record is named
    /// generically (services say which record when it matters), a busy or unreachable
    /// store is `unavailable`, anything else is internal (logged, never shown).
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError as S;
        match e {
            S::NotFound => Error::NotFound("not found".into()),
            S::Duplicate { what } => {
                Error::Conflict(format!("{} already exists", what.replace('_', " ")))
            }
            S::Conflict(_) | S::Unavailable(_) => {
                tracing::warn!(error = %e, "store unavailable");
                Error::Unavailable("the store is busy or unreachable; try again".into())
            }
            S::Full(_) => {
                tracing::error!(error = %e, "the store is full: new work is refused until space is freed");
                Error::InsufficientStorage(
                    "the hub's disk is full: nothing new can be stored until space is freed; what is stored can still be read".into(),
                )
            }
            S::Corrupt(_) | S::Backend(_) => Error::internal(e),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::internal(format!("json: {e}"))
    }
}

impl From<axum::extract::rejection::JsonRejection> for Error {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Error::PayloadTooLarge("request bodies are limited to 1048576 bytes".into());
        }
        Error::invalid(format!("request body: {}", e.body_text()))
    }
}

impl From<axum::extract::rejection::QueryRejection> for Error {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        Error::invalid(format!("query string: {}", e.body_text()))
    }
}

impl From<axum::extract::rejection::PathRejection> for Error {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        Error::invalid(format!("path: {}", e.body_text()))
    }
}

/// `Json<T>` whose rejection is our error body, so bad JSON gets `{"error":{...}}`, not text.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Query<T>` with our error body on rejection.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct Query<T>(pub T);

/// `Path<T>` with our error body on rejection.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);
