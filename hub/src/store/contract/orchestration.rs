//! The store contract, continued: dispatch (rate control, priority, retries, the error
//! threshold), cancellation, locks with fencing, schedules, and migrations.

use super::*;
use crate::lifecycle::locks::LockRefusal;

#[tokio::test]
async fn max_concurrency_holds_back_jobs_until_a_slot_frees() {
    for (name, st) in stores().await {
        let (e, jobs) = execution_with(
            "t1",
            "rc",
            &["a", "b", "c"],
            serde_json::json!({"max_concurrency": 1}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let a = lease(st.as_ref(), "a", now, 30).await.expect("first slot");
        assert!(
            lease(st.as_ref(), "b", now, 30).await.is_none(),
            "{name}: two running with max_concurrency 1"
        );
        let FinishOutcome::Stored { wake, .. } = st
            .finish_job("t1", "a", &a.job_id, &ok_result(""), now)
            .await
            .unwrap()
        else {
            panic!("{name}")
        };
        assert_eq!(wake, ["b", "c"], "{name}: waiting servers are woken");
        assert!(
            lease(st.as_ref(), "b", now, 30).await.is_some(),
            "{name}: slot freed"
        );
    }
}

#[tokio::test]
async fn higher_priority_runs_first_on_a_server() {
    for (name, st) in stores().await {
        let (low, jl) = execution_with("t1", "low", &["a"], serde_json::json!({"priority": "low"}));
        let (high, jh) = execution_with(
            "t1",
            "high",
            &["a"],
            serde_json::json!({"priority": "high"}),
        );
        st.insert_execution(&low, &jl).await.unwrap();
        st.insert_execution(&high, &jh).await.unwrap();
        let first = lease(st.as_ref(), "a", Utc::now(), 30).await.unwrap();
        assert_eq!(first.execution_id, "high", "{name}");
    }
}

#[tokio::test]
async fn failures_retry_after_their_delay_and_the_error_threshold_skips_the_rest() {
    for (name, st) in stores().await {
        let (e, jobs) = execution_with(
            "t1",
            "rt",
            &["a"],
            serde_json::json!({"retry_count": 1, "retry_delay_seconds": 60}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let j = lease(st.as_ref(), "a", now, 30).await.unwrap();
        let mut failed = ok_result("");
        failed.status = Outcome::Failed;
        failed.exit_code = Some(1);
        assert!(
            matches!(
                st.finish_job("t1", "a", &j.job_id, &failed, now)
                    .await
                    .unwrap(),
                FinishOutcome::Retrying { .. }
            ),
            "{name}"
        );
        assert!(
            lease(st.as_ref(), "a", now, 30).await.is_none(),
            "{name}: retried before its delay"
        );
        assert_eq!(
            st.servers_with_due_jobs(now + Duration::seconds(61))
                .await
                .unwrap(),
            [crate::store::ServerRef {
                tenant_id: "t1".into(),
                server_id: "a".into()
            }],
            "{name}"
        );
        let again = lease(st.as_ref(), "a", now + Duration::seconds(61), 30)
            .await
            .expect("second attempt");
        assert_eq!(again.attempt, 2, "{name}");
        st.finish_job("t1", "a", &again.job_id, &failed, now)
            .await
            .unwrap();
        assert_eq!(
            st.get_execution("t1", "rt").await.unwrap().unwrap().state,
            ExecutionState::Failed,
            "{name}"
        );

        let (e, jobs) = execution_with(
            "t1",
            "th",
            &["a", "b", "c"],
            serde_json::json!({"error_threshold": 1, "max_concurrency": 1}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let j = lease(st.as_ref(), "a", now, 30).await.unwrap();
        st.finish_job("t1", "a", &j.job_id, &failed, now)
            .await
            .unwrap();
        let states: Vec<JobState> = st
            .jobs_of("th")
            .await
            .unwrap()
            .iter()
            .map(|j| j.state)
            .collect();
        assert_eq!(
            states,
            [JobState::Failed, JobState::Skipped, JobState::Skipped],
            "{name}"
        );
        let e = st.get_execution("t1", "th").await.unwrap().unwrap();
        assert!(
            e.skipped_reason.unwrap().contains("error threshold"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn cancelling_stops_pending_jobs_and_signals_running_ones() {
    for (name, st) in stores().await {
        let (e, jobs) = execution("t1", "cx", &["a", "b"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let a = lease(st.as_ref(), "a", now, 30).await.unwrap();
        assert!(
            st.cancel_execution("t2", "cx", "x", now)
                .await
                .unwrap()
                .is_none(),
            "{name}: cross-tenant cancel"
        );
        assert_eq!(
            st.cancel_execution("t1", "cx", "u", now)
                .await
                .unwrap()
                .unwrap(),
            ["a"],
            "{name}"
        );
        assert!(
            lease(st.as_ref(), "b", now, 30).await.is_none(),
            "{name}: a cancelled job started"
        );
        assert_eq!(
            st.take_cancellations("t1", "a", now).await.unwrap(),
            std::slice::from_ref(&a.job_id),
            "{name}"
        );
        assert!(
            st.take_cancellations("t1", "a", now)
                .await
                .unwrap()
                .is_empty(),
            "{name}: re-sent at once"
        );
        let mut r = ok_result("");
        r.status = Outcome::Cancelled;
        st.finish_job("t1", "a", &a.job_id, &r, now).await.unwrap();
        let e = st.get_execution("t1", "cx").await.unwrap().unwrap();
        assert_eq!(
            (e.state, e.cancelled_by.as_deref()),
            (ExecutionState::Cancelled, Some("u")),
            "{name}"
        );
    }
}

pub(super) fn maintenance_lock(server: &str, minutes: i64) -> ServerLock {
    let now = Utc::now();
    ServerLock {
        tenant_id: "t1".into(),
        lock_id: format!("lock-{server}-{minutes}"),
        server_id: server.into(),
        lock_type: LockType::Maintenance,
        locked_by: LockOwner {
            process_id: "api".into(),
            execution_id: None,
            user_id: "ops@x".into(),
        },
        lock_metadata: LockMetadata {
            reason: "patching".into(),
            priority: "normal".into(),
            estimated_duration_minutes: None,
        },
        timing: LockTiming {
            acquired_at: now,
            expires_at: now + Duration::minutes(minutes),
            max_extension_count: 1,
            current_extensions: 0,
            released_at: None,
        },
        status: LockStatus::Active,
        fencing_token: 0,
        released_by: None,
    }
}

#[tokio::test]
async fn locks_exclude_each_other_extend_a_bounded_number_of_times_and_expire() {
    for (name, st) in stores().await {
        let now = Utc::now();
        let l1 = st
            .acquire_lock(&maintenance_lock("a", 10), now)
            .await
            .unwrap()
            .unwrap();
        assert!(
            matches!(
                st.acquire_lock(&maintenance_lock("a", 5), now).await,
                Ok(Err(LockRefusal::Busy { .. }))
            ),
            "{name}"
        );
        st.extend_lock("t1", &l1.lock_id, Duration::minutes(5), now)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(
            st.extend_lock("t1", &l1.lock_id, Duration::minutes(5), now)
                .await
                .unwrap(),
            Some(Err(LockRefusal::ExtensionsUsed { max: 1 })),
            "{name}: past max_extension_count"
        );
        assert!(
            st.get_lock("t2", &l1.lock_id).await.unwrap().is_none(),
            "{name}: tenant leak"
        );
        let expired = st.expire_locks(now + Duration::minutes(16)).await.unwrap();
        assert_eq!(expired.len(), 1, "{name}");
        let l2 = st
            .acquire_lock(&maintenance_lock("a", 1), now + Duration::minutes(16))
            .await
            .unwrap()
            .unwrap();
        assert!(
            l2.fencing_token > l1.fencing_token,
            "{name}: fencing tokens grow"
        );
        let released = st
            .release_lock("t1", &l2.lock_id, true, "admin@x", now)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(released.status, LockStatus::ForceReleased, "{name}");
    }
}

/// The tenant `t1`'s audit entries of one event type, newest first.
async fn audited(st: &dyn Store, event_type: &str) -> Vec<serde_json::Value> {
    let f = crate::audit::AuditFilter {
        event_type: Some(event_type.into()),
        ..Default::default()
    };
    st.list_audit("t1", &f, page(1, 50)).await.unwrap().items
}

#[tokio::test]
async fn a_lapsed_lock_is_audited_by_the_write_that_finds_it() {
    for (name, st) in stores().await {
        let now = Utc::now();
        let first = st
            .acquire_lock(&maintenance_lock("a", 1), now)
            .await
            .unwrap()
            .unwrap();
        // No sweep ran: the next take finds the first lock lapsed and ends it.
        st.acquire_lock(&maintenance_lock("a", 10), now + Duration::minutes(2))
            .await
            .unwrap()
            .expect("the lapsed lock does not hold the server");
        let expired = audited(st.as_ref(), "lock_expired").await;
        assert_eq!(expired.len(), 1, "{name}: {expired:?}");
        assert_eq!(
            expired[0]["resource"]["id"],
            first.lock_id.as_str(),
            "{name}"
        );
        assert_eq!(expired[0]["actor"]["type"], "system", "{name}");
        // The sweep finds nothing more to end, and audits nothing twice.
        let ended = st.expire_locks(now + Duration::minutes(3)).await.unwrap();
        assert!(ended.is_empty(), "{name}: {ended:?}");
        assert_eq!(
            audited(st.as_ref(), "lock_expired").await.len(),
            1,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_job_needing_a_lock_waits_and_a_stale_holder_is_fenced() {
    for (name, st) in stores().await {
        let now = Utc::now();
        let maint = st
            .acquire_lock(&maintenance_lock("a", 10), now)
            .await
            .unwrap()
            .unwrap();
        let (e, jobs) = execution_with(
            "t1",
            "lk",
            &["a"],
            serde_json::json!({"requires_lock": true}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        assert!(
            lease(st.as_ref(), "a", now, 30).await.is_none(),
            "{name}: ran on a locked server"
        );
        st.release_lock("t1", &maint.lock_id, false, "ops@x", now)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let j = st
            .lease_next_job(
                "t1",
                "a",
                now,
                now + Duration::seconds(30),
                Duration::seconds(1),
            )
            .await
            .unwrap()
            .job
            .expect("lock free now");
        assert!(j.fencing_token.is_some(), "{name}");
        // The job's lock expires before its result arrives, and someone else takes the server.
        st.expire_locks(now + Duration::seconds(2)).await.unwrap();
        st.acquire_lock(&maintenance_lock("a", 10), now + Duration::seconds(2))
            .await
            .unwrap()
            .unwrap();
        let out = st
            .finish_job(
                "t1",
                "a",
                &j.job_id,
                &ok_result(""),
                now + Duration::seconds(3),
            )
            .await
            .unwrap();
        assert!(
            matches!(out, FinishOutcome::Fenced { .. }),
            "{name}: {out:?}"
        );
        let job = &st.jobs_of("lk").await.unwrap()[0];
        assert_eq!(job.state, JobState::Failed, "{name}");
        assert!(job.error.as_deref().unwrap().contains("fencing"), "{name}");
        // Each change the hub or an agent made is audited in its own transaction: readable
        // the moment the change is.
        let fenced = audited(st.as_ref(), "result_fenced").await;
        assert_eq!(fenced.len(), 1, "{name}: {fenced:?}");
        assert_eq!(fenced[0]["resource"]["id"], j.job_id.as_str(), "{name}");
        assert_eq!(fenced[0]["actor"]["id"], "a", "{name}");
        assert_eq!(fenced[0]["result"]["success"], false, "{name}");
        let expired = audited(st.as_ref(), "lock_expired").await;
        assert_eq!(expired.len(), 1, "{name}: the job's lock: {expired:?}");
        assert_eq!(
            expired[0]["details"]["fencing_token"],
            j.fencing_token.unwrap(),
            "{name}"
        );

        let (e, jobs) = execution_with(
            "t1",
            "lf",
            &["a"],
            serde_json::json!({"requires_lock": true, "lock_policy": "fail"}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let out = st
            .lease_next_job(
                "t1",
                "a",
                now,
                now + Duration::seconds(30),
                Duration::minutes(1),
            )
            .await
            .unwrap();
        assert!(out.job.is_none() && out.changed == ["lf"], "{name}");
        let skipped = &st.jobs_of("lf").await.unwrap()[0];
        assert_eq!(skipped.state, JobState::Skipped, "{name}: fail policy");
        assert!(
            skipped.error.as_deref().unwrap().contains("ops@x"),
            "{name}: the reason names the holder: {:?}",
            skipped.error
        );
    }
}

#[tokio::test]
async fn another_users_maintenance_lock_keeps_every_execution_off_while_its_owner_runs() {
    for (name, st) in stores().await {
        let now = Utc::now();
        st.acquire_lock(&maintenance_lock("a", 10), now)
            .await
            .unwrap()
            .unwrap();
        // u's execution does not ask for a lock; ops@x's lock holds it back anyway.
        let (e, jobs) = execution("t1", "theirs", &["a"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        assert!(
            lease(st.as_ref(), "a", now, 30).await.is_none(),
            "{name}: ran on a server locked by someone else"
        );
        // The lock's owner's own execution runs.
        let (e, jobs) = execution_with(
            "t1",
            "owners",
            &["a"],
            serde_json::json!({"initiated_by": "ops@x", "priority": "low"}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let j = lease(st.as_ref(), "a", now, 30)
            .await
            .expect("the owner's job");
        assert_eq!(j.execution_id, "owners", "{name}");
        // Once the lock ends, the waiting execution runs.
        st.expire_locks(now + Duration::minutes(11)).await.unwrap();
        let j = lease(st.as_ref(), "a", now + Duration::minutes(11), 30)
            .await
            .expect("after the lock");
        assert_eq!(j.execution_id, "theirs", "{name}");
    }
}

#[tokio::test]
async fn a_schedule_occurrence_is_claimed_once() {
    for (name, st) in stores().await {
        let at = Utc::now();
        let run = ScheduleRun {
            schedule_id: "s1".into(),
            occurrence_at: at,
            status: "fired".into(),
            execution_id: None,
            detail: None,
            recorded_at: at,
        };
        assert!(st.claim_schedule_run(&run).await.unwrap(), "{name}");
        assert!(
            !st.claim_schedule_run(&run).await.unwrap(),
            "{name}: fired twice"
        );
    }
}

#[tokio::test]
async fn an_old_database_is_migrated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(crate::store::sqlite::SCHEMA_V0).unwrap();
        c.execute(
            "INSERT INTO job_output(job_id, seq, execution_id, server_id, stream, data, at) VALUES ('j', 0, 'e', 's', 'stdout', 'kept', 0)",
            [],
        )
        .unwrap();
    }
    let st = SqliteStore::open(&path, crate::store::codec::Codec::for_tests()).unwrap();
    let (lines, total) = st.execution_logs("e", None, 0, 10).await.unwrap();
    assert_eq!(
        (total, lines[0].data.as_str(), lines[0].attempt),
        (1, "kept", 1)
    );
    drop(st);
    SqliteStore::open(&path, crate::store::codec::Codec::for_tests())
        .expect("opening again is a no-op");
}

#[tokio::test]
async fn lost_jobs_open_the_agents_circuit_in_the_write_that_loses_them() {
    use crate::lifecycle::servers::{CIRCUIT_COOL_DOWN_SECS, CIRCUIT_THRESHOLD};
    for (name, st) in stores().await {
        st.insert_server(&server("t1", "a", "dev", &[]))
            .await
            .unwrap();
        let mut now = Utc::now();
        // Jobs leased to the agent in a row and never reported, each lapse swept on its own.
        for k in 1..=CIRCUIT_THRESHOLD + 1 {
            let (e, jobs) = execution("t1", &format!("lost-{k}"), &["a"]);
            st.insert_execution(&e, &jobs).await.unwrap();
            lease(st.as_ref(), "a", now, 1).await.unwrap();
            now += Duration::seconds(5);
            let lapsed = st.expire_leases(now).await.unwrap();
            assert_eq!(lapsed.len(), 1, "{name}: {lapsed:?}");
            let circuit = st.get_server("t1", "a").await.unwrap().unwrap().circuit;
            assert_eq!(circuit.consecutive_failures, k, "{name}");
            let opened = audited(st.as_ref(), "agent_circuit_opened").await;
            if k < CIRCUIT_THRESHOLD {
                assert_eq!(circuit.open_until, None, "{name}: {k}");
                assert_eq!(lapsed[0].circuit_opened, None, "{name}: {k}");
                assert!(opened.is_empty(), "{name}: {k}: {opened:?}");
            } else if k == CIRCUIT_THRESHOLD {
                let until = now + Duration::seconds(CIRCUIT_COOL_DOWN_SECS);
                assert_eq!(circuit.open_until, Some(until), "{name}");
                assert_eq!(lapsed[0].circuit_opened.as_ref(), Some(&circuit), "{name}");
                // Audited with the opening, readable the moment it is.
                assert_eq!(opened.len(), 1, "{name}: {opened:?}");
                assert_eq!(opened[0]["resource"]["id"], "a", "{name}");
                assert_eq!(opened[0]["details"]["consecutive_failures"], k, "{name}");
            } else {
                // Lost while open: counted, but it does not open again.
                assert_eq!(lapsed[0].circuit_opened, None, "{name}");
                assert_eq!(opened.len(), 1, "{name}: {opened:?}");
            }
        }
        // A result closes it.
        let (e, jobs) = execution("t1", "reported", &["a"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let j = lease(st.as_ref(), "a", now, 60).await.unwrap();
        st.finish_job("t1", "a", &j.job_id, &ok_result("ok"), now)
            .await
            .unwrap();
        let circuit = st.get_server("t1", "a").await.unwrap().unwrap().circuit;
        assert_eq!(circuit, Default::default(), "{name}");
    }
}
