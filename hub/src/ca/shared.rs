//! The certificate authority every hub of one store shares: its files live in the store
//! (sealed with the hub's at-rest key, `security.encryption_key` or the one derived from
//! `jwt_secret`, which replicas share anyway since they read each other's sealed secrets),
//! and each hub's pki dir is its own copy of them.
//!
//! Why the store and not a shared mount: replicas then need nothing but the store, Redis and
//! their config — no network filesystem to provision, keep writable, or lose (a shared mount
//! would be one more single point of failure for a deployment that runs replicas to have
//! none). The key is no more exposed than the secrets the store already seals.
//!
//! - At start ([`startup`]): the store's copy, when there is one, replaces the pki dir's;
//!   else a CA already in the pki dir (a hub from before) is saved to the store; else a new
//!   CA is made and saved — if another replica saved one first, its CA is taken instead.
//! - While running ([`follow`], every `ca::RELOAD_PERIOD`): a newer version in the store is
//!   written to the pki dir, which the hub then reloads as it does any change there.
//! - `greenroom-hub ca rotate …` reads the store's copy into the pki dir, changes it, and
//!   saves it over the version it read ([`save`]): two steps run at once cannot both win.

use crate::store::Store;
use anyhow::Context as _;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// Every file under `dir` (the retired archive included), by path relative to it.
pub fn read_dir_files(dir: &Path) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e?.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_none_or(|x| x != "tmp") {
                let rel = p.strip_prefix(dir)?.to_string_lossy().into_owned();
                let bytes =
                    std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?;
                out.insert(rel, bytes);
            }
        }
    }
    Ok(out)
}

/// A relative path that stays inside the pki dir.
fn inside(dir: &Path, rel: &str) -> anyhow::Result<PathBuf> {
    if rel.is_empty() || rel.starts_with('/') || rel.split('/').any(|p| p == ".." || p.is_empty()) {
        anyhow::bail!("the CA's files name a path outside the pki dir: {rel:?}");
    }
    Ok(dir.join(rel))
}

/// Makes `dir` hold exactly `files`: changed ones written atomically (keys 0600, the rest
/// 0644), ones no longer there removed. `files` must hold a CA.
pub fn write_dir_files(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<bool> {
    if !files.contains_key(greenroom_pki::CA_CERT_FILE)
        && !files.contains_key(greenroom_pki::RETIRING_CERT_FILE)
    {
        anyhow::bail!("the CA's files hold no CA certificate");
    }
    let present = read_dir_files(dir).unwrap_or_default();
    if &present == files {
        return Ok(false);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    for (rel, bytes) in files {
        if present.get(rel) == Some(bytes) {
            continue;
        }
        let path = inside(dir, rel)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mode = if rel.ends_with(".key") { 0o600 } else { 0o644 };
        let tmp = path.with_extension("sync.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
    }
    for rel in present.keys().filter(|k| !files.contains_key(*k)) {
        let _ = std::fs::remove_file(inside(dir, rel)?);
    }
    Ok(true)
}

/// Brings the pki dir and the store's copy together when a hub starts (see the module
/// header); the version in use.
pub async fn startup(store: &dyn Store, dir: &Path) -> anyhow::Result<u64> {
    for _ in 0..3 {
        if let Some(saved) = store
            .pki_files()
            .await
            .context("reading the CA from the store")?
        {
            write_dir_files(dir, &saved.files)?;
            return Ok(saved.version);
        }
        let local = read_dir_files(dir)?;
        let files = if local.contains_key(greenroom_pki::CA_CERT_FILE) {
            tracing::info!(dir = %dir.display(), "saving this hub's CA to the store, which replicas share it from");
            local
        } else {
            // A new CA, made aside so a replica that loses the race leaves no trace of it.
            let scratch = tempfile_dir(dir)?;
            greenroom_pki::CaSet::load(&scratch).context("creating the certificate authority")?;
            let made = read_dir_files(&scratch);
            let _ = std::fs::remove_dir_all(&scratch);
            made?
        };
        if store
            .put_pki_files(&files, None)
            .await
            .context("saving the CA to the store")?
        {
            write_dir_files(dir, &files)?;
            return Ok(1);
        }
        // Another hub saved one first: take it (next round).
    }
    anyhow::bail!("the CA in the store keeps changing while this hub starts; try again")
}

/// A fresh directory beside `dir` for a CA being made.
fn tempfile_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let p = parent.join(format!(".pki-new-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&p).with_context(|| format!("cannot create {}", p.display()))?;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700))?;
    Ok(p)
}

/// Writes a newer version from the store to the pki dir; whether it did.
pub async fn follow(store: &dyn Store, dir: &Path, version: &mut u64) -> anyhow::Result<bool> {
    let Some(saved) = store.pki_files().await? else {
        return Ok(false);
    };
    if saved.version <= *version {
        return Ok(false);
    }
    write_dir_files(dir, &saved.files)?;
    *version = saved.version;
    Ok(true)
}

/// Saves the pki dir (changed by a rotation step) over version `read`.
pub async fn save(store: &dyn Store, dir: &Path, read: u64) -> anyhow::Result<()> {
    let files = read_dir_files(dir)?;
    if !store.put_pki_files(&files, Some(read)).await? {
        anyhow::bail!(
            "the CA in the store changed while this step ran (another `ca` command, on another replica?): the step is not saved; run `greenroom-hub ca status` and the step again"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn two_hubs_starting_on_one_store_end_up_with_one_ca() {
        let store = SqliteStore::in_memory().unwrap();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (da, db) = (a.path().join("pki"), b.path().join("pki"));
        let (va, vb) = tokio::join!(startup(&store, &da), startup(&store, &db));
        assert_eq!((va.unwrap(), vb.unwrap()), (1, 1));
        let (fa, fb) = (read_dir_files(&da).unwrap(), read_dir_files(&db).unwrap());
        assert_eq!(fa, fb, "two CAs");
        let key = std::fs::metadata(da.join(greenroom_pki::CA_KEY_FILE)).unwrap();
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
        // No scratch dir is left beside the pki dirs.
        for d in [a.path(), b.path()] {
            let names: Vec<_> = std::fs::read_dir(d)
                .unwrap()
                .flatten()
                .map(|e| e.file_name())
                .collect();
            assert_eq!(names, vec![std::ffi::OsString::from("pki")], "{names:?}");
        }
    }

    #[tokio::test]
    async fn a_hub_from_before_saves_its_ca_and_others_follow_changes() {
        let store = SqliteStore::in_memory().unwrap();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (da, db) = (a.path().join("pki"), b.path().join("pki"));
        // A CA made by a hub before the store kept one.
        greenroom_pki::CaSet::load(&da).unwrap();
        let before = read_dir_files(&da).unwrap();
        assert_eq!(startup(&store, &da).await.unwrap(), 1);
        assert_eq!(startup(&store, &db).await.unwrap(), 1);
        assert_eq!(
            read_dir_files(&db).unwrap(),
            before,
            "the second hub did not take the first's CA"
        );
        // A step on A (a new file) saved over version 1 reaches B's dir.
        std::fs::write(da.join("next.crt"), b"staged").unwrap();
        save(&store, &da, 1).await.unwrap();
        let mut v = 1;
        assert!(follow(&store, &db, &mut v).await.unwrap());
        assert_eq!(
            (v, std::fs::read(db.join("next.crt")).unwrap()),
            (2, b"staged".to_vec())
        );
        // A step that read version 1 cannot save over 2; a file removed on A is removed on B.
        assert!(save(&store, &da, 1).await.is_err());
        std::fs::remove_file(da.join("next.crt")).unwrap();
        save(&store, &da, 2).await.unwrap();
        assert!(follow(&store, &db, &mut v).await.unwrap());
        assert!(!db.join("next.crt").exists());
        assert!(!follow(&store, &db, &mut v).await.unwrap(), "nothing new");
    }

    #[test]
    fn paths_outside_the_pki_dir_are_refused() {
        let d = tempfile::tempdir().unwrap();
        for bad in ["../ca.crt", "/etc/passwd", "a//b", ""] {
            let files = BTreeMap::from([
                (greenroom_pki::CA_CERT_FILE.to_string(), b"x".to_vec()),
                (bad.to_string(), b"x".to_vec()),
            ]);
            assert!(write_dir_files(d.path(), &files).is_err(), "{bad:?}");
        }
    }
}
