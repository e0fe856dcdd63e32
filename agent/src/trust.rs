//! The hub's trust bundle on the agent, and switching the shared client's TLS configuration.
//!
//! Every heartbeat tells the hub the hash of the bundle the agent saved (`ca.crt` in
//! `state_dir`) and learns the hash of the hub's. When they differ (a CA rotation was staged
//! or finished), [`refresh`] fetches `GET /agent/v1/trust-bundle`, checks it, saves it
//! atomically and rebuilds the TLS configuration so the agent trusts every CA of the bundle
//! for the hub's certificate — before the hub starts presenting one from the next CA.
//!
//! The TLS configuration is made of the trusted CAs and the agent's identity; both a bundle
//! refresh and a certificate renewal rebuild it. [`Tls`] serialises the two, so neither puts
//! back what the other just replaced.

use crate::client::HubClient;
use crate::config::AgentConfig;
use crate::identity::{self, Identity};
use tokio::sync::Mutex;

/// The identity the shared client presents now; held while its TLS configuration is rebuilt.
pub struct Tls {
    identity: Mutex<Identity>,
}

impl Tls {
    pub fn new(identity: Identity) -> Self {
        Self {
            identity: Mutex::new(identity),
        }
    }

    /// Switches `client` to `new` (a renewed identity), trusting the saved bundle. `save`
    /// runs first under the same lock (it writes the new key, certificate and bundle).
    pub async fn use_identity(
        &self,
        client: &HubClient,
        cfg: &AgentConfig,
        new: Identity,
        save: impl FnOnce() -> Result<(), String>,
    ) -> Result<(), String> {
        let mut current = self.identity.lock().await;
        save()?;
        rebuild(client, cfg, &new)?;
        *current = new;
        Ok(())
    }

    /// Saves `pem` as the trust bundle and rebuilds the client's TLS configuration with it.
    async fn use_bundle(
        &self,
        client: &HubClient,
        cfg: &AgentConfig,
        pem: &str,
    ) -> Result<(), String> {
        let current = self.identity.lock().await;
        identity::save_bundle(&cfg.agent.state_dir, pem).map_err(|e| e.to_string())?;
        rebuild(client, cfg, &current)
    }
}

fn rebuild(client: &HubClient, cfg: &AgentConfig, id: &Identity) -> Result<(), String> {
    let trust = identity::trust_pem(cfg).map_err(|e| e.to_string())?;
    let tls = greenroom_pki::agent_client_config(&trust, Some((&id.cert_pem, &id.key_pem)))
        .map_err(|e| e.to_string())?;
    client.replace_tls(tls).map_err(|e| e.to_string())
}

/// Fetches the hub's trust bundle and uses it. Returns how many CAs it holds.
pub async fn refresh(
    tls: &Tls,
    client: &HubClient,
    cfg: &AgentConfig,
    expected_sha256: &str,
) -> Result<usize, String> {
    let bundle = client.trust_bundle().await.map_err(|e| e.to_string())?;
    let pem = identity::bundle_pem(&bundle.ca_bundle_pem);
    let sha =
        greenroom_pki::bundle_sha256_pem(&pem).map_err(|e| format!("the hub's bundle: {e}"))?;
    if sha != bundle.trust_bundle_sha256 {
        return Err(format!(
            "the hub's bundle does not match its own hash ({sha} vs {})",
            bundle.trust_bundle_sha256
        ));
    }
    if sha != expected_sha256 {
        // Changed again between the heartbeat and the fetch: fine, the next heartbeat agrees.
        tracing::info!(heartbeat = %expected_sha256, fetched = %sha, "the trust bundle changed again meanwhile");
    }
    tls.use_bundle(client, cfg, &pem).await?;
    Ok(bundle.ca_bundle_pem.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saved_bundle_hashes_like_the_hubs_and_old_hubs_still_work() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pki = dir.path().join("pki");
        greenroom_pki::CaSet::load(&pki).expect("ca");
        greenroom_pki::stage(&pki).expect("stage");
        let set = greenroom_pki::CaSet::load(&pki).expect("staged");
        let state = dir.path().join("state");
        identity::prepare_state_dir(&state).expect("state dir");
        assert_eq!(identity::saved_bundle_sha256(&state), None);
        let mut resp = greenroom_proto::EnrollResponse {
            server_id: "web-01".into(),
            certificate_pem: String::new(),
            ca_pem: set.active.cert_pem.clone(),
            not_after: chrono::Utc::now(),
            ca_bundle_pem: set.bundle.pems(),
        };
        identity::save_bundle(&state, &identity::bundle_of(&resp)).expect("save");
        assert_eq!(
            identity::saved_bundle_sha256(&state),
            Some(set.bundle.sha256())
        );
        assert!(!state.join("ca.tmp").exists());
        // A hub that predates bundles sends `ca_pem` only.
        resp.ca_bundle_pem.clear();
        assert_eq!(identity::bundle_of(&resp), set.active.cert_pem);
    }
}
