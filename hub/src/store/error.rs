//! The store's own errors: what a caller can act on (not found, duplicate, a conflict to
//! retry, the backend being unavailable), never a driver's type. `crate::error` turns them
//! into the API's errors in one place; the text here is for logs, not for users.

/// What went wrong in a store call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The record the call needs does not exist (in this tenant).
    #[error("not found")]
    NotFound,
    /// A record with the same key already exists; `what` names the key (`server`, `user`,
    /// `template_name`, ...).
    #[error("duplicate {what}")]
    Duplicate { what: &'static str },
    /// A concurrent writer changed what this call read, and retrying did not help.
    #[error("write conflict: {0}")]
    Conflict(String),
    /// The backend is unreachable or busy; the call may succeed later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The backend is out of space (a full disk): nothing new can be written until space is
    /// freed; what is stored can still be read.
    #[error("store full: {0}")]
    Full(String),
    /// A stored document could not be read back (a newer version wrote it, or it is damaged).
    #[error("unreadable record: {0}")]
    Corrupt(String),
    /// Anything else the backend reported.
    #[error("store backend: {0}")]
    Backend(String),
}

impl StoreError {
    /// Whether trying the same call again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Conflict(_) | Self::Unavailable(_))
    }
}

pub type StoreResult<T> = std::result::Result<T, StoreError>;

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
