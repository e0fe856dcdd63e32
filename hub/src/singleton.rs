//! Work that must run on one hub replica at a time — the sweeper (lapsed leases, silent
//! servers, expired locks) with the periodic audit check, the schedule tick, the notifier —
//! held through the store's fenced lease (`Store::hold_singleton`).
//!
//! Each piece of work has a [`Leadership`]: a task renews the lease every [`RENEW`] for
//! [`TTL`]; the work runs an iteration only while [`Leadership::held`] says so, which counts
//! the lease from *before* the renewal was asked and ends it [`MARGIN`] early, by this
//! process's own clock. So a holder that was paused (a stopped VM, a long GC-like stall)
//! finds its lease over when it wakes and does nothing until the store gives it back; by
//! then another replica holds it under a larger token. What the work writes is safe even in
//! the overlap the clocks allow: every transition is a store transaction that re-checks its
//! condition, a schedule occurrence is claimed once, and a notification is sent only by the
//! sender that claimed it (`Store::claim_deliveries`).
//!
//! A replica that stops cleanly gives its leases up so another takes over at once; one that
//! dies is replaced within `TTL + RENEW`. A single hub (no Redis) holds everything itself
//! without asking the store ([`Leadership::always`]).

use crate::app::App;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a lease lasts without renewal.
pub const TTL: Duration = Duration::from_secs(10);
/// How often the holder renews (and a waiting replica asks).
pub const RENEW: Duration = Duration::from_secs(3);
/// How much earlier than the lease's end the holder stops acting.
pub const MARGIN: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
struct Held {
    token: u64,
    until: Instant,
}

/// Whether this replica may run one piece of singleton work now.
#[derive(Clone)]
pub struct Leadership {
    name: &'static str,
    held: Arc<Mutex<Option<Held>>>,
    always: bool,
}

impl Leadership {
    /// Held for good: one hub, nobody to share with.
    pub fn always(name: &'static str) -> Self {
        Self {
            name,
            held: Arc::default(),
            always: true,
        }
    }

    /// The fencing token while this replica holds the work (`Some(0)` for a single hub).
    pub fn held(&self) -> Option<u64> {
        if self.always {
            return Some(0);
        }
        let held = *self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.filter(|h| Instant::now() < h.until).map(|h| h.token)
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Takes part in the election for `name` until `cancel`: renews while holding, asks while
    /// not, and gives the lease up on the way out.
    pub fn elect(
        app: &App,
        name: &'static str,
        tracker: &TaskTracker,
        cancel: CancellationToken,
    ) -> Self {
        let me = Self {
            name,
            held: Arc::default(),
            always: false,
        };
        tracker.spawn(campaign(app.clone(), me.clone(), cancel));
        me
    }

    fn set(&self, h: Option<Held>) {
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = h;
    }
}

async fn campaign(app: App, me: Leadership, cancel: CancellationToken) {
    let ttl = chrono::Duration::from_std(TTL).unwrap_or_else(|_| chrono::Duration::seconds(10));
    let gauge = app.metrics.singleton_held.with_label_values(&[me.name]);
    let mut last_token = None;
    let mut tick = tokio::time::interval(RENEW);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = cancel.cancelled() => break,
        }
        let asked = Instant::now();
        match app
            .store
            .hold_singleton(me.name, &app.replica, ttl, chrono::Utc::now())
            .await
        {
            Ok(Some(lease)) => {
                if last_token != Some(lease.token) {
                    tracing::info!(singleton = me.name, replica = %app.replica, token = lease.token, "this replica now runs {}", me.name);
                    app.metrics
                        .singleton_takeovers
                        .with_label_values(&[me.name])
                        .inc();
                    last_token = Some(lease.token);
                }
                me.set(Some(Held {
                    token: lease.token,
                    until: asked + TTL.saturating_sub(MARGIN),
                }));
                gauge.set(1);
            }
            Ok(None) => {
                if last_token.take().is_some() {
                    tracing::warn!(singleton = me.name, replica = %app.replica, "another replica runs {} now", me.name);
                }
                me.set(None);
                gauge.set(0);
            }
            // The lease runs out on its own (`held` checks the time); the next tick asks again.
            Err(e) => {
                tracing::warn!(singleton = me.name, error = %e, "cannot renew the {} lease", me.name)
            }
        }
    }
    if me.held().is_some() {
        me.set(None);
        gauge.set(0);
        if let Err(e) = app.store.release_singleton(me.name, &app.replica).await {
            tracing::warn!(singleton = me.name, error = %e, "could not give the lease up; another replica takes over when it expires");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn two_replicas_never_hold_at_once_and_one_takes_over_when_the_other_stops() {
        let dir = tempfile::tempdir().unwrap();
        let a = App::for_tests(dir.path());
        // A second replica on the same store.
        let mut b = a.clone();
        b.replica = "other-replica".into();
        let tracker = TaskTracker::new();
        let (stop_a, stop_b) = (CancellationToken::new(), CancellationToken::new());
        let la = Leadership::elect(&a, "test", &tracker, stop_a.clone());
        let lb = Leadership::elect(&b, "test", &tracker, stop_b.clone());
        let deadline = Instant::now() + Duration::from_secs(10);
        while la.held().is_none() && lb.held().is_none() {
            assert!(Instant::now() < deadline, "nobody took the lease");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for _ in 0..20 {
            assert!(
                !(la.held().is_some() && lb.held().is_some()),
                "both replicas hold the lease"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (holder, stop_holder, other) = if la.held().is_some() {
            (&la, stop_a, &lb)
        } else {
            (&lb, stop_b, &la)
        };
        let first = holder.held().unwrap();
        // A clean stop gives the lease up: the other takes it at its next renewal, with a
        // larger fencing token.
        stop_holder.cancel();
        let deadline = Instant::now() + RENEW * 4;
        while other.held().is_none() {
            assert!(
                Instant::now() < deadline,
                "the other replica did not take over"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(other.held().unwrap() > first, "the token did not grow");
        assert!(holder.held().is_none());
    }
}
