//! Server locks (the specification's `server_locks`): who holds a server, why, until when,
//! with a fencing token that orders holders.

use super::Timestamp;
use async_graphql::{Enum, SimpleObject};
use serde::{Deserialize, Serialize};

/// Why a server is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LockType {
    /// Taken by a job of an execution that requires a lock, while it runs.
    Execution,
    /// Taken by a user for planned work.
    Maintenance,
    /// Taken by a user for urgent work.
    Emergency,
}

impl LockType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Execution => "execution",
            Self::Maintenance => "maintenance",
            Self::Emergency => "emergency",
        }
    }
}

/// Whether a lock is in force, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LockStatus {
    /// In force until it is released or `timing.expiresAt` passes.
    Active,
    /// Its holder released it (or its job ended).
    Released,
    /// Its time ran out.
    Expired,
    /// An admin ended it on someone else's behalf.
    ForceReleased,
}

impl LockStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Released => "released",
            Self::Expired => "expired",
            Self::ForceReleased => "force_released",
        }
    }
}

/// Who holds a lock.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, SimpleObject, utoipa::ToSchema,
)]
pub struct LockOwner {
    /// What took it: `api` for a user's lock, `greenroom-hub` for an execution's.
    pub process_id: String,
    /// The execution whose job holds it; null for a user's lock.
    pub execution_id: Option<String>,
    /// The user who took it, or who started the execution holding it (e-mail address).
    pub user_id: String,
}

/// What a lock is for, for people who meet it.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, SimpleObject, utoipa::ToSchema,
)]
pub struct LockMetadata {
    /// Why the server is locked.
    pub reason: String,
    /// A label for people: `normal` unless the taker gave one; an execution's lock carries
    /// the execution's priority (`high`, `normal`, `low`).
    pub priority: String,
    /// The minutes it was taken for (before any extension); null for an execution's lock.
    pub estimated_duration_minutes: Option<u32>,
}

/// When a lock was taken and when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct LockTiming {
    /// When it was taken.
    pub acquired_at: Timestamp,
    /// When it ends by itself unless extended.
    pub expires_at: Timestamp,
    /// How many times it may be extended.
    pub max_extension_count: u32,
    /// How many times it has been extended.
    pub current_extensions: u32,
    /// When it was released or expired; null while active.
    pub released_at: Option<Timestamp>,
}

/// A lock on a server: while it is active, only its holder's executions run there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct ServerLock {
    #[graphql(skip)]
    #[serde(default, skip_serializing)]
    pub tenant_id: String,
    /// The lock's own id (REST's `lock_id`).
    pub lock_id: String,
    /// The locked server.
    pub server_id: String,
    /// Why the server is locked.
    pub lock_type: LockType,
    /// Who holds it.
    pub locked_by: LockOwner,
    /// What it is for.
    pub lock_metadata: LockMetadata,
    /// When it was taken and when it ends.
    pub timing: LockTiming,
    /// Whether it is in force, and how it ended.
    pub status: LockStatus,
    /// Grows with every lock taken on this hub: a result carrying an older token than the
    /// server's current lock is refused.
    pub fencing_token: u64,
    /// Who released or force-released it.
    pub released_by: Option<String>,
}
