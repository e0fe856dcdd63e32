//! The store contract under concurrent writers: many tasks at once, as several hub replicas
//! (or one busy hub) would be. No job is leased twice, max concurrency is never exceeded,
//! the error threshold ends an execution once, a server has one active lock, a schedule
//! occurrence fires once, the audit chain stays whole, a reader following output
//! cursors never skips a line, and an execution fanned out to many servers at once ends
//! once, with every job counted.

use super::*;
use crate::lifecycle::locks::LockRefusal;
use crate::store::OutputWindow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The stores, shareable between tasks.
async fn shared() -> Vec<(&'static str, Arc<dyn Store>)> {
    stores()
        .await
        .into_iter()
        .map(|(n, s)| (n, Arc::from(s)))
        .collect()
}

fn failed_result() -> JobResult {
    let mut r = ok_result("");
    r.status = Outcome::Failed;
    r.exit_code = Some(1);
    r
}

async fn lease_for(st: &dyn Store, server: &str) -> Option<Job> {
    let now = Utc::now();
    st.lease_next_job(
        "t1",
        server,
        now,
        now + Duration::seconds(60),
        Duration::minutes(30),
    )
    .await
    .unwrap()
    .job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_job_is_leased_twice() {
    for (name, st) in shared().await {
        let servers = ["a", "b", "c"];
        for i in 0..10 {
            let (e, jobs) = execution("t1", &format!("e{i}"), &servers);
            st.insert_execution(&e, &jobs).await.unwrap();
        }
        // Twelve pollers, four per server, race for the thirty jobs.
        let mut tasks = Vec::new();
        for p in 0..12 {
            let st = st.clone();
            let server = servers[p % 3];
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(j) = lease_for(st.as_ref(), server).await {
                    got.push(j.job_id);
                }
                got
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let unique: BTreeSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "{name}: a job was leased twice");
        assert_eq!(all.len(), 30, "{name}: every job leased once");
    }
}

/// A fan-out: every server of one execution leases, reports output, heartbeats and posts
/// its result (twice, as a retrying agent may) at the same moment as all the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fan_out_ends_once_with_every_job_counted() {
    for (name, st) in shared().await {
        let id = format!("fan_{}", uuid::Uuid::new_v4().simple());
        let servers: Vec<String> = (0..40).map(|i| format!("fan{i}")).collect();
        let refs: Vec<&str> = servers.iter().map(String::as_str).collect();
        let (e, jobs) = execution("t1", &id, &refs);
        st.insert_execution(&e, &jobs).await.unwrap();
        let before = st.events_after(0, 10_000).await.unwrap().len();
        let mut tasks = Vec::new();
        for (i, server) in servers.iter().cloned().enumerate() {
            let st = st.clone();
            tasks.push(tokio::spawn(async move {
                let job = lease_for(st.as_ref(), &server).await.expect("a job");
                let now = Utc::now();
                let chunk = OutputChunk {
                    seq: 0,
                    stream: Stream::Stdout,
                    data: format!("hi from {server}\n"),
                };
                st.append_output("t1", &server, &job.job_id, &[chunk], now)
                    .await
                    .unwrap();
                st.extend_leases(
                    "t1",
                    &server,
                    std::slice::from_ref(&job.job_id),
                    now + Duration::seconds(60),
                )
                .await
                .unwrap();
                let r = if i % 4 == 0 {
                    failed_result()
                } else {
                    ok_result("hi")
                };
                for _ in 0..2 {
                    st.finish_job("t1", &server, &job.job_id, &r, Utc::now())
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let ctl = st.get_control(&id).await.unwrap().unwrap();
        assert_eq!(
            (ctl.counts.success, ctl.counts.failed, ctl.counts.total()),
            (30, 10, 40),
            "{name}: {:?}",
            ctl.counts
        );
        assert_eq!(ctl.state, ExecutionState::Failed, "{name}");
        let e = st.get_execution("t1", &id).await.unwrap().unwrap();
        assert_eq!(e.state, ExecutionState::Failed, "{name}");
        assert!(e.started_at.is_some() && e.completed_at.is_some(), "{name}");
        let ended: Vec<_> = st.events_after(0, 10_000).await.unwrap()[before..]
            .iter()
            .filter(|ev| ev.subject == id)
            .map(|ev| ev.kind)
            .collect();
        assert_eq!(
            ended,
            vec![EventKind::ExecutionFailed],
            "{name}: ended once"
        );
        let lines = st.execution_logs(&id, None, 0, 1000).await.unwrap();
        assert_eq!(lines.1, 40, "{name}: one line per server");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn max_concurrency_is_never_exceeded() {
    for (name, st) in shared().await {
        let servers: Vec<String> = (0..24).map(|i| format!("s{i:02}")).collect();
        let ids: Vec<&str> = servers.iter().map(String::as_str).collect();
        let (e, jobs) = execution_with("t1", "mc", &ids, serde_json::json!({"max_concurrency": 3}));
        st.insert_execution(&e, &jobs).await.unwrap();
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for server in servers {
            let (st, active, peak) = (st.clone(), active.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    if let Some(j) = lease_for(st.as_ref(), &server).await {
                        let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        active.fetch_sub(1, Ordering::SeqCst);
                        st.finish_job("t1", &server, &j.job_id, &ok_result(""), Utc::now())
                            .await
                            .unwrap();
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
            }));
        }
        for t in tasks {
            tokio::time::timeout(std::time::Duration::from_secs(120), t)
                .await
                .expect("every job ran")
                .unwrap();
        }
        assert!(
            peak.load(Ordering::SeqCst) <= 3,
            "{name}: {} jobs ran at once",
            peak.load(Ordering::SeqCst)
        );
        let e = st.get_execution("t1", "mc").await.unwrap().unwrap();
        assert_eq!(e.state, ExecutionState::Completed, "{name}");
        let ctl = st.get_control("mc").await.unwrap().unwrap();
        assert_eq!(
            (ctl.counts.success, ctl.counts.active()),
            (24, 0),
            "{name}: {:?}",
            ctl.counts
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_error_threshold_ends_an_execution_once() {
    for (name, st) in shared().await {
        let servers: Vec<String> = (0..20).map(|i| format!("f{i:02}")).collect();
        let ids: Vec<&str> = servers.iter().map(String::as_str).collect();
        let (e, jobs) = execution_with(
            "t1",
            "th",
            &ids,
            serde_json::json!({"max_concurrency": 4, "error_threshold": 3}),
        );
        st.insert_execution(&e, &jobs).await.unwrap();
        let before = st.events_after(0, 10_000).await.unwrap().len();
        let mut tasks = Vec::new();
        for server in servers {
            let st = st.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..200 {
                    if let Some(j) = lease_for(st.as_ref(), &server).await {
                        st.finish_job("t1", &server, &j.job_id, &failed_result(), Utc::now())
                            .await
                            .unwrap();
                        return true;
                    }
                    let job = st
                        .jobs_of("th")
                        .await
                        .unwrap()
                        .into_iter()
                        .find(|j| j.server_id == server)
                        .unwrap();
                    if job.state.is_final() {
                        return false;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
                panic!("job of {server} neither ran nor ended");
            }));
        }
        let mut ran = 0;
        for t in tasks {
            ran += usize::from(t.await.unwrap());
        }
        let jobs = st.jobs_of("th").await.unwrap();
        let failed = jobs.iter().filter(|j| j.state == JobState::Failed).count();
        let skipped = jobs.iter().filter(|j| j.state == JobState::Skipped).count();
        assert_eq!(failed, ran, "{name}");
        assert!(
            (3..=3 + 3).contains(&failed),
            "{name}: {failed} failed (threshold 3, 4 at once)"
        );
        assert_eq!(failed + skipped, 20, "{name}");
        let e = st.get_execution("t1", "th").await.unwrap().unwrap();
        assert_eq!(e.state, ExecutionState::Failed, "{name}");
        assert!(
            e.skipped_reason
                .as_deref()
                .unwrap_or("")
                .contains("threshold"),
            "{name}"
        );
        let finals: Vec<_> = st.events_after(0, 10_000).await.unwrap()[before..]
            .iter()
            .filter(|ev| ev.subject == "th")
            .map(|ev| ev.kind)
            .collect();
        assert_eq!(
            finals,
            [EventKind::ExecutionFailed],
            "{name}: the end was recorded once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_has_one_active_lock_and_an_occurrence_fires_once() {
    for (name, st) in shared().await {
        let mut tasks = Vec::new();
        for i in 0..16 {
            let st = st.clone();
            tasks.push(tokio::spawn(async move {
                let mut l = super::orchestration::maintenance_lock("contended", 10);
                l.lock_id = format!("lock-{i}");
                st.acquire_lock(&l, Utc::now()).await.unwrap()
            }));
        }
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => won += 1,
                Err(LockRefusal::Busy { .. }) => {}
                Err(other) => panic!("{name}: {other:?}"),
            }
        }
        assert_eq!(won, 1, "{name}: {won} locks taken at once");
        assert_eq!(st.list_locks("t1", true).await.unwrap().len(), 1, "{name}");

        let at = Utc::now();
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let st = st.clone();
            tasks.push(tokio::spawn(async move {
                let run = ScheduleRun {
                    schedule_id: "sched".into(),
                    occurrence_at: at,
                    status: "fired".into(),
                    execution_id: None,
                    detail: None,
                    recorded_at: at,
                };
                st.claim_schedule_run(&run).await.unwrap()
            }));
        }
        let mut fired = 0;
        for t in tasks {
            fired += usize::from(t.await.unwrap());
        }
        assert_eq!(fired, 1, "{name}: the occurrence fired {fired} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_audit_chain_verifies_after_concurrent_writes() {
    for (name, st) in shared().await {
        let mut tasks = Vec::new();
        for w in 0..8 {
            let st = st.clone();
            tasks.push(tokio::spawn(async move {
                let mut seqs = Vec::new();
                for i in 0..10 {
                    let entry = AuditEntry {
                        tenant_id: "t1".into(),
                        timestamp: Utc::now(),
                        event_type: format!("w{w}-{i}"),
                        actor: serde_json::json!({"type": "system"}),
                        resource: serde_json::json!({}),
                        details: serde_json::json!({}),
                        result: serde_json::json!({"success": true}),
                    };
                    seqs.push(st.append_audit(&entry).await.unwrap());
                }
                seqs
            }));
        }
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.extend(t.await.unwrap());
        }
        let unique: BTreeSet<_> = seqs.iter().collect();
        assert_eq!(unique.len(), 80, "{name}: sequence numbers repeated");
        assert_eq!(
            st.verify_audit_chain().await.unwrap(),
            None,
            "{name}: the chain broke"
        );
        assert_eq!(
            st.list_audit("t1", &Default::default(), page(1, 100))
                .await
                .unwrap()
                .total,
            80,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_following_output_cursors_never_skips_a_line() {
    for (name, st) in shared().await {
        let servers: Vec<String> = (0..8).map(|i| format!("o{i}")).collect();
        let ids: Vec<&str> = servers.iter().map(String::as_str).collect();
        let (e, jobs) = execution("t1", "out", &ids);
        st.insert_execution(&e, &jobs).await.unwrap();
        let mut leased = Vec::new();
        for s in &servers {
            leased.push((s.clone(), lease_for(st.as_ref(), s).await.unwrap().job_id));
        }
        // Eight writers, forty lines each in batches of four; a reader follows meanwhile.
        let reader = {
            let st = st.clone();
            tokio::spawn(async move {
                let mut last = 0;
                let mut seen = Vec::new();
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
                while seen.len() < 320 {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the reader stalled at {}",
                        seen.len()
                    );
                    let lines = st
                        .execution_output("out", OutputWindow::After(last), 50, Utc::now())
                        .await
                        .unwrap();
                    for l in lines {
                        assert_eq!(l.cursor, last + 1, "a cursor was skipped");
                        last = l.cursor;
                        seen.push((l.job_id, l.seq));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                seen
            })
        };
        let mut writers = Vec::new();
        for (server, job) in leased {
            let st = st.clone();
            writers.push(tokio::spawn(async move {
                for b in 0..10u64 {
                    let chunks: Vec<OutputChunk> = (0..4)
                        .map(|i| OutputChunk {
                            seq: b * 4 + i,
                            stream: Stream::Stdout,
                            data: format!("{server} {}\n", b * 4 + i),
                        })
                        .collect();
                    st.append_output("t1", &server, &job, &chunks, Utc::now())
                        .await
                        .unwrap();
                    // A repeated delivery of the same batch adds nothing.
                    if b % 3 == 0 {
                        st.append_output("t1", &server, &job, &chunks, Utc::now())
                            .await
                            .unwrap();
                    }
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        let seen = reader.await.unwrap();
        let mut per_job: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for (job, seq) in seen {
            per_job.entry(job).or_default().push(seq);
        }
        assert_eq!(per_job.len(), 8, "{name}");
        for (job, seqs) in per_job {
            assert_eq!(
                seqs,
                (0..40).collect::<Vec<_>>(),
                "{name}: {job}'s lines out of order or missing"
            );
        }
    }
}
