//! The store contract for the execution history's order: by start time (the default),
//! id, state or initiator, either way, the same in every store, pages never overlapping.

use super::*;

#[tokio::test]
async fn the_history_is_ordered_as_asked_and_pages_follow_the_order() {
    for (name, st) in stores().await {
        let t0 = Utc::now() - Duration::minutes(10);
        // (id, its one job's state — the execution's follows —, initiator, minutes after t0)
        let rows = [
            ("e1", JobState::Success, "Bob@example.com", 1),
            ("e2", JobState::Failed, "alice@example.com", 2),
            ("e3", JobState::Running, "carol@example.com", 3),
            ("e4", JobState::Success, "alice@example.com", 4),
            ("e5", JobState::Pending, "bob@example.com", 5),
        ];
        for (id, state, who, min) in rows {
            let (e, mut jobs) = execution_with(
                "t1",
                id,
                &["s1"],
                serde_json::json!({"initiated_by": who, "created_at": t0 + Duration::minutes(min)}),
            );
            jobs[0].state = state;
            st.insert_execution(&e, &jobs).await.unwrap();
        }
        let states: Vec<ExecutionState> = st
            .list_executions("t1", &ExecutionFilter::default(), page(1, 10))
            .await
            .unwrap()
            .items
            .iter()
            .map(|e| e.state)
            .collect();
        use ExecutionState as S;
        assert_eq!(
            states,
            [
                S::Pending,
                S::Completed,
                S::Running,
                S::Failed,
                S::Completed
            ],
            "{name}"
        );
        let list = |field, ascending, p: u32, size: u32| {
            let f = ExecutionFilter {
                order: ExecutionOrder { field, ascending },
                ..Default::default()
            };
            let st = &st;
            async move {
                st.list_executions("t1", &f, page(p, size))
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|e| e.execution_id)
                    .collect::<Vec<_>>()
            }
        };
        use ExecutionOrderField as F;
        assert_eq!(
            list(F::CreatedAt, false, 1, 10).await,
            ["e5", "e4", "e3", "e2", "e1"],
            "{name}"
        );
        assert_eq!(
            list(F::CreatedAt, true, 1, 10).await,
            ["e1", "e2", "e3", "e4", "e5"],
            "{name}"
        );
        assert_eq!(
            list(F::ExecutionId, false, 1, 10).await,
            ["e5", "e4", "e3", "e2", "e1"],
            "{name}"
        );
        // By state's name; newest first within one state.
        assert_eq!(
            list(F::State, true, 1, 10).await,
            ["e4", "e1", "e2", "e5", "e3"],
            "{name}"
        );
        assert_eq!(
            list(F::State, false, 1, 10).await,
            ["e3", "e5", "e2", "e4", "e1"],
            "{name}"
        );
        // By initiator, case ignored; newest first within one.
        assert_eq!(
            list(F::InitiatedBy, true, 1, 10).await,
            ["e4", "e2", "e5", "e1", "e3"],
            "{name}"
        );
        // Pages follow the order: together they are the whole list once.
        let mut paged = list(F::State, true, 1, 2).await;
        paged.extend(list(F::State, true, 2, 2).await);
        paged.extend(list(F::State, true, 3, 2).await);
        assert_eq!(paged, ["e4", "e1", "e2", "e5", "e3"], "{name}");
    }
}
