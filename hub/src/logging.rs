//! Structured logging: JSON lines (or text) to stderr, or to the configured file, rotated by
//! size (`logging.max_file_size`, ten old files kept) with the writer shared with the agent.

use std::path::Path;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `RUST_LOG` overrides `level`.
pub fn init(level: &str, json: bool, file: Option<(&Path, u64)>) -> anyhow::Result<()> {
    let level = match level.to_ascii_uppercase().as_str() {
        "WARNING" => "warn".to_string(),
        other => other.to_ascii_lowercase(),
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},hyper=warn,rustls=warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = match (file, json) {
        (Some((path, max_bytes)), json) => {
            let f = greenroom_proto::logfile::RotatingFile::open(path, max_bytes, 10)?;
            let b = builder
                .with_writer(std::sync::Mutex::new(f))
                .with_ansi(false);
            if json {
                b.json().try_init()
            } else {
                b.try_init()
            }
        }
        (None, true) => builder.with_writer(std::io::stderr).json().try_init(),
        (None, false) => builder.with_writer(std::io::stderr).try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("logging: {e}"))
}
