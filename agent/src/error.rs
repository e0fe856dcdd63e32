//! The agent's one error type, and the exit status each error means for the process.

/// Why the agent stopped (or could not start). `Display` is the one line logged.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The config file is not usable (exit 2).
    #[error("{0}")]
    Config(String),
    /// The hub refused enrollment; a bad token will not fix itself (exit 1).
    #[error("enrollment refused by the hub: {0}")]
    EnrollmentRefused(String),
    /// The hub revoked or does not know this agent's certificate (exit 3).
    #[error("the hub no longer accepts this agent ({code}): {message}")]
    IdentityRejected { code: String, message: String },
    /// The agent's own files (state directory, key, certificate) are unusable (exit 1).
    #[error("{0}")]
    State(String),
    /// Anything else that prevents start-up, e.g. the health port is taken (exit 1).
    #[error("{0}")]
    Startup(String),
}

impl AgentError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            AgentError::Config(_) => 2,
            AgentError::IdentityRejected { .. } => 3,
            AgentError::EnrollmentRefused(_) | AgentError::State(_) | AgentError::Startup(_) => 1,
        }
    }
}

impl From<greenroom_pki::Error> for AgentError {
    fn from(e: greenroom_pki::Error) -> Self {
        AgentError::State(e.to_string())
    }
}
