//! Delivering results from the outbox to the hub: one owner loop, woken when a job finishes,
//! retrying with backoff while the hub is unreachable, and a single pass used at start-up
//! (before leasing) and at shutdown.
//!
//! An entry leaves the outbox only on the hub's 2xx (it stored the result) or on a 404 /
//! 409 / 422 (it never will; logged as an error naming the job).

use crate::backoff::Backoff;
use crate::client::{HubClient, HubError};
use crate::daemon::Shared;
use crate::outbox::Outbox;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the loop looks at the outbox when nothing wakes it.
const IDLE_SCAN: Duration = Duration::from_secs(30);

/// Why a pass stopped before the outbox was empty.
#[derive(Debug)]
pub enum PassError {
    /// The hub could not be reached or failed; try again later.
    Retry { error: HubError, pending: usize },
    /// The hub rejected this agent's identity: stop the agent.
    Fatal(HubError),
}

/// Tries every pending result once, oldest first; returns how many were delivered.
pub async fn deliver_pending(client: &HubClient, outbox: &Outbox) -> Result<usize, PassError> {
    let pending = outbox.pending();
    let total = pending.len();
    let mut delivered = 0;
    for (i, (job_id, result)) in pending.into_iter().enumerate() {
        match client.result(&job_id, &result).await {
            Ok(ack) => {
                forget(outbox, &job_id);
                delivered += 1;
                tracing::info!(job_id = %job_id, status = crate::jobs::outcome_name(result.status), stored = ack.stored, "result delivered");
            }
            Err(e) if e.is_identity_rejected() => return Err(PassError::Fatal(e)),
            Err(e) if e.is_permanent_rejection() => {
                tracing::error!(job_id = %job_id, error = %e, "the hub will never accept this result; dropping it");
                forget(outbox, &job_id);
            }
            Err(error) => {
                return Err(PassError::Retry {
                    error,
                    pending: total - i,
                });
            }
        }
    }
    Ok(delivered)
}

fn forget(outbox: &Outbox, job_id: &str) {
    if let Err(e) = outbox.remove(job_id) {
        tracing::warn!(job_id, error = %e, "cannot remove a delivered result from the outbox; it will be sent again");
    }
}

/// Keeps delivering until `stop` turns true or the hub rejects the agent.
pub async fn delivery_loop(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut backoff = Backoff::hub();
    loop {
        let wait = match deliver_pending(&shared.client, &shared.outbox).await {
            Ok(_) => {
                backoff.reset();
                None
            }
            Err(PassError::Fatal(e)) => {
                shared.report_fatal(&e);
                return;
            }
            Err(PassError::Retry { error, pending }) => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %error, pending, retry_in_ms = delay.as_millis() as u64, "could not deliver results; retrying");
                Some(delay)
            }
        };
        match wait {
            Some(delay) => tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = stop.wait_for(|s| *s) => return,
            },
            None => tokio::select! {
                _ = shared.wake_delivery.notified() => {}
                _ = tokio::time::sleep(IDLE_SCAN) => {}
                _ = stop.wait_for(|s| *s) => return,
            },
        }
    }
}
