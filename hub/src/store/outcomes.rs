//! What the store's methods take and answer besides the model's records: changes that may
//! be run again, outcomes of leasing, results and output, output windows, log lines,
//! singleton leases and the CA's shared files.

use crate::model::{Job, Server, Timestamp, User};
use std::sync::Arc;

/// A change to a server, applied inside the store's transaction. It may run more than once
/// (a transaction retried after a conflict), so it must only set fields from what it
/// captured and what it is given.
pub type ServerChange = Arc<dyn Fn(&mut Server) + Send + Sync>;
/// A change to a user; re-runnable as [`ServerChange`].
pub type UserChange = Arc<dyn Fn(&mut User) + Send + Sync>;

/// A refresh token, stored by hash; every token of one sign-in carries its session.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshToken {
    pub token_hash: String,
    pub session_id: String,
    pub email: String,
    pub tenant_id: String,
    pub expires_at: Timestamp,
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshUse {
    /// Valid, its session live, and now spent.
    Fresh(RefreshToken),
    /// Already spent: someone replayed it. Its session has been ended.
    Reused {
        session_id: String,
        email: String,
        tenant_id: String,
    },
    /// Unknown, expired, or its session has ended.
    Invalid,
}

/// What leasing found: the job handed out, and executions changed on the way (a job that
/// could not run on a locked server under the `fail` policy is skipped).
#[derive(Debug, Clone, Default)]
pub struct LeaseOutcome {
    pub job: Option<Job>,
    pub changed: Vec<String>,
    /// The server's state changed with the lease (`crate::lifecycle::servers::on_lease`:
    /// now busy), for its watchers.
    pub server_changed: bool,
}

/// Which pending jobs [`super::Store::settle_undelivered`] ends, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndeliveredJobs {
    /// Jobs due (queued, or due again) before `due_before` that no agent has taken:
    /// `execution.delivery_timeout_seconds` (`timeout_secs`) passed.
    TimedOut {
        due_before: Timestamp,
        timeout_secs: u64,
    },
    /// Every pending job of a server that was deregistered.
    OfServer {
        tenant_id: String,
        server_id: String,
    },
}

impl UndeliveredJobs {
    /// Whether a loaded pending job is one of these (re-checked inside the transaction).
    pub fn selects(&self, job: &crate::model::Job) -> bool {
        match self {
            Self::TimedOut { due_before, .. } => {
                job.not_before.unwrap_or(job.queued_at) < *due_before
            }
            Self::OfServer {
                tenant_id,
                server_id,
            } => job.tenant_id == *tenant_id && job.server_id == *server_id,
        }
    }

    /// The reason the lifecycle records.
    pub fn why(&self) -> crate::lifecycle::settle::Undelivered {
        use crate::lifecycle::settle::Undelivered;
        match self {
            Self::TimedOut { timeout_secs, .. } => Undelivered::TimedOut(*timeout_secs),
            Self::OfServer { .. } => Undelivered::ServerRemoved,
        }
    }
}

/// A job whose lease lapsed (or that was never delivered: then never requeued), and what
/// became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LapsedJob {
    pub tenant_id: String,
    pub execution_id: String,
    pub server_id: String,
    pub requeued: bool,
    /// The server's circuit, when this lapse opened it
    /// ([`crate::lifecycle::servers::on_job_lost`]; audited in the same write).
    pub circuit_opened: Option<crate::model::Circuit>,
}

impl LapsedJob {
    pub fn of(job: crate::model::Job, requeued: bool) -> Self {
        Self {
            tenant_id: job.tenant_id,
            execution_id: job.execution_id,
            server_id: job.server_id,
            requeued,
            circuit_opened: None,
        }
    }
}

/// A server of a tenant, for fleet-wide work (the sweeper, wake-ups).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerRef {
    pub tenant_id: String,
    pub server_id: String,
}

/// What storing a result did.
#[derive(Debug, Clone, PartialEq)]
pub enum FinishOutcome {
    /// Stored now; the execution may have changed. `wake` lists servers that may now lease
    /// (a concurrency slot or a lock was freed); `server_changed`, that the server's state
    /// changed with the result (`crate::lifecycle::servers::on_result`: now idle).
    Stored {
        execution_id: String,
        wake: Vec<String>,
        server_changed: bool,
    },
    /// The attempt failed and the job was put back to pending for another attempt.
    Retrying {
        execution_id: String,
        wake: Vec<String>,
        server_changed: bool,
    },
    /// The job was already final (a repeated delivery): nothing changed.
    AlreadyFinal { execution_id: String },
    /// The job's server lock expired or passed to another holder before this result came:
    /// the result is refused and the job recorded failed.
    Fenced { execution_id: String },
    /// No such job for this server.
    NotFound,
}

/// What storing a batch of output did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub execution_id: String,
    /// The lines that were new (secrets redacted), in order.
    pub fresh: Vec<LogLine>,
    /// The job's status changed (its first output marks it running); only then has the
    /// execution itself changed.
    pub job_changed: bool,
}

/// Which output lines of an execution, in cursor order.
///
/// Cursors are contiguous per execution (1, 2, 3, ...). A reader following `After` gets the
/// lines up to the first cursor not yet committed by a concurrent writer and no further, so
/// it never skips one; a cursor a crashed writer took and never filled is passed over once
/// the lines after it are older than [`GAP_GRACE_SECS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputWindow {
    /// Those after this cursor, oldest first.
    After(u64),
    /// The latest ones, oldest first.
    Tail,
}

/// How long a reader waits on a missing output cursor before passing over it.
pub const GAP_GRACE_SECS: i64 = 10;

/// One line of an execution's log.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    async_graphql::SimpleObject,
    utoipa::ToSchema,
)]
pub struct LogLine {
    /// Position in the execution's output in the order lines were stored (1, 2, 3, ...): the
    /// cursor for `after`, and what identifies a line.
    pub cursor: u64,
    /// The server whose job wrote it.
    pub server_id: String,
    /// The job that wrote it.
    pub job_id: String,
    /// Its place in the job attempt's output, from 0.
    pub seq: u64,
    /// `stdout` or `stderr`.
    pub stream: String,
    /// The text written (secrets masked `***`).
    pub data: String,
    /// When the hub stored it.
    pub timestamp: Timestamp,
    /// Which attempt of the job wrote it (retries start their output again at seq 0).
    pub attempt: u32,
}

/// Records counted per state for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Servers,
    Executions,
    Jobs,
    /// Pending jobs per priority (`high`, `normal`, `low`).
    Queue,
}

/// A named lease that at most one hub replica holds at a time (the sweeper, the scheduler,
/// the notifier): its holder and a fencing token that grows with every new holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Singleton {
    pub name: String,
    pub holder: String,
    pub token: u64,
    pub expires_at: Timestamp,
}

/// The certificate authority's files as the hubs of one store share them: paths relative to
/// the pki dir and their contents, and a version that grows with every change (sealed at
/// rest; see `ca::shared`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PkiFiles {
    pub version: u64,
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
}
