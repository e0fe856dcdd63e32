//! `disk_free`: free space on the filesystem holding `path`, as a percentage and in MB, as
//! `df` counts it for an unprivileged user (blocks available, not blocks free).

use super::{Executor, check};
use crate::runner::{Finished, JobControl, Policy};
use greenroom_proto::DiskFree;
use std::path::Path;

impl Executor for DiskFree {
    async fn execute(&self, policy: &Policy, _ctl: JobControl) -> Finished {
        if let Err(refusal) = policy.check_path(Path::new(&self.path), "path") {
            return Finished::failed(refusal.to_string());
        }
        let st = match nix::sys::statvfs::statvfs(Path::new(&self.path)) {
            Ok(st) => st,
            Err(e) => {
                return Finished::from_checks(
                    vec![check(
                        "statvfs",
                        false,
                        format!("{}: {e}", self.path),
                        "a mounted filesystem",
                    )],
                    Vec::new(),
                );
            }
        };
        let frag = st.fragment_size().max(1) as f64;
        let total = st.blocks() as f64 * frag;
        let used = (st.blocks() as f64 - st.blocks_free() as f64) * frag;
        let avail = st.blocks_available() as f64 * frag;
        let free_mb = avail / (1024.0 * 1024.0);
        let free_pct = if used + avail > 0.0 {
            avail * 100.0 / (used + avail)
        } else {
            0.0
        };
        let mut checks = Vec::new();
        if let Some(min) = self.min_free_percent {
            checks.push(check(
                "min_free_percent",
                free_pct >= min,
                format!("{free_pct:.1}% free"),
                format!(">= {min}%"),
            ));
        }
        if let Some(min) = self.min_free_mb {
            checks.push(check(
                "min_free_mb",
                free_mb >= min as f64,
                format!(
                    "{free_mb:.0} MB free of {:.0} MB",
                    total / (1024.0 * 1024.0)
                ),
                format!(">= {min} MB"),
            ));
        }
        Finished::from_checks(checks, Vec::new())
    }
}
