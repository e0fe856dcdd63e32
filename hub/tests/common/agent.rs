//! A real `greenroom-agent` process of a test: its state directory and log, restarted or
//! killed as a crash would; and a client for the agent listener.

use super::*;

pub struct Agent {
    pub server_id: String,
    pub state: PathBuf,
    pub proc: Proc,
}

impl Agent {
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state.join("agent.log")).unwrap_or_default()
    }
}

/// A reqwest client for the agent listener with the given rustls config.
pub fn agent_client(cfg: rustls::ClientConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        .build()
        .unwrap()
}

impl Agent {
    /// Starts the agent process again with its existing config and state (already enrolled).
    pub fn respawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.state.join("agent.log"))
            .unwrap();
        let child = Command::new(agent_bin())
            .args(["run", "--config"])
            .arg(self.state.join("agent.yaml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.proc = Proc(child);
    }

    /// SIGKILL, as a crash or a pulled plug would.
    pub fn kill(&mut self) {
        let _ = self.proc.0.kill();
        let _ = self.proc.0.wait();
    }
}
