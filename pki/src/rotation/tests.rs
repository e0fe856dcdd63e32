//! Unit tests of the rotation steps, the bundle and the issuer checks.

use super::*;
use crate::generate_agent_key_and_csr;

fn agent_cert(ca: &CertificateAuthority, id: &str) -> String {
    let (_, csr) = generate_agent_key_and_csr(id).unwrap();
    ca.sign_agent_csr(&csr, id, 30).unwrap().certificate_pem
}

fn certs_in(pem: &str) -> usize {
    pem.matches("BEGIN CERTIFICATE").count()
}

#[test]
fn a_full_rotation_moves_trust_and_signing_in_three_steps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let start = CaSet::load(d).unwrap();
    assert_eq!(start.bundle.cas().len(), 1);
    let old_fp = start.active.fingerprint.clone();
    let before = agent_cert(&start.signer, "web-01");
    assert_eq!(
        start.bundle.issuer_of(&before).map(|c| c.role),
        Some(CaRole::Active)
    );

    // Stage: two CAs trusted, the old one still signs.
    let next = stage(d).unwrap();
    let staged = CaSet::load(d).unwrap();
    assert_eq!(staged.bundle.cas().len(), 2);
    assert_eq!(certs_in(&staged.bundle.pem()), 2);
    assert_eq!(staged.bundle.pems().len(), 2);
    assert_eq!(staged.active.fingerprint, old_fp);
    assert_eq!(staged.next.as_ref().unwrap().fingerprint, next.fingerprint);
    assert_ne!(staged.bundle.sha256(), start.bundle.sha256());
    assert_eq!(
        bundle_sha256_pem(&staged.bundle.pem()).unwrap(),
        staged.bundle.sha256()
    );
    let staged_signed = agent_cert(&staged.signer, "web-02");
    assert_eq!(
        staged.bundle.issuer_of(&staged_signed).unwrap().fingerprint,
        old_fp
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(d.join(NEXT_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Activate: the next CA signs; the old one is retiring, still trusted. Same CAs, so the
    // bundle's hash does not change (agents that fetched it after staging are up to date).
    let active = activate(d).unwrap();
    assert_eq!(active.fingerprint, next.fingerprint);
    let act = CaSet::load(d).unwrap();
    assert_eq!(act.signer.fingerprint(), next.fingerprint);
    assert_eq!(act.retiring.as_ref().unwrap().fingerprint, old_fp);
    assert!(act.next.is_none());
    assert_eq!(act.bundle.sha256(), staged.bundle.sha256());
    let after = agent_cert(&act.signer, "web-01");
    assert_eq!(
        act.bundle.issuer_of(&after).map(|c| c.role),
        Some(CaRole::Active)
    );
    assert_eq!(
        act.bundle.issuer_of(&before).map(|c| c.role),
        Some(CaRole::Retiring)
    );
    assert!(d.join(RETIRING_KEY_FILE).exists());

    // Finish: the old CA leaves the bundle, its key is gone, its certificate archived.
    let retired = finish(d).unwrap();
    assert_eq!(retired.fingerprint, old_fp);
    assert_eq!(
        retired.path,
        d.join(RETIRED_DIR).join(format!("{old_fp}.crt"))
    );
    assert!(retired.path.is_file());
    assert!(!d.join(RETIRING_KEY_FILE).exists() && !d.join(RETIRING_CERT_FILE).exists());
    let done = CaSet::load(d).unwrap();
    assert_eq!(done.bundle.cas().len(), 1);
    assert!(done.bundle.issuer_of(&before).is_none());
    assert!(done.bundle.issuer_of(&after).is_some());
    assert!(done.bundle.by_fingerprint(&old_fp).is_none());
}

#[test]
fn steps_out_of_order_are_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    CaSet::load(d).unwrap();
    let err = activate(d).unwrap_err().to_string();
    assert!(err.contains("ca rotate stage"), "{err}");
    let err = finish(d).unwrap_err().to_string();
    assert!(err.contains("no CA is retiring"), "{err}");
    stage(d).unwrap();
    let err = stage(d).unwrap_err().to_string();
    assert!(err.contains("staged already"), "{err}");
    activate(d).unwrap();
    let err = stage(d).unwrap_err().to_string();
    assert!(err.contains("ca rotate finish"), "{err}");
    let err = activate(d).unwrap_err().to_string();
    assert!(err.contains("no CA is staged"), "{err}");
}

#[test]
fn a_corrupt_next_key_is_named_and_nothing_moves() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let start = CaSet::load(d).unwrap();
    stage(d).unwrap();
    fs::write(d.join(NEXT_KEY_FILE), "garbage").unwrap();
    for err in [
        CaSet::load(d).err().unwrap().to_string(),
        activate(d).unwrap_err().to_string(),
    ] {
        assert!(err.contains("ca-next.key") && !err.contains('\n'), "{err}");
    }
    assert_eq!(
        CertificateAuthority::load_or_create(d)
            .unwrap()
            .fingerprint(),
        start.active.fingerprint
    );
    assert!(!d.join(RETIRING_CERT_FILE).exists());
    // A key of another CA is refused as well: it would sign what nobody trusts.
    let other = tempfile::tempdir().unwrap();
    CertificateAuthority::load_or_create(other.path()).unwrap();
    fs::copy(other.path().join(CA_KEY_FILE), d.join(NEXT_KEY_FILE)).unwrap();
    let err = CaSet::load(d).err().unwrap().to_string();
    assert!(
        err.contains("ca-next.key") && err.contains("not the key"),
        "{err}"
    );
}

#[test]
fn an_interrupted_activation_is_refused_at_load_and_completed_by_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = CaSet::load(d).unwrap().active.fingerprint;
    let next = stage(d).unwrap().fingerprint;
    // A crash after the first two renames: no ca.crt / ca.key for a moment.
    fs::rename(d.join(CA_KEY_FILE), d.join(RETIRING_KEY_FILE)).unwrap();
    fs::rename(d.join(CA_CERT_FILE), d.join(RETIRING_CERT_FILE)).unwrap();
    let err = CaSet::load(d).err().unwrap().to_string();
    assert!(err.contains("interrupted"), "{err}");
    assert!(!d.join(CA_CERT_FILE).exists(), "no new CA was created");
    assert_eq!(activate(d).unwrap().fingerprint, next);
    let set = CaSet::load(d).unwrap();
    assert_eq!(set.retiring.unwrap().fingerprint, old);
    // And after the third rename.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    CaSet::load(d).unwrap();
    let next = stage(d).unwrap().fingerprint;
    for (from, to) in [
        (CA_KEY_FILE, RETIRING_KEY_FILE),
        (CA_CERT_FILE, RETIRING_CERT_FILE),
        (NEXT_KEY_FILE, CA_KEY_FILE),
    ] {
        fs::rename(d.join(from), d.join(to)).unwrap();
    }
    assert!(CaSet::load(d).is_err());
    assert_eq!(activate(d).unwrap().fingerprint, next);
    assert_eq!(CaSet::load(d).unwrap().signer.fingerprint(), next);
}

#[test]
fn the_bundle_hash_ignores_order_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    CaSet::load(d).unwrap();
    stage(d).unwrap();
    let set = CaSet::load(d).unwrap();
    let pems = set.bundle.pems();
    let reversed = format!("{}\n\n{}", pems[1], pems[0]);
    assert_eq!(bundle_sha256_pem(&reversed).unwrap(), set.bundle.sha256());
    let doubled = format!("{}{}", set.bundle.pem(), pems[0]);
    assert_eq!(bundle_sha256_pem(&doubled).unwrap(), set.bundle.sha256());
    assert_ne!(bundle_sha256_pem(&pems[0]).unwrap(), set.bundle.sha256());
    assert!(bundle_sha256_pem("no certificate here").is_err());
    assert!(set.bundle.issuer_of("not a certificate").is_none());
}
