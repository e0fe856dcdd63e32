//! Errors of the hub's agent API, classified for the caller (retry elsewhere, drop, or
//! stop the agent), and transport failures described for the operator.

use greenroom_proto::ErrorBody;
use serde::de::DeserializeOwned;

/// A failed exchange with the hub.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HubError {
    /// No answer: connection, TLS or timeout. Worth retrying.
    #[error("{0}")]
    Network(String),
    /// A non-2xx answer, with the hub's error body.
    #[error("hub answered {status} {code}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
    },
    /// A 2xx answer whose body is not what the protocol says.
    #[error("unexpected answer from the hub: {0}")]
    Decode(String),
    /// Refused because it was sent with the certificate a renewal has just replaced (or is
    /// replacing). Worth retrying: the next request carries the new certificate.
    #[error("sent with the certificate being replaced by renewal ({0}); retrying")]
    Superseded(String),
}

impl HubError {
    pub fn status(&self) -> Option<u16> {
        match self {
            HubError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The hub revoked or does not know this agent: nothing but an operator can fix it.
    pub fn is_identity_rejected(&self) -> bool {
        matches!(self, HubError::Status { status: 401, code, .. }
            if code == "certificate_revoked" || code == "unknown_agent")
    }

    /// The hub will never accept this request as it is (for results: drop it).
    pub fn is_permanent_rejection(&self) -> bool {
        matches!(self.status(), Some(404 | 409 | 422))
    }

    /// The address did not answer usefully (transport failure, 502 / 503 / 504): another
    /// hub address may.
    pub fn is_failover(&self) -> bool {
        matches!(self, HubError::Network(_)) || matches!(self.status(), Some(502..=504))
    }

    /// A client error that retrying will not fix (not 408 / 429).
    pub fn is_client_error(&self) -> bool {
        self.status()
            .is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429)
    }
}

/// A 2xx answer's JSON body, or the hub's error.
pub(super) async fn read_answer<R: DeserializeOwned>(
    resp: reqwest::Response,
) -> Result<R, HubError> {
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| network(&e))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| HubError::Decode(e.to_string()));
    }
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(b) => (b.error.code, b.error.message),
        Err(_) => {
            let text = String::from_utf8_lossy(&bytes);
            (
                format!("http_{}", status.as_u16()),
                text.chars().take(200).collect(),
            )
        }
    };
    Err(HubError::Status {
        status: status.as_u16(),
        code,
        message,
    })
}

/// An error and all its causes, `: `-joined.
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

/// Says what a transport failure most likely means. A client certificate the hub refuses
/// shows on this side only as a closed connection or an alert, so that is named plainly.
pub(super) fn network(e: &reqwest::Error) -> HubError {
    HubError::Network(describe_transport(
        &chain(e),
        e.is_timeout(),
        e.is_connect(),
    ))
}

pub(super) fn describe_transport(detail: &str, timeout: bool, connect: bool) -> String {
    let lower = detail.to_ascii_lowercase();
    if timeout {
        format!("the hub did not answer in time: {detail}")
    } else if lower.contains("invalid peer certificate") || lower.contains("unknownissuer") {
        format!("the hub's certificate is not trusted (check agent.ca_cert): {detail}")
    } else if lower.contains("connection refused") {
        format!("cannot connect to the hub: {detail}")
    } else if [
        "alert",
        "connection closed",
        "unexpected eof",
        "connection reset",
        "closed before",
        "peer closed",
        "broken pipe",
        "stream closed",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
    {
        format!("hub refused the TLS connection (is the certificate valid?): {detail}")
    } else if connect {
        format!("cannot connect to the hub: {detail}")
    } else {
        detail.to_string()
    }
}
