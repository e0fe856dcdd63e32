//! The hub's periodic sweep: lapsed leases, expired locks, silent servers, jobs no agent
//! took in time, due retries, and the per-agent circuit breaker.

use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::bus::Event;
use crate::error::Result;
use crate::store::UndeliveredJobs;
use chrono::{Duration, Utc};
use serde_json::json;

/// After this many jobs in a row lost by an agent (leased, never reported), its circuit opens.
pub const CIRCUIT_THRESHOLD: u32 = 3;
/// How long an open circuit keeps work away from the agent.
pub const CIRCUIT_COOL_DOWN_SECS: i64 = 300;

/// Counts a lost job against its server's circuit; opens it at the threshold.
async fn trip_circuit(app: &App, tenant: &str, server_id: &str) -> Result<()> {
    let now = Utc::now();
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = opened.clone();
    let Some(s) = app
        .store
        .modify_server(
            tenant,
            server_id,
            std::sync::Arc::new(move |s: &mut crate::model::Server| {
                // The change may run again (a retried transaction): decide afresh each time.
                flag.store(false, std::sync::atomic::Ordering::Relaxed);
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

/// Ends pending jobs no agent will take (`which`) as unreachable, so their executions end;
/// returns how many.
pub async fn end_undelivered(app: &App, which: &UndeliveredJobs) -> Result<usize> {
    let ended = app.store.settle_undelivered(which, Utc::now()).await?;
    for job in &ended {
        tracing::warn!(execution_id = %job.execution_id, server_id = %job.server_id, "a job was never delivered to its server's agent; recorded unreachable");
        app.bus.publish(Event::Execution {
            tenant_id: job.tenant_id.clone(),
            execution_id: job.execution_id.clone(),
        });
    }
    Ok(ended.len())
}

/// One sweep: lapsed leases settle, expired locks end, jobs past their delivery timeout end
/// unreachable, silent servers become unreachable, servers with due jobs (retries, freed
/// locks) are woken.
pub async fn sweep(app: &App) -> Result<()> {
    let now = Utc::now();
    for lapsed in app.store.expire_leases(now).await? {
        app.metrics.lease_expiries.inc();
        tracing::warn!(execution_id = %lapsed.execution_id, server_id = %lapsed.server_id, requeued = lapsed.requeued, "a job lease lapsed");
        trip_circuit(app, &lapsed.tenant_id, &lapsed.server_id).await?;
        app.bus.publish(Event::Execution {
            tenant_id: lapsed.tenant_id,
            execution_id: lapsed.execution_id,
        });
    }
    for lock in app.store.expire_locks(now).await? {
        app.metrics
            .lock_events
            .with_label_values(&["expired"])
            .inc();
        // Its `lock_expired` audit entry was written with the lock's new state.
        app.bus.wake(&lock.tenant_id, &lock.server_id);
    }
    let timeout_secs = app.config.execution.delivery_timeout_seconds;
    if timeout_secs > 0 {
        let due_before = now - Duration::seconds(timeout_secs as i64);
        end_undelivered(
            app,
            &UndeliveredJobs::TimedOut {
                due_before,
                timeout_secs,
            },
        )
        .await?;
    }
    let cutoff = now - Duration::seconds(app.config.execution.offline_after_seconds as i64);
    let silent = app.store.mark_unreachable(cutoff, now).await?;
    if !silent.is_empty() {
        // Each was stored with its `server_unreachable` event: for the notifier.
        app.bus.publish(Event::Outbox);
    }
    for s in silent {
        tracing::warn!(server_id = %s.server_id, tenant = %s.tenant_id, "server stopped sending heartbeats; marked unreachable");
        app.bus.publish(Event::Server {
            tenant_id: s.tenant_id,
            server_id: s.server_id,
        });
    }
    for s in app.store.servers_with_due_jobs(now).await? {
        app.bus.wake(&s.tenant_id, &s.server_id);
    }
    app.limiter.prune();
    Ok(())
}
