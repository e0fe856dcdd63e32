//! `file_validation`: checks on one path (`exists`, `readable`, `size_gt_mb:100`, …), each
//! reported with what was observed. The path must not be under a `forbidden_paths` rule;
//! files are read (for `contains` and `sha256`) in a blocking thread, streamed, never whole.

use super::{Executor, check};
use crate::runner::{Finished, JobControl, Policy};
use greenroom_proto::action::{FileCheck, check_spec};
use greenroom_proto::{CheckResult, FileValidation};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

impl Executor for FileValidation {
    async fn execute(&self, policy: &Policy, _ctl: JobControl) -> Finished {
        let path = PathBuf::from(&self.path);
        let path = if path.is_absolute() {
            path
        } else {
            policy.default_working_dir.join(path)
        };
        if let Err(refusal) = policy.check_path(&path, "file") {
            return Finished::failed(refusal.to_string());
        }
        let specs = self.checks.clone();
        let shown = self.path.clone();
        let run = tokio::task::spawn_blocking(move || {
            specs
                .iter()
                .map(|spec| match check_spec(spec) {
                    Ok(c) => run_check(&path, spec, &c),
                    Err(e) => check(spec, false, format!("invalid check: {e}"), ""),
                })
                .collect::<Vec<_>>()
        });
        match run.await {
            Ok(checks) => Finished::from_checks(checks, Vec::new()),
            Err(e) => Finished::failed(format!("[greenroom] checking {shown} failed: {e}")),
        }
    }
}

fn access(path: &Path, mode: libc::c_int) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}

fn yes_no(b: bool) -> String {
    b.to_string()
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / (1024.0 * 1024.0))
}

fn run_check(path: &Path, spec: &str, c: &FileCheck) -> CheckResult {
    let meta = std::fs::metadata(path);
    if let FileCheck::Exists = c {
        return check(spec, meta.is_ok(), yes_no(meta.is_ok()), "true");
    }
    let meta = match meta {
        Ok(m) => m,
        Err(e) => return check(spec, false, format!("cannot stat: {e}"), ""),
    };
    match c {
        FileCheck::Exists => unreachable!("handled above"),
        FileCheck::Readable => bool_check(spec, access(path, libc::R_OK)),
        FileCheck::Writable => bool_check(spec, access(path, libc::W_OK)),
        FileCheck::Executable => bool_check(spec, access(path, libc::X_OK)),
        FileCheck::IsFile => bool_check(spec, meta.is_file()),
        FileCheck::IsDir => bool_check(spec, meta.is_dir()),
        FileCheck::SizeGtMb(n) => {
            let size = meta.len() as f64 / (1024.0 * 1024.0);
            check(spec, size > *n, mb(meta.len()), format!("> {n} MB"))
        }
        FileCheck::SizeLtMb(n) => {
            let size = meta.len() as f64 / (1024.0 * 1024.0);
            check(spec, size < *n, mb(meta.len()), format!("< {n} MB"))
        }
        FileCheck::ModifiedWithin(secs) => {
            let age = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .map_or(0, |d| d.as_secs());
            check(
                spec,
                age <= *secs,
                format!("modified {} ago", human(age)),
                format!("within {}", human(*secs)),
            )
        }
        FileCheck::Owner(want) => {
            let uid = meta.uid();
            let name = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .ok()
                .flatten()
                .map(|u| u.name);
            let passed = name.as_deref() == Some(want.as_str()) || want == &uid.to_string();
            let observed = name.unwrap_or_else(|| format!("uid {uid}"));
            check(spec, passed, observed, want.clone())
        }
        FileCheck::Mode(want) => {
            let mode = meta.permissions().mode() & 0o7777;
            check(
                spec,
                mode == *want,
                format!("{mode:04o}"),
                format!("{want:04o}"),
            )
        }
        FileCheck::Contains(text) => match contains(path, text.as_bytes()) {
            Ok(found) => check(spec, found, yes_no(found), "true"),
            Err(e) => check(spec, false, format!("cannot read: {e}"), "true"),
        },
        FileCheck::Sha256(want) => match sha256(path) {
            Ok(got) => check(spec, &got == want, got, want.clone()),
            Err(e) => check(spec, false, format!("cannot read: {e}"), want.clone()),
        },
    }
}

fn bool_check(spec: &str, b: bool) -> CheckResult {
    check(spec, b, yes_no(b), "true")
}

/// `90061` → `1d1h1m1s`.
fn human(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let mut out = String::new();
    for (v, u) in [(d, 'd'), (h, 'h'), (m, 'm'), (s, 's')] {
        if v > 0 {
            out.push_str(&format!("{v}{u}"));
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// Whether the file contains `needle`, read in chunks (a match may span two chunks).
fn contains(path: &Path, needle: &[u8]) -> std::io::Result<bool> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut window: Vec<u8> = Vec::new();
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(false);
        }
        window.extend_from_slice(&buf[..n]);
        if window.windows(needle.len().max(1)).any(|w| w == needle) {
            return Ok(true);
        }
        let keep = needle.len().saturating_sub(1).min(window.len());
        window.drain(..window.len() - keep);
    }
}

fn sha256(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(h.finalize()));
        }
        h.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_finds_text_across_chunk_boundaries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        let mut data = vec![b'x'; 64 * 1024 - 3];
        data.extend_from_slice(b"NEEDLE");
        std::fs::write(&p, &data).expect("write");
        assert!(contains(&p, b"NEEDLE").expect("read"));
        assert!(!contains(&p, b"HAY").expect("read"));
        assert_eq!(human(90_061), "1d1h1m1s");
    }
}
