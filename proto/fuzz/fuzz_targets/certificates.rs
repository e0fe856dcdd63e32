//! CSR and certificate handling: any text as an agent's CSR is signed or refused with an
//! error (the certificate then names the server the hub vouches for, never the CSR's own
//! subject); any text as a certificate's PEM gives a fingerprint and expiry or an error.
#![no_main]

use base64::Engine;
use greenroom_pki::{CertificateAuthority, fingerprint_pem, not_after_pem};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn ca() -> &'static CertificateAuthority {
    static CA: OnceLock<(tempfile::TempDir, CertificateAuthority)> = OnceLock::new();
    &CA.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ca = CertificateAuthority::load_or_create(dir.path()).expect("a CA in a new directory");
        (dir, ca)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = fingerprint_pem(&text);
    let _ = not_after_pem(&text);
    // The bytes as a CSR: PEM as given, anything else as DER wrapped in PEM.
    let pem = if text.contains("-----BEGIN") {
        text.to_string()
    } else {
        let b64 = base64::engine::general_purpose::STANDARD.encode(data);
        format!("-----BEGIN CERTIFICATE REQUEST-----\n{b64}\n-----END CERTIFICATE REQUEST-----\n")
    };
    let _ = fingerprint_pem(&pem.replace("CERTIFICATE REQUEST", "CERTIFICATE"));
    if let Ok(signed) = ca().sign_agent_csr(&pem, "web-01", 30) {
        assert!(signed.certificate_pem.contains("BEGIN CERTIFICATE"));
        let fp = fingerprint_pem(&signed.certificate_pem).expect("our own certificate reads");
        assert_eq!(fp, signed.fingerprint);
    }
});
