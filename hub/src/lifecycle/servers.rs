//! How a server's state changes between heartbeats: a server silent past the cutoff becomes
//! unreachable (unless it is already, or an operator put it in maintenance), and that change
//! emits the `server_unreachable` event; a server just given a job is busy; a job its agent
//! lost counts against the agent's circuit, which opens at a threshold; a result closes the
//! circuit, and a busy server whose agent holds no more jobs is idle. Stores select
//! candidates and commit (a lease, a lapse or a result in the same transaction as the job's
//! change, where the store can); this decides.

use crate::model::EventKind;
use crate::model::{Server, ServerState, Timestamp};
use chrono::Duration;

/// After this many jobs in a row lost by an agent (leased, never reported), its circuit opens.
pub const CIRCUIT_THRESHOLD: u32 = 3;
/// How long an open circuit keeps work away from the agent.
pub const CIRCUIT_COOL_DOWN_SECS: i64 = 300;
use greenroom_proto::{JobResult, Outcome};

/// The states a server leaves for `Unreachable` when its heartbeats stop: not maintenance
/// (an admin's) nor unreachable already. The stores read only servers in these states.
pub const MAY_GO_SILENT: [ServerState; 3] =
    [ServerState::Idle, ServerState::Busy, ServerState::Error];

/// Marks `s` unreachable when its last heartbeat is older than `cutoff`; the event the
/// change emits (kind and details), or `None` when nothing changed.
pub fn mark_if_silent(s: &mut Server, cutoff: Timestamp) -> Option<(EventKind, serde_json::Value)> {
    let silent = s.status.last_heartbeat.is_none_or(|t| t < cutoff);
    if !silent || !MAY_GO_SILENT.contains(&s.status.current) {
        return None;
    }
    s.status.current = ServerState::Unreachable;
    Some((
        EventKind::ServerUnreachable,
        serde_json::json!({"hostname": s.hostname, "last_heartbeat": s.status.last_heartbeat}),
    ))
}

/// A server whose agent was just given a job is busy: said now (and pushed to watchers)
/// rather than at its next heartbeat, which stays the source of truth afterwards. Maintenance
/// stays maintenance; a server already busy is left alone. Whether `s` changed.
pub fn on_lease(s: &mut Server) -> bool {
    if matches!(
        s.status.current,
        ServerState::Busy | ServerState::Maintenance
    ) {
        return false;
    }
    s.status.current = ServerState::Busy;
    true
}

/// A job leased to the agent of `s` was lost (its lease lapsed, never reported): one more
/// against its circuit, which opens at [`CIRCUIT_THRESHOLD`] for [`CIRCUIT_COOL_DOWN_SECS`]
/// unless it is open already. Whether it opened.
pub fn on_job_lost(s: &mut Server, now: Timestamp) -> bool {
    s.circuit.consecutive_failures += 1;
    let opens = s.circuit.consecutive_failures >= CIRCUIT_THRESHOLD
        && s.circuit.open_until.is_none_or(|t| t < now);
    if opens {
        s.circuit.open_until = Some(now + Duration::seconds(CIRCUIT_COOL_DOWN_SECS));
    }
    opens
}

/// The agent reported a result (stored or sent back for a retry): its circuit closes, a
/// success is remembered, and a busy server whose agent now holds no job (`in_hand`, counted
/// after the result) is idle. Whether the server's state changed (to idle).
pub fn on_result(s: &mut Server, r: &JobResult, in_hand: u64) -> bool {
    if r.status == Outcome::Success {
        s.metadata.last_successful_execution = Some(r.finished_at);
    }
    s.circuit = Default::default();
    let idle = in_hand == 0 && s.status.current == ServerState::Busy;
    if idle {
        s.status.current = ServerState::Idle;
    }
    idle
}
