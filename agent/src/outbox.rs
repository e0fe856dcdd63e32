//! The durable outbox: every job result is written here before it is sent, and removed only
//! once the hub acknowledged it. A crash, a network cut or a hub restart loses no result.
//!
//! One file per job, `{job_id}.json` (ids that are not safe file names are hex-encoded),
//! written as a temp file renamed into place, so a restarted agent finds either the whole
//! entry or none. Should the disk refuse a write, the result is kept in memory instead, so
//! it is still delivered while the agent runs.
//!
//! The fsyncs that make an entry survive a power loss (the file, then the directory) run on
//! a blocking thread while the result is already being delivered, not before: when a
//! hundred jobs end at once they queue on the file system's journal for 10–30 ms, all of it
//! added to every result's way to the hub. Nothing is lost by overlapping them: the entry is
//! in the kernel's page cache before it is sent (an agent killed now finds it on restart),
//! and a machine that loses power before the fsync ends loses the entry either way — had
//! the fsync come first, the result would not have been sent yet; here it may already be
//! stored. An entry cut short by such a loss is unreadable and moved aside on start
//! (`pending`), and the hub settles the job as it does one whose agent vanished.

use greenroom_proto::JobResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    job_id: String,
    result: JobResult,
}

/// Results waiting for the hub's acknowledgement.
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    memory: Mutex<BTreeMap<String, JobResult>>,
}

impl Outbox {
    /// Opens (creating, mode 0700) the outbox directory and clears temp files left by a crash.
    pub fn open(dir: &Path) -> io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        for entry in fs::read_dir(dir)?.flatten() {
            if entry.file_name().to_string_lossy().ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            memory: Mutex::new(BTreeMap::new()),
        })
    }

    /// Stores a result: in place when this returns, durable shortly after (see the module
    /// header). On a disk error the result is still kept (in memory) and the error is
    /// returned so the caller can log it.
    pub fn put(&self, job_id: &str, result: &JobResult) -> io::Result<()> {
        let file = match self.write_file(job_id, result) {
            Ok(f) => f,
            Err(e) => {
                self.memory().insert(job_id.to_string(), result.clone());
                return Err(e);
            }
        };
        let dir = self.dir.clone();
        let sync = move || {
            if let Err(e) = file
                .sync_all()
                .and_then(|_| fs::File::open(&dir)?.sync_all())
            {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot flush an outbox entry to disk; it may not survive a power loss");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(sync)),
            Err(_) => sync(),
        }
        Ok(())
    }

    /// Writes the entry and renames it into place; the file, still to be flushed.
    fn write_file(&self, job_id: &str, result: &JobResult) -> io::Result<fs::File> {
        let entry = Entry {
            job_id: job_id.to_string(),
            result: result.clone(),
        };
        let bytes = serde_json::to_vec(&entry).map_err(io::Error::other)?;
        let name = file_stem(job_id);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let dest = self.dir.join(format!("{name}.json"));
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        fs::rename(&tmp, &dest)?;
        Ok(f)
    }

    /// Forgets a result (the hub acknowledged it, or will never take it).
    pub fn remove(&self, job_id: &str) -> io::Result<()> {
        self.memory().remove(job_id);
        match fs::remove_file(self.dir.join(format!("{}.json", file_stem(job_id)))) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Every result not yet acknowledged, oldest first. Unreadable files are moved aside
    /// (`*.corrupt`) with a warning rather than retried forever.
    pub fn pending(&self) -> Vec<(String, JobResult)> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = match fs::read_dir(&self.dir) {
            Ok(rd) => rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .map(|p| {
                    (
                        fs::metadata(&p)
                            .and_then(|m| m.modified())
                            .unwrap_or(std::time::UNIX_EPOCH),
                        p,
                    )
                })
                .collect(),
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "cannot read the outbox");
                Vec::new()
            }
        };
        files.sort();
        let mut out: Vec<(String, JobResult)> = Vec::new();
        for (_, path) in files {
            let parsed = fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<Entry>(&b).map_err(|e| e.to_string()));
            match parsed {
                Ok(e) => out.push((e.job_id, e.result)),
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "unreadable outbox entry moved aside");
                    let _ = fs::rename(&path, path.with_extension("corrupt"));
                }
            }
        }
        for (id, r) in self.memory().iter() {
            if !out.iter().any(|(o, _)| o == id) {
                out.push((id.clone(), r.clone()));
            }
        }
        out
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, JobResult>> {
        self.memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A file name for a job id: the id itself when it is a plain name, else `x` + hex.
fn file_stem(job_id: &str) -> String {
    let plain = !job_id.is_empty()
        && job_id.len() <= 128
        && !job_id.starts_with('.')
        && job_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        job_id.to_string()
    } else {
        let hex: String = job_id.bytes().map(|b| format!("{b:02x}")).collect();
        format!("x{}", &hex[..hex.len().min(200)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use greenroom_proto::{Outcome, ResourceUsage};

    fn result(output: &str) -> JobResult {
        JobResult {
            status: Outcome::Success,
            exit_code: Some(0),
            output: output.to_string(),
            error_output: String::new(),
            execution_time: 0.5,
            resource_usage: ResourceUsage::default(),
            truncated: false,
            started_at: chrono::Utc::now(),
            finished_at: chrono::Utc::now(),
            checks: Vec::new(),
            // Kept across restarts with the result, so the hub's log can still tie it back.
            request_id: Some("req-outbox-1".into()),
            sent_at: None,
        }
    }

    #[test]
    fn a_result_survives_a_new_outbox_and_is_removed_on_ack() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("outbox");
        let r = result("hello");
        Outbox::open(&path)
            .expect("open")
            .put("job-1", &r)
            .expect("put");
        let again = Outbox::open(&path).expect("reopen");
        assert_eq!(again.pending(), vec![("job-1".to_string(), r)]);
        again.remove("job-1").expect("remove");
        assert!(again.pending().is_empty());
        assert!(Outbox::open(&path).expect("reopen").pending().is_empty());
        again.remove("job-1").expect("removing twice is fine");
    }

    #[test]
    fn odd_ids_are_stored_safely_and_corrupt_files_are_moved_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ob = Outbox::open(dir.path()).expect("open");
        ob.put("../../etc/evil", &result("x")).expect("put");
        assert!(!dir.path().join("../../etc/evil.json").exists());
        fs::write(dir.path().join("bad.json"), "{not json").expect("write");
        fs::write(dir.path().join(".half.tmp"), "{").expect("write");
        let pending = ob.pending();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].0, "../../etc/evil");
        assert!(dir.path().join("bad.corrupt").exists());
        Outbox::open(dir.path()).expect("reopen");
        assert!(!dir.path().join(".half.tmp").exists());
    }

    #[test]
    fn a_failed_disk_write_keeps_the_result_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ob = Outbox::open(&dir.path().join("o")).expect("open");
        fs::remove_dir(dir.path().join("o")).expect("rmdir");
        assert!(ob.put("j", &result("kept")).is_err());
        assert_eq!(ob.pending().len(), 1);
        ob.remove("j").expect("remove");
        assert!(ob.pending().is_empty());
    }
}
