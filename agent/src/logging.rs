//! Logging: JSON lines at `execution.log_level` (or `RUST_LOG`), to stderr or to
//! `execution.log_file`, rotated when it would pass `log_max_size_mb` into `FILE.1` …
//! `FILE.N` (`log_max_files`; the oldest is dropped). A small writer of our own: no lean
//! crate rotates by size and count without pulling in a scheduler.

use crate::config::ExecutionSection;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A file that rotates itself by size.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: File,
    size: u64,
}

impl RotatingFile {
    pub fn open(path: &Path, max_bytes: u64, keep: u32) -> io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            path: path.to_path_buf(),
            max_bytes: max_bytes.max(1),
            keep: keep.max(1),
            file,
            size,
        })
    }

    fn numbered(&self, n: u32) -> PathBuf {
        let mut s = self.path.as_os_str().to_os_string();
        s.push(format!(".{n}"));
        PathBuf::from(s)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        let _ = std::fs::remove_file(self.numbered(self.keep));
        for n in (1..self.keep).rev() {
            let from = self.numbered(n);
            if from.exists() {
                std::fs::rename(&from, self.numbered(n + 1))?;
            }
        }
        std::fs::rename(&self.path, self.numbered(1))?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max_bytes {
            // A failed rotation must not lose the line: keep writing to the current file.
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Installs the JSON log subscriber: `RUST_LOG` if set, else `execution.log_level`; to
/// `execution.log_file` when set (an unusable file is reported on stderr, and stderr used).
pub fn init(ex: &ExecutionSection) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{},hyper=warn,h2=warn,rustls=warn,reqwest=warn,tokio_postgres=warn,mysql_async=warn",
            ex.log_level.as_filter()
        ))
    });
    let builder = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false);
    if let Some(path) = &ex.log_file {
        match RotatingFile::open(path, ex.log_max_size_mb * 1024 * 1024, ex.log_max_files) {
            Ok(f) => {
                let _ = builder.with_writer(Mutex::new(f)).try_init();
                return;
            }
            Err(e) => eprintln!(
                "execution.log_file: cannot open {}: {e}; logging to stderr",
                path.display()
            ),
        }
    }
    let _ = builder.with_writer(io::stderr).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_rotate_by_size_and_keep_the_configured_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("logs/agent.log");
        let mut f = RotatingFile::open(&path, 100, 2).expect("open");
        for i in 0..20 {
            writeln!(f, "{i:02} {}", "x".repeat(40)).expect("write");
        }
        f.flush().expect("flush");
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        assert!(size(&path) <= 100, "{}", size(&path));
        assert!(size(&path.with_extension("log.1")) > 0);
        assert!(size(&path.with_extension("log.2")) > 0);
        assert!(
            !path.with_extension("log.3").exists(),
            "only two rotated files are kept"
        );
        let last = std::fs::read_to_string(&path).expect("read");
        assert!(last.contains("19 "), "{last}");
        // Reopening appends and knows the size.
        let again = RotatingFile::open(&path, 100, 2).expect("reopen");
        assert_eq!(again.size, size(&path));
    }
}
