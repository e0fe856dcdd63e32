//! How a server's state changes between heartbeats: a server silent past the cutoff becomes
//! unreachable (unless it is already, or an operator put it in maintenance), and that change
//! emits the `server_unreachable` event; a server just given a job is busy; a result closes
//! the agent's circuit, and a busy server whose agent holds no more jobs is idle. Stores
//! select candidates and commit (a lease or a result in the same transaction as the job's
//! change, where the store can); this decides.

use crate::model::EventKind;
use crate::model::{Server, ServerState, Timestamp};
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
