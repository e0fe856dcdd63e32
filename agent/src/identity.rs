//! The agent's identity: its key (kept in `state_dir`, 0600, never sent), the certificate
//! the hub's CA signed for it, and enrollment — trading the one-time token and a CSR for
//! that certificate.
//!
//! `agent.crt` is written last, atomically: its presence is what "enrolled" means.

use crate::backoff::Backoff;
use crate::client::{HubClient, HubError};
use crate::config::AgentConfig;
use crate::error::AgentError;
use greenroom_proto::{EnrollRequest, PROTOCOL_VERSION};
use std::fs;
use std::path::{Path, PathBuf};

const KEY_FILE: &str = "agent.key";
const CERT_FILE: &str = "agent.crt";
const CA_FILE: &str = "ca.crt";

/// The agent's certificate and key, PEM.
#[derive(Clone)]
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"***")
            .finish()
    }
}

fn state_err(path: &Path, what: &str, e: impl std::fmt::Display) -> AgentError {
    AgentError::State(format!("{}: {what}: {e}", path.display()))
}

/// Whether `state_dir` holds a certificate (the agent enrolled before).
pub fn is_enrolled(state_dir: &Path) -> bool {
    state_dir.join(CERT_FILE).exists()
}

/// Loads the identity saved by an earlier enrollment, if any.
pub fn load(state_dir: &Path) -> Result<Option<Identity>, AgentError> {
    let cert_path = state_dir.join(CERT_FILE);
    if !cert_path.exists() {
        return Ok(None);
    }
    let key_path = state_dir.join(KEY_FILE);
    let cert_pem =
        fs::read_to_string(&cert_path).map_err(|e| state_err(&cert_path, "cannot read", e))?;
    let key_pem = fs::read_to_string(&key_path).map_err(|e| {
        state_err(
            &key_path,
            "cannot read the agent key (remove agent.crt to enroll again)",
            e,
        )
    })?;
    match greenroom_pki::not_after_pem(&cert_pem) {
        Ok(t) if t < chrono::Utc::now() => tracing::error!(
            not_after = %t,
            "the agent certificate has expired; the hub will refuse it (remove agent.crt and enroll with a new token)"
        ),
        Ok(t) => tracing::info!(not_after = %t, "loaded agent certificate"),
        Err(e) => return Err(state_err(&cert_path, "not a valid certificate", e)),
    }
    Ok(Some(Identity { cert_pem, key_pem }))
}

/// The CA certificates to trust: the configured `agent.ca_cert`, plus the CA the hub
/// returned on enrollment when it differs.
pub fn trust_pem(cfg: &AgentConfig) -> Result<String, AgentError> {
    let configured = &cfg.agent.ca_cert;
    let mut pem = fs::read_to_string(configured)
        .map_err(|e| state_err(configured, "cannot read agent.ca_cert", e))?;
    let saved = cfg.agent.state_dir.join(CA_FILE);
    if let Ok(extra) = fs::read_to_string(&saved)
        && extra.trim() != pem.trim()
    {
        if !pem.ends_with('\n') {
            pem.push('\n');
        }
        pem.push_str(&extra);
    }
    Ok(pem)
}

/// Enrolls with the hub: network failures are retried with backoff (forever; the caller
/// decides when to give up); a refusal is final.
pub async fn enroll(cfg: &AgentConfig) -> Result<Identity, AgentError> {
    let server_id = cfg.agent.server_id.clone();
    let Some(token) = cfg.auth_token() else {
        return Err(AgentError::EnrollmentRefused(format!(
            "not enrolled yet ({} has no agent.crt) and agent.auth_token is empty: set it to an enrollment token",
            cfg.agent.state_dir.display()
        )));
    };
    let (key_pem, csr_pem) = greenroom_pki::generate_agent_key_and_csr(&server_id)?;
    let tls = greenroom_pki::agent_client_config(&trust_pem(cfg)?, None)?;
    let client =
        HubClient::new(cfg.backend_url(), tls).map_err(|e| AgentError::Startup(e.to_string()))?;
    let req = EnrollRequest {
        protocol_version: PROTOCOL_VERSION,
        token: token.to_string(),
        server_id: server_id.clone(),
        csr_pem,
        facts: crate::metrics::facts(cfg),
    };
    let mut backoff = Backoff::hub();
    let resp = loop {
        match client.enroll(&req).await {
            Ok(resp) => break resp,
            Err(HubError::Status {
                status,
                code,
                message,
            }) if status == 401 || status == 403 => {
                return Err(AgentError::EnrollmentRefused(format!(
                    "{message} ({code}; get a new enrollment token)"
                )));
            }
            Err(e) if e.is_client_error() => {
                return Err(AgentError::EnrollmentRefused(e.to_string()));
            }
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "enrollment failed; retrying");
                tokio::time::sleep(delay).await;
            }
        }
    };
    if resp.server_id != server_id {
        tracing::warn!(requested = %server_id, issued = %resp.server_id, "the hub enrolled this agent under another server id");
    }
    save(
        &cfg.agent.state_dir,
        &key_pem,
        &resp.certificate_pem,
        &resp.ca_pem,
    )?;
    tracing::info!(server_id = %resp.server_id, not_after = %resp.not_after, "enrolled");
    Ok(Identity {
        cert_pem: resp.certificate_pem,
        key_pem,
    })
}

/// Writes key (0600), CA, then the certificate (atomically, last).
fn save(state_dir: &Path, key_pem: &str, cert_pem: &str, ca_pem: &str) -> Result<(), AgentError> {
    greenroom_pki::write_private(&state_dir.join(KEY_FILE), key_pem)?;
    if !ca_pem.trim().is_empty() {
        write_atomic(&state_dir.join(CA_FILE), ca_pem)?;
    }
    write_atomic(&state_dir.join(CERT_FILE), cert_pem)
}

fn write_atomic(path: &Path, text: &str) -> Result<(), AgentError> {
    let tmp: PathBuf = path.with_extension("tmp");
    fs::write(&tmp, text).map_err(|e| state_err(&tmp, "cannot write", e))?;
    fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| state_err(&tmp, "cannot sync", e))?;
    fs::rename(&tmp, path).map_err(|e| state_err(path, "cannot write", e))
}

/// Creates `state_dir` (0700) if needed.
pub fn prepare_state_dir(state_dir: &Path) -> Result<(), AgentError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(state_dir)
        .map_err(|e| state_err(state_dir, "cannot create agent.state_dir", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_files_load_back_and_the_key_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(load(dir.path()).expect("no error").is_none());
        let ca = greenroom_pki::CertificateAuthority::load_or_create(&dir.path().join("ca"))
            .expect("ca");
        let (key, csr) = greenroom_pki::generate_agent_key_and_csr("web-01").expect("csr");
        let signed = ca.sign_agent_csr(&csr, "web-01", 30).expect("signed");
        save(dir.path(), &key, &signed.certificate_pem, ca.cert_pem()).expect("save");
        assert!(is_enrolled(dir.path()));
        let id = load(dir.path()).expect("load").expect("enrolled");
        assert_eq!(id.cert_pem, signed.certificate_pem);
        assert!(!format!("{id:?}").contains("PRIVATE"));
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        fs::remove_file(dir.path().join(KEY_FILE)).expect("rm");
        let err = load(dir.path()).expect_err("key missing");
        assert!(err.to_string().contains("agent.key"), "{err}");
    }
}
