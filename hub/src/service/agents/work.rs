//! The work an agent does with the hub: the lease long-poll (jobs and cancellations),
//! output, and results.

use super::publish_server;
use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::bus::Event;
use crate::error::{Error, Result};
use crate::model::AgentIdentity;
use crate::store::{Appended, FinishOutcome};
use chrono::{Duration, Utc};
use greenroom_proto::{JobResult, LeaseResponse, LeasedJob, MAX_LEASE_WAIT_SECS, OutputBatch};
use serde_json::json;
use std::sync::Arc;

/// A certificate for one server that names a job of another: refused and audited.
pub(super) async fn impersonation(
    app: &App,
    server: &AgentIdentity,
    job_id: &str,
    what: &str,
) -> Error {
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

/// Long-poll: answers at once with a job (when `capacity` > 0 and one may be leased) or jobs
/// to cancel; otherwise after `wait` with nothing.
pub async fn lease(
    app: &App,
    server: &AgentIdentity,
    wait: std::time::Duration,
    capacity: u32,
) -> Result<LeaseResponse> {
    let wait = wait.min(std::time::Duration::from_secs(MAX_LEASE_WAIT_SECS));
    let deadline = tokio::time::Instant::now() + wait;
    let waiter = app.bus.waiter(&server.tenant_id, &server.server_id);
    let lease_seconds = app.config.execution.lease_seconds;
    let lock_ttl = app.config.lock_ttl();
    let circuit_open = server.circuit_open_until.is_some_and(|t| t > Utc::now());
    let _held = crate::metrics::GaugeGuard::hold(&app.metrics.long_polls);
    loop {
        let now = Utc::now();
        let cancel_jobs = app
            .store
            .take_cancellations(&server.tenant_id, &server.server_id, now)
            .await?;
        let mut job = None;
        if capacity > 0 && !circuit_open {
            let until = now + Duration::seconds(lease_seconds as i64);
            let outcome = app
                .store
                .lease_next_job(&server.tenant_id, &server.server_id, now, until, lock_ttl)
                .await?;
            for execution_id in outcome.changed {
                app.bus.publish(Event::Execution {
                    tenant_id: server.tenant_id.clone(),
                    execution_id,
                });
            }
            // Busy now, rather than at its next heartbeat: pushed to `serverUpdates`.
            if outcome.server_changed {
                publish_server(app, &server.tenant_id, &server.server_id);
            }
            job = outcome.job.map(|j| {
                app.metrics.jobs_leased.inc();
                LeasedJob {
                    job_id: j.job_id,
                    execution_id: j.execution_id,
                    action: j.action,
                    lease_expires_at: until,
                    lease_seconds,
                    request_id: j.request_id,
                }
            });
        }
        if job.is_some() || !cancel_jobs.is_empty() {
            return Ok(LeaseResponse {
                job,
                cancel_jobs,
                heartbeat: None,
            });
        }
        // While wake-ups between replicas may be lost, look at the store now and then anyway.
        let until = match app.bus.recheck_every() {
            Some(every) => deadline.min(tokio::time::Instant::now() + every),
            None => deadline,
        };
        if tokio::time::timeout_at(until, waiter.notified())
            .await
            .is_err()
            && tokio::time::Instant::now() >= deadline
        {
            return Ok(LeaseResponse {
                job: None,
                cancel_jobs: Vec::new(),
                heartbeat: None,
            });
        }
    }
}

/// Stores output; the new lines also go to the execution's JSON-lines log file.
pub async fn output(
    app: &App,
    server: &AgentIdentity,
    job_id: &str,
    batch: OutputBatch,
) -> Result<()> {
    if batch.chunks.len() > 10_000 {
        return Err(Error::invalid("chunks: at most 10000 per batch"));
    }
    let Some(Appended {
        execution_id,
        fresh,
        job_changed,
    }) = app
        .store
        .append_output(
            &server.tenant_id,
            &server.server_id,
            job_id,
            &batch.chunks,
            Utc::now(),
        )
        .await?
    else {
        return Err(impersonation(app, server, job_id, "output").await);
    };
    tracing::debug!(job_id, request_id = ?batch.request_id, lines = fresh.len(), "output stored");
    if !fresh.is_empty() {
        // Watchers first: the store holds the lines already, and the log file (for export)
        // need not stand between an agent's output and the people watching it.
        let lines = Arc::new(fresh);
        app.bus.publish(Event::Output {
            tenant_id: server.tenant_id.clone(),
            execution_id: execution_id.clone(),
            lines: lines.clone(),
        });
        crate::logs::append(&app.config.server.data_dir, &execution_id, &lines).await;
    }
    // Only a status change makes watchers re-read the execution (and the notifier look at
    // its outbox); a chatty job's further batches are output and nothing else.
    if job_changed {
        app.bus.publish(Event::Execution {
            tenant_id: server.tenant_id.clone(),
            execution_id,
        });
    }
    Ok(())
}

/// Stores a result; a repeated delivery of the same job's result is acknowledged, not stored
/// twice. A result from a job whose server lock expired or changed hands is refused (409).
pub async fn result(
    app: &App,
    server: &AgentIdentity,
    job_id: &str,
    result: JobResult,
) -> Result<bool> {
    let outcome = app
        .store
        .finish_job(
            &server.tenant_id,
            &server.server_id,
            job_id,
            &result,
            Utc::now(),
        )
        .await?;
    let (execution_id, wake, server_changed) = match outcome {
        FinishOutcome::NotFound => {
            return Err(impersonation(app, server, job_id, "result").await);
        }
        FinishOutcome::AlreadyFinal { .. } => return Ok(false),
        FinishOutcome::Fenced { execution_id } => {
            app.bus.publish(Event::Execution {
                tenant_id: server.tenant_id.clone(),
                execution_id: execution_id.clone(),
            });
            // Its `result_fenced` audit entry was written with the job's failure.
            return Err(Error::Conflict(format!(
                "job {job_id}: its server lock expired or changed hands before this result; the result was refused"
            )));
        }
        FinishOutcome::Retrying {
            execution_id,
            wake,
            server_changed,
        } => (execution_id, wake, server_changed),
        FinishOutcome::Stored {
            execution_id,
            wake,
            server_changed,
        } => {
            app.metrics
                .results
                .with_label_values(&[outcome_label(&result)])
                .inc();
            app.metrics
                .job_duration
                .with_label_values(&[outcome_label(&result)])
                .observe(result.execution_time.max(0.0));
            tracing::info!(
                job_id,
                %execution_id,
                server_id = %server.server_id,
                request_id = result.request_id.as_deref().unwrap_or(""),
                outcome = outcome_label(&result),
                "job result stored"
            );
            (execution_id, wake, server_changed)
        }
    };
    for s in &wake {
        app.bus.wake(&server.tenant_id, s);
    }
    // Idle now (the store wrote it with the result), rather than at its next heartbeat.
    if server_changed {
        publish_server(app, &server.tenant_id, &server.server_id);
    }
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
