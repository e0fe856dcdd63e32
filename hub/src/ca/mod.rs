//! The hub's certificate authorities at run time: the signer, the trust bundle and the agent
//! listener's TLS configuration, built from the pki dir and rebuilt when it changes.
//!
//! The CA's files are kept in the store, shared by every hub of it ([`shared`]); the pki dir
//! is this hub's copy. `greenroom-hub ca rotate ...` ([`rotate`]) changes them, with hubs
//! running or not. A running hub brings a newer version from the store into its pki dir and
//! re-reads the CA files every [`RELOAD_PERIOD`]; when they changed it
//! loads the new set, issues its agent-listener certificate from the (new) active CA and
//! swaps the TLS configuration: new connections get the new certificate and accept client
//! certificates from every CA of the new bundle; connections already open keep theirs. A
//! pki dir that does not load (a corrupt file, a step half done) is logged and the previous
//! set kept, so a mistake on disk never takes the agent listener down.

pub mod rotate;
pub mod shared;

use greenroom_pki::{
    CA_CERT_FILE, CA_KEY_FILE, CaSet, NEXT_CERT_FILE, NEXT_KEY_FILE, RETIRING_CERT_FILE,
};
use rustls::ServerConfig;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::watch;

/// How often a running hub looks at the pki dir.
pub const RELOAD_PERIOD: Duration = Duration::from_secs(2);

/// The CA files' contents as last seen (missing: None).
type Snapshot = Vec<Option<Vec<u8>>>;

fn snapshot(dir: &Path) -> Snapshot {
    [
        CA_CERT_FILE,
        CA_KEY_FILE,
        NEXT_CERT_FILE,
        NEXT_KEY_FILE,
        RETIRING_CERT_FILE,
    ]
    .iter()
    .map(|f| std::fs::read(dir.join(f)).ok())
    .collect()
}

/// The loaded CAs and the agent listener's TLS configuration made from them.
pub struct HubPki {
    dir: PathBuf,
    hostnames: Vec<String>,
    current: RwLock<Arc<CaSet>>,
    tls: watch::Sender<Arc<ServerConfig>>,
    seen: Mutex<Snapshot>,
}

fn server_tls(set: &CaSet, hostnames: &[String]) -> greenroom_pki::Result<Arc<ServerConfig>> {
    let (cert, key) = set.signer.issue_server_certificate(hostnames)?;
    greenroom_pki::hub_server_config(&set.bundle.pem(), &cert, &key)
}

impl HubPki {
    /// Loads (on a first start: creates) the CA in `dir` and issues the hub's agent-listener
    /// certificate for `hostnames`.
    pub fn open(dir: &Path, hostnames: &[String]) -> greenroom_pki::Result<Self> {
        let set = CaSet::load(dir)?;
        // After the load: on a first start it created the files.
        let seen = snapshot(dir);
        let tls = server_tls(&set, hostnames)?;
        Ok(Self {
            dir: dir.into(),
            hostnames: hostnames.to_vec(),
            current: RwLock::new(Arc::new(set)),
            tls: watch::Sender::new(tls),
            seen: Mutex::new(seen),
        })
    }

    /// The CAs now: the signer for enrollment and renewal, the bundle for agents.
    pub fn current(&self) -> Arc<CaSet> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The agent listener's TLS configuration, following every reload.
    pub fn tls(&self) -> watch::Receiver<Arc<ServerConfig>> {
        self.tls.subscribe()
    }

    /// Reloads when a CA file changed since the last look. `Ok(true)`: the new set is in use.
    /// An error leaves the previous set in use (and is reported once per change on disk).
    pub fn reload_if_changed(&self) -> greenroom_pki::Result<bool> {
        let now = snapshot(&self.dir);
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if *seen == now {
                return Ok(false);
            }
            *seen = now;
        }
        let set = CaSet::load(&self.dir)?;
        let tls = server_tls(&set, &self.hostnames)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        self.tls.send_replace(tls);
        Ok(true)
    }
}

/// Every [`RELOAD_PERIOD`] until `stop`: brings a newer version of the CA from the store into
/// the pki dir (`version`: the one there now), then reloads the pki dir if it changed.
pub async fn reload_loop(
    pki: Arc<HubPki>,
    store: Arc<dyn crate::store::Store>,
    mut version: u64,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(RELOAD_PERIOD);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => return,
        }
        match shared::follow(store.as_ref(), &pki.dir, &mut version).await {
            Ok(true) => tracing::info!(
                version,
                "the CA changed in the store (a rotation step); reloading it"
            ),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the CA from the store; keeping the pki dir as it is")
            }
        }
        let p = pki.clone();
        match tokio::task::spawn_blocking(move || p.reload_if_changed()).await {
            Ok(Ok(true)) => {
                let set = pki.current();
                tracing::info!(
                    active = %set.active.fingerprint,
                    next = ?set.next.as_ref().map(|c| &c.fingerprint),
                    retiring = ?set.retiring.as_ref().map(|c| &c.fingerprint),
                    trust_bundle_sha256 = %set.bundle.sha256(),
                    "certificate authorities reloaded; new agent connections use them"
                );
            }
            Ok(Ok(false)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot reload the certificate authorities; keeping the previous ones")
            }
            Err(e) => tracing::error!(error = %e, "certificate authority reload failed"),
        }
    }
}
