//! CA rotation on disk, and the trust bundle made of the CAs the hub trusts.
//!
//! Files in the pki dir (`<data_dir>/pki/`):
//! - `ca.crt` / `ca.key` — the **active** CA: it signs the hub's certificate and every agent
//!   certificate.
//! - `ca-next.crt` / `ca-next.key` — the **next** CA, made by [`stage`]: trusted, signs nothing.
//! - `ca-retiring.crt` / `ca-retiring.key` — the CA an [`activate`] replaced: still trusted
//!   (while valid) so that agents holding its certificates keep working until they renew. Its
//!   key signs nothing; it is kept only so an activation can be undone by hand, and [`finish`]
//!   deletes it.
//! - `retired/<fingerprint>.crt` — CAs [`finish`] removed from the bundle (certificate only).
//!
//! The **trust bundle** is active + next + retiring (a retiring CA only while it is valid).
//! Its SHA-256 ([`TrustBundle::sha256`]) is taken over the sorted certificate fingerprints, so
//! it does not depend on order or PEM layout; an agent computes the same over the file it
//! saved ([`bundle_sha256_pem`]).
//!
//! Each step is a few renames in an order a re-run completes after a crash: [`activate`]
//! resumes an interrupted activation, and [`CaSet::load`] refuses a half-done one (rather than
//! creating a new CA in a dir that has no `ca.crt` for a moment).

use crate::{
    CA_CERT_FILE, CA_COMMON_NAME, CA_KEY_FILE, CertificateAuthority, Error, Result, fingerprint,
    read, sync_dir, tls,
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const NEXT_CERT_FILE: &str = "ca-next.crt";
pub const NEXT_KEY_FILE: &str = "ca-next.key";
pub const RETIRING_CERT_FILE: &str = "ca-retiring.crt";
pub const RETIRING_KEY_FILE: &str = "ca-retiring.key";
pub const RETIRED_DIR: &str = "retired";

/// The part a CA plays in a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaRole {
    Active,
    Next,
    Retiring,
}

impl CaRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CaRole::Active => "active",
            CaRole::Next => "next",
            CaRole::Retiring => "retiring",
        }
    }
}

/// One CA certificate of the pki dir.
#[derive(Debug, Clone)]
pub struct CaCert {
    pub role: CaRole,
    pub cert_pem: String,
    /// SHA-256 of the DER certificate, lowercase hex.
    pub fingerprint: String,
    pub not_after: DateTime<Utc>,
    pub path: PathBuf,
}

impl CaCert {
    fn read(path: &Path, role: CaRole) -> Result<Self> {
        let cert_pem = read(path)?;
        let bad = |reason: String| Error::BadCaFile {
            path: path.into(),
            reason,
        };
        let der = tls::certs_from_pem(&cert_pem)
            .map_err(|e| bad(e.to_string()))?
            .remove(0);
        let (_, cert) =
            x509_parser::parse_x509_certificate(&der).map_err(|e| bad(e.to_string()))?;
        let not_after = DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
            .ok_or_else(|| bad("not_after out of range".into()))?;
        Ok(Self {
            role,
            cert_pem,
            fingerprint: fingerprint(&der),
            not_after,
            path: path.into(),
        })
    }

    fn valid_now(&self) -> bool {
        self.not_after > Utc::now()
    }
}

/// The CAs the hub trusts now (active first).
#[derive(Debug, Clone)]
pub struct TrustBundle {
    cas: Vec<CaCert>,
}

impl TrustBundle {
    pub fn cas(&self) -> &[CaCert] {
        &self.cas
    }

    pub fn get(&self, role: CaRole) -> Option<&CaCert> {
        self.cas.iter().find(|c| c.role == role)
    }

    pub fn by_fingerprint(&self, fingerprint: &str) -> Option<&CaCert> {
        self.cas.iter().find(|c| c.fingerprint == fingerprint)
    }

    /// One PEM per CA.
    pub fn pems(&self) -> Vec<String> {
        self.cas.iter().map(|c| c.cert_pem.clone()).collect()
    }

    /// Every CA certificate in one PEM text.
    pub fn pem(&self) -> String {
        self.cas
            .iter()
            .map(|c| c.cert_pem.trim_end().to_string() + "\n")
            .collect()
    }

    /// SHA-256 over the sorted CA fingerprints: equal for equal sets of CAs.
    pub fn sha256(&self) -> String {
        set_sha256(self.cas.iter().map(|c| c.fingerprint.clone()).collect())
    }

    /// The CA of this bundle that issued `cert_pem` (an agent certificate, checked as a TLS
    /// client certificate: signature, validity, client-auth usage), if any.
    pub fn issuer_of(&self, cert_pem: &str) -> Option<&CaCert> {
        let leaf = tls::certs_from_pem(cert_pem).ok()?.into_iter().next()?;
        self.issuer_of_der(&leaf)
    }

    /// [`TrustBundle::issuer_of`] for a DER certificate.
    pub fn issuer_of_der(&self, der: &[u8]) -> Option<&CaCert> {
        let leaf = rustls::pki_types::CertificateDer::from(der);
        let now = rustls::pki_types::UnixTime::now();
        self.cas.iter().find(|ca| {
            let verifier = tls::roots(&ca.cert_pem).ok().and_then(|roots| {
                rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    tls::provider(),
                )
                .build()
                .ok()
            });
            verifier.is_some_and(|v| v.verify_client_cert(&leaf, &[], now).is_ok())
        })
    }
}

fn set_sha256(mut fingerprints: Vec<String>) -> String {
    fingerprints.sort();
    fingerprints.dedup();
    hex::encode(Sha256::digest(fingerprints.join("\n").as_bytes()))
}

/// The [`TrustBundle::sha256`] of the certificates in a PEM text (an agent's saved bundle).
pub fn bundle_sha256_pem(pem: &str) -> Result<String> {
    Ok(set_sha256(
        tls::certs_from_pem(pem)?
            .iter()
            .map(|der| fingerprint(der))
            .collect(),
    ))
}

/// The hub's CA material: the signer (the active CA) and every CA of the pki dir.
pub struct CaSet {
    pub signer: CertificateAuthority,
    pub active: CaCert,
    pub next: Option<CaCert>,
    /// Present until `finish`, even once expired (then it is no longer in the bundle).
    pub retiring: Option<CaCert>,
    pub bundle: TrustBundle,
}

impl CaSet {
    /// Loads the pki dir, creating the first CA on a first start. A staged CA's key is
    /// checked as well (activation will sign with it); a bad file is named in the error.
    pub fn load(dir: &Path) -> Result<Self> {
        let p = |name: &str| dir.join(name);
        let retiring_files = p(RETIRING_CERT_FILE).exists() || p(RETIRING_KEY_FILE).exists();
        let no_active = !p(CA_CERT_FILE).exists() && !p(CA_KEY_FILE).exists();
        let rotation_files =
            retiring_files || p(NEXT_CERT_FILE).exists() || p(NEXT_KEY_FILE).exists();
        if (p(NEXT_CERT_FILE).exists() && retiring_files) || (no_active && rotation_files) {
            return Err(Error::BadCaFile {
                path: dir.into(),
                reason: "a CA activation was interrupted: run `greenroom-hub ca rotate activate` again to complete it".into(),
            });
        }
        let signer = CertificateAuthority::load_or_create(dir)?;
        let active = CaCert::read(&p(CA_CERT_FILE), CaRole::Active)?;
        let next = if p(NEXT_CERT_FILE).exists() {
            CertificateAuthority::load_files(&p(NEXT_CERT_FILE), &p(NEXT_KEY_FILE))?;
            Some(CaCert::read(&p(NEXT_CERT_FILE), CaRole::Next)?)
        } else {
            None
        };
        let retiring = if p(RETIRING_CERT_FILE).exists() {
            Some(CaCert::read(&p(RETIRING_CERT_FILE), CaRole::Retiring)?)
        } else {
            None
        };
        let mut cas = vec![active.clone()];
        cas.extend(next.clone());
        cas.extend(retiring.clone().filter(CaCert::valid_now));
        Ok(Self {
            signer,
            active,
            next,
            retiring,
            bundle: TrustBundle { cas },
        })
    }
}

fn refuse(message: impl Into<String>) -> Error {
    Error::Rotation(message.into())
}

/// Step 1: creates the next CA (`ca-next.crt`, `ca-next.key` 0600). Refused while a CA is
/// already staged or the previous rotation is not finished.
pub fn stage(dir: &Path) -> Result<CaCert> {
    let set = CaSet::load(dir)?;
    if let Some(r) = &set.retiring {
        return Err(refuse(format!(
            "the previous rotation is not finished (retiring CA {}): run `greenroom-hub ca rotate finish` first",
            r.fingerprint
        )));
    }
    if let Some(n) = &set.next {
        return Err(refuse(format!(
            "a next CA is staged already ({}): activate it with `greenroom-hub ca rotate activate`",
            n.fingerprint
        )));
    }
    // A `ca-next.key` without its certificate (a crash during an earlier stage) is replaced.
    let name = format!(
        "{CA_COMMON_NAME} {}",
        Utc::now().format("%Y-%m-%d %H:%M:%S")
    );
    CertificateAuthority::create_files(&dir.join(NEXT_CERT_FILE), &dir.join(NEXT_KEY_FILE), &name)?;
    CaCert::read(&dir.join(NEXT_CERT_FILE), CaRole::Next)
}

/// Step 2: the next CA becomes the active one (the signer); the active one becomes retiring.
/// Re-running it completes an activation a crash interrupted. Returns the new active CA.
pub fn activate(dir: &Path) -> Result<CaCert> {
    let p = |name: &str| dir.join(name);
    let resuming = p(NEXT_CERT_FILE).exists()
        && (p(RETIRING_CERT_FILE).exists() || p(RETIRING_KEY_FILE).exists());
    if !resuming {
        // Checks every file, the staged key included, before anything moves.
        let set = CaSet::load(dir)?;
        if set.next.is_none() {
            return Err(refuse(
                "no CA is staged: run `greenroom-hub ca rotate stage` first",
            ));
        }
    }
    let steps = [
        (CA_KEY_FILE, RETIRING_KEY_FILE),
        (CA_CERT_FILE, RETIRING_CERT_FILE),
        (NEXT_KEY_FILE, CA_KEY_FILE),
        (NEXT_CERT_FILE, CA_CERT_FILE),
    ];
    for (from, to) in steps {
        if p(from).exists() && !p(to).exists() {
            fs::rename(p(from), p(to)).map_err(|source| Error::Io {
                path: p(to),
                source,
            })?;
            sync_dir(&p(to))?;
        }
    }
    Ok(CaSet::load(dir)?.active)
}

/// Step 3: the retiring CA leaves the bundle: its key is deleted and its certificate moved
/// to `retired/<fingerprint>.crt`. Whether agents still use it is the caller's check.
/// Returns the retired CA (with its new path).
pub fn finish(dir: &Path) -> Result<CaCert> {
    let set = CaSet::load(dir)?;
    let Some(mut retiring) = set.retiring else {
        return Err(refuse("no CA is retiring: there is no rotation to finish"));
    };
    let key = dir.join(RETIRING_KEY_FILE);
    match fs::remove_file(&key) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Error::Io {
                path: key,
                source: e,
            });
        }
        _ => sync_dir(&key)?,
    }
    let retired = dir.join(RETIRED_DIR);
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&retired)
            .map_err(|source| Error::Io {
                path: retired.clone(),
                source,
            })?;
    }
    let target = retired.join(format!("{}.crt", retiring.fingerprint));
    fs::rename(&retiring.path, &target).map_err(|source| Error::Io {
        path: target.clone(),
        source,
    })?;
    sync_dir(&target)?;
    sync_dir(&retiring.path)?;
    retiring.path = target;
    Ok(retiring)
}

#[cfg(test)]
mod tests;
