//! The execution history's filter and order: what the stores' queries select (and, for
//! live streams that see executions one at a time, `ExecutionFilter::matches`).

use super::{Execution, ExecutionState, Timestamp};
use serde::Deserialize;

/// Filters of the execution history; every field narrows.
#[derive(Debug, Clone, Default, Deserialize, async_graphql::InputObject)]
#[graphql(name = "ExecutionFilter")]
pub struct ExecutionFilter {
    /// Executions in this state.
    pub status: Option<ExecutionState>,
    /// Executions of this action template (its `templateId`).
    pub template_id: Option<String>,
    /// Executions started by this user (e-mail address, case ignored).
    pub initiated_by: Option<String>,
    /// Executions that targeted this server.
    pub server_id: Option<String>,
    /// Executions that targeted a server of this environment.
    pub environment: Option<String>,
    /// Created at or after.
    pub from: Option<Timestamp>,
    /// Created before.
    pub to: Option<Timestamp>,
    /// The order of the list (an argument of its own in the APIs).
    #[graphql(skip)]
    #[serde(default)]
    pub order: ExecutionOrder,
    /// Where a keyset page starts (GraphQL cursors): keys as [`ExecutionOrder::key_of`]
    /// writes them; only for orders that [`ExecutionOrder::keyset`] allows.
    #[graphql(skip)]
    #[serde(skip)]
    pub seek: super::Seek,
}

impl ExecutionFilter {
    /// Whether `e` passes the filter — what the stores' queries select, for a live stream
    /// (the executions feed) that sees executions one at a time.
    pub fn matches(&self, e: &Execution) -> bool {
        self.status.is_none_or(|s| s == e.state)
            && self
                .template_id
                .as_ref()
                .is_none_or(|t| e.action_template_id.as_ref() == Some(t))
            && self
                .initiated_by
                .as_ref()
                .is_none_or(|u| u.eq_ignore_ascii_case(&e.initiated_by))
            && self
                .server_id
                .as_ref()
                .is_none_or(|s| e.target_servers.contains(s))
            && self
                .environment
                .as_ref()
                .is_none_or(|env| e.environments.contains(env))
            && self.from.is_none_or(|t| e.created_at >= t)
            && self.to.is_none_or(|t| e.created_at < t)
    }
}

/// What the execution history is ordered by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionOrderField {
    /// When it was started (ties by id).
    #[default]
    CreatedAt,
    /// Its id.
    ExecutionId,
    /// Its state's name; newest first within one state.
    State,
    /// Who started it (case ignored); newest first within one initiator.
    InitiatedBy,
}

/// An order of the execution history: a field, newest / largest first unless ascending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, async_graphql::InputObject)]
pub struct ExecutionOrder {
    /// What to order by (`CREATED_AT` when not set).
    #[graphql(default)]
    #[serde(default)]
    pub field: ExecutionOrderField,
    /// Oldest / smallest first; false (the default) puts the newest / largest first.
    #[graphql(default)]
    #[serde(default)]
    pub ascending: bool,
}

impl ExecutionOrder {
    /// Whether the stores can page this order by key: by creation time or by id (the
    /// order's key is unique). Ordered by state or initiator, pages go by offset.
    pub fn keyset(self) -> bool {
        matches!(
            self.field,
            ExecutionOrderField::CreatedAt | ExecutionOrderField::ExecutionId
        )
    }

    /// An execution's key in this order: `<created ms, 13 digits>:<id>` by creation time
    /// (so keys compare as the order does), the id by id.
    pub fn key_of(self, e: &Execution) -> String {
        match self.field {
            ExecutionOrderField::ExecutionId => e.execution_id.clone(),
            _ => format!(
                "{:013}:{}",
                e.created_at.timestamp_millis().max(0),
                e.execution_id
            ),
        }
    }

    /// A creation-time key split into its parts; None when it is not one.
    pub fn parse_created_key(key: &str) -> Option<(i64, &str)> {
        let (ms, id) = key.split_once(':')?;
        Some((ms.parse().ok()?, id))
    }

    /// The same order read from the other end.
    pub fn reversed(self) -> Self {
        Self {
            ascending: !self.ascending,
            ..self
        }
    }
    /// `created_at:desc`, `state:asc`, … (REST's `sort`); `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let (field, dir) = s.split_once(':').unwrap_or((s, "desc"));
        let field = match field {
            "created_at" => ExecutionOrderField::CreatedAt,
            "execution_id" => ExecutionOrderField::ExecutionId,
            "state" => ExecutionOrderField::State,
            "initiated_by" => ExecutionOrderField::InitiatedBy,
            _ => return None,
        };
        let ascending = match dir {
            "asc" => true,
            "desc" => false,
            _ => return None,
        };
        Some(ExecutionOrder { field, ascending })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_selects_as_the_stores_queries_do() {
        let e: Execution = serde_json::from_value(serde_json::json!({
            "tenant_id": "t", "execution_id": "e1", "initiated_by": "Ops@Example.com",
            "execution_type": "bulk", "target_servers": ["web-01", "db-01"],
            "environments": ["dev"], "action_template_id": "tpl-1",
            "action": {}, "parameters": {}, "state": "running",
            "created_at": "2026-12-06T10:00:00Z",
        }))
        .unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let yes = [
            ExecutionFilter::default(),
            ExecutionFilter {
                status: Some(ExecutionState::Running),
                template_id: Some("tpl-1".into()),
                initiated_by: Some("ops@example.com".into()),
                server_id: Some("db-01".into()),
                environment: Some("dev".into()),
                from: Some(at("2026-12-06T10:00:00Z")),
                to: Some(at("2026-12-06T10:00:01Z")),
                ..Default::default()
            },
        ];
        for f in &yes {
            assert!(f.matches(&e), "{f:?}");
        }
        let no = [
            ExecutionFilter {
                status: Some(ExecutionState::Completed),
                ..Default::default()
            },
            ExecutionFilter {
                template_id: Some("tpl-2".into()),
                ..Default::default()
            },
            ExecutionFilter {
                server_id: Some("web-02".into()),
                ..Default::default()
            },
            ExecutionFilter {
                environment: Some("uat".into()),
                ..Default::default()
            },
            // `to` is exclusive.
            ExecutionFilter {
                to: Some(at("2026-12-06T10:00:00Z")),
                ..Default::default()
            },
        ];
        for f in &no {
            assert!(!f.matches(&e), "{f:?}");
        }
    }
}
