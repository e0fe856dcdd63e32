//! What the agent knows about its server: static facts (hostname, IP, OS) and live metrics
//! (CPU, memory, disk, load, uptime) sampled with `sysinfo` and `statvfs`.
//!
//! One background sampler refreshes a shared [`Metrics`] value; the heartbeat and the local
//! health endpoint only read it, so neither waits for a CPU measurement window.

use crate::config::AgentConfig;
use greenroom_proto::{Facts, Metrics};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use sysinfo::System;

/// Figures the local API shows beyond the heartbeat's [`Metrics`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LocalMetrics {
    /// Bytes per second read from / written to the machine's disks, over the last period.
    pub disk_read_bytes_per_sec: f64,
    pub disk_write_bytes_per_sec: f64,
    /// The agent process itself.
    pub agent_rss_mb: f64,
    pub agent_cpu_seconds: f64,
}

/// The most recent metrics sample, shared by the heartbeat and the health endpoint.
#[derive(Debug, Clone, Default)]
pub struct SharedMetrics(Arc<RwLock<(Metrics, LocalMetrics)>>);

impl SharedMetrics {
    /// The latest sample (all zeros before the first one, or when collection is off).
    pub fn get(&self) -> Metrics {
        match self.0.read() {
            Ok(m) => m.0.clone(),
            Err(poisoned) => poisoned.into_inner().0.clone(),
        }
    }

    /// The latest local-only figures (the agent's own usage is read now).
    pub fn local(&self) -> LocalMetrics {
        let mut l = match self.0.read() {
            Ok(m) => m.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        };
        let (rss, cpu) = own_usage();
        l.agent_rss_mb = rss;
        l.agent_cpu_seconds = cpu;
        l
    }

    fn set(&self, m: (Metrics, LocalMetrics)) {
        match self.0.write() {
            Ok(mut g) => *g = m,
            Err(poisoned) => *poisoned.into_inner() = m,
        }
    }
}

/// The agent's resident memory (MiB) and CPU seconds so far, from `/proc/self`.
pub fn own_usage() -> (f64, f64) {
    // SAFETY: sysconf has no preconditions.
    let (page, tick) = unsafe {
        (
            libc::sysconf(libc::_SC_PAGESIZE).max(1) as f64,
            libc::sysconf(libc::_SC_CLK_TCK).max(1) as f64,
        )
    };
    let rss = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|t| t.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| round2(pages * page / (1024.0 * 1024.0)));
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|t| {
            let rest = &t[t.rfind(')')? + 1..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            // utime and stime are fields 14 and 15 of proc(5); `f[0]` is field 3.
            Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
        })
        .map_or(0.0, |ticks| round2(ticks / tick));
    (rss, cpu)
}

/// Bytes read and written so far by whole disks (not partitions, loop or RAM devices).
fn disk_bytes() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/diskstats").ok()?;
    let mut read = 0u64;
    let mut written = 0u64;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some(name) = f.get(2) else { continue };
        if name.starts_with("loop")
            || name.starts_with("ram")
            || !Path::new("/sys/block").join(name).exists()
        {
            continue;
        }
        read += f.get(5).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) * 512;
        written += f.get(9).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) * 512;
    }
    Some((read, written))
}

/// Samples system metrics; the disk figure is for the filesystem holding `disk_path`.
pub struct Sampler {
    sys: Option<System>,
    disk_path: PathBuf,
    last_io: Option<(std::time::Instant, u64, u64)>,
}

impl Sampler {
    pub fn new(disk_path: &Path) -> Self {
        let sys = match System::new() {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "system metrics are unavailable; reporting zeros");
                None
            }
        };
        Self {
            sys,
            disk_path: disk_path.to_path_buf(),
            last_io: None,
        }
    }

    /// Disk I/O rates since the previous call (0 on the first).
    pub fn sample_local(&mut self) -> LocalMetrics {
        let mut l = LocalMetrics::default();
        if let Some((r, w)) = disk_bytes() {
            let now = std::time::Instant::now();
            if let Some((t, r0, w0)) = self.last_io {
                let secs = now.duration_since(t).as_secs_f64().max(0.001);
                l.disk_read_bytes_per_sec = round2(r.saturating_sub(r0) as f64 / secs);
                l.disk_write_bytes_per_sec = round2(w.saturating_sub(w0) as f64 / secs);
            }
            self.last_io = Some((now, r, w));
        }
        l
    }

    /// Takes one sample. CPU usage is measured since the previous call, so the first
    /// sample's CPU figure is 0.
    pub fn sample(&mut self) -> Metrics {
        let mut m = Metrics {
            disk_usage_percent: disk_usage_percent(&self.disk_path),
            ..Metrics::default()
        };
        if let Ok(l) = System::load_average() {
            m.load_average = [round2(l.one), round2(l.five), round2(l.fifteen)];
        }
        m.uptime_seconds = System::uptime().unwrap_or(0);
        if let Some(sys) = self.sys.as_mut() {
            sys.refresh_cpu_usage();
            sys.refresh_memory();
            m.cpu_percent = round2(f64::from(sys.global_cpu_usage()));
            let total = sys.total_memory();
            if total > 0 {
                m.memory_usage_percent = round2(sys.used_memory() as f64 * 100.0 / total as f64);
            }
        }
        m
    }
}

/// Starts the background sampler (when `enabled`) and returns the shared latest value.
pub fn spawn_sampler(disk_path: &Path, enabled: bool, period: Duration) -> SharedMetrics {
    let shared = SharedMetrics::default();
    if !enabled {
        return shared;
    }
    let mut sampler = Sampler::new(disk_path);
    let out = shared.clone();
    // A first sample now (CPU 0), a real one after the minimum CPU window.
    out.set((sampler.sample(), sampler.sample_local()));
    tokio::spawn(async move {
        tokio::time::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL.max(Duration::from_millis(250)))
            .await;
        loop {
            out.set((sampler.sample(), sampler.sample_local()));
            tokio::time::sleep(period).await;
        }
    });
    shared
}

/// Percentage of the filesystem holding `path` in use, as `df` counts it; falls back to `/`
/// when `path` does not exist yet.
pub fn disk_usage_percent(path: &Path) -> f64 {
    let stat = nix::sys::statvfs::statvfs(path).or_else(|_| nix::sys::statvfs::statvfs("/"));
    let Ok(st) = stat else { return 0.0 };
    let total = st.blocks() as f64;
    let free = st.blocks_free() as f64;
    let avail = st.blocks_available() as f64;
    let used = total - free;
    if used + avail <= 0.0 {
        return 0.0;
    }
    round2(used * 100.0 / (used + avail))
}

fn round2(x: f64) -> f64 {
    if x.is_finite() {
        (x * 100.0).round() / 100.0
    } else {
        0.0
    }
}

/// This machine's hostname ("localhost" when it cannot be read).
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// The first non-loopback address of this machine, IPv4 preferred; `127.0.0.1` if none.
pub fn primary_ip() -> IpAddr {
    let mut v6 = None;
    if let Ok(addrs) = nix::ifaddrs::getifaddrs() {
        for ifa in addrs {
            let Some(addr) = ifa.address else { continue };
            if let Some(sin) = addr.as_sockaddr_in() {
                let ip = sin.ip();
                if !ip.is_loopback() && !ip.is_unspecified() && !ip.is_link_local() {
                    return IpAddr::V4(ip);
                }
            } else if let Some(sin6) = addr.as_sockaddr_in6() {
                let ip = sin6.ip();
                let link_local = (ip.segments()[0] & 0xffc0) == 0xfe80;
                if v6.is_none() && !ip.is_loopback() && !ip.is_unspecified() && !link_local {
                    v6 = Some(IpAddr::V6(ip));
                }
            }
        }
    }
    v6.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
}

/// The facts reported on enrollment and with every heartbeat.
pub fn facts(cfg: &AgentConfig) -> Facts {
    Facts {
        hostname: hostname(),
        ip_address: primary_ip().to_string(),
        os_info: System::long_os_version().unwrap_or_else(|_| std::env::consts::OS.to_string()),
        agent_version: env!("CARGO_PKG_VERSION").to_string(),
        environment: cfg.agent.environment.clone(),
        server_group: cfg.agent.server_group.clone(),
        tags: cfg.agent.tags.clone(),
        capabilities: [
            "shell_execution",
            "file_operations",
            "service_management",
            "database_query",
            "network_checks",
        ]
        .map(String::from)
        .to_vec(),
        max_concurrent_jobs: cfg.execution.max_concurrent_jobs,
        timeout_default: cfg.execution.default_timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_real_values_in_range() {
        let mut s = Sampler::new(Path::new("/"));
        s.sample();
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        let m = s.sample();
        assert!((0.0..=100.0).contains(&m.cpu_percent), "{m:?}");
        assert!(
            m.memory_usage_percent > 0.0 && m.memory_usage_percent <= 100.0,
            "{m:?}"
        );
        assert!(
            m.disk_usage_percent > 0.0 && m.disk_usage_percent <= 100.0,
            "{m:?}"
        );
        assert!(m.uptime_seconds > 0, "{m:?}");
        assert!(m.load_average.iter().all(|l| *l >= 0.0), "{m:?}");
    }

    #[test]
    fn disk_usage_falls_back_to_root_for_a_missing_dir() {
        let p = disk_usage_percent(Path::new("/nonexistent/greenroom/state"));
        assert!(p > 0.0, "{p}");
        assert!(!hostname().is_empty());
    }
}
