//! Heartbeats: facts, metrics and the running jobs (whose leases the hub extends), every
//! `heartbeat_interval`, or the hub's interval when that is shorter.
//!
//! A heartbeat rides on the lease long-poll when the hub takes it there
//! (`POST /agent/v1/lease?heartbeat=true` with the heartbeat as the body): an idle agent then
//! sends one request per interval instead of two. Most of what an idle agent costs the hub is
//! per request (TLS, HTTP/2 and authentication; `docs/performance.md`).
//!
//! One [`Schedule`] serves two senders, so a heartbeat goes out once per interval whichever
//! sends it:
//! - the lease loop takes the heartbeat when it opens a poll and one is due
//!   ([`Heartbeats::for_lease`]), and ends its polls when the next one comes due
//!   ([`Schedule::lease_wait`]);
//! - [`heartbeat_loop`] sends one on its own only when no poll has taken it [`ON_LEASE_GRACE`]
//!   after it was due. That covers the first heartbeat at start-up, every heartbeat while the
//!   lease loop is not polling (backing off, or an older hub's way of polling only with a free
//!   slot), and a hub that refuses the heartbeat on the poll or answers without it. Such a hub
//!   is not asked that way again for [`OFF_LEASE_FOR`].
//!
//! A heartbeat whose poll failed, was abandoned or came back without its answer is given back
//! to the schedule ([`Schedule::not_carried`]) and sent again at once. Sending one twice is
//! harmless; missing one is not.

use crate::backoff::Backoff;
use crate::config::AgentConfig;
use crate::daemon::Shared;
use crate::identity;
use crate::metrics::{self, SharedMetrics};
use greenroom_proto::{HeartbeatRequest, HeartbeatResponse, PROTOCOL_VERSION};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};

/// How long after a heartbeat came due the heartbeat loop leaves it to the lease loop.
pub const ON_LEASE_GRACE: Duration = Duration::from_secs(3);
/// How long heartbeats stay off the lease poll after the hub refused or ignored one there.
pub const OFF_LEASE_FOR: Duration = Duration::from_secs(300);
/// A poll takes the heartbeat when it is due this soon (the poll before it ended when it
/// came due, so the next one opens a moment after).
const DUE_SOON: Duration = Duration::from_secs(1);
/// The shortest poll the schedule asks for.
const MIN_POLL: Duration = Duration::from_secs(1);

/// When the next heartbeat is due, and whether it may ride on the lease poll.
#[derive(Debug)]
pub struct Schedule {
    configured: Duration,
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug)]
struct State {
    /// When the last heartbeat went out (its answer may still be on the way).
    last: Option<Instant>,
    interval: Duration,
    /// Until then, heartbeats do not ride on the poll.
    off_lease_until: Option<Instant>,
}

impl State {
    fn on_lease(&self, now: Instant) -> bool {
        self.off_lease_until.is_none_or(|t| now >= t)
    }

    fn due(&self) -> Option<Instant> {
        self.last.map(|l| l + self.interval)
    }
}

/// A heartbeat taken from the schedule: `at` is when it went out.
#[derive(Debug, Clone, Copy)]
pub struct Taken {
    pub at: Instant,
    before: Option<Instant>,
}

impl Schedule {
    /// A schedule at `interval`, with the first heartbeat due now.
    pub fn new(interval: Duration) -> Self {
        Self {
            configured: interval,
            state: Mutex::new(State {
                last: None,
                interval,
                off_lease_until: None,
            }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The interval heartbeats go out at now.
    pub fn interval(&self) -> Duration {
        self.state().interval
    }

    /// For a poll about to open: the heartbeat, when one is due and may ride on the poll.
    /// The first heartbeat never does: it goes on its own, so the agent learns at once that
    /// the hub answers.
    pub fn take_for_lease(&self) -> Option<Taken> {
        let now = Instant::now();
        let mut s = self.state();
        let due = s.due()?;
        if !s.on_lease(now) || due > now + DUE_SOON {
            return None;
        }
        Some(take(&mut s, now))
    }

    /// How long the next poll waits, at most `max`: until the next heartbeat is due, so that
    /// the poll after it carries it.
    pub fn lease_wait(&self, max: Duration) -> Duration {
        let now = Instant::now();
        let s = self.state();
        match s.due() {
            Some(due) if s.on_lease(now) => due.saturating_duration_since(now).clamp(MIN_POLL, max),
            _ => max,
        }
    }

    /// How long until the heartbeat loop sends one on its own (zero: now).
    pub fn standalone_in(&self) -> Duration {
        let now = Instant::now();
        let s = self.state();
        match s.due() {
            None => Duration::ZERO,
            Some(due) if s.on_lease(now) => (due + ON_LEASE_GRACE).saturating_duration_since(now),
            Some(due) => due.saturating_duration_since(now),
        }
    }

    /// For the heartbeat loop: the heartbeat, if it is its to send now.
    pub fn take_standalone(&self) -> Option<Taken> {
        if !self.standalone_in().is_zero() {
            return None;
        }
        Some(take(&mut self.state(), Instant::now()))
    }

    /// The hub answered a heartbeat and expects the next within `hub_secs` (0: no opinion).
    pub fn answered(&self, hub_secs: u64) {
        let interval = next_heartbeat(self.configured, hub_secs);
        let mut s = self.state();
        if s.interval != interval {
            s.interval = interval;
            self.changed.notify_one();
        }
    }

    /// A heartbeat that may not have reached the hub: due again at once, unless another went
    /// out since. `refused`: the hub does not take heartbeats on the poll; send them on their
    /// own for [`OFF_LEASE_FOR`].
    pub fn not_carried(&self, t: Taken, refused: bool) {
        let mut s = self.state();
        if s.last == Some(t.at) {
            s.last = t.before;
        }
        if refused {
            s.off_lease_until = Some(Instant::now() + OFF_LEASE_FOR);
        }
        self.changed.notify_one();
    }

    /// Heartbeats go on their own for [`OFF_LEASE_FOR`] (the lease loop speaks the older
    /// protocol, which knows no heartbeat on the poll).
    pub fn off_lease(&self) {
        self.state().off_lease_until = Some(Instant::now() + OFF_LEASE_FOR);
        self.changed.notify_one();
    }

    /// Moves the next heartbeat `by` later (a load generator spreads its identities'
    /// heartbeats over the interval, as a fleet started at different times has them).
    pub fn skew(&self, by: Duration) {
        let mut s = self.state();
        s.last = s.last.map(|l| l + by);
        self.changed.notify_one();
    }

    /// Waits until a heartbeat is the heartbeat loop's to send, and takes it.
    pub async fn standalone(&self) -> Taken {
        loop {
            let wait = self.standalone_in();
            if !wait.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = self.changed.notified() => {}
                }
                continue;
            }
            if let Some(t) = self.take_standalone() {
                return t;
            }
        }
    }
}

fn take(s: &mut State, now: Instant) -> Taken {
    let t = Taken {
        at: now,
        before: s.last,
    };
    s.last = Some(now);
    t
}

/// When to heartbeat next: at the configured interval, or sooner when the hub expects
/// heartbeats more often (its leases and its silence threshold are built on its own
/// `execution.heartbeat_interval`; a slower agent would lose its leases). A hub that sends
/// 0 (none) leaves the configured interval.
fn next_heartbeat(configured: Duration, hub_secs: u64) -> Duration {
    if hub_secs == 0 {
        configured
    } else {
        configured.min(Duration::from_secs(hub_secs))
    }
}

/// The agent's heartbeats: what goes in one, what is done with the answer, and the schedule.
pub struct Heartbeats {
    pub schedule: Schedule,
    cfg: AgentConfig,
    metrics: SharedMetrics,
    connected: AtomicBool,
}

impl Heartbeats {
    pub fn new(cfg: AgentConfig, metrics: SharedMetrics) -> Self {
        Self {
            schedule: Schedule::new(Duration::from_secs(cfg.monitoring.heartbeat_interval)),
            cfg,
            metrics,
            connected: AtomicBool::new(false),
        }
    }

    /// A heartbeat as of now.
    pub fn request(&self, shared: &Shared) -> HeartbeatRequest {
        HeartbeatRequest {
            protocol_version: PROTOCOL_VERSION,
            facts: metrics::facts(&self.cfg),
            metrics: self.metrics.get(),
            running_jobs: shared.running.ids(),
            trust_bundle_sha256: identity::saved_bundle_sha256(&self.cfg.agent.state_dir),
        }
    }

    /// The heartbeat for a poll about to open, when one is due.
    pub fn for_lease(&self, shared: &Shared) -> Option<(Taken, HeartbeatRequest)> {
        self.schedule
            .take_for_lease()
            .map(|t| (t, self.request(shared)))
    }

    /// Acts on the hub's answer to `req`, sent at `sent_at`: a newer trust bundle is fetched,
    /// `renew_now` reaches the renewal loop, named jobs are cancelled, and the hub's interval
    /// is taken.
    pub async fn answered(
        &self,
        shared: &Shared,
        req: &HeartbeatRequest,
        sent_at: Instant,
        resp: &HeartbeatResponse,
    ) {
        if let Some(hub) = resp.trust_bundle_sha256.as_deref()
            && req.trust_bundle_sha256.as_deref() != Some(hub)
        {
            match crate::trust::refresh(&shared.tls, &shared.client, &self.cfg, hub).await {
                Ok(n) => {
                    tracing::info!(cas = n, trust_bundle_sha256 = %hub, "trust bundle updated")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot update the trust bundle; trying again at the next heartbeat")
                }
            }
        }
        if resp.renew_now {
            shared.renew_request.send_replace(Some(sent_at));
        }
        if !self.connected.swap(true, Ordering::Relaxed) {
            tracing::info!(server_time = %resp.server_time, "connected to hub");
        }
        shared.stats.connected(true);
        crate::lease::cancel_jobs(shared, &resp.cancel_jobs, "heartbeat");
        self.schedule.answered(resp.heartbeat_interval);
    }

    /// The hub could not be reached; the next answer logs "connected" again.
    pub fn lost(&self) -> bool {
        self.connected.swap(false, Ordering::Relaxed)
    }
}

/// Sends the heartbeats no lease poll took (see the module header), until `stop`.
pub async fn heartbeat_loop(shared: std::sync::Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let hb = &shared.heartbeats;
    let mut backoff = Backoff::hub();
    loop {
        let taken = tokio::select! {
            t = hb.schedule.standalone() => t,
            _ = stop.wait_for(|s| *s) => return,
        };
        let req = hb.request(&shared);
        match shared.client.heartbeat(&req).await {
            Ok(resp) => {
                backoff.reset();
                hb.answered(&shared, &req, taken.at, &resp).await;
            }
            Err(e) if e.is_identity_rejected() => {
                shared.report_fatal(&e);
                return;
            }
            Err(e) => {
                if hb.lost() {
                    tracing::warn!(error = %e, "lost the hub");
                } else {
                    tracing::warn!(error = %e, "heartbeat failed");
                }
                hb.schedule.not_carried(taken, false);
                let delay = backoff.next_delay().min(hb.schedule.interval());
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hub_can_ask_for_heartbeats_sooner_but_not_later() {
        let configured = Duration::from_secs(30);
        assert_eq!(next_heartbeat(configured, 5), Duration::from_secs(5));
        assert_eq!(next_heartbeat(configured, 60), configured);
        assert_eq!(next_heartbeat(configured, 0), configured);
    }

    #[test]
    fn the_first_heartbeat_goes_on_its_own_and_the_next_rides_on_the_poll_that_opens_when_it_is_due()
     {
        let s = Schedule::new(Duration::from_secs(30));
        assert!(s.take_for_lease().is_none(), "the first is not the poll's");
        assert_eq!(
            s.lease_wait(Duration::from_secs(30)),
            Duration::from_secs(30)
        );
        assert_eq!(s.standalone_in(), Duration::ZERO);
        let first = s.take_standalone().expect("the first heartbeat");
        assert!(s.take_standalone().is_none(), "sent once");
        // Not due for a poll opened now; the poll waits until it is.
        assert!(s.take_for_lease().is_none());
        let wait = s.lease_wait(Duration::from_secs(60));
        assert!(
            wait > Duration::from_secs(29) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(
            s.standalone_in() > Duration::from_secs(32),
            "grace for the poll"
        );
        // As though it went out 30 s ago: due, and the poll takes it.
        s.skew_back(first, Duration::from_secs(30));
        let t = s.take_for_lease().expect("due");
        assert!(s.take_for_lease().is_none() && s.take_standalone().is_none());
        // The poll failed: it is due again at once, for either sender.
        s.not_carried(t, false);
        assert!(s.take_for_lease().is_some());
    }

    #[test]
    fn a_hub_that_refuses_the_heartbeat_on_the_poll_gets_it_on_its_own() {
        let s = Schedule::new(Duration::from_secs(30));
        let first = s.take_standalone().expect("first");
        s.skew_back(first, Duration::from_secs(30));
        let t = s.take_for_lease().expect("due");
        s.not_carried(t, true);
        assert!(s.take_for_lease().is_none(), "off the poll");
        assert_eq!(
            s.lease_wait(Duration::from_secs(30)),
            Duration::from_secs(30)
        );
        assert_eq!(
            s.standalone_in(),
            Duration::ZERO,
            "no grace once off the poll"
        );
        assert!(s.take_standalone().is_some());
    }

    #[test]
    fn a_heartbeat_given_back_after_another_went_out_changes_nothing() {
        let s = Schedule::new(Duration::from_secs(30));
        let first = s.take_standalone().expect("first");
        s.skew_back(first, Duration::from_secs(30));
        let old = s.take_for_lease().expect("due");
        s.skew_back(old, Duration::from_secs(30));
        let newer = s.take_for_lease().expect("due again");
        s.not_carried(old, false);
        assert!(s.take_for_lease().is_none(), "the newer one stands");
        s.not_carried(newer, false);
        assert!(s.take_for_lease().is_some());
    }

    #[test]
    fn the_hubs_shorter_interval_is_taken() {
        let s = Schedule::new(Duration::from_secs(30));
        s.take_standalone().expect("first");
        s.answered(5);
        assert_eq!(s.interval(), Duration::from_secs(5));
        assert!(s.lease_wait(Duration::from_secs(30)) <= Duration::from_secs(5));
    }

    impl Schedule {
        /// Test only: `t` (the last one sent) went out `by` earlier.
        fn skew_back(&self, t: Taken, by: Duration) {
            let mut s = self.state();
            assert_eq!(s.last, Some(t.at));
            s.last = Some(t.at - by);
        }
    }
}
