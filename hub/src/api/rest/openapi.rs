//! The OpenAPI 3.1 document of `/api/v1`, served at `GET /api/v1/openapi.json`, and Swagger
//! UI at `/api/docs`.
//!
//! The document is not written by hand: every `/api/v1` handler carries a
//! `#[utoipa::path(...)]` annotation and is mounted with `utoipa_axum::routes!` on one
//! `OpenApiRouter` (`rest::api`), which yields both the axum router the hub serves and the
//! paths of the document — a route cannot be served without being documented, or the other
//! way round. The only `/api/v1` answer outside it is the fallback (`404 not_found` for a
//! path that is no endpoint). This module adds what is common to every operation: the info
//! block, the bearer-token security scheme (required unless an operation says `security(())`,
//! as sign-in and this document do), and the error envelope for the statuses the hub's
//! layers give any operation (401 when signed in is required, 422 for bad parameters or
//! bodies, 404 for a path naming no record, 413 for an over-long body, 429 from the rate
//! limiter). Statuses particular to one operation (403, 409 ...) are in its annotation.
//!
//! Swagger UI is the vendored copy of `utoipa-swagger-ui` (no download at build or run
//! time). It is a static page whose scripts and styles are separate files served from
//! `/api/docs/` itself, with no inline script, so the hub's global Content-Security-Policy
//! (`script-src 'self'`, `style-src 'self' 'unsafe-inline'`, `img-src 'self' data:`) already
//! lets it load; it needs no policy of its own. Its online validator badge is turned off
//! (it would fetch an image from validator.swagger.io, which that policy refuses).

use crate::app::App;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use std::sync::OnceLock;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

/// Where the document is served (under the router's `/api/v1`).
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";
/// Where Swagger UI is served.
pub const DOCS_PATH: &str = "/api/docs";

/// The name of the bearer-token scheme in `components.securitySchemes`.
const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Greenroom hub REST API",
        description = "The `/api/v1` endpoints of the Greenroom hub. Sign in with \
            `POST /api/v1/auth/login` and send the access token as `Authorization: Bearer <token>`. \
            Every error answer is `{\"error\": {\"code\": ..., \"message\": ...}}` (the `Error` schema); \
            `code` is stable, `message` is for people. See docs/API.md.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerScheme),
    security(("bearer" = [])),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "auth", description = "Sign-in, tokens and users"),
        (name = "servers", description = "Managed servers"),
        (name = "actions", description = "Action templates"),
        (name = "executions", description = "Executions: start, preview, history, logs"),
        (name = "locks", description = "Server locks"),
        (name = "schedules", description = "Scheduled executions"),
        (name = "notifications", description = "Notification rules and deliveries"),
        (name = "admin", description = "Enrollment tokens and the audit log"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// The error envelope of every REST error answer (`crate::error::Error::body`).
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `unauthenticated`, `forbidden`, `not_found`,
    /// `invalid_input`, `conflict`, `payload_too_large`, `rate_limited`, `unavailable`,
    /// `internal`.
    #[schema(example = "not_found")]
    code: String,
    /// For people; several problems with the input are joined with `; `.
    message: String,
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The access token of `POST /api/v1/auth/login` (or `/auth/refresh`).",
                    ))
                    .build(),
            ),
        );
    }
}

/// Whether an operation may be called without signing in: it says `security(())` (an
/// empty requirement), where the rest inherit the document's bearer requirement.
pub fn is_public(op: &Operation) -> bool {
    op.security
        .as_ref()
        .is_some_and(|s| s.iter().any(|r| r == &Default::default()))
}

/// Adds the error answers the hub's shared layers give, to every operation that lacks them.
pub fn add_common_errors(doc: &mut Document) {
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(RefOr::Ref(Ref::from_schema_name("Error")))),
            )
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        let params = item.parameters.clone().unwrap_or_default();
        for op in operations(item) {
            let all: Vec<_> = params
                .iter()
                .chain(op.parameters.iter().flatten())
                .collect();
            let has_path = all
                .iter()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
            let has_input = !all.is_empty() || op.request_body.is_some();
            let has_body = op.request_body.is_some();
            let public = is_public(op);
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::T(error(description)));
            };
            if !public {
                add(
                    "401",
                    "Not signed in: no bearer token, or one that is invalid, expired or revoked",
                );
            }
            if has_path {
                add("404", "No such record (in the caller's tenant)");
            }
            if has_input {
                add(
                    "422",
                    "Invalid input (`invalid_input`): every problem found is listed in `message`",
                );
            }
            if has_body {
                add("413", "The request body is over 1 MiB");
            }
            add(
                "429",
                "Rate limited (`rate_limited`); the `Retry-After` header says after how many seconds to try again",
            );
        }
    }
}

/// Each operation of a path item.
fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The document as served, made once from the routes (`rest::api`).
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        super::document()
            .to_pretty_json()
            .expect("the OpenAPI document serialises")
    })
}

/// `GET /api/v1/openapi.json`: this document. Public: it describes the API and reveals no data.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "openapi_document",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of `/api/v1`", content_type = "application/json", body = Object))
)]
pub(super) async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}

/// Swagger UI at `/api/docs/`, reading `/api/v1/openapi.json`.
pub fn swagger_ui() -> Router<App> {
    let config = utoipa_swagger_ui::Config::new([DOCUMENT_PATH])
        .validator_url("none")
        .try_it_out_enabled(true)
        .persist_authorization(false);
    utoipa_swagger_ui::SwaggerUi::new(DOCS_PATH)
        .config(config)
        .into()
}
