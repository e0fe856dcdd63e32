//! The specification's `/api/v1` endpoints, as thin shims over `crate::service`: auth and
//! administration here, one module per resource beside. Every handler is annotated with
//! `#[utoipa::path]` and mounted with `routes!` on one `OpenApiRouter` (`api`), so the
//! router the hub serves and the OpenAPI document (`openapi`) come from the same list.

mod auth;
mod executions;
mod locks;
mod notifications;
pub mod openapi;
mod schemas;
mod servers;
mod templates;

use crate::app::App;
use crate::auth::Caller;
use crate::error::{Error, Json, Query, Result};
use crate::model::{Page, PageRequest, Role};
use crate::service::agents;
use axum::Router;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the REST API is mounted.
pub const PREFIX: &str = "/api/v1";

/// Every `/api/v1` route and its documentation, from one list; paths are full
/// (`/api/v1/servers`). Adding a route anywhere but here (with `routes!`) is a mistake:
/// `tests/openapi.rs` checks the served routes against the document.
pub fn api() -> OpenApiRouter<App> {
    let v1 = OpenApiRouter::new()
        .merge(auth::routes())
        .merge(servers::routes())
        .merge(templates::routes())
        .merge(executions::routes())
        .merge(locks::routes())
        .merge(notifications::routes())
        .routes(routes!(create_enrollment_token))
        .routes(routes!(list_audit))
        .routes(routes!(verify_audit))
        .routes(routes!(compliance_report))
        .routes(routes!(openapi::openapi_json))
        .fallback(|| async { Error::NotFound("no such API endpoint".into()) });
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).nest(PREFIX, v1)
}

/// The `/api/v1` router (paths full, as `api` gives them).
pub fn router() -> Router<App> {
    api().split_for_parts().0
}

/// The OpenAPI document of `/api/v1`, with the common error answers added.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = api().split_for_parts().1;
    openapi::add_common_errors(&mut doc);
    doc
}

pub(super) type State = axum::extract::State<App>;

/// Filters and page of the server list.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// 1-based page (default 1).
    pub page: Option<u32>,
    /// Items a page, 1–500 (default 50).
    pub page_size: Option<u32>,
    pub environment: Option<String>,
    /// `idle`, `busy`, `maintenance`, `unreachable` or `error`.
    pub status: Option<String>,
    /// Servers carrying this tag.
    pub tag: Option<String>,
    pub server_group: Option<String>,
    /// Part (case-insensitive) of the server id, hostname, IP address or a tag.
    pub q: Option<String>,
}

impl ListQuery {
    pub(super) fn page(&self) -> Result<PageRequest> {
        PageRequest::new(self.page, self.page_size)
    }
}

/// `POST /api/v1/enrollment-tokens`.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewEnrollmentToken {
    /// Hours until it expires.
    #[serde(default)]
    ttl_hours: Option<u64>,
    /// How many agents may enroll with it (default 1).
    #[serde(default)]
    uses: Option<u32>,
    /// Servers enrolled with it get this environment and these tags.
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// A new agent enrollment token for the caller's tenant (admin); shown once.
#[utoipa::path(
    post,
    path = "/enrollment-tokens",
    tag = "admin",
    operation_id = "create_enrollment_token",
    request_body = NewEnrollmentToken,
    responses(
        (status = 201, description = "The token, the CA to trust and the enroll command", body = agents::IssuedToken),
        (status = 403, description = "Admins only", body = openapi::ErrorBody),
    )
)]
async fn create_enrollment_token(
    axum::extract::State(app): State,
    caller: Caller,
    Json(body): Json<NewEnrollmentToken>,
) -> Result<(StatusCode, Json<agents::IssuedToken>)> {
    let req = agents::TokenRequest {
        ttl_hours: body.ttl_hours,
        uses: body.uses,
        scope: agents::TokenScope {
            environment: body.environment,
            tags: body.tags,
        },
    };
    let issued = agents::create_enrollment_token(&app, &caller, req).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// `GET /api/v1/audit`: a page of the audit log, narrowed as GraphQL's `AuditFilter`
/// (`exclude_event_types` comma-separated; `from` / `to` RFC 3339).
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    event_type: Option<String>,
    /// Event types to leave out, comma-separated.
    exclude_event_types: Option<String>,
    actor: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    /// From this time (RFC 3339).
    from: Option<crate::model::Timestamp>,
    /// Before this time (RFC 3339).
    to: Option<crate::model::Timestamp>,
}

#[utoipa::path(
    get,
    path = "/audit",
    tag = "admin",
    operation_id = "list_audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit entries, newest first", body = Page<schemas::AuditRecord>),
        (status = 403, description = "Admins only", body = openapi::ErrorBody),
    )
)]
async fn list_audit(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Page<serde_json::Value>>> {
    let filter = crate::audit::AuditFilter {
        event_type: q.event_type,
        exclude_event_types: q
            .exclude_event_types
            .map(|s| s.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        actor: q.actor,
        resource_type: q.resource_type,
        resource_id: q.resource_id,
        from: q.from,
        to: q.to,
        seek: Default::default(),
    };
    let page = PageRequest::new(q.page, q.page_size)?;
    Ok(Json(
        crate::service::audit::list(&app, &caller, filter, page).await?,
    ))
}

/// Recomputes the audit hash chain: intact, or the first entry that does not match (admin).
#[utoipa::path(
    get,
    path = "/audit/verify",
    tag = "admin",
    operation_id = "verify_audit",
    responses(
        (status = 200, description = "Whether the chain is intact", body = schemas::AuditVerification),
        (status = 403, description = "Admins only", body = openapi::ErrorBody),
    )
)]
async fn verify_audit(
    axum::extract::State(app): State,
    caller: Caller,
) -> Result<Json<schemas::AuditVerification>> {
    caller.require(Role::Admin)?;
    let broken = crate::audit::verify(&app).await?;
    Ok(Json(schemas::AuditVerification {
        intact: broken.is_none(),
        first_broken_seq: broken,
    }))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    /// Start of the period (RFC 3339).
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// End of the period (RFC 3339).
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// `json` (default), `csv` or `pdf`.
    format: Option<String>,
}

#[derive(Clone, Copy)]
enum ReportFormat {
    Json,
    Csv,
    Pdf,
}

impl ReportFormat {
    fn parse(s: Option<&str>) -> Result<Self> {
        match s.unwrap_or("json") {
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv),
            "pdf" => Ok(Self::Pdf),
            other => Err(Error::invalid(format!(
                "format: {other:?} is not one of json, csv, pdf"
            ))),
        }
    }
}

/// The compliance report of the caller's tenant for a period: who ran what where, failures,
/// forced lock releases, template changes, security events and the chain's verification.
#[utoipa::path(
    get,
    path = "/audit/report",
    tag = "admin",
    operation_id = "compliance_report",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report: JSON, CSV (one row per audit entry) or PDF, as `format` asks",
            content(
                (schemas::ComplianceReport = "application/json"),
                (String = "text/csv"),
                (Vec<u8> = "application/pdf"),
            )),
        (status = 403, description = "Admins only", body = openapi::ErrorBody),
    )
)]
async fn compliance_report(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Result<axum::response::Response> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    caller.require(Role::Admin)?;
    let format = ReportFormat::parse(q.format.as_deref())?;
    let report = crate::service::report::compliance(&app, &caller, q.from, q.to).await?;
    Ok(match format {
        ReportFormat::Json => Json(report.to_json()).into_response(),
        ReportFormat::Csv => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    CONTENT_DISPOSITION,
                    "attachment; filename=\"greenroom-compliance.csv\"".to_string(),
                ),
            ],
            report.to_csv(),
        )
            .into_response(),
        ReportFormat::Pdf => {
            let disposition = format!("attachment; filename=\"{}\"", report.pdf_filename());
            // Laying out many pages is CPU work: off the async threads.
            let pdf = tokio::task::spawn_blocking(move || report.to_pdf())
                .await
                .map_err(Error::internal)?;
            (
                [
                    (CONTENT_TYPE, "application/pdf".to_string()),
                    (CONTENT_DISPOSITION, disposition),
                ],
                pdf,
            )
                .into_response()
        }
    })
}
