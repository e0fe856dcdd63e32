//! A log file that rotates itself by size: `FILE` is written until the next line would pass
//! `max_bytes`, then it becomes `FILE.1` (and `FILE.1` becomes `FILE.2`, …, keeping `keep`).
//! Shared by the hub and the agent; no lean crate rotates by size and count without pulling
//! in a scheduler.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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
    /// Opens (appending) a log file that rotates past `max_bytes`, keeping `keep` old files.
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

/// A size such as `100MB`, `512KB`, `1GB` or a number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_uppercase();
    let (num, mult) = [
        ("GB", 1u64 << 30),
        ("MB", 1 << 20),
        ("KB", 1 << 10),
        ("B", 1),
    ]
    .iter()
    .find_map(|(suffix, m)| t.strip_suffix(suffix).map(|n| (n.trim().to_string(), *m)))
    .unwrap_or((t.clone(), 1));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 100MB"))?;
    if n == 0 {
        return Err("a size must be more than 0".into());
    }
    Ok(n.saturating_mul(mult))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("100MB"), Ok(100 << 20));
        assert_eq!(parse_size("2 kb"), Ok(2048));
        assert_eq!(parse_size("42"), Ok(42));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0MB").is_err());
    }

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
