//! The store contract, continued: output in append order, the event outbox (written with
//! the change it describes), cursors, notification rules and deliveries.

use super::*;
use crate::store::OutputWindow;

fn chunk(seq: u64, data: &str) -> OutputChunk {
    OutputChunk {
        seq,
        stream: Stream::Stdout,
        data: data.into(),
    }
}

#[tokio::test]
async fn output_reads_back_in_the_order_it_was_stored() {
    for (name, st) in stores().await {
        let (e, jobs) = execution("t1", "eo", &["a", "b"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let ja = lease(st.as_ref(), "a", now, 30).await.unwrap();
        let jb = lease(st.as_ref(), "b", now, 30).await.unwrap();
        // Interleaved: b's line arrives between a's two.
        st.append_output("t1", "a", &ja.job_id, &[chunk(0, "a0")], now)
            .await
            .unwrap();
        st.append_output("t1", "b", &jb.job_id, &[chunk(0, "b0")], now)
            .await
            .unwrap();
        st.append_output("t1", "a", &ja.job_id, &[chunk(1, "a1")], now)
            .await
            .unwrap();
        let all = st
            .execution_output("eo", OutputWindow::After(0), 100, now)
            .await
            .unwrap();
        let data: Vec<&str> = all.iter().map(|l| l.data.as_str()).collect();
        assert_eq!(data, ["a0", "b0", "a1"], "{name}: append order");
        assert!(all.windows(2).all(|w| w[0].cursor < w[1].cursor), "{name}");
        let after = st
            .execution_output("eo", OutputWindow::After(all[0].cursor), 100, now)
            .await
            .unwrap();
        assert_eq!(after.len(), 2, "{name}: strictly after the cursor");
        let tail = st
            .execution_output("eo", OutputWindow::Tail, 2, now)
            .await
            .unwrap();
        let data: Vec<&str> = tail.iter().map(|l| l.data.as_str()).collect();
        assert_eq!(data, ["b0", "a1"], "{name}: the latest, oldest first");
    }
}

#[tokio::test]
async fn final_states_and_lost_servers_write_events() {
    for (name, st) in stores().await {
        let (e, jobs) = execution("t1", "ev", &["a"]);
        st.insert_execution(&e, &jobs).await.unwrap();
        let now = Utc::now();
        let j = lease(st.as_ref(), "a", now, 30).await.unwrap();
        assert!(
            st.events_after(0, 10).await.unwrap().is_empty(),
            "{name}: running is no event"
        );
        let mut failed = ok_result("");
        failed.status = Outcome::Failed;
        failed.exit_code = Some(1);
        st.finish_job("t1", "a", &j.job_id, &failed, now)
            .await
            .unwrap();
        let evs = st.events_after(0, 10).await.unwrap();
        assert_eq!(evs.len(), 1, "{name}: {evs:?}");
        assert_eq!(
            (
                evs[0].kind,
                evs[0].subject.as_str(),
                evs[0].tenant_id.as_str()
            ),
            (EventKind::ExecutionFailed, "ev", "t1"),
            "{name}"
        );
        // A repeated result changes nothing and writes nothing.
        st.finish_job("t1", "a", &j.job_id, &failed, now)
            .await
            .unwrap();
        assert_eq!(st.events_after(0, 10).await.unwrap().len(), 1, "{name}");

        let mut silent = server("t1", "quiet", "dev", &[]);
        silent.status.last_heartbeat = Some(now - Duration::minutes(10));
        st.insert_server(&silent).await.unwrap();
        st.mark_unreachable(now - Duration::minutes(1), now)
            .await
            .unwrap();
        let evs = st.events_after(evs[0].seq, 10).await.unwrap();
        assert_eq!(evs.len(), 1, "{name}: {evs:?}");
        assert_eq!(
            (evs[0].kind, evs[0].subject.as_str()),
            (EventKind::ServerUnreachable, "quiet")
        );

        let seq = st
            .record_event(
                "t2",
                EventKind::Test,
                "rule_x",
                &serde_json::json!({"rule_id": "rule_x"}),
                now,
            )
            .await
            .unwrap();
        assert!(seq > evs[0].seq, "{name}: sequence grows");
        assert_eq!(
            st.events_after(seq - 1, 10).await.unwrap()[0].details["rule_id"],
            "rule_x"
        );

        assert_eq!(
            st.cursor("notifier").await.unwrap(),
            0,
            "{name}: unset is 0"
        );
        st.set_cursor("notifier", seq).await.unwrap();
        st.set_cursor("notifier", seq).await.unwrap();
        assert_eq!(st.cursor("notifier").await.unwrap(), seq, "{name}");
    }
}

fn rule(tenant: &str, id: &str) -> NotificationRule {
    let now = Utc::now();
    NotificationRule {
        id: id.into(),
        tenant_id: tenant.into(),
        name: format!("rule {id}"),
        channel: Channel::Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            secret: Some("0123456789abcdef".into()),
        },
        events: vec![EventKind::ExecutionFailed],
        enabled: true,
        created_by: "admin@example.com".into(),
        created_at: now,
        updated_at: now,
    }
}

fn delivery(tenant: &str, rule_id: &str, seq: u64) -> Delivery {
    let now = Utc::now();
    Delivery {
        id: format!("d-{rule_id}-{seq}"),
        tenant_id: tenant.into(),
        rule_id: rule_id.into(),
        event_seq: seq,
        event: EventKind::ExecutionFailed,
        subject: "e".into(),
        channel: "webhook".into(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        last_error: None,
        next_attempt_at: Some(now),
        created_at: now,
        delivered_at: None,
        payload: serde_json::json!({"event": "execution_failed"}),
    }
}

#[tokio::test]
async fn rules_and_deliveries_stay_in_their_tenant_and_are_made_once() {
    for (name, st) in stores().await {
        st.put_notification_rule(&rule("t1", "r1")).await.unwrap();
        assert_eq!(
            st.list_notification_rules("t1").await.unwrap().len(),
            1,
            "{name}"
        );
        assert!(
            st.list_notification_rules("t2").await.unwrap().is_empty(),
            "{name}"
        );
        assert!(
            st.get_notification_rule("t2", "r1")
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );
        // Another tenant cannot overwrite it by id.
        let mut stolen = rule("t2", "r1");
        stolen.name = "stolen".into();
        st.put_notification_rule(&stolen).await.unwrap();
        assert_eq!(
            st.get_notification_rule("t1", "r1")
                .await
                .unwrap()
                .unwrap()
                .name,
            "rule r1",
            "{name}"
        );
        assert!(
            !st.delete_notification_rule("t2", "r1").await.unwrap(),
            "{name}"
        );

        let d = delivery("t1", "r1", 7);
        st.add_deliveries(std::slice::from_ref(&d)).await.unwrap();
        let mut again = d.clone();
        again.id = "another-id".into();
        st.add_deliveries(&[again]).await.unwrap();
        let page1 = page(1, 50);
        assert_eq!(
            st.list_deliveries("t1", None, page1).await.unwrap().total,
            1,
            "{name}: once per rule and event"
        );
        assert_eq!(
            st.list_deliveries("t2", None, page1).await.unwrap().total,
            0,
            "{name}"
        );

        let due = st
            .claim_deliveries(Utc::now(), Utc::now() + Duration::seconds(60), 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1, "{name}");
        // Claimed: no other sender gets it while the claim lasts, even when it is due.
        assert!(
            st.claim_deliveries(Utc::now(), Utc::now() + Duration::seconds(60), 10)
                .await
                .unwrap()
                .is_empty(),
            "{name}: a claimed delivery was handed out twice"
        );
        // A sender that died: the claim runs out and the delivery is due again.
        let later_on = Utc::now() + Duration::seconds(61);
        let again = st
            .claim_deliveries(later_on, later_on + Duration::seconds(60), 10)
            .await
            .unwrap();
        assert_eq!(
            again.len(),
            1,
            "{name}: an expired claim is not claimable again"
        );
        let mut later = due[0].clone();
        later.attempts = 1;
        later.last_error = Some("HTTP 500".into());
        later.next_attempt_at = Some(Utc::now() + Duration::minutes(5));
        st.update_delivery(&later).await.unwrap();
        assert!(
            st.claim_deliveries(Utc::now(), Utc::now(), 10)
                .await
                .unwrap()
                .is_empty(),
            "{name}: not due yet"
        );
        let mut done = later.clone();
        done.status = DeliveryStatus::Delivered;
        done.next_attempt_at = None;
        st.update_delivery(&done).await.unwrap();
        assert!(
            st.claim_deliveries(Utc::now() + Duration::hours(1), Utc::now(), 10)
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
        let listed = st.list_deliveries("t1", Some("r1"), page1).await.unwrap();
        assert_eq!(listed.items[0].status, DeliveryStatus::Delivered, "{name}");
        assert_eq!(listed.items[0].attempts, 1, "{name}");
        assert!(
            st.delete_notification_rule("t1", "r1").await.unwrap(),
            "{name}"
        );
    }
}
