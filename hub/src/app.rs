//! The hub's shared state: store, bus, keys, CA, metrics and config, cheap to clone into
//! every handler and resolver.

use crate::auth::AuthKeys;
use crate::bus::Bus;
use crate::ca::HubPki;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub bus: Bus,
    pub keys: Arc<AuthKeys>,
    /// The CAs (signer, trust bundle), reloaded when a rotation step changes them.
    pub pki: Arc<HubPki>,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<crate::edge::RateLimiter>,
}

impl App {
    pub fn new(config: Config, store: Arc<dyn Store>, pki: HubPki) -> Self {
        let keys = AuthKeys::new(
            &config.security.jwt_secret,
            config.security.token_expiry_hours,
            config.security.refresh_token_days,
        );
        Self {
            store,
            bus: Bus::new(),
            keys: Arc::new(keys),
            pki: Arc::new(pki),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            limiter: Arc::default(),
        }
    }
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
        let store = crate::store::sqlite::SqliteStore::in_memory().expect("in-memory store");
        let pki = HubPki::open(&dir.join("pki"), &["localhost".to_string()]).expect("test CA");
        Self::new(config, Arc::new(store), pki)
    }
}
