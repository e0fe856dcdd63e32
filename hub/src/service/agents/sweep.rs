//! The hub's periodic sweep: lapsed leases (each counted against its agent's circuit breaker
//! by the store, `lifecycle::servers::on_job_lost`), expired locks, silent servers, jobs no
//! agent took in time, due retries.

use crate::app::App;
use crate::bus::Event;
use crate::error::Result;
use crate::store::UndeliveredJobs;
use chrono::{Duration, Utc};

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
        // The lost job was counted against the agent's circuit in the same write; an opening
        // was audited there too.
        if let Some(c) = &lapsed.circuit_opened {
            tracing::warn!(
                server_id = %lapsed.server_id,
                failures = c.consecutive_failures,
                until = ?c.open_until,
                "circuit opened: no work is offered to this agent until the cool-down ends"
            );
            super::publish_server(app, &lapsed.tenant_id, &lapsed.server_id);
        }
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
