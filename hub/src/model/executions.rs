//! Executions and their per-server jobs: states, priority, rate control, locks policy.

use super::{ServerState, Timestamp};
use async_graphql::Enum;
use greenroom_proto::{Action, ResourceUsage};
use serde::{Deserialize, Serialize};

/// An execution's state, from its jobs' states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionState {
    /// No job has started yet.
    Pending,
    /// Some job has started and not every job has ended.
    Running,
    /// Every job succeeded or was skipped.
    Completed,
    /// Every job ended and at least one did not succeed.
    Failed,
    /// Every job ended and a user cancelled the execution.
    Cancelled,
}

impl ExecutionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Running,
            Self::Completed,
            Self::Failed,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// A job's state: the part of an execution on one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for its server's agent to take it (or for a retry's delay).
    Pending,
    /// Taken by the agent, which has not yet reported it running.
    Leased,
    /// Running on the server.
    Running,
    /// Ended and met the success criteria.
    Success,
    /// Ended without meeting the success criteria, and no attempt remains.
    Failed,
    /// Stopped by the agent after its timeout, and no attempt remains.
    Timeout,
    /// Stopped or never started because a user cancelled the execution.
    Cancelled,
    /// Not run: the server was locked by someone else, lacked the template's tags, or the
    /// error threshold was reached. Not a failure.
    Skipped,
    /// Its agent stopped reporting while it held the job (its lease lapsed), and the
    /// lost-job policy does not offer it again; or no agent took it at all (its delivery
    /// timed out, or its server was deregistered).
    Unreachable,
}

impl JobState {
    pub const ALL: [JobState; 9] = [
        Self::Pending,
        Self::Leased,
        Self::Running,
        Self::Success,
        Self::Failed,
        Self::Timeout,
        Self::Cancelled,
        Self::Skipped,
        Self::Unreachable,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Leased => "leased",
            Self::Running => "running",
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
            Self::Unreachable => "unreachable",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Leased | Self::Running)
    }
    /// Progress shown per server: 0 waiting, 50 under way, 100 done.
    pub fn progress(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Leased | Self::Running => 50,
            _ => 100,
        }
    }
}

/// Queue priority of an execution: higher runs first on each server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Enum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Taken before normal and low jobs on each server.
    High,
    /// The default.
    #[default]
    Normal,
    /// Taken after high and normal jobs on each server.
    Low,
}

impl Priority {
    /// Sort key: higher first.
    pub fn rank(self) -> i32 {
        match self {
            Priority::High => 2,
            Priority::Normal => 1,
            Priority::Low => 0,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "high" => Some(Self::High),
            "normal" => Some(Self::Normal),
            "low" => Some(Self::Low),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Priority {
    /// `"high" | "normal" | "low"`; an old numeric priority maps by sign.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Priority::parse(&s).ok_or_else(|| {
                serde::de::Error::custom(format!("priority: {s:?} is not one of high, normal, low"))
            }),
            serde_json::Value::Number(n) => Ok(match n.as_i64().unwrap_or(0) {
                i if i > 0 => Priority::High,
                0 => Priority::Normal,
                _ => Priority::Low,
            }),
            other => Err(serde::de::Error::custom(format!(
                "priority: expected high, normal or low, got {other}"
            ))),
        }
    }
}

/// What a job does when it needs a server lock that someone else holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LockPolicy {
    /// Wait for the lock to be released or to expire.
    #[default]
    Wait,
    /// Fail the job at once.
    Fail,
}

/// What happens to a job whose agent stops reporting (its lease lapses).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Enum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum LostJobPolicy {
    /// Record it `unreachable` (never run twice).
    #[default]
    Fail,
    /// Offer it to the same server again when it returns (for idempotent actions).
    Requeue,
}

/// Selects servers by their properties; every field given must match.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Serialize,
    Deserialize,
    async_graphql::InputObject,
    async_graphql::SimpleObject,
    utoipa::ToSchema,
)]
#[graphql(name = "ServerSelector", input_name = "ServerSelectorInput")]
#[serde(deny_unknown_fields)]
pub struct ServerSelector {
    /// Servers of this environment.
    #[serde(default)]
    pub environment: Option<String>,
    /// Servers of this group.
    #[serde(default)]
    pub server_group: Option<String>,
    /// Servers carrying all of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Servers in this state (when the execution starts).
    #[serde(default)]
    pub status: Option<ServerState>,
}

/// What an execution checks on each result to decide success (the template's `success_criteria`).
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Serialize,
    Deserialize,
    async_graphql::SimpleObject,
    utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct SuccessCriteria {
    /// The exit code a successful command returns; null means 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Texts that must all appear in the output.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_contains: Vec<String>,
    /// Texts none of which may appear in the output.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_not_contains: Vec<String>,
    /// Most seconds a successful run may take; null for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_time_max: Option<f64>,
}

/// An execution's header; its per-server jobs are records of their own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Execution {
    pub tenant_id: String,
    pub execution_id: String,
    pub batch_id: Option<String>,
    pub initiated_by: String,
    /// `single`, `bulk` or `scheduled`.
    pub execution_type: String,
    pub target_servers: Vec<String>,
    /// The environments of the targets when it started (for filtering history).
    #[serde(default)]
    pub environments: Vec<String>,
    /// The selector the targets were resolved from, if any.
    #[serde(default)]
    pub selector: Option<ServerSelector>,
    pub action_template_id: Option<String>,
    /// The template's version at the time this execution started.
    #[serde(default)]
    pub template_version: Option<String>,
    /// The action as requested (before per-server rendering), secrets redacted.
    pub action: serde_json::Value,
    pub parameters: serde_json::Value,
    pub success_criteria: Option<SuccessCriteria>,
    #[serde(default)]
    pub priority: Priority,
    /// Rate control as requested ("10" or "25%").
    #[serde(default)]
    pub max_concurrency_spec: Option<String>,
    #[serde(default)]
    pub error_threshold_spec: Option<String>,
    /// Rate control resolved against the number of targets.
    #[serde(default)]
    pub max_concurrency: Option<u32>,
    #[serde(default)]
    pub error_threshold: Option<u32>,
    #[serde(default)]
    pub retry_count: u32,
    #[serde(default)]
    pub retry_delay_seconds: u64,
    #[serde(default)]
    pub requires_lock: bool,
    #[serde(default)]
    pub lock_policy: LockPolicy,
    #[serde(default)]
    pub lost_job_policy: LostJobPolicy,
    #[serde(default)]
    pub schedule_id: Option<String>,
    /// Who cancelled it, once someone has.
    #[serde(default)]
    pub cancelled_by: Option<String>,
    /// Why targets were skipped without running (error threshold reached, ...).
    #[serde(default)]
    pub skipped_reason: Option<String>,
    pub state: ExecutionState,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
}

/// One server's part of an execution.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub job_id: String,
    pub tenant_id: String,
    pub execution_id: String,
    pub server_id: String,
    pub state: JobState,
    /// The exact action this server runs.
    pub action: Action,
    pub attempt: u32,
    pub lease_expires_at: Option<Timestamp>,
    pub exit_code: Option<i32>,
    pub output: String,
    pub error_output: String,
    pub execution_time: f64,
    pub resource_usage: ResourceUsage,
    pub truncated: bool,
    pub error: Option<String>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Not offered before this time (a retry's delay).
    #[serde(default)]
    pub not_before: Option<Timestamp>,
    /// Attempts allowed in all: 1 + the template's `retry_count`.
    #[serde(default = "one")]
    pub max_attempts: u32,
    /// The server lock this job holds while it runs, with its fencing token.
    #[serde(default)]
    pub lock_id: Option<String>,
    #[serde(default)]
    pub fencing_token: Option<u64>,
    /// A user asked to stop it; the agent is told at its next lease poll.
    #[serde(default)]
    pub cancel_requested: bool,
    #[serde(default)]
    pub cancel_sent_at: Option<Timestamp>,
    /// Secret parameter values in this job's command: masked in its output, and scrubbed
    /// from the stored command once the job is final.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// The request id of the API call that started the execution (logs follow it to the
    /// agent and back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The execution's priority, copied so a server's queue is ordered without a join:
    /// best priority first, then oldest (`queued_at`, then `job_id`).
    #[serde(default)]
    pub priority: Priority,
    #[serde(default = "epoch")]
    pub queued_at: Timestamp,
}

fn epoch() -> Timestamp {
    Timestamp::default()
}

/// How many of an execution's jobs are in each state. Kept beside the execution and changed
/// in the same commit as every job transition, so limits that count (max concurrency, the
/// error threshold) and the execution's own state never need a COUNT over the jobs — a
/// count read in one statement and acted on in another is what concurrent writers break.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    #[serde(default)]
    pub pending: u32,
    #[serde(default)]
    pub leased: u32,
    #[serde(default)]
    pub running: u32,
    #[serde(default)]
    pub success: u32,
    #[serde(default)]
    pub failed: u32,
    #[serde(default)]
    pub timeout: u32,
    #[serde(default)]
    pub cancelled: u32,
    #[serde(default)]
    pub skipped: u32,
    #[serde(default)]
    pub unreachable: u32,
}

impl JobCounts {
    pub fn get(&self, state: JobState) -> u32 {
        match state {
            JobState::Pending => self.pending,
            JobState::Leased => self.leased,
            JobState::Running => self.running,
            JobState::Success => self.success,
            JobState::Failed => self.failed,
            JobState::Timeout => self.timeout,
            JobState::Cancelled => self.cancelled,
            JobState::Skipped => self.skipped,
            JobState::Unreachable => self.unreachable,
        }
    }
    fn slot(&mut self, state: JobState) -> &mut u32 {
        match state {
            JobState::Pending => &mut self.pending,
            JobState::Leased => &mut self.leased,
            JobState::Running => &mut self.running,
            JobState::Success => &mut self.success,
            JobState::Failed => &mut self.failed,
            JobState::Timeout => &mut self.timeout,
            JobState::Cancelled => &mut self.cancelled,
            JobState::Skipped => &mut self.skipped,
            JobState::Unreachable => &mut self.unreachable,
        }
    }
    /// Counts `n` more jobs in `state`.
    pub fn add(&mut self, state: JobState, n: u32) {
        *self.slot(state) += n;
    }
    /// One job moved from `from` to `to`.
    pub fn moved(&mut self, from: JobState, to: JobState) {
        if from != to {
            let f = self.slot(from);
            *f = f.saturating_sub(1);
            *self.slot(to) += 1;
        }
    }
    pub fn of(states: impl IntoIterator<Item = JobState>) -> Self {
        let mut c = Self::default();
        for s in states {
            c.add(s, 1);
        }
        c
    }
    pub fn total(&self) -> u32 {
        JobState::ALL.iter().map(|s| self.get(*s)).sum()
    }
    /// Jobs holding a concurrency slot: leased or running.
    pub fn active(&self) -> u32 {
        self.leased + self.running
    }
    /// Jobs that ended without success (what the error threshold counts).
    pub fn failures(&self) -> u32 {
        self.failed + self.timeout + self.unreachable
    }
    /// Jobs that reached a final state.
    pub fn done(&self) -> u32 {
        self.total() - self.pending - self.leased - self.running
    }
}

/// The part of an execution that changes while it runs — its job counts, the next output
/// cursor — with the settings leasing and settling read, kept apart from the (possibly
/// large) execution document so the hot path reads and writes a small record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionControl {
    pub tenant_id: String,
    pub execution_id: String,
    pub state: ExecutionState,
    #[serde(default)]
    pub cancelled: bool,
    pub initiated_by: String,
    #[serde(default)]
    pub max_concurrency: Option<u32>,
    #[serde(default)]
    pub error_threshold: Option<u32>,
    #[serde(default)]
    pub requires_lock: bool,
    #[serde(default)]
    pub lock_policy: LockPolicy,
    #[serde(default)]
    pub lost_job_policy: LostJobPolicy,
    #[serde(default)]
    pub retry_delay_seconds: u64,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub success_criteria: Option<SuccessCriteria>,
    pub counts: JobCounts,
    /// The cursor the next output line of this execution gets (1, 2, 3, ... in the order
    /// lines were stored).
    #[serde(default = "first_cursor")]
    pub next_cursor: u64,
}

fn first_cursor() -> u64 {
    1
}

impl ExecutionControl {
    pub fn priority_name(&self) -> &'static str {
        self.priority.as_str()
    }

    /// The control record of a new execution and its jobs.
    pub fn of(e: &Execution, jobs: &[Job]) -> Self {
        Self {
            tenant_id: e.tenant_id.clone(),
            execution_id: e.execution_id.clone(),
            state: e.state,
            cancelled: e.cancelled_by.is_some(),
            initiated_by: e.initiated_by.clone(),
            max_concurrency: e.max_concurrency,
            error_threshold: e.error_threshold,
            requires_lock: e.requires_lock,
            lock_policy: e.lock_policy,
            lost_job_policy: e.lost_job_policy,
            retry_delay_seconds: e.retry_delay_seconds,
            priority: e.priority,
            success_criteria: e.success_criteria.clone(),
            counts: JobCounts::of(jobs.iter().map(|j| j.state)),
            next_cursor: 1,
        }
    }
}

fn one() -> u32 {
    1
}
