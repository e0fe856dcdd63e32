//! The agent's identity: its key (kept in `state_dir`, 0600, never sent), the certificate
//! the hub's CA signed for it, and enrollment — trading the one-time token and a CSR for
//! that certificate.
//!
//! `agent.crt` is written last, atomically: its presence is what "enrolled" means.
//! `ca.crt` holds the hub's trust bundle — every CA the hub sent (the active one, and during
//! a CA rotation the next or the retiring one too) — replaced atomically whenever the hub
//! sends a new one ([`save_bundle`]).
//!
//! A renewal ([`install_renewed`]) writes `agent.key.new` and `agent.crt.new` (fsync'd),
//! then renames the key and then the certificate into place. A crash between the two
//! renames leaves a key that does not match the certificate; [`load`] notices and finishes
//! the job from the `.new` file, so the agent starts with the pair the hub now accepts.

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
const NEW_KEY_FILE: &str = "agent.key.new";
const NEW_CERT_FILE: &str = "agent.crt.new";

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

/// Loads the identity saved by an earlier enrollment, if any, first completing a renewal
/// that a crash interrupted (see [`recover_renewal`]).
pub fn load(state_dir: &Path) -> Result<Option<Identity>, AgentError> {
    let cert_path = state_dir.join(CERT_FILE);
    if !cert_path.exists() {
        return Ok(None);
    }
    recover_renewal(state_dir)?;
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

/// Whether `key_pem` is the private key of the certificate in `cert_pem` (their public keys
/// are equal). An unreadable key or certificate is an error.
pub fn key_matches_cert(key_pem: &str, cert_pem: &str) -> Result<bool, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use x509_parser::prelude::FromDer;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| format!("private key: {e}"))?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| format!("private key: {e}"))?;
    let spki = signer
        .public_key()
        .ok_or("private key: its public key cannot be derived")?;
    let (_, from_key) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki.as_ref())
        .map_err(|e| format!("private key: {e}"))?;
    let der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
        .map_err(|e| format!("certificate: {e}"))?;
    let (_, cert) =
        x509_parser::parse_x509_certificate(&der).map_err(|e| format!("certificate: {e}"))?;
    Ok(cert.public_key().subject_public_key.data == from_key.subject_public_key.data)
}

/// Puts a matching key and certificate in place after an interrupted renewal. The `.new`
/// files are written only once the hub issued the new certificate, so a matching pair made
/// with them is preferred: the hub accepts nothing older by then. Leftovers are removed.
/// A key that matches no certificate at all is an error naming the files.
pub fn recover_renewal(state_dir: &Path) -> Result<(), AgentError> {
    let path = |name: &str| state_dir.join(name);
    let read = |name: &str| fs::read_to_string(path(name)).ok();
    let keys = [
        (NEW_KEY_FILE, read(NEW_KEY_FILE)),
        (KEY_FILE, read(KEY_FILE)),
    ];
    let certs = [
        (NEW_CERT_FILE, read(NEW_CERT_FILE)),
        (CERT_FILE, read(CERT_FILE)),
    ];
    if keys[0].1.is_none() && certs[0].1.is_none() {
        // No renewal was under way. Unreadable files are reported by `load` and the TLS
        // set-up; only a readable pair that does not belong together is named here.
        if let (Some(key), Some(cert)) = (&keys[1].1, &certs[1].1)
            && key_matches_cert(key, cert) == Ok(false)
        {
            return Err(mismatch(state_dir));
        }
        return Ok(());
    }
    let chosen = keys.iter().find_map(|(key_name, key)| {
        certs.iter().find_map(|(cert_name, cert)| {
            let (key, cert) = (key.as_deref()?, cert.as_deref()?);
            key_matches_cert(key, cert)
                .unwrap_or(false)
                .then_some((*key_name, *cert_name))
        })
    });
    let Some((key_name, cert_name)) = chosen else {
        return Err(mismatch(state_dir));
    };
    if key_name == KEY_FILE && cert_name == CERT_FILE {
        tracing::warn!(state_dir = %state_dir.display(), "removing the files of an unfinished certificate renewal; keeping the current certificate");
    } else {
        tracing::warn!(
            key = key_name,
            certificate = cert_name,
            "finishing an interrupted certificate renewal"
        );
    }
    if key_name == NEW_KEY_FILE {
        rename(&path(NEW_KEY_FILE), &path(KEY_FILE))?;
    }
    if cert_name == NEW_CERT_FILE {
        rename(&path(NEW_CERT_FILE), &path(CERT_FILE))?;
    }
    for leftover in [NEW_KEY_FILE, NEW_CERT_FILE] {
        let _ = fs::remove_file(path(leftover));
    }
    sync_dir(state_dir)
}

fn mismatch(state_dir: &Path) -> AgentError {
    AgentError::State(format!(
        "{}: agent.key does not match agent.crt, and no agent.key.new / agent.crt.new makes a matching pair: remove agent.crt (and agent.key) and enroll again with a new token",
        state_dir.display()
    ))
}

/// The trust bundle of an enrollment or renewal answer, as one PEM text: `ca_bundle_pem`,
/// or `ca_pem` from a hub that predates bundles.
pub fn bundle_of(resp: &greenroom_proto::EnrollResponse) -> String {
    if resp.ca_bundle_pem.is_empty() {
        resp.ca_pem.clone()
    } else {
        bundle_pem(&resp.ca_bundle_pem)
    }
}

/// One PEM text of several certificates.
pub fn bundle_pem(pems: &[String]) -> String {
    pems.iter()
        .map(|p| p.trim_end().to_string() + "\n")
        .collect()
}

/// Replaces the saved trust bundle (`ca.crt`) atomically.
pub fn save_bundle(state_dir: &Path, pem: &str) -> Result<(), AgentError> {
    write_atomic(&state_dir.join(CA_FILE), pem)
}

/// The hash of the saved trust bundle, as the hub computes it; None when there is none.
pub fn saved_bundle_sha256(state_dir: &Path) -> Option<String> {
    let pem = fs::read_to_string(state_dir.join(CA_FILE)).ok()?;
    greenroom_pki::bundle_sha256_pem(&pem).ok()
}

/// Saves a renewed identity crash-safely: `.new` files (fsync'd), then the key renamed into
/// place, then the certificate, then the directory synced. The trust bundle the hub sent
/// (`ca_pem`: see [`bundle_of`]) is saved first.
pub fn install_renewed(
    state_dir: &Path,
    key_pem: &str,
    cert_pem: &str,
    ca_pem: &str,
) -> Result<(), AgentError> {
    if !ca_pem.trim().is_empty() {
        write_atomic(&state_dir.join(CA_FILE), ca_pem)?;
    }
    let (new_key, new_cert) = (state_dir.join(NEW_KEY_FILE), state_dir.join(NEW_CERT_FILE));
    greenroom_pki::write_private(&new_key, key_pem)?;
    sync_file(&new_key)?;
    fs::write(&new_cert, cert_pem).map_err(|e| state_err(&new_cert, "cannot write", e))?;
    sync_file(&new_cert)?;
    rename(&new_key, &state_dir.join(KEY_FILE))?;
    rename(&new_cert, &state_dir.join(CERT_FILE))?;
    sync_dir(state_dir)
}

fn rename(from: &Path, to: &Path) -> Result<(), AgentError> {
    fs::rename(from, to).map_err(|e| state_err(to, "cannot replace", e))
}

fn sync_file(path: &Path) -> Result<(), AgentError> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| state_err(path, "cannot sync", e))
}

fn sync_dir(dir: &Path) -> Result<(), AgentError> {
    sync_file(dir)
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
    enroll_with(cfg, None).await
}

/// As [`enroll`], giving up after `attempts` network failures (`None`: never), with an
/// error naming the hub address last tried. Used by `greenroom-agent enroll`.
pub async fn enroll_with(cfg: &AgentConfig, attempts: Option<u32>) -> Result<Identity, AgentError> {
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
        HubClient::new(&cfg.backend_urls(), tls).map_err(|e| AgentError::Startup(e.to_string()))?;
    let req = EnrollRequest {
        protocol_version: PROTOCOL_VERSION,
        token: token.to_string(),
        server_id: server_id.clone(),
        csr_pem,
        facts: crate::metrics::facts(cfg),
    };
    let mut backoff = Backoff::hub();
    let mut failures = 0;
    let resp = loop {
        let address = client.current_address();
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
                failures += 1;
                if attempts.is_some_and(|n| failures >= n) {
                    return Err(AgentError::Startup(format!(
                        "cannot reach the hub at {address}: {e}"
                    )));
                }
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
        &bundle_of(&resp),
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
    sync_file(&tmp)?;
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

    /// Two certificates for web-01 from one CA, each with its own key: (key, cert) × 2.
    fn two_pairs(dir: &Path) -> ((String, String), (String, String), String) {
        let ca = greenroom_pki::CertificateAuthority::load_or_create(&dir.join("ca")).expect("ca");
        let pair = || {
            let (key, csr) = greenroom_pki::generate_agent_key_and_csr("web-01").expect("csr");
            let cert = ca.sign_agent_csr(&csr, "web-01", 30).expect("signed");
            (key, cert.certificate_pem)
        };
        let (a, b) = (pair(), pair());
        (a, b, ca.cert_pem().to_string())
    }

    fn read(dir: &Path, name: &str) -> String {
        fs::read_to_string(dir.join(name)).expect(name)
    }

    #[test]
    fn keys_are_matched_to_certificates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ((k1, c1), (k2, c2), _) = two_pairs(dir.path());
        assert_eq!(key_matches_cert(&k1, &c1), Ok(true));
        assert_eq!(key_matches_cert(&k2, &c2), Ok(true));
        assert_eq!(key_matches_cert(&k1, &c2), Ok(false));
        assert!(key_matches_cert("junk", &c1).is_err());
        assert!(key_matches_cert(&k1, "junk").is_err());
    }

    #[test]
    fn a_renewal_is_installed_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ((k1, c1), (k2, c2), ca) = two_pairs(dir.path());
        save(dir.path(), &k1, &c1, &ca).expect("save");
        install_renewed(dir.path(), &k2, &c2, &ca).expect("install");
        assert_eq!(
            (read(dir.path(), KEY_FILE), read(dir.path(), CERT_FILE)),
            (k2, c2.clone())
        );
        assert!(
            !dir.path().join(NEW_KEY_FILE).exists() && !dir.path().join(NEW_CERT_FILE).exists()
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            load(dir.path()).expect("load").expect("enrolled").cert_pem,
            c2
        );
    }

    #[test]
    fn a_crash_between_the_renames_is_finished_at_start_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ((k1, c1), (k2, c2), ca) = two_pairs(dir.path());
        save(dir.path(), &k1, &c1, &ca).expect("save");
        // The new key is in place, the new certificate is still `.new`.
        greenroom_pki::write_private(&dir.path().join(KEY_FILE), &k2).expect("key");
        fs::write(dir.path().join(NEW_CERT_FILE), &c2).expect("crt.new");
        let id = load(dir.path()).expect("recovered").expect("enrolled");
        assert_eq!((id.key_pem, id.cert_pem), (k2.clone(), c2.clone()));
        assert_eq!(read(dir.path(), CERT_FILE), c2);
        assert!(!dir.path().join(NEW_CERT_FILE).exists());
    }

    #[test]
    fn a_complete_new_pair_is_preferred_to_the_old_one() {
        // A crash after both `.new` files were written: the hub has switched already.
        let dir = tempfile::tempdir().expect("tempdir");
        let ((k1, c1), (k2, c2), ca) = two_pairs(dir.path());
        save(dir.path(), &k1, &c1, &ca).expect("save");
        greenroom_pki::write_private(&dir.path().join(NEW_KEY_FILE), &k2).expect("key.new");
        fs::write(dir.path().join(NEW_CERT_FILE), &c2).expect("crt.new");
        let id = load(dir.path()).expect("recovered").expect("enrolled");
        assert_eq!((id.key_pem, id.cert_pem), (k2, c2));
        assert!(
            !dir.path().join(NEW_KEY_FILE).exists() && !dir.path().join(NEW_CERT_FILE).exists()
        );
    }

    #[test]
    fn a_torn_new_file_is_dropped_and_the_matching_pair_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ((k1, c1), (k2, c2), ca) = two_pairs(dir.path());
        save(dir.path(), &k1, &c1, &ca).expect("save");
        greenroom_pki::write_private(&dir.path().join(NEW_KEY_FILE), &k2).expect("key.new");
        fs::write(dir.path().join(NEW_CERT_FILE), &c2[..c2.len() / 2]).expect("torn crt.new");
        let id = load(dir.path()).expect("kept").expect("enrolled");
        assert_eq!((id.key_pem, id.cert_pem), (k1, c1));
        assert!(
            !dir.path().join(NEW_KEY_FILE).exists() && !dir.path().join(NEW_CERT_FILE).exists()
        );
    }

    #[test]
    fn a_key_that_matches_no_certificate_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ((k1, _), (_, c2), ca) = two_pairs(dir.path());
        save(dir.path(), &k1, &c2, &ca).expect("save");
        let err = load(dir.path()).expect_err("mismatch");
        let text = err.to_string();
        assert!(
            text.contains("agent.key does not match agent.crt") && !text.contains('\n'),
            "{text}"
        );
        assert_eq!(err.exit_code(), 1);
        // The same with a useless `.new` file around.
        fs::write(dir.path().join(NEW_CERT_FILE), "torn").expect("crt.new");
        let err = load(dir.path()).expect_err("mismatch");
        assert!(
            err.to_string()
                .contains("agent.key does not match agent.crt"),
            "{err}"
        );
    }
}
