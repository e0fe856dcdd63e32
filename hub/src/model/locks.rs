//! Server locks (the specification's `server_locks`): who holds a server, why, until when,
//! with a fencing token that orders holders.

use super::Timestamp;
use async_graphql::{Enum, SimpleObject};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LockType {
    Execution,
    Maintenance,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LockStatus {
    Active,
    Released,
    Expired,
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

#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, SimpleObject, utoipa::ToSchema,
)]
pub struct LockOwner {
    pub process_id: String,
    pub execution_id: Option<String>,
    pub user_id: String,
}

#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, SimpleObject, utoipa::ToSchema,
)]
pub struct LockMetadata {
    pub reason: String,
    pub priority: String,
    pub estimated_duration_minutes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
pub struct LockTiming {
    pub acquired_at: Timestamp,
    pub expires_at: Timestamp,
    pub max_extension_count: u32,
    pub current_extensions: u32,
    pub released_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct ServerLock {
    #[graphql(skip)]
    #[serde(default, skip_serializing)]
    pub tenant_id: String,
    pub lock_id: String,
    pub server_id: String,
    pub lock_type: LockType,
    pub locked_by: LockOwner,
    pub lock_metadata: LockMetadata,
    pub timing: LockTiming,
    pub status: LockStatus,
    /// Grows with every lock taken on this hub: a result carrying an older token than the
    /// server's current lock is refused.
    pub fencing_token: u64,
    /// Who released or force-released it.
    pub released_by: Option<String>,
}
