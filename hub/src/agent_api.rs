//! The agent endpoints (`/agent/v1/...`), served only on the mTLS listener. The listener puts
//! each connection's verified client identity into the request; every endpoint but
//! enrollment and the CA certificates (`/agent/v1/ca`) turns it into the agent's server
//! record or refuses the request.

use crate::app::App;
use crate::error::{Error, Json, Path, Query, Result};
use crate::model::AgentIdentity;
use crate::service::agents;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use greenroom_pki::PeerIdentity;
use greenroom_proto::{
    Ack, EnrollRequest, EnrollResponse, HeartbeatRequest, HeartbeatResponse, JobResult,
    LeaseResponse, OutputBatch,
};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// What the TLS listener learned about a connection.
#[derive(Debug, Clone)]
pub struct AgentConn {
    pub peer: Option<PeerIdentity>,
    /// The client certificate (DER), to learn its issuer when the server record lacks it.
    pub leaf: Option<Arc<[u8]>>,
    pub addr: SocketAddr,
}

/// Who the calling agent is, authenticated by its certificate.
pub struct AgentServer(pub AgentIdentity);

impl FromRequestParts<App> for AgentServer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self> {
        let conn = parts.extensions.get::<AgentConn>();
        let peer = conn.and_then(|c| c.peer.as_ref());
        match agents::authenticate(app, peer).await {
            Ok(s) => Ok(AgentServer(s)),
            Err(e) => {
                tracing::warn!(peer = ?conn.map(|c| c.addr), server_id = ?peer.map(|p| &p.server_id), error = %e, "agent request refused");
                Err(e)
            }
        }
    }
}

pub fn router(app: App) -> Router {
    Router::new()
        .route("/agent/v1/enroll", post(enroll))
        .route("/agent/v1/heartbeat", post(heartbeat))
        .route("/agent/v1/renew", post(renew))
        .route("/agent/v1/trust-bundle", get(trust_bundle))
        .route("/agent/v1/ca", get(ca_certificates))
        .route("/agent/v1/lease", post(lease))
        .route("/agent/v1/jobs/{id}/output", post(output))
        .route("/agent/v1/jobs/{id}/result", post(result))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), count))
        .fallback(|| async { Error::NotFound("no such agent endpoint".into()) })
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(app)
}

/// Counts a request by endpoint and status (`greenroom_agent_requests_total`).
async fn count(
    State(app): State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let endpoint = req.extensions().get::<MatchedPath>().cloned();
    let resp = next.run(req).await;
    if let Some(e) = endpoint {
        app.metrics
            .agent_requests
            .with_label_values(&[e.as_str(), resp.status().as_str()])
            .inc();
    }
    resp
}

async fn enroll(
    State(app): State<App>,
    Json(req): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>> {
    Ok(Json(agents::enroll(&app, req).await?))
}

async fn renew(
    State(app): State<App>,
    AgentServer(s): AgentServer,
    Json(req): Json<greenroom_proto::RenewRequest>,
) -> Result<Json<EnrollResponse>> {
    Ok(Json(agents::renew(&app, s, req).await?))
}

async fn heartbeat(
    State(app): State<App>,
    conn: Option<axum::Extension<AgentConn>>,
    AgentServer(s): AgentServer,
    Json(req): Json<HeartbeatRequest>,
) -> Result<Json<HeartbeatResponse>> {
    Ok(Json(beat(&app, conn, &s, req).await?))
}

/// Records a heartbeat with the client certificate it came with (its issuer is learned
/// from it when the server record lacks it).
async fn beat(
    app: &App,
    conn: Option<axum::Extension<AgentConn>>,
    s: &AgentIdentity,
    req: HeartbeatRequest,
) -> Result<HeartbeatResponse> {
    let leaf = conn.and_then(|c| c.0.leaf);
    agents::heartbeat(app, s, req, leaf.as_deref()).await
}

/// The CAs the hub trusts now; an agent fetches them when its heartbeat shows its saved
/// bundle is stale.
async fn trust_bundle(
    State(app): State<App>,
    AgentServer(_): AgentServer,
) -> Json<greenroom_proto::TrustBundle> {
    let cas = app.pki.current();
    Json(greenroom_proto::TrustBundle {
        ca_bundle_pem: cas.bundle.pems(),
        trust_bundle_sha256: cas.bundle.sha256(),
    })
}

/// The hub's CA certificates, without authentication: what a new agent pinned by
/// fingerprint (`greenroom-agent enroll --ca-sha256`) checks before trusting the hub.
async fn ca_certificates(State(app): State<App>) -> Json<greenroom_proto::CaCertificates> {
    let cas = app.pki.current();
    Json(greenroom_proto::CaCertificates {
        ca_pem: cas.active.cert_pem.clone(),
        ca_bundle_pem: cas.bundle.pems(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaseQuery {
    wait: Option<String>,
    /// Free job slots on the agent; 0 polls for cancellations only. Default 1.
    capacity: Option<u32>,
    /// The body is a heartbeat, recorded before the poll waits and answered in the lease's
    /// `heartbeat` (one request per interval for an idle agent instead of two).
    heartbeat: Option<bool>,
}

/// `30`, `30s` or `500ms`.
fn parse_wait(v: &str) -> Result<Duration> {
    let bad = || Error::invalid(format!("wait: {v:?} is not a duration like 30 or 30s"));
    if let Some(ms) = v.strip_suffix("ms") {
        return ms
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| bad());
    }
    v.strip_suffix('s')
        .unwrap_or(v)
        .parse::<u64>()
        .map(Duration::from_secs)
        .map_err(|_| bad())
}

async fn lease(
    State(app): State<App>,
    conn: Option<axum::Extension<AgentConn>>,
    AgentServer(s): AgentServer,
    Query(q): Query<LeaseQuery>,
    body: axum::body::Bytes,
) -> Result<Json<LeaseResponse>> {
    let wait = q
        .wait
        .as_deref()
        .map(parse_wait)
        .transpose()?
        .unwrap_or(Duration::ZERO);
    let heartbeat = match carried_heartbeat(q.heartbeat == Some(true), body)? {
        // Boxed: the heartbeat's state lives only while it is recorded, not in every poll's
        // future for the whole wait (5,000 held polls).
        Some(req) => Some(Box::pin(beat(&app, conn, &s, req)).await?),
        None => None,
    };
    let mut answer = agents::lease(&app, &s, wait, q.capacity.unwrap_or(1)).await?;
    answer.heartbeat = heartbeat;
    Ok(Json(answer))
}

/// The heartbeat a lease poll carries (`carried`: `heartbeat=true`), else none; one that
/// cannot be read refuses the whole poll before anything is recorded or leased. Takes the
/// body by value so that it is dropped here, whatever it holds: it may share its allocation
/// with the connection's read buffer, which a poll held for 30 s must not pin.
fn carried_heartbeat(carried: bool, body: axum::body::Bytes) -> Result<Option<HeartbeatRequest>> {
    if !carried {
        return Ok(None);
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| Error::invalid(format!("heartbeat (the lease's body): {e}")))
}

async fn output(
    State(app): State<App>,
    AgentServer(s): AgentServer,
    Path(id): Path<String>,
    Json(b): Json<OutputBatch>,
) -> Result<Json<Ack>> {
    agents::output(&app, &s, &id, b).await?;
    Ok(Json(Ack { stored: true }))
}

async fn result(
    State(app): State<App>,
    AgentServer(s): AgentServer,
    Path(id): Path<String>,
    Json(r): Json<JobResult>,
) -> Result<Json<Ack>> {
    let stored = agents::result(&app, &s, &id, r).await?;
    Ok(Json(Ack { stored }))
}

#[cfg(test)]
mod tests {
    use super::parse_wait;
    use std::time::Duration;

    #[test]
    fn waits_parse_in_seconds_or_milliseconds() {
        assert_eq!(parse_wait("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_wait("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_wait("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_wait("soon").is_err());
    }
}
