//! A real `greenroom-agent` process of a test: its state directory and log, restarted or
//! killed as a crash would; and a client for the agent listener.

use super::*;

pub struct Agent {
    pub server_id: String,
    pub state: PathBuf,
    /// The command prefix it is started through (`ip netns exec NS`, `faketime …`), if any.
    pub launcher: Vec<String>,
    /// The running process; `None` once killed.
    pub proc: Option<Proc>,
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
        self.proc = None;
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.state.join("agent.log"))
            .unwrap();
        let mut cmd = match self.launcher.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(agent_bin());
                c
            }
            None => Command::new(agent_bin()),
        };
        let child = cmd
            .args(["run", "--config"])
            .arg(self.state.join("agent.yaml"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.proc = Some(Proc(child));
    }

    /// SIGKILL, as a crash or a pulled plug would.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.crash();
        }
    }

    /// The process id (panics once killed).
    pub fn pid(&self) -> u32 {
        self.proc.as_ref().expect("the agent runs").0.id()
    }
}
