//! `greenroom-hub backup` and `restore`: the whole store and the certificate authority in
//! one file, the same format for SQLite and MongoDB (a backup of one restores into the
//! other).
//!
//! The file is JSON lines: a header (`{"format": "greenroom-backup", "version": 1, ...}`),
//! then one line per record (`{"c": collection, "d": record}`, collections in the order a
//! restore writes them), then the CA's files (`{"file": "pki/ca.crt", "mode", "base64"}`).
//! Records keep their secrets sealed: restoring needs the same `security.encryption_key`
//! (or `jwt_secret`). The file holds the CA's private key, so it is written 0600 and must be
//! kept as carefully as the key itself.

use crate::store::Store;
use crate::store::dump::COLLECTIONS;
use anyhow::{Context as _, bail};
use base64::Engine as _;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

const FORMAT: &str = "greenroom-backup";
const VERSION: u64 = 1;
/// Records read from the store per call.
const PAGE: u32 = 500;

/// What a backup or restore wrote, per collection.
#[derive(Debug, Default)]
pub struct Counts {
    pub records: Vec<(String, u64)>,
    pub files: usize,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total: u64 = self.records.iter().map(|(_, n)| n).sum();
        write!(f, "{total} records")?;
        let shown: Vec<String> = self
            .records
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        if !shown.is_empty() {
            write!(f, " ({})", shown.join(", "))?;
        }
        write!(f, ", {} CA files", self.files)
    }
}

/// Writes the store and the CA of `data_dir` to `out` (created, mode 0600).
pub async fn backup(store: &dyn Store, data_dir: &Path, out: &Path) -> anyhow::Result<Counts> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .with_context(|| format!("cannot create {} (it must not exist yet)", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let header = json!({"format": FORMAT, "version": VERSION, "created_at": chrono::Utc::now(), "store": store.backend()});
    writeln!(w, "{header}")?;
    let mut counts = Counts::default();
    for (collection, _) in COLLECTIONS {
        let mut n = 0u64;
        loop {
            let page = store.dump(collection, n, PAGE).await?;
            for d in &page {
                writeln!(w, "{}", json!({"c": collection, "d": d}))?;
            }
            n += page.len() as u64;
            if page.len() < PAGE as usize {
                break;
            }
        }
        counts.records.push((collection.to_string(), n));
    }
    let pki = data_dir.join("pki");
    for (rel, bytes) in crate::ca::shared::read_dir_files(&pki)? {
        let path = pki.join(&rel);
        let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
        let line = json!({"file": format!("pki/{rel}"), "mode": mode, "base64": base64::engine::general_purpose::STANDARD.encode(bytes)});
        writeln!(w, "{line}")?;
        counts.files += 1;
    }
    w.flush()?;
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?
        .sync_all()?;
    Ok(counts)
}

/// Whether the store holds anything a restore would collide with.
async fn is_empty(store: &dyn Store) -> anyhow::Result<bool> {
    for collection in [
        "users",
        "servers",
        "executions",
        "action_templates",
        "audit_logs",
    ] {
        if !store.dump(collection, 0, 1).await?.is_empty() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Writes a batch of one collection's records and counts them.
async fn write_batch(
    store: &dyn Store,
    collection: &str,
    batch: &mut Vec<Value>,
    counts: &mut Counts,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    store
        .restore(collection, batch)
        .await
        .with_context(|| format!("restoring {collection}"))?;
    let n = batch.len() as u64;
    match counts.records.iter_mut().find(|(c, _)| c == collection) {
        Some((_, total)) => *total += n,
        None => counts.records.push((collection.to_string(), n)),
    }
    batch.clear();
    Ok(())
}

/// Restores `from` into an empty store and `data_dir`'s pki dir (which must hold no CA
/// unless `replace_ca`).
pub async fn restore(
    store: &dyn Store,
    data_dir: &Path,
    from: &Path,
    replace_ca: bool,
) -> anyhow::Result<Counts> {
    let file =
        std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut lines = std::io::BufReader::new(file).lines();
    let header: Value = match lines.next() {
        Some(l) => serde_json::from_str(&l?).context("the first line is not a backup header")?,
        None => bail!("{} is empty", from.display()),
    };
    if header["format"] != FORMAT {
        bail!("{} is not a Greenroom backup", from.display());
    }
    if header["version"].as_u64() != Some(VERSION) {
        bail!(
            "backup version {} is not one this hub reads ({VERSION})",
            header["version"]
        );
    }
    if !is_empty(store).await? {
        bail!("the store is not empty: restore into a new database (or a wiped data dir)");
    }
    let stored_ca = store.pki_files().await?;
    if !replace_ca && stored_ca.is_some() {
        bail!("the store already has a CA; pass --replace-ca to replace it with the backup's");
    }
    if !replace_ca
        && data_dir
            .join("pki")
            .join(greenroom_pki::CA_CERT_FILE)
            .exists()
    {
        bail!(
            "{} already has a CA; pass --replace-ca to replace it with the backup's",
            data_dir.join("pki").display()
        );
    }
    let mut counts = Counts::default();
    let mut batch: Vec<Value> = Vec::new();
    let mut current = String::new();
    let mut files = Vec::new();
    for (i, line) in lines.enumerate() {
        let v: Value =
            serde_json::from_str(&line?).with_context(|| format!("line {} is not JSON", i + 2))?;
        if v.get("file").is_some() {
            files.push(v);
            continue;
        }
        let c = v["c"]
            .as_str()
            .with_context(|| format!("line {}: no collection", i + 2))?;
        if crate::store::dump::kind_of(c).is_none() {
            bail!("line {}: unknown collection {c:?}", i + 2);
        }
        if c != current || batch.len() >= PAGE as usize {
            write_batch(store, &current, &mut batch, &mut counts).await?;
            current = c.to_string();
        }
        batch.push(v["d"].clone());
    }
    write_batch(store, &current, &mut batch, &mut counts).await?;
    for f in files {
        let rel = f["file"].as_str().context("a file line without its path")?;
        if rel.split('/').any(|part| part == ".." || part.is_empty()) || !rel.starts_with("pki/") {
            bail!("a file outside the pki dir in the backup: {rel:?}");
        }
        let path = data_dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap_or(data_dir))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(f["base64"].as_str().unwrap_or_default())
            .with_context(|| format!("{rel}: not base64"))?;
        let mode = f["mode"].as_u64().unwrap_or(0o600) as u32 & 0o777;
        let tmp = path.with_extension("restore-tmp");
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?
            .write_all(&bytes)?;
        std::fs::rename(&tmp, &path)?;
        counts.files += 1;
    }
    // The store holds the CA every hub of it uses: the backup's replaces what it had.
    if counts.files > 0 {
        let files = crate::ca::shared::read_dir_files(&data_dir.join("pki"))?;
        if !store
            .put_pki_files(&files, stored_ca.map(|p| p.version))
            .await?
        {
            bail!("the CA in the store changed during the restore; run it again");
        }
    }
    Ok(counts)
}
