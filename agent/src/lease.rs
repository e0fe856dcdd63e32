//! The lease loop: ONE long-poll open at all times, `capacity` = free slots (0 when every
//! `max_concurrent_jobs` slot is busy). The hub answers a poll with a job (only when
//! capacity > 0), with jobs to cancel, or with nothing after the wait.
//!
//! A poll with capacity 0 is abandoned (and a new one, with capacity, opened) as soon as a
//! slot frees. A hub that does not know `capacity` (answers 4xx to it) is spoken to in the
//! older way — poll only while a slot is free, cancellations by heartbeat only — and asked
//! again every few minutes, so an upgraded hub is noticed without a restart.
//!
//! A poll opened when a heartbeat is due carries it, and a poll ends when the next one comes
//! due (`crate::heartbeat`), so an idle agent sends one request per interval; a hub that
//! refuses that (4xx) or answers without the heartbeat gets heartbeats on their own.

use crate::backoff::Backoff;
use crate::client::Lease;
use crate::daemon::Shared;
use crate::jobs;
use greenroom_proto::MAX_LEASE_WAIT_SECS;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};

/// How long a hub that refused `capacity` is spoken to the older way before it is asked again.
const LEGACY_RETRY: Duration = Duration::from_secs(300);

/// Cancels the named jobs if they run here.
pub fn cancel_jobs(shared: &Shared, ids: &[String], source: &str) {
    for job_id in ids {
        if shared.running.cancel(job_id) {
            tracing::info!(job_id = %job_id, source, "the hub asked to cancel this job");
        } else {
            tracing::debug!(job_id = %job_id, source, "cancel for a job not running here");
        }
    }
}

/// Leases jobs until `stop` turns true or the hub rejects this agent.
pub async fn lease_loop(
    shared: Arc<Shared>,
    slots: Arc<Semaphore>,
    max_jobs: usize,
    mut stop: watch::Receiver<bool>,
) {
    let max_wait = Duration::from_secs(MAX_LEASE_WAIT_SECS);
    let mut backoff = Backoff::hub();
    let mut legacy_since: Option<Instant> = None;
    loop {
        if legacy_since.is_some_and(|t| t.elapsed() > LEGACY_RETRY) {
            legacy_since = None;
        }
        let legacy = legacy_since.is_some();
        if legacy {
            // The older protocol: poll only with a free slot.
            tokio::select! {
                _ = shared.running.wait_below(max_jobs) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
        let free = max_jobs.saturating_sub(shared.running.len());
        let capacity = (!legacy).then_some(free);
        // The heartbeat rides on the poll when it is due, and the poll ends when the next
        // one is (`crate::heartbeat`); the older protocol knows neither.
        let beat = if legacy {
            None
        } else {
            shared.heartbeats.for_lease(&shared)
        };
        let wait = if legacy {
            max_wait
        } else {
            shared.heartbeats.schedule.lease_wait(max_wait)
        };
        let answer = tokio::select! {
            r = shared.client.lease(wait, capacity, beat.as_ref().map(|(_, req)| req)) => Some(r),
            // A slot freed while polling with capacity 0: poll again, with capacity.
            _ = shared.running.wait_below(max_jobs), if free == 0 && !legacy => None,
            _ = stop.wait_for(|s| *s) => return,
        };
        let Some(answer) = answer else {
            // Abandoned: whether the hub recorded the heartbeat is not known; send it again.
            if let Some((taken, _)) = beat {
                shared.heartbeats.schedule.not_carried(taken, false);
            }
            continue;
        };
        match answer {
            Ok(answer) => {
                backoff.reset();
                shared.stats.connected(true);
                if let Some((taken, req)) = &beat {
                    match &answer.heartbeat {
                        Some(resp) => {
                            shared
                                .heartbeats
                                .answered(&shared, req, taken.at, resp)
                                .await
                        }
                        None => {
                            tracing::warn!(
                                "the hub answered the lease poll without its heartbeat; sending heartbeats on their own"
                            );
                            shared.heartbeats.schedule.not_carried(*taken, true);
                        }
                    }
                }
                cancel_jobs(&shared, &answer.cancel_jobs, "lease");
                match answer.lease {
                    Lease::Nothing => {}
                    Lease::Job(job) => match shared.running.insert(&job.job_id) {
                        Some(cancel) => {
                            tokio::spawn(jobs::run_job(
                                shared.clone(),
                                *job,
                                cancel,
                                slots.clone(),
                            ));
                        }
                        None => {
                            tracing::warn!(job_id = %job.job_id, "job is already running here; ignoring the duplicate lease")
                        }
                    },
                    Lease::Unreadable { job_id, error } => {
                        jobs::refuse_unreadable(&shared, &job_id, &error);
                    }
                }
            }
            Err(e) if e.is_identity_rejected() => {
                shared.report_fatal(&e);
                return;
            }
            Err(e) if beat.is_some() && e.is_client_error() => {
                tracing::warn!(error = %e, "the hub does not take heartbeats on the lease poll; sending them on their own");
                if let Some((taken, _)) = beat {
                    shared.heartbeats.schedule.not_carried(taken, true);
                }
            }
            Err(e) if capacity.is_some() && e.is_client_error() => {
                tracing::warn!(error = %e, "the hub does not accept lease capacity; polling the older way (cancellations arrive by heartbeat only)");
                legacy_since = Some(Instant::now());
                shared.heartbeats.schedule.off_lease();
            }
            Err(e) => {
                shared.stats.connected(false);
                shared.heartbeats.lost();
                if let Some((taken, _)) = beat {
                    shared.heartbeats.schedule.not_carried(taken, false);
                }
                let delay = backoff.next_delay();
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "lease request failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        }
    }
}
