//! Trusting the hub's CA on first contact: `--ca-sha256` names the CA by the SHA-256 of its
//! DER certificate. The agent fetches `GET /agent/v1/ca` once WITHOUT verifying the server
//! (it has nothing to verify it with yet), keeps only the CA whose fingerprint is the one it
//! was given, and from then on speaks normal verified TLS with that CA alone. Anything
//! else the answer holds is ignored: it came over an unverified connection.

use greenroom_proto::CaCertificates;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use std::time::Duration;

/// `--ca-sha256` as lowercase hex: colons and spaces dropped, any case. The error names
/// what is wrong.
pub fn parse_fingerprint(text: &str) -> Result<String, String> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "--ca-sha256: expected the SHA-256 fingerprint of the hub's CA certificate (64 hex digits, colons allowed), got {} characters",
            hex.chars().count()
        ));
    }
    Ok(hex)
}

/// The PEM of the CA with fingerprint `pin` among those the hub sent, or the refusal.
pub fn pinned_ca(answer: &CaCertificates, pin: &str) -> Result<String, String> {
    let candidates = std::iter::once(&answer.ca_pem).chain(answer.ca_bundle_pem.iter());
    for pem in candidates {
        if greenroom_pki::fingerprint_pem(pem).is_ok_and(|fp| fp == pin) {
            return Ok(pem.clone());
        }
    }
    let actual =
        greenroom_pki::fingerprint_pem(&answer.ca_pem).unwrap_or_else(|_| "unreadable".to_string());
    Err(format!(
        "the hub's CA fingerprint is {actual}, not the {pin} you gave: do not trust this hub"
    ))
}

/// Accepts any server certificate, still checking the handshake's signatures: for the one
/// unauthenticated request whose answer is checked against the pin.
#[derive(Debug)]
struct AnyServer(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Fetches `GET /agent/v1/ca` from the first of `hubs` that answers, without verifying
/// the server. Errors name the address.
pub async fn fetch_unverified(hubs: &[String]) -> Result<CaCertificates, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer(provider)))
        .with_no_client_auth();
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
    let mut last = String::from("no hub address given");
    for hub in hubs {
        let url = format!("{}/agent/v1/ca", hub.trim_end_matches('/'));
        match http.get(&url).send().await {
            Ok(resp) if resp.status().is_success() => {
                return resp.json::<CaCertificates>().await.map_err(|e| {
                    format!("the hub at {hub} answered /agent/v1/ca with something else: {e}")
                });
            }
            Ok(resp) => {
                last = format!(
                    "the hub at {hub} answered /agent/v1/ca with {} (is it a Greenroom hub of this version?)",
                    resp.status()
                )
            }
            Err(e) => last = format!("cannot reach the hub at {hub}: {}", error_chain(&e)),
        }
    }
    Err(last)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s = format!("{s}: {t}");
        }
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_read_with_or_without_colons_in_any_case() {
        let hex = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(parse_fingerprint(&hex), Ok(hex.clone()));
        assert_eq!(parse_fingerprint(&colons), Ok(hex.clone()));
        assert_eq!(parse_fingerprint(&format!(" {colons}\n")), Ok(hex));
        let err = parse_fingerprint("abc").expect_err("short");
        assert!(
            err.starts_with("--ca-sha256: expected") && err.contains("got 3"),
            "{err}"
        );
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn only_the_pinned_ca_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = greenroom_pki::CertificateAuthority::load_or_create(&dir.path().join("a"))
            .expect("ca a");
        let b = greenroom_pki::CertificateAuthority::load_or_create(&dir.path().join("b"))
            .expect("ca b");
        let answer = CaCertificates {
            ca_pem: a.cert_pem().to_string(),
            ca_bundle_pem: vec![a.cert_pem().to_string(), b.cert_pem().to_string()],
        };
        assert_eq!(
            pinned_ca(&answer, &a.fingerprint()),
            Ok(a.cert_pem().to_string())
        );
        assert_eq!(
            pinned_ca(&answer, &b.fingerprint()),
            Ok(b.cert_pem().to_string())
        );
        let other = "0".repeat(64);
        let err = pinned_ca(&answer, &other).expect_err("not pinned");
        assert_eq!(
            err,
            format!(
                "the hub's CA fingerprint is {}, not the {other} you gave: do not trust this hub",
                a.fingerprint()
            )
        );
    }
}
