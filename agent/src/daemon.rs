//! The daemon: start-up (state directory, health endpoint, enrollment, outbox resend), the
//! lease loop and the heartbeat, and an orderly stop on shutdown or when the hub rejects
//! the agent.
//!
//! Tasks and their one owner each: the lease loop (`lease`) starts job tasks (at most
//! `max_concurrent_jobs` run, one semaphore permit each) and cancels jobs the hub names;
//! the delivery loop alone empties the outbox while running; heartbeats (`heartbeat`: on the
//! lease poll when the hub takes them there, else on their own) renew leases and also honour
//! the hub's cancellations; the renewal loop renews the certificate and
//! swaps the shared client's identity. Any of them may report a fatal identity rejection,
//! which ends `run` with exit status 3.

use crate::client::{HubClient, HubError};
use crate::config::AgentConfig;
use crate::delivery::{self, PassError};
use crate::error::AgentError;
use crate::health::{self, HealthState};
use crate::heartbeat::{self, Heartbeats};
use crate::identity;
use crate::jobs::Running;
use crate::metrics;
use crate::outbox::Outbox;
use crate::runner::{self, Policy};
use crate::stats::Stats;
use greenroom_proto::{Action, JobResult};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, mpsc, watch};

/// How long cancelled jobs get to stop and store their results.
const CANCEL_WAIT: Duration = Duration::from_secs(15);
/// Time given to the last delivery attempt at shutdown.
const FINAL_DELIVERY: Duration = Duration::from_secs(5);
const METRICS_PERIOD: Duration = Duration::from_secs(5);
/// Time a renewal under way gets to finish at shutdown.
const RENEWAL_FINISH: Duration = Duration::from_secs(35);

/// What the agent's tasks share.
pub struct Shared {
    pub client: HubClient,
    pub outbox: Outbox,
    pub policy: Policy,
    pub running: Running,
    pub wake_delivery: Notify,
    pub stats: Arc<Stats>,
    /// The identity the client presents; serialises TLS rebuilds (renewal, trust bundle).
    pub tls: crate::trust::Tls,
    /// Set by a heartbeat whose answer said `renew_now` (to when that heartbeat was sent);
    /// the renewal loop renews unless it already did since.
    pub renew_request: watch::Sender<Option<Instant>>,
    /// When heartbeats are due; the lease loop carries them on its polls when it can.
    pub heartbeats: Heartbeats,
    fatal: mpsc::UnboundedSender<AgentError>,
}

impl Shared {
    /// Counts a finished job.
    pub fn job_finished(&self, _action: &Action, result: &JobResult) {
        self.stats.record(result);
    }

    /// Reports that the hub rejected this agent's identity; `run` then stops with status 3.
    pub fn report_fatal(&self, e: &HubError) {
        if let HubError::Status { code, message, .. } = e {
            let _ = self.fatal.send(AgentError::IdentityRejected {
                code: code.clone(),
                message: message.clone(),
            });
        }
    }
}

/// Runs the agent until `shutdown` resolves (then stops cleanly and returns `Ok`) or a
/// fatal error occurs.
pub async fn run(
    cfg: AgentConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), AgentError> {
    let mut shutdown = std::pin::pin!(shutdown);
    let started = Instant::now();
    let state_dir = cfg.agent.state_dir.clone();
    let policy = Policy::from_config(&cfg).map_err(AgentError::Config)?;
    identity::prepare_state_dir(&state_dir)?;
    runner::prepare_working_dir(&cfg.execution.temp_directory);
    let metrics = metrics::spawn_sampler(
        &state_dir,
        cfg.monitoring.metrics_collection,
        METRICS_PERIOD,
    );
    let running = Running::default();
    let stats = Arc::new(Stats::default());
    let enrolled = Arc::new(AtomicBool::new(identity::is_enrolled(&state_dir)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let _stop_on_return = StopOnDrop(stop_tx.clone());

    let health_state = HealthState {
        started,
        server_id: cfg.agent.server_id.clone(),
        enrolled: enrolled.clone(),
        running: running.clone(),
        metrics: metrics.clone(),
        stats: stats.clone(),
        state_dir: state_dir.to_path_buf(),
    };
    start_health(&cfg, health_state, stop_rx.clone()).await?;
    tracing::info!(
        server_id = %cfg.agent.server_id,
        backend_urls = ?cfg.backend_urls(),
        version = env!("CARGO_PKG_VERSION"),
        "agent starting"
    );

    let identity = match identity::load(&state_dir)? {
        Some(id) => id,
        None => tokio::select! {
            r = identity::enroll(&cfg) => r?,
            _ = &mut shutdown => {
                tracing::info!("shutdown requested before enrollment completed");
                return Ok(());
            }
        },
    };
    enrolled.store(true, Ordering::Relaxed);

    let tls = greenroom_pki::agent_client_config(
        &identity::trust_pem(&cfg)?,
        Some((&identity.cert_pem, &identity.key_pem)),
    )?;
    let client =
        HubClient::new(&cfg.backend_urls(), tls).map_err(|e| AgentError::Startup(e.to_string()))?;
    let outbox_dir = state_dir.join("outbox");
    let outbox = Outbox::open(&outbox_dir).map_err(|e| {
        AgentError::State(format!(
            "{}: cannot open the outbox: {e}",
            outbox_dir.display()
        ))
    })?;
    let (fatal_tx, mut fatal_rx) = mpsc::unbounded_channel();
    let slots = Arc::new(Semaphore::new(cfg.execution.max_concurrent_jobs as usize));
    let shared = Arc::new(Shared {
        client,
        outbox,
        policy,
        running: running.clone(),
        wake_delivery: Notify::new(),
        stats,
        tls: crate::trust::Tls::new(identity.clone()),
        renew_request: watch::Sender::new(None),
        heartbeats: Heartbeats::new(cfg.clone(), metrics.clone()),
        fatal: fatal_tx,
    });

    // Results left by an earlier run go first, before any new job is leased.
    match delivery::deliver_pending(&shared.client, &shared.outbox).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(delivered = n, "resent results left in the outbox"),
        Err(PassError::Fatal(e)) => return Err(identity_error(e)),
        Err(PassError::Retry { error, pending }) => {
            tracing::warn!(error = %error, pending, "cannot deliver the outbox yet; will keep trying")
        }
    }

    let heartbeat = tokio::spawn(heartbeat::heartbeat_loop(shared.clone(), stop_rx.clone()));
    let delivery = tokio::spawn(delivery::delivery_loop(shared.clone(), stop_rx.clone()));
    let renewal = tokio::spawn(crate::renewal::renewal_loop(
        shared.clone(),
        cfg.clone(),
        identity.cert_pem.clone(),
        stop_rx.clone(),
    ));
    let lease = tokio::spawn(crate::lease::lease_loop(
        shared.clone(),
        slots,
        cfg.execution.max_concurrent_jobs as usize,
        stop_rx.clone(),
    ));

    let fatal = tokio::select! {
        _ = &mut shutdown => None,
        e = fatal_rx.recv() => e,
    };
    let _ = stop_tx.send(true);
    let _ = lease.await;

    if let Some(e) = fatal {
        if !running.is_empty() {
            tracing::warn!(running_jobs = ?running.ids(), "the hub rejected this agent; cancelling running jobs");
        }
        running.cancel_all();
        running.wait_empty(CANCEL_WAIT).await;
        heartbeat.abort();
        delivery.abort();
        renewal.abort();
        return Err(e);
    }

    if !running.is_empty() {
        tracing::info!(
            running_jobs = running.len(),
            "shutting down: waiting for running jobs"
        );
    }
    let grace = Duration::from_secs(cfg.execution.shutdown_grace_seconds);
    if !running.wait_empty(grace).await {
        tracing::warn!(running_jobs = ?running.ids(), grace_seconds = grace.as_secs(), "jobs still running after the grace period; cancelling them");
        running.cancel_all();
        running.wait_empty(CANCEL_WAIT).await;
    }
    heartbeat.abort();
    delivery.abort();
    // A renewal under way is let finish (bounded): cut off between the hub's answer and
    // saving it, the agent would lose the only certificate the hub still accepts.
    if tokio::time::timeout(RENEWAL_FINISH, renewal).await.is_err() {
        tracing::warn!("a certificate renewal did not finish before shutdown");
    }
    match tokio::time::timeout(
        FINAL_DELIVERY,
        delivery::deliver_pending(&shared.client, &shared.outbox),
    )
    .await
    {
        Ok(Err(PassError::Retry { error, pending })) => {
            tracing::warn!(error = %error, pending, "results stay in the outbox for the next start")
        }
        Err(_) => tracing::warn!(
            pending = shared.outbox.pending().len(),
            "results stay in the outbox for the next start"
        ),
        _ => {}
    }
    tracing::info!("agent stopped");
    Ok(())
}

fn identity_error(e: HubError) -> AgentError {
    match e {
        HubError::Status { code, message, .. } => AgentError::IdentityRejected { code, message },
        other => AgentError::Startup(other.to_string()),
    }
}

/// Sets the stop switch when `run` returns by any path, so no task outlives it.
struct StopOnDrop(watch::Sender<bool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.send_replace(true);
    }
}

async fn start_health(
    cfg: &AgentConfig,
    state: HealthState,
    mut stop: watch::Receiver<bool>,
) -> Result<(), AgentError> {
    let addr = std::net::SocketAddr::new(
        cfg.monitoring.health_check_bind,
        cfg.monitoring.health_check_port,
    );
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        AgentError::Startup(format!(
            "cannot listen on {addr} (monitoring.health_check_port): {e}"
        ))
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| AgentError::Startup(e.to_string()))?;
    tracing::info!(health_addr = %bound, "health endpoint listening");
    tokio::spawn(async move {
        let serve =
            axum::serve(listener, health::router(state)).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "health endpoint failed");
        }
    });
    Ok(())
}
