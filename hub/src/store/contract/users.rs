//! The store contract for users' tokens: refresh and enrollment tokens are single use.

use super::*;

#[tokio::test]
async fn tokens_are_single_use() {
    for (name, st) in stores().await {
        let now = Utc::now();
        st.insert_enrollment_token("h1", "t1", "admin", now + Duration::hours(1), 1, None)
            .await
            .unwrap();
        st.insert_enrollment_token("h2", "t1", "admin", now - Duration::hours(1), 1, None)
            .await
            .unwrap();
        let scope = serde_json::json!({"environment": "uat"});
        st.insert_enrollment_token(
            "h3",
            "t1",
            "admin",
            now + Duration::hours(1),
            2,
            Some(&scope),
        )
        .await
        .unwrap();
        assert_eq!(
            st.consume_enrollment_token("h1", "s", now).await.unwrap(),
            Some(("t1".to_string(), None)),
            "{name}"
        );
        for _ in 0..2 {
            assert_eq!(
                st.consume_enrollment_token("h3", "s", now).await.unwrap(),
                Some(("t1".to_string(), Some(scope.clone()))),
                "{name}"
            );
        }
        assert!(
            st.consume_enrollment_token("h3", "s", now)
                .await
                .unwrap()
                .is_none(),
            "{name}: a 2-use token used 3 times"
        );
        assert!(
            st.consume_enrollment_token("h1", "s", now)
                .await
                .unwrap()
                .is_none(),
            "{name}: reused"
        );
        assert!(
            st.consume_enrollment_token("h2", "s", now)
                .await
                .unwrap()
                .is_none(),
            "{name}: expired"
        );

        let session = Session {
            session_id: "s1".into(),
            tenant_id: "t1".into(),
            email: "u".into(),
            created_at: now,
            expires_at: now + Duration::hours(1),
            ended_at: None,
            end_reason: None,
        };
        st.insert_session(&session).await.unwrap();
        let rt = RefreshToken {
            token_hash: "r1".into(),
            session_id: "s1".into(),
            email: "u".into(),
            tenant_id: "t1".into(),
            expires_at: now + Duration::hours(1),
        };
        st.insert_refresh_token(&rt).await.unwrap();
        assert!(
            matches!(
                st.use_refresh_token("r1", now).await.unwrap(),
                RefreshUse::Fresh(_)
            ),
            "{name}"
        );
        assert!(
            matches!(
                st.use_refresh_token("r1", now).await.unwrap(),
                RefreshUse::Reused { .. }
            ),
            "{name}"
        );
        assert!(
            matches!(
                st.use_refresh_token("zz", now).await.unwrap(),
                RefreshUse::Invalid
            ),
            "{name}"
        );
        // The replay ended the session: its other tokens die with it.
        assert!(
            !st.get_session("s1").await.unwrap().unwrap().is_live(now),
            "{name}"
        );
        let rt2 = RefreshToken {
            token_hash: "r2".into(),
            ..rt.clone()
        };
        st.insert_refresh_token(&rt2).await.unwrap();
        assert_eq!(
            st.use_refresh_token("r2", now).await.unwrap(),
            RefreshUse::Invalid,
            "{name}: a token of an ended session"
        );
    }
}
