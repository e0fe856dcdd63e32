//! The store contract for servers: kept per tenant, filtered and paged, found by id
//! one at a time or many at once, found by an agent certificate's fingerprint (its current
//! one only), and unreachable once silent.

use super::*;

#[tokio::test]
async fn servers_filter_page_and_stay_in_their_tenant() {
    for (name, st) in stores().await {
        st.insert_server(&server("t1", "web-01", "dev", &["nginx"]))
            .await
            .unwrap();
        st.insert_server(&server("t1", "db-01", "staging", &["postgresql"]))
            .await
            .unwrap();
        st.insert_server(&server("t2", "other-01", "dev", &["nginx"]))
            .await
            .unwrap();
        assert_eq!(
            st.insert_server(&server("t1", "web-01", "dev", &[])).await,
            Err(StoreError::Duplicate { what: "server" }),
            "{name}"
        );
        // Many at once, by id: unknown ids and other tenants' servers are left out.
        let mut many: Vec<String> = st
            .get_servers(
                "t1",
                &[
                    "web-01".into(),
                    "db-01".into(),
                    "other-01".into(),
                    "nope".into(),
                ],
            )
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.server_id)
            .collect();
        many.sort();
        assert_eq!(many, ["db-01", "web-01"], "{name}");
        assert!(
            st.get_servers("t1", &[]).await.unwrap().is_empty(),
            "{name}"
        );
        // Ids are per tenant: another tenant's server of the same name is no conflict.
        st.insert_server(&server("t2", "web-01", "uat", &[]))
            .await
            .unwrap();

        let all = st
            .list_servers("t1", &ServerFilter::default(), page(1, 50))
            .await
            .unwrap();
        assert_eq!((all.total, all.items.len()), (2, 2), "{name}");
        let f = ServerFilter {
            tag: Some("nginx".into()),
            ..Default::default()
        };
        let tagged = st.list_servers("t1", &f, page(1, 50)).await.unwrap();
        assert_eq!(
            tagged
                .items
                .iter()
                .map(|s| s.server_id.as_str())
                .collect::<Vec<_>>(),
            ["web-01"],
            "{name}"
        );
        let f = ServerFilter {
            q: Some("DB-".into()),
            ..Default::default()
        };
        assert_eq!(
            st.list_servers("t1", &f, page(1, 50)).await.unwrap().total,
            1,
            "{name}"
        );
        let f = ServerFilter {
            q: Some("postgres".into()),
            ..Default::default()
        };
        let by_tag = st.list_servers("t1", &f, page(1, 50)).await.unwrap();
        assert_eq!(ids_of(&by_tag), ["db-01"], "{name}: q matches tags");
        // q is a substring of one field: id, hostname, address or a tag, whatever its case;
        // never of two fields run together.
        let q = |q: &str| ServerFilter {
            q: Some(q.into()),
            ..Default::default()
        };
        let found = async |f: ServerFilter| {
            let got = st.list_servers("t1", &f, page(1, 50)).await.unwrap();
            ids_of(&got)
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            found(q("WEB-01.EXAMPLE")).await,
            ["web-01"],
            "{name}: hostname"
        );
        assert_eq!(found(q("10.0.0")).await.len(), 2, "{name}: address");
        assert!(
            found(q("example10.0")).await.is_empty(),
            "{name}: across fields"
        );
        assert!(found(q("\u{1}")).await.is_empty(), "{name}: the separator");
        // A change is searched at once: the hostname and tags as modified.
        st.modify_server(
            "t1",
            "web-01",
            std::sync::Arc::new(|s: &mut Server| {
                s.hostname = "frontend-a.example".into();
                s.tags = vec!["edge".into(), "nginx".into()];
                s.server_group = "front".into();
            }),
        )
        .await
        .unwrap();
        assert_eq!(
            found(q("frontend-a")).await,
            ["web-01"],
            "{name}: new hostname"
        );
        assert!(
            found(q("web-01.example")).await.is_empty(),
            "{name}: old hostname"
        );
        let tags = |t: &[&str]| ServerFilter {
            tags: Some(t.iter().map(|t| t.to_string()).collect()),
            ..Default::default()
        };
        assert_eq!(
            found(tags(&["edge", "nginx"])).await,
            ["web-01"],
            "{name}: all tags"
        );
        assert!(
            found(tags(&["edg"])).await.is_empty(),
            "{name}: a tag is matched whole"
        );
        let group = ServerFilter {
            server_group: Some("front".into()),
            ..Default::default()
        };
        assert_eq!(found(group).await, ["web-01"], "{name}: group");
        let f = ServerFilter {
            environment: Some("staging".into()),
            status: Some(ServerState::Idle),
            ..Default::default()
        };
        assert_eq!(
            st.list_servers("t1", &f, page(1, 50)).await.unwrap().total,
            1,
            "{name}"
        );
        let p2 = st
            .list_servers("t1", &ServerFilter::default(), page(2, 1))
            .await
            .unwrap();
        assert_eq!(
            (p2.total, p2.items[0].server_id.as_str()),
            (2, "web-01"),
            "{name}"
        );

        assert!(
            st.get_server("t1", "other-01").await.unwrap().is_none(),
            "{name}: tenant leak"
        );
        assert!(
            st.get_server("t2", "other-01").await.unwrap().is_some(),
            "{name}"
        );
        assert_eq!(
            st.get_server("t2", "web-01")
                .await
                .unwrap()
                .unwrap()
                .environment,
            "uat",
            "{name}: each tenant has its own web-01"
        );
        let every = st.all_servers().await.unwrap();
        assert_eq!(
            every
                .iter()
                .map(|s| (s.tenant_id.as_str(), s.server_id.as_str()))
                .collect::<Vec<_>>(),
            [
                ("t1", "db-01"),
                ("t1", "web-01"),
                ("t2", "other-01"),
                ("t2", "web-01")
            ],
            "{name}: every tenant's servers, by tenant and id"
        );
        assert!(
            !st.delete_server("t1", "other-01").await.unwrap(),
            "{name}: deleted across tenants"
        );
        assert!(st.delete_server("t2", "other-01").await.unwrap(), "{name}");
    }
}

#[tokio::test]
async fn silent_servers_become_unreachable() {
    for (name, st) in stores().await {
        let mut old = server("t1", "old", "dev", &[]);
        old.status.last_heartbeat = Some(Utc::now() - Duration::minutes(10));
        st.insert_server(&old).await.unwrap();
        st.insert_server(&server("t1", "fresh", "dev", &[]))
            .await
            .unwrap();
        // Busy and silent; never heard from; silent but in maintenance (an admin's: kept).
        let mut busy = server("t2", "busy", "dev", &[]);
        busy.status.current = ServerState::Busy;
        busy.status.last_heartbeat = old.status.last_heartbeat;
        let mut never = server("t1", "never", "dev", &[]);
        never.status.last_heartbeat = None;
        let mut paused = server("t1", "paused", "dev", &[]);
        paused.status.current = ServerState::Maintenance;
        paused.status.last_heartbeat = old.status.last_heartbeat;
        for s in [&busy, &never, &paused] {
            st.insert_server(s).await.unwrap();
        }
        let mut ids = st
            .mark_unreachable(Utc::now() - Duration::minutes(1), Utc::now())
            .await
            .unwrap();
        ids.sort_by(|a, b| (&a.tenant_id, &a.server_id).cmp(&(&b.tenant_id, &b.server_id)));
        let marked = |t: &str, s: &str| ServerRef {
            tenant_id: t.into(),
            server_id: s.into(),
        };
        assert_eq!(
            ids,
            [
                marked("t1", "never"),
                marked("t1", "old"),
                marked("t2", "busy")
            ],
            "{name}"
        );
        assert!(
            st.mark_unreachable(Utc::now() - Duration::minutes(1), Utc::now())
                .await
                .unwrap()
                .is_empty(),
            "{name}: marked once"
        );
        let state = |t: &'static str, id: &'static str| {
            let st = &st;
            async move { st.get_server(t, id).await.unwrap().unwrap().status.current }
        };
        assert_eq!(
            state("t1", "paused").await,
            ServerState::Maintenance,
            "{name}"
        );
        assert_eq!(state("t1", "fresh").await, ServerState::Idle, "{name}");
        assert_eq!(
            st.get_server("t1", "old")
                .await
                .unwrap()
                .unwrap()
                .status
                .current,
            ServerState::Unreachable,
            "{name}"
        );
    }
}

#[tokio::test]
async fn an_agent_is_known_by_its_current_certificate_only() {
    for (name, st) in stores().await {
        let until = Utc::now() + Duration::minutes(5);
        let mut s = server("t1", "web-01", "dev", &["nginx"]);
        s.credentials.certificate_fingerprint = Some("fp-1".into());
        s.credentials.issuer_fingerprint = Some("ca-1".into());
        s.circuit.open_until = Some(until);
        st.insert_server(&s).await.unwrap();
        st.insert_server(&server("t2", "web-01", "dev", &[]))
            .await
            .unwrap();
        let found = st.agent_by_fingerprint("fp-1").await.unwrap();
        assert_eq!(
            found,
            Some(AgentIdentity {
                tenant_id: "t1".into(),
                server_id: "web-01".into(),
                certificate_fingerprint: Some("fp-1".into()),
                revoked: false,
                issuer_fingerprint: Some("ca-1".into()),
                circuit_open_until: Some(until),
            }),
            "{name}"
        );
        assert_eq!(
            st.agent_by_fingerprint("fp-2").await.unwrap(),
            None,
            "{name}"
        );
        // A revocation is seen by the next request.
        st.modify_server(
            "t1",
            "web-01",
            std::sync::Arc::new(|s: &mut Server| s.credentials.revoked = true),
        )
        .await
        .unwrap();
        let found = st.agent_by_fingerprint("fp-1").await.unwrap().unwrap();
        assert!(found.revoked, "{name}");
        // A renewed certificate replaces the old one: the old one finds nothing.
        st.modify_server(
            "t1",
            "web-01",
            std::sync::Arc::new(|s: &mut Server| {
                s.credentials.certificate_fingerprint = Some("fp-2".into());
                s.credentials.revoked = false;
            }),
        )
        .await
        .unwrap();
        assert_eq!(
            st.agent_by_fingerprint("fp-1").await.unwrap(),
            None,
            "{name}"
        );
        let found = st.agent_by_fingerprint("fp-2").await.unwrap().unwrap();
        assert_eq!(
            (found.tenant_id.as_str(), found.revoked),
            ("t1", false),
            "{name}"
        );
        assert_eq!(found.circuit_open_until, Some(until), "{name}");
    }
}
