//! `process_running`: how many processes have the name `name` (the kernel's `comm`, or the
//! base name of `argv[0]`) or a command line containing `pattern`; at least `min_count`.

use super::{Executor, check, clip};
use crate::runner::{Finished, JobControl, Policy};
use greenroom_proto::ProcessRunning;

/// One process: pid, name and command line.
struct Proc {
    pid: i32,
    comm: String,
    cmdline: String,
}

fn processes() -> Vec<Proc> {
    let me = std::process::id() as i32;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|pid| *pid != me)
        .filter_map(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&raw)
                .split('\0')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            // Zombies have finished running.
            let state = crate::runner::process::proc_stat(pid).map(|(s, _)| s);
            (state != Some('Z')).then(|| Proc {
                pid,
                comm: comm.trim_end().to_string(),
                cmdline,
            })
        })
        .collect()
}

/// `pid cmdline` of the processes named `name` or whose command line contains `pattern`.
pub fn matching(name: Option<String>, pattern: Option<String>) -> Vec<String> {
    processes()
        .into_iter()
        .filter(|p| {
            let by_name = name.as_ref().is_some_and(|n| {
                &p.comm == n
                    || p.cmdline
                        .split(' ')
                        .next()
                        .and_then(|a| a.rsplit('/').next())
                        == Some(n.as_str())
            });
            let by_pattern = pattern
                .as_ref()
                .is_some_and(|pat| p.cmdline.contains(pat.as_str()));
            by_name || by_pattern
        })
        .map(|p| format!("{} {}", p.pid, clip(&p.cmdline, 80)))
        .collect()
}

impl Executor for ProcessRunning {
    async fn execute(&self, _policy: &Policy, _ctl: JobControl) -> Finished {
        let name = self.name.clone().filter(|s| !s.is_empty());
        let pattern = self.pattern.clone().filter(|s| !s.is_empty());
        let min = self.min_count.unwrap_or(1);
        let found = tokio::task::spawn_blocking(move || matching(name, pattern))
            .await
            .unwrap_or_default();
        let what = match (&self.name, &self.pattern) {
            (Some(n), Some(p)) => format!("named {n:?} or matching {p:?}"),
            (Some(n), None) => format!("named {n:?}"),
            (None, Some(p)) => format!("matching {p:?}"),
            (None, None) => String::new(),
        };
        let mut observed = format!("{} running", found.len());
        if !found.is_empty() {
            observed.push_str(&format!(" ({})", clip(&found.join("; "), 300)));
        }
        let c = check(
            "min_count",
            found.len() as u64 >= u64::from(min),
            observed,
            format!(">= {min} processes {what}"),
        );
        Finished::from_checks(vec![c], Vec::new())
    }
}
