//! Logging: JSON lines at `execution.log_level` (or `RUST_LOG`), to stderr or to
//! `execution.log_file`, rotated when it would pass `log_max_size_mb` into `FILE.1` …
//! `FILE.N` (`log_max_files`; the oldest is dropped). A small writer of our own: no lean
//! crate rotates by size and count without pulling in a scheduler (`proto::logfile`, shared
//! with the hub).

use crate::config::ExecutionSection;
use greenroom_proto::logfile::RotatingFile;
use std::io;
use std::sync::Mutex;

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
