//! rustls configurations for both ends of the agent channel, and reading an agent's identity
//! from the certificate it presented.

use crate::{Error, Result, fingerprint};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::sync::Arc;

/// Who an agent is, as proven by its client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    pub server_id: String,
    pub fingerprint: String,
}

pub(crate) fn certs_from_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = rustls_pemfile::certs(&mut pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::BadCertificate(e.to_string()))?;
    if certs.is_empty() {
        return Err(Error::BadCertificate("no certificate in PEM".into()));
    }
    Ok(certs)
}

fn key_from_pem(pem: &str) -> Result<PrivateKeyDer<'static>> {
    rustls_pemfile::private_key(&mut pem.as_bytes())
        .map_err(|e| Error::Tls(format!("private key: {e}")))?
        .ok_or_else(|| Error::Tls("no private key in PEM".into()))
}

pub(crate) fn roots(ca_pem: &str) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for c in certs_from_pem(ca_pem)? {
        roots
            .add(c)
            .map_err(|e| Error::Tls(format!("CA certificate: {e}")))?;
    }
    Ok(roots)
}

pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The hub's agent listener: presents the hub certificate and asks every client for a
/// certificate signed by the CA. Clients without one still complete the handshake (enrollment
/// needs that); every endpoint but enrollment refuses them.
pub fn hub_server_config(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Result<Arc<ServerConfig>> {
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca_pem)?), provider())
            .allow_unauthenticated()
            .build()
            .map_err(|e| Error::Tls(e.to_string()))?;
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs_from_pem(cert_pem)?, key_from_pem(key_pem)?)
        .map_err(|e| Error::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// A TLS server with no client certificates (the hub's API listener, when configured).
pub fn plain_server_config(cert_pem: &str, key_pem: &str) -> Result<Arc<ServerConfig>> {
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs_from_pem(cert_pem)?, key_from_pem(key_pem)?)
        .map_err(|e| Error::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The agent's client: trusts only the hub CA; presents its own certificate once enrolled.
pub fn agent_client_config(ca_pem: &str, identity: Option<(&str, &str)>) -> Result<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots(ca_pem)?);
    let mut cfg = match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(certs_from_pem(cert)?, key_from_pem(key)?)
            .map_err(|e| Error::Tls(e.to_string()))?,
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Reads the agent identity from a verified peer certificate chain (leaf first).
pub fn peer_identity(chain: &[CertificateDer<'_>]) -> Option<PeerIdentity> {
    let leaf = chain.first()?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).ok()?;
    let cn = cert
        .subject()
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    Some(PeerIdentity {
        server_id: cn,
        fingerprint: fingerprint(leaf),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CertificateAuthority, generate_agent_key_and_csr};

    #[test]
    fn configs_build_and_identity_is_read_from_the_leaf() {
        let dir = tempfile::tempdir().unwrap();
        let ca = CertificateAuthority::load_or_create(dir.path()).unwrap();
        let (cert, key) = ca
            .issue_server_certificate(&["127.0.0.1".into(), "localhost".into()])
            .unwrap();
        hub_server_config(ca.cert_pem(), &cert, &key).unwrap();
        let (akey, csr) = generate_agent_key_and_csr("db-02").unwrap();
        let signed = ca.sign_agent_csr(&csr, "db-02", 10).unwrap();
        agent_client_config(ca.cert_pem(), Some((&signed.certificate_pem, &akey))).unwrap();
        let chain = certs_from_pem(&signed.certificate_pem).unwrap();
        let id = peer_identity(&chain).unwrap();
        assert_eq!(
            id,
            PeerIdentity {
                server_id: "db-02".into(),
                fingerprint: signed.fingerprint
            }
        );
    }
}
