//! Greenroom agent: the daemon on each target server. It enrolls once with the hub
//! (one-time token + CSR → certificate), then pulls leased jobs over mTLS, runs them under
//! the local policy, streams their output, and reports results through a durable outbox.
//!
//! Code map:
//! - [`config`]: `agent_config.yaml`, parsed and validated.
//! - [`identity`]: key, certificate and enrollment ([`enroll`]: the `enroll` command that
//!   makes a fresh server an agent: CA by fingerprint, config, identity, ownership); [`renewal`]: renewing the certificate
//!   before it expires (or when the hub asks, after a CA rotation) and switching to it
//!   without a restart; [`trust`]: the hub's trust bundle (CA rotation).
//! - [`client`]: the hub's agent API; [`backoff`]: retry delays.
//! - [`daemon`]: start-up, lease loop, heartbeat, shutdown — [`run`] is the whole daemon;
//!   [`heartbeat`]: when heartbeats are due, on the lease poll or on their own.
//! - [`jobs`]: one job from lease to outbox, with live output; [`delivery`]: outbox → hub.
//! - [`runner`]: executes actions (process groups, timeouts, limits, output cap).
//! - [`outbox`]: results on disk until the hub acknowledges them.
//! - [`lease`]: the one long-poll kept open (capacity, cancellations).
//! - [`health`]: the local API (`/health`, `/metrics`, `/openapi.json`, `/docs`);
//!   [`metrics`]: facts and system metrics; [`stats`]: the agent's own counters.
//! - [`logging`]: JSON log lines to stderr or a size-rotated file.
//!
//! Invariants: a result is on disk before it is sent and leaves the disk only on the hub's
//! answer; a job's processes never outlive its timeout or cancellation; nothing a job does
//! can take the agent down.

pub mod backoff;
pub mod client;
pub mod config;
pub mod daemon;
pub mod delivery;
pub mod enroll;
pub mod error;
pub mod health;
pub mod heartbeat;
pub mod identity;
pub mod jobs;
pub mod lease;
pub mod logging;
pub mod metrics;
pub mod outbox;
pub mod renewal;
pub mod runner;
pub mod stats;
pub mod trust;

pub use config::AgentConfig;
pub use daemon::run;
pub use error::AgentError;

/// Resolves on SIGTERM or SIGINT.
pub async fn os_shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch for SIGTERM; only SIGINT stops the agent");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    tracing::info!("shutdown requested");
}
