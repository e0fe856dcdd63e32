//! What agents ask of the hub: enrollment, heartbeats, leasing jobs, output and results.
//! Every call but enrollment is made with a client certificate whose identity is checked
//! against the server record here, so a revoked or deregistered agent is refused.

use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::auth::{random_token, token_hash};
use crate::bus::Event;
use crate::error::{Error, Result};
use crate::model::{
    Credentials, Server, ServerConfiguration, ServerMetadata, ServerState, ServerStatus,
};
use crate::store::FinishOutcome;
use chrono::{Duration, Utc};
use greenroom_pki::PeerIdentity;
use greenroom_proto::{
    EnrollRequest, EnrollResponse, HeartbeatRequest, HeartbeatResponse, JobResult, LeaseResponse,
    LeasedJob, MAX_LEASE_WAIT_SECS, OutputBatch, PROTOCOL_VERSION, RenewRequest,
};
use serde_json::json;

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
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TokenScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
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
            ip: None,
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
    let existing = app.store.get_server(None, &req.server_id).await?;
    if let Some(s) = &existing
        && s.tenant_id != tenant
    {
        return Err(Error::Conflict(format!(
            "server id {} belongs to another tenant",
            req.server_id
        )));
    }
    let signed = app
        .ca
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
    server.credentials = Credentials {
        certificate_fingerprint: Some(signed.fingerprint.clone()),
        certificate_not_after: Some(signed.not_after),
        last_rotation: Some(now),
        revoked: false,
    };
    server.metadata.updated_at = now;
    app.store.put_server(&server).await?;
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
    Ok(EnrollResponse {
        server_id: server.server_id,
        certificate_pem: signed.certificate_pem,
        ca_pem: app.ca.cert_pem().to_string(),
        not_after: signed.not_after,
    })
}

/// A new certificate for an authenticated agent (before its current one expires).
pub async fn renew(app: &App, mut server: Server, req: RenewRequest) -> Result<EnrollResponse> {
    check_protocol(req.protocol_version)?;
    let signed = app
        .ca
        .sign_agent_csr(
            &req.csr_pem,
            &server.server_id,
            app.config.security.agent_certificate_days,
        )
        .map_err(|e| Error::invalid(e.to_string()))?;
    let now = Utc::now();
    let previous = server.credentials.certificate_fingerprint.clone();
    let credentials = Credentials {
        certificate_fingerprint: Some(signed.fingerprint.clone()),
        certificate_not_after: Some(signed.not_after),
        last_rotation: Some(now),
        revoked: false,
    };
    server = app
        .store
        .modify_server(
            None,
            &server.server_id,
            Box::new(move |s| {
                s.credentials = credentials;
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
    let details = json!({"certificate_fingerprint": signed.fingerprint, "previous_fingerprint": previous, "not_after": signed.not_after});
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
    Ok(EnrollResponse {
        server_id: server.server_id,
        certificate_pem: signed.certificate_pem,
        ca_pem: app.ca.cert_pem().to_string(),
        not_after: signed.not_after,
    })
}

/// Revokes a server's agent certificate (admin): its next request is refused.
pub async fn revoke(
    app: &App,
    caller: &crate::auth::Caller,
    server_id: &str,
    ip: Option<&str>,
) -> Result<Server> {
    caller.require(crate::model::Role::Admin)?;
    let s = app
        .store
        .modify_server(
            Some(&caller.tenant_id),
            server_id,
            Box::new(|s| {
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
    audit::record(
        app,
        &caller.tenant_id,
        Actor::User {
            email: &caller.email,
            ip,
        },
        "agent_revoked",
        r,
        details,
        None,
    )
    .await;
    app.bus.wake(server_id);
    app.bus.publish(Event::Server {
        tenant_id: s.tenant_id.clone(),
        server_id: server_id.to_string(),
    });
    Ok(s)
}

/// A certificate for one server that names a job of another: refused and audited.
async fn impersonation(app: &App, server: &Server, job_id: &str, what: &str) -> Error {
    let r = Resource {
        kind: "job",
        id: job_id,
        name: None,
    };
    let details = json!({"presented_by": server.server_id, "attempted": what});
    audit::record(
        app,
        &server.tenant_id,
        Actor::Agent {
            server_id: &server.server_id,
        },
        "agent_impersonation_refused",
        r,
        details,
        Some("job of another server"),
    )
    .await;
    tracing::warn!(server_id = %server.server_id, job_id, "agent tried to act on a job that is not its own");
    Error::NotFound(format!("job {job_id} is not a job of {}", server.server_id))
}

/// The server record of the agent that presented `peer`, if its certificate is current.
pub async fn authenticate(app: &App, peer: Option<&PeerIdentity>) -> Result<Server> {
    let peer = peer.ok_or_else(|| Error::AgentRefused {
        code: "client_certificate_required",
        message: "a client certificate from the hub's CA is required; enroll first".into(),
    })?;
    let server = app
        .store
        .get_server(None, &peer.server_id)
        .await?
        .ok_or_else(|| Error::AgentRefused {
            code: "unknown_agent",
            message: format!("server {} is not registered with this hub", peer.server_id),
        })?;
    if server.credentials.revoked
        || server.credentials.certificate_fingerprint.as_deref() != Some(peer.fingerprint.as_str())
    {
        return Err(Error::AgentRefused {
            code: "certificate_revoked",
            message: format!(
                "the certificate of {} has been revoked or replaced",
                peer.server_id
            ),
        });
    }
    Ok(server)
}

pub async fn heartbeat(
    app: &App,
    server: Server,
    req: HeartbeatRequest,
) -> Result<HeartbeatResponse> {
    check_protocol(req.protocol_version)?;
    let now = Utc::now();
    let (f, m) = (req.facts.clone(), req.metrics.clone());
    let busy = !req.running_jobs.is_empty();
    // Only what a heartbeat reports changes; credentials and the rest stay as stored.
    app.store
        .modify_server(
            None,
            &server.server_id,
            Box::new(move |s| {
                s.hostname = f.hostname;
                s.ip_address = f.ip_address;
                s.configuration = ServerConfiguration {
                    agent_version: f.agent_version,
                    os_info: f.os_info,
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
            }),
        )
        .await?;
    let until = now + Duration::seconds(app.config.execution.lease_seconds as i64);
    let cancel_jobs = if req.running_jobs.is_empty() {
        Vec::new()
    } else {
        app.store
            .extend_leases(&server.server_id, &req.running_jobs, until)
            .await?
    };
    app.metrics.heartbeats.inc();
    app.bus.publish(Event::Server {
        tenant_id: server.tenant_id.clone(),
        server_id: server.server_id.clone(),
    });
    Ok(HeartbeatResponse {
        server_time: now,
        heartbeat_interval: app.config.execution.heartbeat_interval,
        cancel_jobs,
    })
}

/// After this many jobs in a row lost by an agent (leased, never reported), its circuit opens.
pub const CIRCUIT_THRESHOLD: u32 = 3;
/// How long an open circuit keeps work away from the agent.
pub const CIRCUIT_COOL_DOWN_SECS: i64 = 300;

/// Long-poll: answers at once with a job (when `capacity` > 0 and one may be leased) or jobs
/// to cancel; otherwise after `wait` with nothing.
pub async fn lease(
    app: &App,
    server: &Server,
    wait: std::time::Duration,
    capacity: u32,
) -> Result<LeaseResponse> {
    let wait = wait.min(std::time::Duration::from_secs(MAX_LEASE_WAIT_SECS));
    let deadline = tokio::time::Instant::now() + wait;
    let waiter = app.bus.waiter(&server.server_id);
    let lease_seconds = app.config.execution.lease_seconds;
    let lock_ttl = app.config.lock_ttl();
    let circuit_open = server.circuit.open_until.is_some_and(|t| t > Utc::now());
    let _held = crate::metrics::GaugeGuard::hold(&app.metrics.long_polls);
    loop {
        let now = Utc::now();
        let cancel_jobs = app.store.take_cancellations(&server.server_id, now).await?;
        let mut job = None;
        if capacity > 0 && !circuit_open {
            let until = now + Duration::seconds(lease_seconds as i64);
            let outcome = app
                .store
                .lease_next_job(&server.server_id, now, until, lock_ttl)
                .await?;
            for execution_id in outcome.changed {
                app.bus.publish(Event::Execution {
                    tenant_id: server.tenant_id.clone(),
                    execution_id,
                });
            }
            job = outcome.job.map(|j| {
                app.metrics.jobs_leased.inc();
                LeasedJob {
                    job_id: j.job_id,
                    execution_id: j.execution_id,
                    action: j.action,
                    lease_expires_at: until,
                    lease_seconds,
                }
            });
        }
        if job.is_some() || !cancel_jobs.is_empty() {
            return Ok(LeaseResponse { job, cancel_jobs });
        }
        if tokio::time::timeout_at(deadline, waiter.notified())
            .await
            .is_err()
        {
            return Ok(LeaseResponse {
                job: None,
                cancel_jobs: Vec::new(),
            });
        }
    }
}

/// Stores output; the new lines also go to the execution's JSON-lines log file.
pub async fn output(app: &App, server: &Server, job_id: &str, batch: OutputBatch) -> Result<()> {
    if batch.chunks.len() > 10_000 {
        return Err(Error::invalid("chunks: at most 10000 per batch"));
    }
    let Some((execution_id, fresh)) = app
        .store
        .append_output(&server.server_id, job_id, &batch.chunks, Utc::now())
        .await?
    else {
        return Err(impersonation(app, server, job_id, "output").await);
    };
    if !fresh.is_empty() {
        crate::logs::append(
            &app.config.server.data_dir,
            &execution_id,
            &server.server_id,
            job_id,
            &fresh,
        )
        .await;
    }
    app.bus.publish(Event::Execution {
        tenant_id: server.tenant_id.clone(),
        execution_id,
    });
    Ok(())
}

/// Stores a result; a repeated delivery of the same job's result is acknowledged, not stored
/// twice. A result from a job whose server lock expired or changed hands is refused (409).
pub async fn result(app: &App, server: &Server, job_id: &str, result: JobResult) -> Result<bool> {
    let outcome = app
        .store
        .finish_job(&server.server_id, job_id, &result, Utc::now())
        .await?;
    let (execution_id, wake) = match outcome {
        FinishOutcome::NotFound => {
            return Err(impersonation(app, server, job_id, "result").await);
        }
        FinishOutcome::AlreadyFinal { .. } => return Ok(false),
        FinishOutcome::Fenced { execution_id } => {
            app.bus.publish(Event::Execution {
                tenant_id: server.tenant_id.clone(),
                execution_id: execution_id.clone(),
            });
            let r = Resource {
                kind: "job",
                id: job_id,
                name: Some(&execution_id),
            };
            audit::record(
                app,
                &server.tenant_id,
                Actor::Agent {
                    server_id: &server.server_id,
                },
                "result_fenced",
                r,
                json!({}),
                Some("server lock expired or changed hands"),
            )
            .await;
            return Err(Error::Conflict(format!(
                "job {job_id}: its server lock expired or changed hands before this result; the result was refused"
            )));
        }
        FinishOutcome::Retrying { execution_id, wake } => (execution_id, wake),
        FinishOutcome::Stored { execution_id, wake } => {
            app.metrics
                .results
                .with_label_values(&[outcome_label(&result)])
                .inc();
            app.metrics
                .job_duration
                .with_label_values(&[outcome_label(&result)])
                .observe(result.execution_time.max(0.0));
            (execution_id, wake)
        }
    };
    for s in &wake {
        app.bus.wake(s);
    }
    // A reported result closes the agent's circuit; a success is remembered.
    let (success, finished) = (
        result.status == greenroom_proto::Outcome::Success,
        result.finished_at,
    );
    app.store
        .modify_server(
            None,
            &server.server_id,
            Box::new(move |s| {
                if success {
                    s.metadata.last_successful_execution = Some(finished);
                }
                s.circuit = Default::default();
            }),
        )
        .await?;
    app.bus.publish(Event::Execution {
        tenant_id: server.tenant_id.clone(),
        execution_id,
    });
    Ok(true)
}

fn outcome_label(r: &JobResult) -> &'static str {
    match r.status {
        greenroom_proto::Outcome::Success => "success",
        greenroom_proto::Outcome::Failed => "failed",
        greenroom_proto::Outcome::Timeout => "timeout",
        greenroom_proto::Outcome::Cancelled => "cancelled",
    }
}

/// Counts a lost job against its server's circuit; opens it at the threshold.
async fn trip_circuit(app: &App, server_id: &str) -> Result<()> {
    let now = Utc::now();
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = opened.clone();
    let Some(s) = app
        .store
        .modify_server(
            None,
            server_id,
            Box::new(move |s| {
                s.circuit.consecutive_failures += 1;
                if s.circuit.consecutive_failures >= CIRCUIT_THRESHOLD
                    && s.circuit.open_until.is_none_or(|t| t < now)
                {
                    s.circuit.open_until = Some(now + Duration::seconds(CIRCUIT_COOL_DOWN_SECS));
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }),
        )
        .await?
    else {
        return Ok(());
    };
    if opened.load(std::sync::atomic::Ordering::Relaxed) {
        let until = s.circuit.open_until;
        tracing::warn!(
            server_id,
            failures = s.circuit.consecutive_failures,
            ?until,
            "circuit opened: no work is offered to this agent until the cool-down ends"
        );
        let r = Resource {
            kind: "server",
            id: server_id,
            name: None,
        };
        let details =
            json!({"consecutive_failures": s.circuit.consecutive_failures, "open_until": until});
        audit::record(
            app,
            &s.tenant_id,
            Actor::System,
            "agent_circuit_opened",
            r,
            details,
            None,
        )
        .await;
    }
    Ok(())
}

/// One sweep: lapsed leases settle, expired locks end, silent servers become unreachable,
/// servers with due jobs (retries, freed locks) are woken.
pub async fn sweep(app: &App) -> Result<()> {
    let now = Utc::now();
    for lapsed in app.store.expire_leases(now).await? {
        app.metrics.lease_expiries.inc();
        tracing::warn!(execution_id = %lapsed.execution_id, server_id = %lapsed.server_id, requeued = lapsed.requeued, "a job lease lapsed");
        trip_circuit(app, &lapsed.server_id).await?;
        if let Some(s) = app.store.get_server(None, &lapsed.server_id).await? {
            app.bus.publish(Event::Execution {
                tenant_id: s.tenant_id,
                execution_id: lapsed.execution_id,
            });
        }
    }
    for lock in app.store.expire_locks(now).await? {
        app.metrics
            .lock_events
            .with_label_values(&["expired"])
            .inc();
        let r = Resource {
            kind: "server_lock",
            id: &lock.lock_id,
            name: Some(&lock.server_id),
        };
        audit::record(
            app,
            &lock.tenant_id,
            Actor::System,
            "lock_expired",
            r,
            json!({"server_id": lock.server_id, "fencing_token": lock.fencing_token}),
            None,
        )
        .await;
        app.bus.wake(&lock.server_id);
    }
    let cutoff = now - Duration::seconds(app.config.execution.offline_after_seconds as i64);
    for server_id in app.store.mark_unreachable(cutoff).await? {
        tracing::warn!(%server_id, "server stopped sending heartbeats; marked unreachable");
        if let Some(s) = app.store.get_server(None, &server_id).await? {
            app.bus.publish(Event::Server {
                tenant_id: s.tenant_id,
                server_id,
            });
        }
    }
    for server_id in app.store.servers_with_due_jobs(now).await? {
        app.bus.wake(&server_id);
    }
    Ok(())
}
