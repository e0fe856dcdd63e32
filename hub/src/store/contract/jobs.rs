//! The store contract for jobs: leased once, their result stored once, lapsed leases
//! settled, heartbeats keeping them, and jobs no agent takes ended.

use super::*;

#[tokio::test]
async fn a_job_is_leased_once_and_its_result_stored_once() {
    for (name, st) in stores().await {
        let (e, jobs) = execution("t1", "e1", &["a", "b"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let leased = lease(st.as_ref(), "a", now, 30).await.expect("job for a");
        assert_eq!(leased.state, JobState::Leased, "{name}");
        assert!(
            lease(st.as_ref(), "a", now, 0).await.is_none(),
            "{name}: leased twice"
        );
        assert_eq!(
            st.get_execution("t1", "e1").await.unwrap().unwrap().state,
            ExecutionState::Running,
            "{name}"
        );

        let chunk = OutputChunk {
            seq: 0,
            stream: Stream::Stdout,
            data: "hi\n".into(),
        };
        let first = st
            .append_output("t1", "a", &leased.job_id, std::slice::from_ref(&chunk), now)
            .await
            .unwrap()
            .unwrap();
        let (exec, fresh) = (first.execution_id, first.fresh);
        assert_eq!(exec, "e1", "{name}");
        assert!(
            first.job_changed,
            "{name}: the first output marks the job running"
        );
        assert_eq!(fresh.len(), 1, "{name}: the new line is returned");
        assert_eq!(
            (fresh[0].seq, fresh[0].data.as_str()),
            (0, "hi\n"),
            "{name}"
        );
        assert_eq!(fresh[0].server_id, "a", "{name}");
        let again = st
            .append_output("t1", "a", &leased.job_id, &[chunk], now)
            .await
            .unwrap()
            .unwrap();
        assert!(again.fresh.is_empty(), "{name}: a repeated line is not new");
        assert!(!again.job_changed, "{name}: later output changes no status");
        assert_eq!(
            st.execution_logs("e1", None, 0, 100).await.unwrap().1,
            1,
            "{name}: output duplicated"
        );
        assert!(
            st.append_output("t1", "b", &leased.job_id, &[], now)
                .await
                .unwrap()
                .is_none(),
            "{name}: other server wrote"
        );

        let r = ok_result("hi");
        assert_eq!(
            st.finish_job("t1", "b", &leased.job_id, &r, now)
                .await
                .unwrap(),
            FinishOutcome::NotFound,
            "{name}"
        );
        assert!(
            matches!(
                st.finish_job("t1", "a", &leased.job_id, &r, now)
                    .await
                    .unwrap(),
                FinishOutcome::Stored { .. }
            ),
            "{name}"
        );
        assert!(
            matches!(
                st.finish_job("t1", "a", &leased.job_id, &r, now)
                    .await
                    .unwrap(),
                FinishOutcome::AlreadyFinal { .. }
            ),
            "{name}"
        );

        let b = lease(st.as_ref(), "b", now, 30).await.unwrap();
        let mut failed = ok_result("");
        failed.status = Outcome::Failed;
        failed.exit_code = Some(3);
        st.finish_job("t1", "b", &b.job_id, &failed, now)
            .await
            .unwrap();
        let e = st.get_execution("t1", "e1").await.unwrap().unwrap();
        assert_eq!(e.state, ExecutionState::Failed, "{name}");
        assert!(e.completed_at.is_some(), "{name}");
        let jobs = st.jobs_of("e1").await.unwrap();
        assert_eq!(
            jobs.iter().map(|j| j.state).collect::<Vec<_>>(),
            [JobState::Success, JobState::Failed],
            "{name}"
        );
        assert_eq!(jobs[1].exit_code, Some(3), "{name}");
        assert!(
            st.get_execution("t2", "e1").await.unwrap().is_none(),
            "{name}: tenant leak"
        );
    }
}

#[tokio::test]
async fn lapsed_leases_settle_and_heartbeats_keep_them() {
    for (name, st) in stores().await {
        let (e, jobs) = execution("t1", "e2", &["a", "b"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let ja = lease(st.as_ref(), "a", now, 1).await.unwrap();
        let jb = lease(st.as_ref(), "b", now, 1).await.unwrap();
        // b's agent renews its lease; a's does not.
        let stop = st
            .extend_leases(
                "t1",
                "b",
                &[jb.job_id.clone(), "nope".into()],
                now + Duration::seconds(60),
            )
            .await
            .unwrap();
        assert_eq!(stop, ["nope"], "{name}");
        let changed = st.expire_leases(now + Duration::seconds(5)).await.unwrap();
        let ids: Vec<&str> = changed.iter().map(|l| l.execution_id.as_str()).collect();
        assert_eq!(ids, ["e2"], "{name}");
        assert!(
            !changed[0].requeued,
            "{name}: the default policy never re-runs a lost job"
        );
        let jobs = st.jobs_of("e2").await.unwrap();
        let a = jobs.iter().find(|j| j.job_id == ja.job_id).unwrap();
        assert_eq!(a.state, JobState::Unreachable, "{name}");
        assert!(
            jobs.iter()
                .any(|j| j.job_id == jb.job_id && j.state == JobState::Running),
            "{name}: a renewed lease means the job is running"
        );
        // A late result for the lost job changes nothing.
        let late = st
            .finish_job("t1", "a", &ja.job_id, &ok_result(""), now)
            .await
            .unwrap();
        assert!(matches!(late, FinishOutcome::AlreadyFinal { .. }), "{name}");
    }
}

#[tokio::test]
async fn jobs_no_agent_takes_end_unreachable_and_their_execution_ends() {
    for (name, st) in stores().await {
        let now = Utc::now();
        let (e, mut jobs) = execution("t1", "e-undelivered", &["a", "b", "c", "d"]);
        for j in &mut jobs {
            j.queued_at = now - Duration::seconds(100);
        }
        // d's job became due again 10 s ago (a retry): its wait counts from then.
        jobs[3].not_before = Some(now - Duration::seconds(10));
        st.insert_execution(&e, &jobs).await.unwrap();
        // a's agent takes its job; the others never come.
        let ja = lease(st.as_ref(), "a", now, 600).await.unwrap();
        let timed_out = |secs: i64| UndeliveredJobs::TimedOut {
            due_before: now - Duration::seconds(secs),
            timeout_secs: secs as u64,
        };
        let servers = |v: Vec<LapsedJob>| -> Vec<String> {
            let mut s: Vec<String> = v.into_iter().map(|l| l.server_id).collect();
            s.sort();
            s
        };
        let none = st.settle_undelivered(&timed_out(200), now).await.unwrap();
        assert!(none.is_empty(), "{name}: nothing waited 200 s: {none:?}");
        let other_tenant = UndeliveredJobs::OfServer {
            tenant_id: "t2".into(),
            server_id: "c".into(),
        };
        let none = st.settle_undelivered(&other_tenant, now).await.unwrap();
        assert!(
            none.is_empty(),
            "{name}: another tenant's server of that name"
        );
        // c is deregistered: its queued job ends at once.
        let removed = UndeliveredJobs::OfServer {
            tenant_id: "t1".into(),
            server_id: "c".into(),
        };
        let ended = st.settle_undelivered(&removed, now).await.unwrap();
        assert_eq!(servers(ended), ["c"], "{name}");
        // 60 s: b's job (queued 100 s ago) ends; a's was taken, d's is due since 10 s.
        let ended = st.settle_undelivered(&timed_out(60), now).await.unwrap();
        assert_eq!(servers(ended), ["b"], "{name}");
        let again = st.settle_undelivered(&timed_out(60), now).await.unwrap();
        assert!(again.is_empty(), "{name}: ended twice: {again:?}");

        let jobs = st.jobs_of("e-undelivered").await.unwrap();
        let by = |s: &str| jobs.iter().find(|j| j.server_id == s).unwrap().clone();
        let (a, b, c, d) = (by("a"), by("b"), by("c"), by("d"));
        assert_eq!(a.state, JobState::Leased, "{name}");
        assert_eq!(d.state, JobState::Pending, "{name}");
        assert_eq!(b.state, JobState::Unreachable, "{name}");
        assert!(
            b.error.as_deref().unwrap().contains("within 60 s"),
            "{name}: {:?}",
            b.error
        );
        assert!(b.finished_at.is_some(), "{name}");
        assert_eq!(c.state, JobState::Unreachable, "{name}");
        assert!(
            c.error.as_deref().unwrap().contains("deregistered"),
            "{name}: {:?}",
            c.error
        );
        let exec = st
            .get_execution("t1", "e-undelivered")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(exec.state, ExecutionState::Running, "{name}");

        // a reports, d's wait runs out: the execution ends, failed (two never ran).
        st.finish_job("t1", "a", &ja.job_id, &ok_result(""), now)
            .await
            .unwrap();
        let later = now + Duration::seconds(60);
        let ended = st
            .settle_undelivered(
                &UndeliveredJobs::TimedOut {
                    due_before: later - Duration::seconds(60),
                    timeout_secs: 60,
                },
                later,
            )
            .await
            .unwrap();
        assert_eq!(servers(ended), ["d"], "{name}");
        let exec = st
            .get_execution("t1", "e-undelivered")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(exec.state, ExecutionState::Failed, "{name}");
        assert!(exec.completed_at.is_some(), "{name}");
    }
}

#[tokio::test]
async fn a_lease_marks_its_server_busy_and_the_last_result_idle_with_the_job() {
    for (name, st) in stores().await {
        st.insert_server(&server("t1", "a", "dev", &[]))
            .await
            .unwrap();
        let mut held = server("t1", "m", "dev", &[]);
        held.status.current = ServerState::Maintenance;
        st.insert_server(&held).await.unwrap();
        let (e, jobs) = execution("t1", "e1", &["a", "m"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let (e2, jobs2) = execution("t1", "e2", &["a"]);
        st.insert_execution(&e2, &jobs2).await.unwrap();
        let state = |id: &'static str| {
            let st = st.as_ref();
            async move {
                st.get_server("t1", id)
                    .await
                    .unwrap()
                    .unwrap()
                    .status
                    .current
            }
        };
        let now = Utc::now();

        let first = lease_outcome(st.as_ref(), "a", now, 30).await;
        assert!(first.job.is_some() && first.server_changed, "{name}");
        assert_eq!(state("a").await, ServerState::Busy, "{name}");
        let second = lease_outcome(st.as_ref(), "a", now, 30).await;
        assert!(
            second.job.is_some() && !second.server_changed,
            "{name}: already busy, nothing to say"
        );
        let held = lease_outcome(st.as_ref(), "m", now, 30).await;
        assert!(held.job.is_some() && !held.server_changed, "{name}");
        assert_eq!(
            state("m").await,
            ServerState::Maintenance,
            "{name}: maintenance stays"
        );

        // One of two jobs back: still busy, its success remembered.
        let said = stored_saying_server_changed(st.as_ref(), "a", &first.job.unwrap().job_id).await;
        assert!(!said, "{name}");
        let a = st.get_server("t1", "a").await.unwrap().unwrap();
        assert_eq!(a.status.current, ServerState::Busy, "{name}");
        assert!(a.metadata.last_successful_execution.is_some(), "{name}");
        // The last one back: idle with it.
        let said =
            stored_saying_server_changed(st.as_ref(), "a", &second.job.unwrap().job_id).await;
        assert!(said, "{name}: idle with its last job back");
        assert_eq!(state("a").await, ServerState::Idle, "{name}");
        // A result delivered again changes nothing.
        let jobs = st.jobs_of("e1").await.unwrap();
        let a_job = jobs.iter().find(|j| j.server_id == "a").unwrap();
        assert!(
            matches!(
                st.finish_job("t1", "a", &a_job.job_id, &ok_result(""), now)
                    .await
                    .unwrap(),
                FinishOutcome::AlreadyFinal { .. }
            ),
            "{name}"
        );
        let said = stored_saying_server_changed(st.as_ref(), "m", &held.job.unwrap().job_id).await;
        assert!(!said, "{name}");
        assert_eq!(state("m").await, ServerState::Maintenance, "{name}");
    }
}

/// Stores a success for `job_id` of `server` (tenant `t1`); whether the store said the
/// server's state changed with it (a result that was not stored fails the test).
async fn stored_saying_server_changed(st: &dyn Store, server: &str, job_id: &str) -> bool {
    match st
        .finish_job("t1", server, job_id, &ok_result(""), Utc::now())
        .await
        .unwrap()
    {
        FinishOutcome::Stored { server_changed, .. } => server_changed,
        other => panic!("{other:?}"),
    }
}
