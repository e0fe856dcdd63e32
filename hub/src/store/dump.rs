//! The backup format every store reads and writes: each collection's records as JSON, in
//! key order. Document collections give their stored documents (secrets still sealed, so a
//! backup holds no secret in clear); row collections give flat records. A backup of one
//! store restores into the other.

/// How a collection's records look in a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The stored document, as `store::codec` makes it.
    Doc,
    /// A flat record with these fields.
    Row(&'static [&'static str]),
}

/// Every collection, in the order a restore writes them.
pub const COLLECTIONS: &[(&str, Kind)] = &[
    ("users", Kind::Doc),
    ("sessions", Kind::Doc),
    (
        "refresh_tokens",
        Kind::Row(&[
            "token_hash",
            "session_id",
            "tenant_id",
            "email",
            "expires_at",
            "used",
        ]),
    ),
    (
        "enrollment_tokens",
        Kind::Row(&[
            "token_hash",
            "tenant_id",
            "created_by",
            "expires_at",
            "used_at",
            "used_by",
            "uses_left",
            "scope",
        ]),
    ),
    ("servers", Kind::Doc),
    ("action_templates", Kind::Doc),
    ("executions", Kind::Doc),
    ("execution_control", Kind::Doc),
    ("jobs", Kind::Doc),
    (
        "job_output",
        Kind::Row(&[
            "execution_id",
            "cursor",
            "job_id",
            "attempt",
            "seq",
            "server_id",
            "stream",
            "data",
            "at",
        ]),
    ),
    ("server_locks", Kind::Doc),
    ("schedules", Kind::Doc),
    (
        "schedule_runs",
        Kind::Row(&[
            "schedule_id",
            "occurrence_at",
            "status",
            "execution_id",
            "recorded_at",
        ]),
    ),
    (
        "audit_logs",
        Kind::Row(&[
            "seq",
            "tenant_id",
            "timestamp",
            "event_type",
            "doc",
            "prev_hash",
            "hash",
        ]),
    ),
    (
        "events",
        Kind::Row(&["seq", "tenant_id", "kind", "subject", "at", "doc"]),
    ),
    ("cursors", Kind::Row(&["name", "value"])),
    // `fencing`: the last fencing token handed out (restored stores go on from there).
    ("counters", Kind::Row(&["name", "value"])),
    ("notification_rules", Kind::Doc),
    ("notification_deliveries", Kind::Doc),
];

/// The kind of a collection, or None for a name that is not one.
pub fn kind_of(collection: &str) -> Option<Kind> {
    COLLECTIONS
        .iter()
        .find(|(name, _)| *name == collection)
        .map(|(_, k)| *k)
}
