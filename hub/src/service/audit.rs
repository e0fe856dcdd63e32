//! The audit log for users: who may read it (admins) and what a filter may say. The query
//! itself is the store's (`Store::list_audit`), tenant-scoped and filtered there.

use crate::app::App;
use crate::audit::AuditFilter;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::model::{Page, PageRequest, Role};

/// The longest text a filter field may hold.
const MAX_FILTER_TEXT: usize = 256;
/// At most this many event types may be left out at once.
const MAX_EXCLUDED: usize = 50;

/// The caller's tenant's audit entries matching `filter`, newest first (admins only).
pub async fn list(
    app: &App,
    caller: &Caller,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<Page<serde_json::Value>> {
    caller.require(Role::Admin)?;
    let filter = normalise(filter)?;
    Ok(app
        .store
        .list_audit(&caller.tenant_id, &filter, page)
        .await?)
}

/// A filter with its text trimmed and blank fields dropped, or every problem with it.
pub fn normalise(f: AuditFilter) -> Result<AuditFilter> {
    let mut problems = Vec::new();
    let mut text = |name: &str, v: Option<String>| -> Option<String> {
        let v = v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())?;
        if v.chars().count() > MAX_FILTER_TEXT {
            problems.push(format!(
                "filter.{name}: longer than {MAX_FILTER_TEXT} characters"
            ));
        }
        Some(v)
    };
    let event_type = text("eventType", f.event_type);
    let actor = text("actor", f.actor);
    let resource_type = text("resourceType", f.resource_type);
    let resource_id = text("resourceId", f.resource_id);
    let exclude_event_types: Vec<String> = f
        .exclude_event_types
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if exclude_event_types.len() > MAX_EXCLUDED {
        problems.push(format!(
            "filter.excludeEventTypes: more than {MAX_EXCLUDED} event types"
        ));
    }
    if let (Some(from), Some(to)) = (f.from, f.to)
        && from >= to
    {
        problems.push("filter.to: must be after filter.from".into());
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok(AuditFilter {
        event_type,
        exclude_event_types,
        actor,
        resource_type,
        resource_id,
        from: f.from,
        to: f.to,
        seek: f.seek,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    #[test]
    fn blank_fields_are_dropped_and_text_trimmed() {
        let f = normalise(AuditFilter {
            event_type: Some("  user_login ".into()),
            actor: Some("   ".into()),
            exclude_event_types: vec![" ".into(), "user_logout".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(f.event_type.as_deref(), Some("user_login"));
        assert_eq!(f.actor, None);
        assert_eq!(f.exclude_event_types, vec!["user_logout".to_string()]);
    }

    #[test]
    fn a_backwards_period_is_refused_naming_the_field() {
        let now = Utc::now();
        let err = normalise(AuditFilter {
            from: Some(now),
            to: Some(now - Duration::hours(1)),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "filter.to: must be after filter.from");
    }
}
