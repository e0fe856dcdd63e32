//! `tls_certificate_expiry`: connect with TLS (tokio-rustls, ring), take the certificate the
//! server presents — whoever signed it, so an untrusted or expired certificate can still be
//! read — and check the days left before it expires; whether the chain is trusted by the
//! system's roots for `server_name` is reported as its own check.

use super::{Executor, check};
use crate::runner::{Finished, JobControl, Policy};
use greenroom_pki::roots::system_roots;
use greenroom_proto::{CheckResult, TlsCertificateExpiry};
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Accepts any chain (signatures of the handshake are still checked) and keeps it.
#[derive(Debug)]
struct Recorder {
    provider: Arc<CryptoProvider>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        *self.chain.lock().unwrap_or_else(|p| p.into_inner()) = chain;
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

async fn presented_chain(
    host: &str,
    port: u16,
    name: ServerName<'static>,
    provider: Arc<CryptoProvider>,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let recorder = Arc::new(Recorder {
        provider: provider.clone(),
        chain: Mutex::new(Vec::new()),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS handshake with {host}:{port} failed: {e}"))?;
    let chain = recorder
        .chain
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if chain.is_empty() {
        return Err("the server presented no certificate".into());
    }
    Ok(chain)
}

fn expiry_check(cert: &CertificateDer<'_>, min_days: u32) -> CheckResult {
    let expected = format!(">= {min_days} days");
    match x509_parser::parse_x509_certificate(cert.as_ref()) {
        Ok((_, x)) => {
            let not_after = x.validity().not_after.timestamp();
            let now = chrono::Utc::now().timestamp();
            let days = (not_after - now).div_euclid(86_400);
            let when = chrono::DateTime::from_timestamp(not_after, 0)
                .map_or_else(|| not_after.to_string(), |t| t.to_rfc3339());
            check(
                "days_remaining",
                days >= i64::from(min_days),
                format!("{days} days (not after {when}; subject {})", x.subject()),
                expected,
            )
        }
        Err(e) => check(
            "days_remaining",
            false,
            format!("unreadable certificate: {e}"),
            expected,
        ),
    }
}

fn trust_check(
    chain: &[CertificateDer<'static>],
    name: &ServerName<'static>,
    provider: Arc<CryptoProvider>,
) -> CheckResult {
    let expected = "a chain trusted by the system's roots for this name";
    let verifier =
        match rustls::client::WebPkiServerVerifier::builder_with_provider(system_roots(), provider)
            .build()
        {
            Ok(v) => v,
            Err(e) => return check("trusted", false, format!("no trust store: {e}"), expected),
        };
    match verifier.verify_server_cert(&chain[0], &chain[1..], name, &[], UnixTime::now()) {
        Ok(_) => check("trusted", true, "trusted", expected),
        Err(e) => check("trusted", false, e.to_string(), expected),
    }
}

impl Executor for TlsCertificateExpiry {
    async fn execute(&self, _policy: &Policy, _ctl: JobControl) -> Finished {
        let port = self.port.unwrap_or(443);
        let sni = self
            .server_name
            .clone()
            .unwrap_or_else(|| self.host.clone());
        let name = match ServerName::try_from(sni.clone()) {
            Ok(n) => n,
            Err(e) => return Finished::failed(format!("server_name {sni:?}: {e}")),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let timeout = Duration::from_secs(self.timeout.unwrap_or(10));
        let chain = match tokio::time::timeout(
            timeout,
            presented_chain(&self.host, port, name.clone(), provider.clone()),
        )
        .await
        {
            Ok(Ok(chain)) => chain,
            Ok(Err(e)) => {
                return Finished::from_checks(
                    vec![check("handshake", false, e, "a TLS server")],
                    Vec::new(),
                );
            }
            Err(_) => {
                return Finished::from_checks(
                    vec![check(
                        "handshake",
                        false,
                        format!("no handshake within {} s", timeout.as_secs()),
                        "a TLS server",
                    )],
                    Vec::new(),
                );
            }
        };
        let checks = vec![
            expiry_check(&chain[0], self.min_days_remaining.unwrap_or(14)),
            trust_check(&chain, &name, provider),
        ];
        Finished::from_checks(checks, Vec::new())
    }
}
