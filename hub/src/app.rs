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
