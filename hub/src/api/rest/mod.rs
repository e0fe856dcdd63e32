//! The specification's `/api/v1` endpoints, as thin shims over `crate::service`: auth and
//! administration here, one module per resource beside.

mod auth;
mod executions;
mod locks;
mod notifications;
mod servers;
mod templates;

use crate::app::App;
use crate::auth::Caller;
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
        .merge(auth::routes())
        .merge(servers::routes())
        .merge(templates::routes())
        .merge(executions::routes())
        .merge(locks::routes())
        .merge(notifications::routes())
        .route("/enrollment-tokens", post(create_enrollment_token))
        .route("/audit", get(list_audit))
        .route("/audit/verify", get(verify_audit))
        .route("/audit/report", get(compliance_report))
        .fallback(|| async { Error::NotFound("no such API endpoint".into()) })
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
    /// How many agents may enroll with it (default 1).
    #[serde(default)]
    uses: Option<u32>,
    /// Servers enrolled with it get this environment and these tags.
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

async fn create_enrollment_token(
    axum::extract::State(app): State,
    caller: Caller,
    Json(body): Json<NewEnrollmentToken>,
) -> Result<(StatusCode, Json<Value>)> {
    let req = agents::TokenRequest {
        ttl_hours: body.ttl_hours,
        uses: body.uses,
        scope: agents::TokenScope {
            environment: body.environment,
            tags: body.tags,
        },
    };
    let issued = agents::create_enrollment_token(&app, &caller, req).await?;
    Ok((StatusCode::CREATED, Json(serde_json::to_value(issued)?)))
}

/// `GET /api/v1/audit`: a page of the audit log, narrowed as GraphQL's `AuditFilter`
/// (`exclude_event_types` comma-separated; `from` / `to` RFC 3339).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    event_type: Option<String>,
    exclude_event_types: Option<String>,
    actor: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    from: Option<crate::model::Timestamp>,
    to: Option<crate::model::Timestamp>,
}

async fn list_audit(
    axum::extract::State(app): State,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Page<Value>>> {
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
async fn verify_audit(
    axum::extract::State(app): State,
    caller: Caller,
) -> Result<Json<serde_json::Value>> {
    caller.require(Role::Admin)?;
    let broken = crate::audit::verify(&app).await?;
    Ok(Json(
        json!({"intact": broken.is_none(), "first_broken_seq": broken}),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    from: Option<chrono::DateTime<chrono::Utc>>,
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
