//! The hub's shared state: store, bus, keys, CA, metrics and config, cheap to clone into
//! every handler and resolver.

use crate::auth::AuthKeys;
use crate::bus::{Bus, LocalBus};
use crate::ca::HubPki;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    /// In-process, or shared by the replicas over Redis.
    pub bus: Arc<dyn Bus>,
    pub keys: Arc<AuthKeys>,
    /// The CAs (signer, trust bundle), reloaded when a rotation step changes them.
    pub pki: Arc<HubPki>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<dyn crate::limits::RateLimiter>,
    /// `security.trusted_proxies`, parsed once.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// This process's id among the replicas (`host-pid-random`): who holds a singleton.
    pub replica: Arc<str>,
    /// The port agents reach this hub on: `server.agent_listen`'s, or the one the listener
    /// got when that asked for any (port 0), once it is bound.
    pub agent_port: Arc<std::sync::atomic::AtomicU16>,
    /// Heartbeat samples gathered and not yet written to the store's metric buckets.
    pub metrics_history: Arc<crate::service::server_metrics::MetricsHistory>,
}

impl App {
    /// The codec that seals secrets with this config's key (what every store is opened with).
    pub fn codec(config: &Config) -> crate::store::codec::Codec {
        crate::store::codec::Codec::new(Arc::new(crate::seal::Sealer::new(config.sealing_key())))
    }

    pub fn new(config: Config, store: Arc<dyn Store>, pki: HubPki) -> Self {
        let trusted_proxies = Arc::new(config.trusted_proxies());
        let agent_port = Arc::new(std::sync::atomic::AtomicU16::new(
            config.server.agent_listen.port(),
        ));
        let keys = AuthKeys::new(
            &config.security.jwt_secret,
            config.security.token_expiry_hours,
            config.security.refresh_token_days,
        );
        Self {
            store,
            bus: Arc::new(LocalBus::new()),
            keys: Arc::new(keys),
            pki: Arc::new(pki),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            limiter: Arc::new(crate::limits::LocalLimiter::default()),
            trusted_proxies,
            replica: replica_id().into(),
            agent_port,
            metrics_history: Arc::default(),
        }
    }

    /// The same app on a bus and a rate limiter other replicas share.
    pub fn shared(
        mut self,
        bus: Arc<dyn Bus>,
        limiter: Arc<dyn crate::limits::RateLimiter>,
    ) -> Self {
        self.bus = bus;
        self.limiter = limiter;
        self
    }
}

/// A name for this process unique among replicas: host, pid and a random part (a pid can
/// repeat after a restart, or in another container).
fn replica_id() -> String {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "hub".into());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &random[..6])
}

#[cfg(test)]
impl App {
    /// An app over an in-memory store and a fresh CA in `dir`, for unit tests of services.
    pub fn for_tests(dir: &std::path::Path) -> Self {
        let yaml = format!(
            "server:\n  data_dir: {}\nsecurity:\n  jwt_secret: {}\n",
            dir.display(),
            "t".repeat(40)
        );
        let path = dir.join("hub.yaml");
        std::fs::write(&path, yaml).expect("write test config");
        let config = Config::load(&path).expect("test config is valid");
        let store =
            crate::store::sqlite::SqliteStore::in_memory_with(crate::store::codec::Codec::new(
                Arc::new(crate::seal::Sealer::new(config.sealing_key())),
            ))
            .expect("in-memory store");
        let pki = HubPki::open(&dir.join("pki"), &["localhost".to_string()]).expect("test CA");
        Self::new(config, Arc::new(store), pki)
    }
}
