//! The store contract for servers' metric buckets: added to (never replaced) by several
//! writers at once, read by range in order, pruned by age per resolution, kept per tenant,
//! and gone with their server.

use super::*;
use chrono::TimeZone;
use std::sync::Arc;

fn bucket(tenant: &str, server: &str, resolution: i64, minute: i64, cpu: f64) -> MetricBucket {
    MetricBucket {
        tenant_id: tenant.into(),
        server_id: server.into(),
        resolution,
        start: Utc.timestamp_opt(1_800_000_000 + minute * 60, 0).unwrap(),
        count: 1,
        stats: MetricStats::sample(cpu, 50.0, 70.0, 0.5),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metric_buckets_add_up_read_by_range_prune_by_age_and_go_with_their_server() {
    for (name, st) in super::stores().await {
        let st: Arc<dyn Store> = Arc::from(st);
        st.insert_server(&server("t1", "web-01", "dev", &[]))
            .await
            .unwrap();
        st.insert_server(&server("t2", "web-01", "dev", &[]))
            .await
            .unwrap();
        // Eight writers (replicas flushing) add to the same two buckets at once.
        let mut tasks = Vec::new();
        for i in 0..8 {
            let st = st.clone();
            tasks.push(tokio::spawn(async move {
                st.add_metric_buckets(&[
                    bucket("t1", "web-01", 60, 0, 10.0 * f64::from(i)),
                    bucket("t1", "web-01", 60, 1, 5.0),
                ])
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        st.add_metric_buckets(&[
            bucket("t1", "web-01", 60, 2, 1.0),
            bucket("t1", "web-01", 900, 0, 99.0),
            bucket("t2", "web-01", 60, 0, 42.0),
        ])
        .await
        .unwrap();

        let from = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let got = st
            .metric_buckets("t1", "web-01", 60, from, from + Duration::minutes(2))
            .await
            .unwrap();
        assert_eq!(
            got.len(),
            2,
            "{name}: [from, to) holds minutes 0 and 1: {got:?}"
        );
        assert_eq!(got[0].start, from, "{name}: oldest first");
        assert_eq!(got[0].count, 8, "{name}: every writer's sample counted");
        assert_eq!(got[0].stats.cpu.sum, 280.0, "{name}");
        assert_eq!(got[0].stats.cpu.max, 70.0, "{name}: the largest kept");
        assert_eq!(got[0].stats.memory.sum, 400.0, "{name}");
        assert_eq!((got[1].count, got[1].stats.cpu.sum), (8, 40.0), "{name}");
        // Per resolution and per tenant.
        let quarter = st
            .metric_buckets("t1", "web-01", 900, from, from + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(quarter.len(), 1, "{name}");
        assert_eq!(quarter[0].stats.cpu.max, 99.0, "{name}");
        let other = st
            .metric_buckets("t2", "web-01", 60, from, from + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(other.len(), 1, "{name}");
        assert_eq!(other[0].stats.cpu.sum, 42.0, "{name}");

        // Pruning takes buckets of one resolution older than the cutoff, nothing else.
        let removed = st
            .prune_metric_buckets(60, from + Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(removed, 2, "{name}: minute 0 of t1 and of t2");
        let left = st
            .metric_buckets("t1", "web-01", 60, from, from + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(
            left.iter().map(|b| b.start.timestamp()).collect::<Vec<_>>(),
            vec![1_800_000_060, 1_800_000_120],
            "{name}"
        );
        assert_eq!(
            st.metric_buckets("t1", "web-01", 900, from, from + Duration::days(1))
                .await
                .unwrap()
                .len(),
            1,
            "{name}: the quarter-hour bucket stays"
        );

        // A deregistered server's history goes; another tenant's server of that id stays.
        assert!(st.delete_server("t1", "web-01").await.unwrap());
        for r in [60, 900] {
            assert!(
                st.metric_buckets("t1", "web-01", r, from, from + Duration::days(1))
                    .await
                    .unwrap()
                    .is_empty(),
                "{name}"
            );
        }
        assert_eq!(
            st.metric_buckets("t2", "web-01", 900, from, from + Duration::days(1))
                .await
                .unwrap()
                .len(),
            0,
            "{name}: t2 never had a quarter-hour bucket"
        );
        assert_eq!(
            st.prune_metric_buckets(60, from + Duration::days(1))
                .await
                .unwrap(),
            0,
            "{name}: t2's minute 0 was pruned already"
        );
    }
}
