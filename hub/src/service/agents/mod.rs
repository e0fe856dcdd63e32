//! What agents ask of the hub: enrollment, heartbeats, leasing jobs, output and results.
//! Every call but enrollment is made with a client certificate whose identity is checked
//! against the server record here, so a revoked or deregistered agent is refused.

mod sweep;
mod work;

pub use crate::lifecycle::servers::{CIRCUIT_COOL_DOWN_SECS, CIRCUIT_THRESHOLD};
pub use sweep::{end_undelivered, sweep};
pub use work::{lease, output, result};

use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::auth::{random_token, token_hash};
use crate::bus::Event;
use crate::error::{Error, Result};
use crate::model::{
    AgentIdentity, Credentials, Server, ServerConfiguration, ServerMetadata, ServerState,
    ServerStatus,
};
use chrono::{Duration, Utc};
use greenroom_pki::PeerIdentity;
use greenroom_proto::{
    EnrollRequest, EnrollResponse, HeartbeatRequest, HeartbeatResponse, PROTOCOL_VERSION,
    RenewRequest,
};
use serde_json::json;

/// Heartbeats write on a shared beat of this many milliseconds of the wall clock.
const HEARTBEAT_BEAT_MS: u32 = 100;

/// Waits for the next beat, so that the store writes of the heartbeats that arrive within
/// one beat are queued together and share one commit of the SQLite writer (group commit)
/// instead of taking one each: 5,000 agents at a 30 s interval send ~170 heartbeats a
/// second, which otherwise arrive one by one and each wake the writer thread, and the
/// tasks waiting for it, on their own. A heartbeat's answer waits at most one beat longer.
async fn on_the_beat() {
    let into = Utc::now().timestamp_subsec_millis() % HEARTBEAT_BEAT_MS;
    tokio::time::sleep(std::time::Duration::from_millis(u64::from(
        HEARTBEAT_BEAT_MS - into,
    )))
    .await;
}

/// Tells `serverUpdates` watchers that this server changed.
fn publish_server(app: &App, tenant_id: &str, server_id: &str) {
    app.bus.publish(Event::Server {
        tenant_id: tenant_id.to_string(),
        server_id: server_id.to_string(),
    });
}

fn check_protocol(v: u32) -> Result<()> {
    if v != PROTOCOL_VERSION {
        return Err(Error::invalid(format!(
            "protocol_version {v} is not supported; this hub speaks {PROTOCOL_VERSION}"
        )));
    }
    Ok(())
}

/// What an enrollment token allows: how many enrollments, and the environment and tags the
/// servers enrolled with it get (whatever their agents claim).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TokenScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// What an admin asks for in a new enrollment token (REST and GraphQL alike).
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// Hours it stays valid: 1–720, default `security.enrollment_token_hours`.
    pub ttl_hours: Option<u64>,
    /// How many agents may enroll with it: 1–10000, default 1.
    pub uses: Option<u32>,
    pub scope: TokenScope,
}

/// A token just issued (shown once) with everything an agent needs to use it: the CA to
/// trust, its fingerprint, this hub's agent address and the enroll command filled in.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: String,
    pub uses: u32,
    pub expires_in_hours: u64,
    pub scope: TokenScope,
    pub ca_pem: String,
    /// SHA-256 of the CA certificate (hex), as `greenroom-agent enroll --ca-sha256` takes it.
    pub ca_sha256: String,
    /// Where agents reach this hub: its first `server.agent_hostnames` name and the port it
    /// listens on for agents (`server.agent_listen`).
    pub hub_url: String,
    /// The one command that enrolls a server (and starts its agent) with this token.
    pub enroll_command: String,
}

/// Admin: a new enrollment token for the caller's tenant (see `issue_enrollment_token`).
pub async fn create_enrollment_token(
    app: &App,
    caller: &crate::auth::Caller,
    req: TokenRequest,
) -> Result<IssuedToken> {
    caller.require(crate::model::Role::Admin)?;
    let hours = req
        .ttl_hours
        .unwrap_or(app.config.security.enrollment_token_hours);
    let uses = req.uses.unwrap_or(1);
    let mut problems = Vec::new();
    if !(1..=720).contains(&hours) {
        problems.push(
            "the token's lifetime (ttl_hours / ttlHours) must be between 1 and 720 hours"
                .to_string(),
        );
    }
    if !(1..=10_000).contains(&uses) {
        problems.push("uses: must be between 1 and 10000".to_string());
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let token = issue_enrollment_token(
        app.store.as_ref(),
        &caller.tenant_id,
        &caller.email,
        Duration::hours(hours as i64),
        uses,
        &req.scope,
    )
    .await?;
    let ca = app.pki.current().active.clone();
    let ca_sha256 = ca.fingerprint;
    let hub_url = agent_url(
        &app.config.server.agent_hostnames,
        app.agent_port.load(std::sync::atomic::Ordering::Relaxed),
    );
    let enroll_command =
        format!("greenroom-agent enroll --hub {hub_url} --token {token} --ca-sha256 {ca_sha256}");
    Ok(IssuedToken {
        token,
        uses,
        expires_in_hours: hours,
        scope: req.scope,
        ca_pem: ca.cert_pem,
        ca_sha256,
        hub_url,
        enroll_command,
    })
}

/// The address agents use to reach this hub (an IPv6 literal in brackets).
fn agent_url(hostnames: &[String], port: u16) -> String {
    let host = hostnames.first().map(String::as_str).unwrap_or("localhost");
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!("https://{host}:{port}")
}

/// Issues an enrollment token for `tenant` (stored hashed; audited); returns the token,
/// shown once. Used by the API, `demo` and the `enroll-token` verb alike.
pub async fn issue_enrollment_token(
    store: &dyn crate::store::Store,
    tenant: &str,
    created_by: &str,
    ttl: Duration,
    uses: u32,
    scope: &TokenScope,
) -> Result<String> {
    if let Some(env) = &scope.environment
        && !crate::service::servers::ENVIRONMENTS.contains(&env.as_str())
    {
        return Err(Error::invalid(format!(
            "environment: {env:?} is not one of dev, staging, uat, preprod"
        )));
    }
    let token = random_token();
    let scope_json = (scope.environment.is_some() || !scope.tags.is_empty())
        .then(|| serde_json::to_value(scope))
        .transpose()?;
    store
        .insert_enrollment_token(
            &token_hash(&token),
            tenant,
            created_by,
            Utc::now() + ttl,
            uses,
            scope_json.as_ref(),
        )
        .await?;
    let r = Resource {
        kind: "enrollment_token",
        id: &token_hash(&token)[..12],
        name: None,
    };
    let details =
        json!({"uses": uses, "scope": scope_json, "expires_in_seconds": ttl.num_seconds()});
    audit::record_in(
        store,
        tenant,
        Actor::User {
            email: created_by,
            origin: &audit::NO_ORIGIN,
        },
        "enrollment_token_created",
        r,
        details,
        None,
    )
    .await;
    Ok(token)
}

/// Spends an enrollment token and signs the agent's CSR.
pub async fn enroll(app: &App, req: EnrollRequest) -> Result<EnrollResponse> {
    check_protocol(req.protocol_version)?;
    greenroom_pki::validate_server_id(&req.server_id)
        .map_err(|e| Error::invalid(format!("server_id: {e}")))?;
    let now = Utc::now();
    let Some((tenant, scope)) = app
        .store
        .consume_enrollment_token(&token_hash(&req.token), &req.server_id, now)
        .await?
    else {
        app.metrics
            .enrollments
            .with_label_values(&["refused"])
            .inc();
        return Err(Error::AgentRefused {
            code: "invalid_enrollment_token",
            message: "enrollment token is invalid, expired or already used".into(),
        });
    };
    // Server ids are per tenant: the token's tenant is the only one looked in, so another
    // tenant's server of the same name is neither touched nor revealed.
    let existing = app.store.get_server(&tenant, &req.server_id).await?;
    let cas = app.pki.current();
    let signed = cas
        .signer
        .sign_agent_csr(
            &req.csr_pem,
            &req.server_id,
            app.config.security.agent_certificate_days,
        )
        .map_err(|e| Error::invalid(e.to_string()))?;
    let scope: TokenScope = scope
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let mut facts = req.facts.clone();
    if let Some(env) = &scope.environment {
        facts.environment = env.clone();
    }
    if !scope.tags.is_empty() {
        facts.tags = scope.tags.clone();
    }
    let f = &facts;
    let known = existing.is_some();
    let mut server = existing.unwrap_or_else(|| Server {
        tenant_id: tenant.clone(),
        server_id: req.server_id.clone(),
        hostname: f.hostname.clone(),
        ip_address: f.ip_address.clone(),
        environment: f.environment.clone(),
        server_group: f.server_group.clone(),
        tags: f.tags.clone(),
        capabilities: f.capabilities.clone(),
        configuration: ServerConfiguration::default(),
        credentials: Credentials::default(),
        status: ServerStatus::default(),
        circuit: Default::default(),
        metadata: ServerMetadata {
            created_at: now,
            created_by: "enrollment".into(),
            updated_at: now,
            last_successful_execution: None,
        },
    });
    let credentials = issued(&signed, &cas, now);
    server.credentials = credentials.clone();
    server.metadata.updated_at = now;
    if known {
        app.store
            .modify_server(
                &tenant,
                &req.server_id,
                std::sync::Arc::new(move |s: &mut Server| {
                    s.credentials = credentials.clone();
                    s.metadata.updated_at = now;
                }),
            )
            .await?;
    } else {
        app.store
            .insert_server(&server)
            .await
            .map_err(|e| match e {
                // Another enrollment of the same id won the race: its certificate stands.
                crate::store::StoreError::Duplicate { .. } => Error::Conflict(format!(
                    "server {} enrolled at the same moment by another agent; try again",
                    req.server_id
                )),
                other => other.into(),
            })?;
    }
    app.metrics
        .enrollments
        .with_label_values(&["accepted"])
        .inc();
    let r = Resource {
        kind: "server",
        id: &server.server_id,
        name: Some(&server.hostname),
    };
    let details =
        json!({"certificate_fingerprint": signed.fingerprint, "not_after": signed.not_after});
    audit::record(
        app,
        &tenant,
        Actor::Agent {
            server_id: &server.server_id,
        },
        "agent_enrolled",
        r,
        details,
        None,
    )
    .await;
    app.bus.publish(Event::Server {
        tenant_id: tenant,
        server_id: server.server_id.clone(),
    });
    tracing::info!(server_id = %server.server_id, "agent enrolled");
    Ok(answer(server.server_id, signed, &cas))
}

/// The credentials of a server whose agent was just issued `signed` by the active CA of
/// `cas`, with the trust bundle the answer carries.
fn issued(
    signed: &greenroom_pki::SignedCertificate,
    cas: &greenroom_pki::CaSet,
    now: chrono::DateTime<Utc>,
) -> Credentials {
    Credentials {
        certificate_fingerprint: Some(signed.fingerprint.clone()),
        certificate_not_after: Some(signed.not_after),
        last_rotation: Some(now),
        revoked: false,
        issuer_fingerprint: Some(cas.active.fingerprint.clone()),
        trust_bundle_sha256: Some(cas.bundle.sha256()),
    }
}

/// The answer to an enrollment or a renewal: the certificate, its CA, the trust bundle.
fn answer(
    server_id: String,
    signed: greenroom_pki::SignedCertificate,
    cas: &greenroom_pki::CaSet,
) -> EnrollResponse {
    EnrollResponse {
        server_id,
        certificate_pem: signed.certificate_pem,
        ca_pem: cas.active.cert_pem.clone(),
        not_after: signed.not_after,
        ca_bundle_pem: cas.bundle.pems(),
    }
}

/// A new certificate for an authenticated agent (before its current one expires).
pub async fn renew(app: &App, agent: AgentIdentity, req: RenewRequest) -> Result<EnrollResponse> {
    check_protocol(req.protocol_version)?;
    let cas = app.pki.current();
    let signed = cas
        .signer
        .sign_agent_csr(
            &req.csr_pem,
            &agent.server_id,
            app.config.security.agent_certificate_days,
        )
        .map_err(|e| Error::invalid(e.to_string()))?;
    let now = Utc::now();
    let previous = agent.certificate_fingerprint;
    let credentials = issued(&signed, &cas, now);
    let server = app
        .store
        .modify_server(
            &agent.tenant_id,
            &agent.server_id,
            std::sync::Arc::new(move |s: &mut Server| {
                s.credentials = credentials.clone();
                s.metadata.updated_at = now;
            }),
        )
        .await?
        .ok_or_else(|| Error::AgentRefused {
            code: "unknown_agent",
            message: "this server was deregistered".into(),
        })?;
    let r = Resource {
        kind: "server",
        id: &server.server_id,
        name: Some(&server.hostname),
    };
    let details = json!({"certificate_fingerprint": signed.fingerprint, "previous_fingerprint": previous, "not_after": signed.not_after, "issuer_fingerprint": cas.active.fingerprint});
    audit::record(
        app,
        &server.tenant_id,
        Actor::Agent {
            server_id: &server.server_id,
        },
        "agent_certificate_renewed",
        r,
        details,
        None,
    )
    .await;
    Ok(answer(server.server_id, signed, &cas))
}

/// Revokes a server's agent certificate (admin): its next request is refused.
pub async fn revoke(
    app: &App,
    caller: &crate::auth::Caller,
    server_id: &str,
    origin: &audit::Origin,
) -> Result<Server> {
    caller.require(crate::model::Role::Admin)?;
    let s = app
        .store
        .modify_server(
            &caller.tenant_id,
            server_id,
            std::sync::Arc::new(|s: &mut Server| {
                s.credentials.revoked = true;
                s.metadata.updated_at = Utc::now();
            }),
        )
        .await?
        .ok_or_else(|| Error::NotFound(format!("server {server_id} not found")))?;
    let r = Resource {
        kind: "server",
        id: server_id,
        name: Some(&s.hostname),
    };
    let details = json!({"certificate_fingerprint": s.credentials.certificate_fingerprint});
    audit::by_caller(app, caller, origin, "agent_revoked", r, details).await;
    app.bus.wake(&s.tenant_id, server_id);
    publish_server(app, &s.tenant_id, &s.server_id);
    Ok(s)
}

/// Who the agent that presented `peer` is, if its certificate is current. The certificate's
/// fingerprint finds the server (ids are per tenant; a fingerprint is unique), and its name
/// must be that server's.
pub async fn authenticate(app: &App, peer: Option<&PeerIdentity>) -> Result<AgentIdentity> {
    let peer = peer.ok_or_else(|| Error::AgentRefused {
        code: "client_certificate_required",
        message: "a client certificate from the hub's CA is required; enroll first".into(),
    })?;
    let server = app
        .store
        .agent_by_fingerprint(&peer.fingerprint)
        .await?
        .filter(|s| s.server_id == peer.server_id)
        .ok_or_else(|| Error::AgentRefused {
            code: "unknown_agent",
            message: format!(
                "no server of this hub holds this certificate of {} (deregistered, or the certificate was replaced)",
                peer.server_id
            ),
        })?;
    if server.revoked {
        return Err(Error::AgentRefused {
            code: "certificate_revoked",
            message: format!("the certificate of {} has been revoked", peer.server_id),
        });
    }
    Ok(server)
}

/// Records a heartbeat. `leaf` is the client certificate it came with: when the server
/// record does not know which CA issued it (issued before the hub recorded that), the
/// heartbeat learns it. The answer carries the trust bundle's hash and, when the
/// certificate is not from the active CA (a rotation was activated), `renew_now`.
pub async fn heartbeat(
    app: &App,
    server: &AgentIdentity,
    req: HeartbeatRequest,
    leaf: Option<&[u8]>,
) -> Result<HeartbeatResponse> {
    check_protocol(req.protocol_version)?;
    let now = Utc::now();
    let cas = app.pki.current();
    let issuer = server.issuer_fingerprint.clone().or_else(|| {
        leaf.and_then(|der| cas.bundle.issuer_of_der(der))
            .map(|ca| ca.fingerprint.clone())
    });
    let renew_now = issuer.as_deref() != Some(cas.active.fingerprint.as_str());
    let bundle_held = req.trust_bundle_sha256.clone();
    app.metrics_history
        .record(&server.tenant_id, &server.server_id, now, &req.metrics);
    let (f, m) = (req.facts.clone(), req.metrics.clone());
    let busy = !req.running_jobs.is_empty();
    on_the_beat().await;
    // Only what a heartbeat reports changes; credentials and the rest stay as stored.
    app.store
        .modify_server(
            &server.tenant_id,
            &server.server_id,
            std::sync::Arc::new(move |s: &mut Server| {
                s.hostname = f.hostname.clone();
                s.ip_address = f.ip_address.clone();
                s.configuration = ServerConfiguration {
                    agent_version: f.agent_version.clone(),
                    os_info: f.os_info.clone(),
                    max_concurrent_jobs: f.max_concurrent_jobs,
                    timeout_default: f.timeout_default,
                };
                s.status = ServerStatus {
                    current: match (s.status.current, busy) {
                        (ServerState::Maintenance, _) => ServerState::Maintenance,
                        (_, false) => ServerState::Idle,
                        (_, true) => ServerState::Busy,
                    },
                    last_heartbeat: Some(now),
                    uptime_seconds: m.uptime_seconds,
                    load_average: m.load_average.to_vec(),
                    cpu_percent: m.cpu_percent,
                    memory_usage_percent: m.memory_usage_percent,
                    disk_usage_percent: m.disk_usage_percent,
                };
                if s.credentials.issuer_fingerprint.is_none() {
                    s.credentials.issuer_fingerprint = issuer.clone();
                }
                if bundle_held.is_some() {
                    s.credentials.trust_bundle_sha256 = bundle_held.clone();
                }
            }),
        )
        .await?;
    let until = now + Duration::seconds(app.config.execution.lease_seconds as i64);
    let cancel_jobs = if req.running_jobs.is_empty() {
        Vec::new()
    } else {
        app.store
            .extend_leases(
                &server.tenant_id,
                &server.server_id,
                &req.running_jobs,
                until,
            )
            .await?
    };
    app.metrics.heartbeats.inc();
    publish_server(app, &server.tenant_id, &server.server_id);
    Ok(HeartbeatResponse {
        server_time: now,
        heartbeat_interval: app.config.execution.heartbeat_interval,
        cancel_jobs,
        trust_bundle_sha256: Some(cas.bundle.sha256()),
        renew_now,
    })
}

#[cfg(test)]
mod tests {
    use super::agent_url;

    #[test]
    fn the_agent_address_is_the_first_name_and_the_listening_port() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            agent_url(&names(&["hub.example", "10.0.0.5"]), 8443),
            "https://hub.example:8443"
        );
        assert_eq!(agent_url(&names(&["::1"]), 9000), "https://[::1]:9000");
    }
}
