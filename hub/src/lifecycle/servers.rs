//! How a server's state changes without its agent: a server silent past the cutoff becomes
//! unreachable (unless it is already, or an operator put it in maintenance), and that change
//! emits the `server_unreachable` event. Stores select candidates and commit; this decides.

use crate::model::EventKind;
use crate::model::{Server, ServerState, Timestamp};

/// Marks `s` unreachable when its last heartbeat is older than `cutoff`; the event the
/// change emits (kind and details), or `None` when nothing changed.
pub fn mark_if_silent(s: &mut Server, cutoff: Timestamp) -> Option<(EventKind, serde_json::Value)> {
    let silent = s.status.last_heartbeat.is_none_or(|t| t < cutoff);
    if !silent
        || matches!(
            s.status.current,
            ServerState::Unreachable | ServerState::Maintenance
        )
    {
        return None;
    }
    s.status.current = ServerState::Unreachable;
    Some((
        EventKind::ServerUnreachable,
        serde_json::json!({"hostname": s.hostname, "last_heartbeat": s.status.last_heartbeat}),
    ))
}
