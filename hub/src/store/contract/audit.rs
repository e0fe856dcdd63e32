//! The store contract for the audit log: chained and append-only, filtered in the query.

use super::*;

#[tokio::test]
async fn the_audit_log_is_chained_and_append_only() {
    for (name, st) in stores().await {
        for i in 0..3 {
            let entry = AuditEntry {
                tenant_id: "t1".into(),
                timestamp: Utc::now(),
                event_type: format!("e{i}"),
                actor: serde_json::json!({"type": "user"}),
                resource: serde_json::json!({}),
                details: serde_json::json!({}),
                result: serde_json::json!({"success": true}),
            };
            st.append_audit(&entry).await.unwrap();
        }
        assert_eq!(st.verify_audit_chain().await.unwrap(), None, "{name}");
        let p = st
            .list_audit("t1", &Default::default(), page(1, 10))
            .await
            .unwrap();
        assert_eq!(p.total, 3, "{name}");
        assert_eq!(p.items[0]["event_type"], "e2", "{name}: newest first");
        assert_eq!(
            st.list_audit("t2", &Default::default(), page(1, 10))
                .await
                .unwrap()
                .total,
            0,
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_filters_by_event_actor_resource_and_time_in_the_query() {
    use crate::audit::AuditFilter;
    let t0 = Utc::now() - Duration::hours(1);
    // (tenant, minutes after t0, event, actor, resource type, resource id)
    let rows = [
        ("t1", 0, "user_login", "ann@x", "user", "ann@x"),
        ("t1", 1, "execution_started", "ann@x", "execution", "e-1"),
        ("t1", 2, "user_login", "bob@x", "user", "bob@x"),
        (
            "t1",
            3,
            "action_updated",
            "bob@x",
            "action_template",
            "tpl-1",
        ),
        ("t1", 4, "execution_cancelled", "bob@x", "execution", "e-1"),
        ("t1", 5, "user_logout", "ann@x", "user", "ann@x"),
        ("t2", 2, "execution_started", "ann@x", "execution", "e-1"),
    ];
    for (name, st) in stores().await {
        for (tenant, min, event, actor, rtype, rid) in rows {
            st.append_audit(&AuditEntry {
                tenant_id: tenant.into(),
                timestamp: t0 + Duration::minutes(min),
                event_type: event.into(),
                actor: serde_json::json!({"type": "user", "id": actor}),
                resource: serde_json::json!({"type": rtype, "id": rid, "name": null}),
                details: serde_json::json!({}),
                result: serde_json::json!({"success": true}),
            })
            .await
            .unwrap();
        }
        let events = |p: &Page<serde_json::Value>| -> Vec<String> {
            p.items
                .iter()
                .map(|e| e["event_type"].as_str().unwrap().to_string())
                .collect()
        };
        let q = |f: AuditFilter| {
            let st = &st;
            async move { st.list_audit("t1", &f, page(1, 50)).await.unwrap() }
        };
        let p = q(AuditFilter {
            event_type: Some("user_login".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(p.total, 2, "{name}: by event");
        assert_eq!(events(&p), ["user_login", "user_login"], "{name}");
        let p = q(AuditFilter {
            actor: Some("bob@x".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            events(&p),
            ["execution_cancelled", "action_updated", "user_login"],
            "{name}: by actor, newest first"
        );
        let p = q(AuditFilter {
            resource_type: Some("execution".into()),
            resource_id: Some("e-1".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(p.total, 2, "{name}: by resource, tenant-scoped");
        assert_eq!(
            events(
                &q(AuditFilter {
                    resource_id: Some("tpl-1".into()),
                    ..Default::default()
                })
                .await
            ),
            ["action_updated"],
            "{name}: by resource id alone"
        );
        let p = q(AuditFilter {
            exclude_event_types: vec!["user_login".into(), "user_logout".into()],
            ..Default::default()
        })
        .await;
        assert_eq!(p.total, 3, "{name}: sign-ins left out");
        let p = q(AuditFilter {
            from: Some(t0 + Duration::minutes(1)),
            to: Some(t0 + Duration::minutes(3)),
            ..Default::default()
        })
        .await;
        assert_eq!(
            events(&p),
            ["user_login", "execution_started"],
            "{name}: from inclusive, to exclusive"
        );
        let p = q(AuditFilter {
            actor: Some("ann@x".into()),
            exclude_event_types: vec!["user_logout".into()],
            from: Some(t0),
            ..Default::default()
        })
        .await;
        assert_eq!(
            events(&p),
            ["execution_started", "user_login"],
            "{name}: together"
        );
        let paged = st
            .list_audit(
                "t1",
                &AuditFilter {
                    actor: Some("bob@x".into()),
                    ..Default::default()
                },
                page(2, 2),
            )
            .await
            .unwrap();
        assert_eq!(
            (paged.total, events(&paged)),
            (3, vec!["user_login".to_string()]),
            "{name}: pages of matches"
        );
        assert_eq!(
            q(AuditFilter {
                actor: Some("nobody".into()),
                ..Default::default()
            })
            .await
            .total,
            0,
            "{name}"
        );
    }
}

#[tokio::test]
async fn sqlite_refuses_to_rewrite_audit_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let st = SqliteStore::open(&path, crate::store::codec::Codec::for_tests()).unwrap();
    let entry = AuditEntry {
        tenant_id: "t1".into(),
        timestamp: Utc::now(),
        event_type: "x".into(),
        actor: serde_json::json!({}),
        resource: serde_json::json!({}),
        details: serde_json::json!({}),
        result: serde_json::json!({}),
    };
    st.append_audit(&entry).await.unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let err = c
        .execute("UPDATE audit_logs SET event_type = 'y'", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(c.execute("DELETE FROM audit_logs", []).is_err());
}
