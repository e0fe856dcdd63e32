//! Greenroom's certificate authority: the hub's CA, its TLS server certificate, and agent
//! certificates signed from CSRs (the agent's key never leaves the agent).
//!
//! This crate has no async and no I/O beyond reading and writing the CA's own files; the hub
//! decides who may enroll, this crate only signs and checks.

pub mod roots;
mod rotation;
mod tls;

pub use rotation::{
    CaCert, CaRole, CaSet, NEXT_CERT_FILE, NEXT_KEY_FILE, RETIRED_DIR, RETIRING_CERT_FILE,
    RETIRING_KEY_FILE, TrustBundle, activate, bundle_sha256_pem, finish, stage,
};

pub use tls::{
    PeerIdentity, agent_client_config, hub_server_config, peer_identity, plain_server_config,
};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Errors of the certificate authority; each names what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("CA file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("CA file {path} is not valid: {reason}")]
    BadCaFile { path: PathBuf, reason: String },
    #[error("certificate signing request is not valid: {0}")]
    BadCsr(String),
    #[error("certificate is not valid: {0}")]
    BadCertificate(String),
    #[error("server id {0:?} is not valid: use 1-128 letters, digits, '.', '-' or '_'")]
    BadServerId(String),
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// A rotation step that cannot be taken now; the message says what to do instead.
    #[error("{0}")]
    Rotation(String),
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// The active CA's files in the pki dir.
pub const CA_CERT_FILE: &str = "ca.crt";
pub const CA_KEY_FILE: &str = "ca.key";
const CA_COMMON_NAME: &str = "Greenroom Hub CA";

/// A certificate signed by the CA.
#[derive(Debug, Clone)]
pub struct SignedCertificate {
    pub certificate_pem: String,
    /// SHA-256 of the DER certificate, lowercase hex: how the hub recognises and revokes it.
    pub fingerprint: String,
    pub not_after: chrono::DateTime<chrono::Utc>,
}

/// The hub's certificate authority, loaded from (or created in) its data directory.
pub struct CertificateAuthority {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl CertificateAuthority {
    /// Loads `ca.crt` and `ca.key` from `dir`, creating a new CA there on first start
    /// (key file mode 0600). A pki dir in the middle of a rotation is loaded with
    /// [`CaSet::load`], which calls this for the active CA.
    pub fn load_or_create(dir: &Path) -> Result<Self> {
        let cert_path = dir.join(CA_CERT_FILE);
        let key_path = dir.join(CA_KEY_FILE);
        if cert_path.exists() || key_path.exists() {
            return Self::load_files(&cert_path, &key_path);
        }
        fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.into(),
            source,
        })?;
        Self::create_files(&cert_path, &key_path, CA_COMMON_NAME)
    }

    /// Loads a CA from its certificate and key files; an unreadable or invalid file is named.
    pub fn load_files(cert_path: &Path, key_path: &Path) -> Result<Self> {
        let cert_pem = read(cert_path)?;
        let key_pem = read(key_path)?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| Error::BadCaFile {
            path: key_path.into(),
            reason: e.to_string(),
        })?;
        let issuer = Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| Error::BadCaFile {
            path: cert_path.into(),
            reason: e.to_string(),
        })?;
        // The key must be the certificate's: a CA that signs with another key than the one
        // agents trust would hand out certificates nobody accepts.
        let der = tls::certs_from_pem(&cert_pem)
            .map_err(|e| Error::BadCaFile {
                path: cert_path.into(),
                reason: e.to_string(),
            })?
            .remove(0);
        let (_, cert) =
            x509_parser::parse_x509_certificate(&der).map_err(|e| Error::BadCaFile {
                path: cert_path.into(),
                reason: e.to_string(),
            })?;
        let spki = rcgen::PublicKeyData::subject_public_key_info(issuer.key());
        if cert.public_key().raw != spki.as_slice() {
            return Err(Error::BadCaFile {
                path: key_path.into(),
                reason: format!("it is not the key of {}", cert_path.display()),
            });
        }
        Ok(Self { cert_pem, issuer })
    }

    /// Creates a new self-signed CA (ten years) and writes its key (0600, first) and then
    /// its certificate (atomically).
    pub(crate) fn create_files(
        cert_path: &Path,
        key_path: &Path,
        common_name: &str,
    ) -> Result<Self> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::hours(1);
        params.not_after = now + time::Duration::days(3650);
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key)?;
        write_private(key_path, &key.serialize_pem())?;
        write_atomic(cert_path, &cert.pem())?;
        Ok(Self {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// SHA-256 fingerprint of the CA certificate, lowercase hex.
    pub fn fingerprint(&self) -> String {
        fingerprint_pem(&self.cert_pem).unwrap_or_default()
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issues the hub's TLS server certificate for the given DNS names and IP addresses.
    /// Returns `(certificate_pem, key_pem)`.
    pub fn issue_server_certificate(&self, names: &[String]) -> Result<(String, String)> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(names.to_vec())?;
        params.distinguished_name = dn("Greenroom Hub");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::hours(1);
        params.not_after = now + time::Duration::days(365);
        params.serial_number = Some(random_serial());
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// Signs an agent's CSR. Only the CSR's public key is used: the subject is set to the
    /// server id the hub vouches for, the certificate is for client authentication only.
    pub fn sign_agent_csr(
        &self,
        csr_pem: &str,
        server_id: &str,
        valid_days: i64,
    ) -> Result<SignedCertificate> {
        validate_server_id(server_id)?;
        let csr = CertificateSigningRequestParams::from_pem(csr_pem)
            .map_err(|e| Error::BadCsr(e.to_string()))?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = dn(server_id);
        params.subject_alt_names = vec![SanType::DnsName(
            server_id
                .try_into()
                .map_err(|_| Error::BadServerId(server_id.into()))?,
        )];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::minutes(5);
        let not_after = now + time::Duration::days(valid_days.max(1));
        params.not_after = not_after;
        params.serial_number = Some(random_serial());
        let cert = params.signed_by(&csr.public_key, &self.issuer)?;
        Ok(SignedCertificate {
            certificate_pem: cert.pem(),
            fingerprint: fingerprint(cert.der()),
            not_after: chrono::DateTime::from_timestamp(not_after.unix_timestamp(), 0)
                .unwrap_or_default(),
        })
    }
}

/// A certificate serial number: 16 random bytes, positive and non-zero, so no two
/// certificates of this CA share one — not even two issued for the same key (RFC 5280
/// §4.1.2.2; rcgen would otherwise derive it from the public key).
fn random_serial() -> rcgen::SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    rcgen::SerialNumber::from_slice(&bytes)
}

/// A new agent key and a CSR for it. Returns `(key_pem, csr_pem)`; the key stays with the agent.
pub fn generate_agent_key_and_csr(server_id: &str) -> Result<(String, String)> {
    validate_server_id(server_id)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = dn(server_id);
    let csr = params.serialize_request(&key)?;
    Ok((key.serialize_pem(), csr.pem()?))
}

/// SHA-256 fingerprint of a DER certificate, lowercase hex.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// Fingerprint of the first certificate in a PEM text.
pub fn fingerprint_pem(pem: &str) -> Result<String> {
    let der = tls::certs_from_pem(pem)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::BadCertificate("no certificate in PEM".into()))?;
    Ok(fingerprint(&der))
}

/// `not_after` of the first certificate in a PEM text.
pub fn not_after_pem(pem: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    let der = tls::certs_from_pem(pem)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::BadCertificate("no certificate in PEM".into()))?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| Error::BadCertificate(e.to_string()))?;
    chrono::DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
        .ok_or_else(|| Error::BadCertificate("not_after out of range".into()))
}

/// A server id names one agent: 1-128 of `[A-Za-z0-9._-]`, starting with a letter or digit.
pub fn validate_server_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadServerId(id.into()))
    }
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })
}

/// Writes `text` to a temporary file beside `path`, syncs it and renames it into place.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let io = |source| Error::Io {
        path: path.into(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    sync_dir(path)
}

/// Syncs the directory holding `path` (so a rename in it survives a crash).
pub(crate) fn sync_dir(path: &Path) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| Error::Io {
            path: dir.into(),
            source,
        })
}

/// Writes a private key readable by its owner only (0600), never briefly wider.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    let io = |source| Error::Io {
        path: path.into(),
        source,
    };
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    f.write_all(text.as_bytes()).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_is_created_once_with_a_private_key_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let ca = CertificateAuthority::load_or_create(dir.path()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(CA_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = CertificateAuthority::load_or_create(dir.path()).unwrap();
        assert_eq!(ca.cert_pem(), again.cert_pem());
    }

    /// The serial of a PEM certificate, as its raw big-endian bytes.
    fn serial_of(pem: &str) -> Vec<u8> {
        let der = tls::certs_from_pem(pem).unwrap().remove(0);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        cert.raw_serial().to_vec()
    }

    #[test]
    fn serials_are_random_even_for_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let ca = CertificateAuthority::load_or_create(dir.path()).unwrap();
        let (_key, csr) = generate_agent_key_and_csr("web-01").unwrap();
        let a = ca.sign_agent_csr(&csr, "web-01", 30).unwrap();
        let b = ca.sign_agent_csr(&csr, "web-01", 30).unwrap();
        let (sa, sb) = (serial_of(&a.certificate_pem), serial_of(&b.certificate_pem));
        assert_ne!(sa, sb, "two certificates for one key share a serial");
        for s in [&sa, &sb, &serial_of(ca.cert_pem())] {
            assert!(s.len() <= 20, "serial longer than 20 octets: {s:?}");
            assert!(s.iter().any(|b| *b != 0), "zero serial");
            assert_eq!(s[0] & 0x80, 0, "negative serial: {s:?}");
        }
        let (server_a, _) = ca.issue_server_certificate(&["localhost".into()]).unwrap();
        let (server_b, _) = ca.issue_server_certificate(&["localhost".into()]).unwrap();
        assert_ne!(serial_of(&server_a), serial_of(&server_b));
    }

    #[test]
    fn agent_csr_is_signed_for_the_vouched_server_id() {
        let dir = tempfile::tempdir().unwrap();
        let ca = CertificateAuthority::load_or_create(dir.path()).unwrap();
        let (_key, csr) = generate_agent_key_and_csr("web-01").unwrap();
        let signed = ca.sign_agent_csr(&csr, "web-01", 30).unwrap();
        assert_eq!(
            signed.fingerprint,
            fingerprint_pem(&signed.certificate_pem).unwrap()
        );
        let der = tls::certs_from_pem(&signed.certificate_pem)
            .unwrap()
            .remove(0);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        let cn = cert
            .subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap();
        assert_eq!(cn, "web-01");
        let days = (signed.not_after - chrono::Utc::now()).num_days();
        assert!((29..=30).contains(&days), "{days}");
    }

    #[test]
    fn garbage_csr_and_bad_ids_are_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let ca = CertificateAuthority::load_or_create(dir.path()).unwrap();
        let err = ca.sign_agent_csr("not a csr", "web-01", 30).unwrap_err();
        assert!(err.to_string().contains("signing request"), "{err}");
        assert!(validate_server_id("../etc").is_err());
        assert!(validate_server_id("").is_err());
        assert!(validate_server_id("web_01.dev-a").is_ok());
    }

    #[test]
    fn a_corrupt_ca_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        CertificateAuthority::load_or_create(dir.path()).unwrap();
        fs::write(dir.path().join(CA_KEY_FILE), "garbage").unwrap();
        let err = CertificateAuthority::load_or_create(dir.path())
            .err()
            .unwrap();
        assert!(err.to_string().contains("ca.key"), "{err}");
    }
}
