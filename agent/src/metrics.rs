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

/// The most recent metrics sample, shared by the heartbeat and the health endpoint.
#[derive(Debug, Clone, Default)]
pub struct SharedMetrics(Arc<RwLock<Metrics>>);

impl SharedMetrics {
    /// The latest sample (all zeros before the first one, or when collection is off).
    pub fn get(&self) -> Metrics {
        match self.0.read() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, m: Metrics) {
        match self.0.write() {
            Ok(mut g) => *g = m,
            Err(poisoned) => *poisoned.into_inner() = m,
        }
    }
}

/// Samples system metrics; the disk figure is for the filesystem holding `disk_path`.
pub struct Sampler {
    sys: Option<System>,
    disk_path: PathBuf,
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
        }
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
    out.set(sampler.sample());
    tokio::spawn(async move {
        tokio::time::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL.max(Duration::from_millis(250)))
            .await;
        loop {
            out.set(sampler.sample());
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
        capabilities: vec!["shell_execution".to_string()],
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
