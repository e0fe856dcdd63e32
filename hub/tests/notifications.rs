//! Notifications against the real hub and agent: a local webhook receiver that fails the
//! first attempt (the hub retries with back-off and signs every request), a Slack-compatible
//! receiver, a real SMTP server (Python's `smtpd`), the test action, the delivery history,
//! masking of targets and secrets, and bad rules refused with a clear message.

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::*;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "webhook-shared-secret-42";
/// Config for quick retries (the first back-off is one second).
const QUICK_RETRIES: &str =
    "notifications:\n  retry_base_seconds: 1\n  max_attempts: 3\n  timeout_seconds: 5\n";

#[derive(Default)]
struct Received {
    /// (path, headers, body) of every request, failed ones included.
    requests: Vec<(String, HeaderMap, String)>,
}

type Shared = Arc<Mutex<Received>>;

/// A webhook receiver on a free port: `/hook` fails its first request with 500, `/slack`
/// and `/ok` always accept, `/down` always fails.
async fn receiver() -> (String, Shared) {
    let shared = Shared::default();
    let app = axum::Router::new()
        .route(
            "/{path}",
            post(
                |State(s): State<Shared>,
                 axum::extract::Path(path): axum::extract::Path<String>,
                 h: HeaderMap,
                 body: String| async move {
                    let path = format!("/{path}");
                    let mut r = s.lock().unwrap();
                    r.requests.push((path.clone(), h, body));
                    let seen = r.requests.iter().filter(|(p, ..)| *p == path).count();
                    match path.as_str() {
                        "/hook" if seen == 1 => StatusCode::INTERNAL_SERVER_ERROR,
                        "/down" => StatusCode::SERVICE_UNAVAILABLE,
                        _ => StatusCode::OK,
                    }
                },
            ),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

async fn deliveries(hub: &Hub, token: &str, rule: &str) -> Vec<Value> {
    let (status, body) = hub
        .get(
            &format!("/api/v1/notifications/deliveries?rule_id={rule}"),
            Some(token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Waits until the rule has a delivery in a final status, and returns it.
async fn settled(hub: &Hub, token: &str, rule: &str) -> Value {
    for _ in 0..300 {
        if let Some(d) = deliveries(hub, token, rule)
            .await
            .into_iter()
            .find(|d| d["status"] != "pending")
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no settled delivery for {rule}: {:?}",
        deliveries(hub, token, rule).await
    )
}

async fn create_rule(hub: &Hub, token: &str, rule: Value) -> String {
    let (status, body) = hub
        .post("/api/v1/notifications/rules", Some(token), rule)
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn signature_ok(headers: &HeaderMap, body: &str) -> bool {
    let ts = headers["x-greenroom-timestamp"].to_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    headers["x-greenroom-signature"].to_str().unwrap() == want
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_execution_reaches_webhook_and_slack_with_a_retry_and_a_signature() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), QUICK_RETRIES);
    let hub = Hub::start_in(dir, config).await;
    let _agent = hub.agent("nt-01", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["nt-01"]).await;
    let (url, received) = receiver().await;

    let hook = create_rule(&hub, &token, json!({"name": "ops hook", "channel": {"type": "webhook", "url": format!("{url}/hook"), "secret": SECRET}, "events": ["execution_failed"]})).await;
    let slack = create_rule(&hub, &token, json!({"name": "ops slack", "channel": {"type": "slack", "url": format!("{url}/slack")}, "events": ["execution_failed", "execution_completed"]})).await;
    let quiet = create_rule(&hub, &token, json!({"name": "only completions", "channel": {"type": "webhook", "url": format!("{url}/ok")}, "events": ["execution_completed"]})).await;

    let exec = start_execution(&hub, &token, json!({"action": {"type": "shell_command", "command": "echo about to fail; exit 3"}, "target_servers": ["nt-01"]})).await;
    wait_final(&hub, &token, &exec, 60).await;

    let d = settled(&hub, &token, &hook).await;
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attempts"], 2, "the first attempt got a 500: {d}");
    assert!(
        d["last_error"].as_str().unwrap().contains("HTTP 500"),
        "{d}"
    );
    assert_eq!(
        (d["event"].as_str(), d["subject"].as_str()),
        (Some("execution_failed"), Some(exec.as_str()))
    );

    let requests = received.lock().unwrap().requests.clone();
    let hooks: Vec<_> = requests.iter().filter(|(p, ..)| p == "/hook").collect();
    assert_eq!(hooks.len(), 2, "one failure, one success");
    let (_, headers, body) = hooks[1];
    assert!(
        signature_ok(headers, body),
        "signature verifies with the shared secret"
    );
    assert_eq!(headers["x-greenroom-event"], "execution_failed");
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["details"]["execution_id"], exec, "{payload}");
    assert_eq!(
        payload["details"]["failed_servers"],
        json!(["nt-01"]),
        "{payload}"
    );
    assert!(
        payload["summary"]
            .as_str()
            .unwrap()
            .contains("failed on 1 of 1"),
        "{payload}"
    );

    let s = settled(&hub, &token, &slack).await;
    assert_eq!(
        (s["status"].as_str(), s["attempts"].as_u64()),
        (Some("delivered"), Some(1)),
        "{s}"
    );
    let slack_body = requests
        .iter()
        .find(|(p, ..)| p == "/slack")
        .unwrap()
        .2
        .clone();
    let text: Value = serde_json::from_str(&slack_body).unwrap();
    assert!(text["text"].as_str().unwrap().contains(&exec), "{text}");
    // A rule that does not name the event gets nothing.
    assert!(deliveries(&hub, &token, &quiet).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_are_validated_masked_tested_and_failures_are_given_up_after_max_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), QUICK_RETRIES);
    let hub = Hub::start_in(dir, config).await;
    let token = hub.login().await;
    let (url, received) = receiver().await;

    for (bad, says) in [
        (
            json!({"name": "x", "channel": {"type": "webhook", "url": "ftp://example.org/x"}, "events": ["execution_failed"]}),
            "http or https",
        ),
        (
            json!({"name": "x", "channel": {"type": "webhook", "url": "http://169.254.169.254/latest/meta-data/"}, "events": ["execution_failed"]}),
            "link-local",
        ),
        (
            json!({"name": "x", "channel": {"type": "webhook", "url": "not a url"}, "events": ["execution_failed"]}),
            "channel.url",
        ),
        (
            json!({"name": "x", "channel": {"type": "slack", "url": "https://hooks.example.org/x"}, "events": []}),
            "at least one event",
        ),
        (
            json!({"name": "x", "channel": {"type": "email", "to": ["ops@example.org"]}, "events": ["execution_failed"]}),
            "notifications.smtp",
        ),
        (
            json!({"name": "x", "channel": {"type": "webhook", "url": "https://e.org/h", "secret": "short"}, "events": ["lock_forced"]}),
            "16 characters",
        ),
        (
            json!({"name": "x", "channel": {"type": "pager", "url": "https://e.org"}, "events": ["lock_forced"]}),
            "pager",
        ),
        (
            json!({"name": "x", "channel": {"type": "webhook", "url": "https://e.org"}, "events": ["everything"]}),
            "everything",
        ),
    ] {
        let (status, body) = hub
            .post("/api/v1/notifications/rules", Some(&token), bad.clone())
            .await;
        assert!(status == 400 || status == 422, "{bad} → {status} {body}");
        assert!(body.to_string().contains(says), "{bad}: {body}");
    }

    let down = create_rule(&hub, &token, json!({"name": "down", "channel": {"type": "webhook", "url": format!("{url}/down?token=abc"), "secret": SECRET}, "events": ["server_unreachable"]})).await;
    // Neither the secret nor the URL's path and query come back, anywhere.
    let (_, listed) = hub.get("/api/v1/notifications/rules", Some(&token)).await;
    let (_, gql) = hub
        .post(
            "/graphql",
            Some(&token),
            json!({"query": "{ notificationRules { nodes { ruleId target hasSecret channel } } }"}),
        )
        .await;
    let (_, audit) = hub.get("/api/v1/audit?page_size=100", Some(&token)).await;
    for shown in [listed.to_string(), gql.to_string(), audit.to_string()] {
        assert!(
            !shown.contains(SECRET) && !shown.contains("token=abc") && !shown.contains("/down"),
            "{shown}"
        );
    }
    assert_eq!(listed["items"][0]["has_secret"], true, "{listed}");
    assert_eq!(
        gql["data"]["notificationRules"]["nodes"][0]["target"],
        format!("{url}/***"),
        "{gql}"
    );

    // The test action sends through the rule; a receiver that always fails is retried
    // max_attempts times and then given up, each failure recorded.
    let (status, body) = hub
        .post(
            &format!("/api/v1/notifications/rules/{down}/test"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let d = settled(&hub, &token, &down).await;
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_u64()),
        (Some("failed"), Some(3)),
        "{d}"
    );
    assert!(
        d["last_error"].as_str().unwrap().contains("HTTP 503"),
        "{d}"
    );
    assert_eq!(
        received
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|(p, ..)| p == "/down")
            .count(),
        3
    );

    // Updating without a secret keeps it; "" removes it.
    let put = |secret: Option<&str>| {
        let mut channel = json!({"type": "webhook", "url": format!("{url}/ok")});
        if let Some(s) = secret {
            channel["secret"] = json!(s);
        }
        json!({"name": "renamed", "channel": channel, "events": ["lock_forced"]})
    };
    let path = format!("/api/v1/notifications/rules/{down}");
    let (status, body) = hub.request("PUT", &path, Some(&token), put(None)).await;
    assert_eq!(
        (status, body["has_secret"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    let (_, body) = hub.request("PUT", &path, Some(&token), put(Some(""))).await;
    assert_eq!(body["has_secret"], false, "{body}");
    // Over GraphQL a rule can be renamed and switched off without retyping its URL; a test
    // still goes through a disabled rule (to check a channel before switching it on).
    let update = format!(
        "mutation {{ updateNotificationRule(id: \"{down}\", input: {{name: \"quiet\", channel: WEBHOOK, events: [LOCK_FORCED], enabled: false}}) {{ rule {{ name target enabled }} }} }}"
    );
    let (_, gql) = hub
        .post("/graphql", Some(&token), json!({"query": update}))
        .await;
    let rule = &gql["data"]["updateNotificationRule"]["rule"];
    assert_eq!(
        (rule["name"].as_str(), rule["enabled"].as_bool()),
        (Some("quiet"), Some(false)),
        "{gql}"
    );
    assert_eq!(
        rule["target"],
        format!("{url}/***"),
        "the URL was kept: {gql}"
    );
    let (status, _) = hub
        .post(&format!("{path}/test"), Some(&token), json!({}))
        .await;
    assert_eq!(status, 202);
    let mut delivered = false;
    for _ in 0..100 {
        delivered = deliveries(&hub, &token, &down)
            .await
            .iter()
            .any(|d| d["event"] == "test" && d["status"] == "delivered");
        if delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "{:?}", deliveries(&hub, &token, &down).await);
    assert!(
        received
            .lock()
            .unwrap()
            .requests
            .iter()
            .any(|(p, ..)| p == "/ok")
    );
    let (status, _) = hub
        .request("DELETE", &path, Some(&token), json!(null))
        .await;
    assert_eq!(status, 204);
    assert_eq!(hub.get(&path, Some(&token)).await.0, 404);
}

/// Python's standard `smtpd` (3.11) as a real SMTP server printing what it receives.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    out: std::path::PathBuf,
}

impl SmtpSink {
    fn start(dir: &std::path::Path) -> SmtpSink {
        let port = free_port();
        let out = dir.join("smtpd.out");
        let child = std::process::Command::new("python3")
            .args([
                "-W",
                "ignore",
                "-u",
                "-m",
                "smtpd",
                "-n",
                "-c",
                "DebuggingServer",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m smtpd");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpSink { child, port, out }
    }
    fn received(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn email_goes_through_a_real_smtp_server_and_a_forced_lock_is_announced() {
    let mail_dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(mail_dir.path());
    let dir = tempfile::tempdir().unwrap();
    let extra = format!(
        "{QUICK_RETRIES}  smtp:\n    host: 127.0.0.1\n    port: {}\n    from: greenroom@example.org\n",
        smtp.port
    );
    let config = write_config(dir.path(), &extra);
    let hub = Hub::start_in(dir, config).await;
    let _agent = hub.agent("nt-02", "dev");
    let token = hub.login().await;
    wait_idle(&hub, &token, &["nt-02"]).await;
    let rule = create_rule(&hub, &token, json!({"name": "mail", "channel": {"type": "email", "to": ["ops@example.org", "dba@example.org"]}, "events": ["lock_forced"]})).await;

    let (status, lock) = hub
        .post(
            "/api/v1/locks",
            Some(&token),
            json!({"server_id": "nt-02", "reason": "patching"}),
        )
        .await;
    assert_eq!(status, 201, "{lock}");
    let id = lock["lock_id"].as_str().unwrap();
    let (status, body) = hub
        .post(
            &format!("/api/v1/locks/{id}/force-release"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let d = settled(&hub, &token, &rule).await;
    assert_eq!(d["status"], "delivered", "{d}");
    let mut mail = String::new();
    for _ in 0..50 {
        mail = smtp.received();
        if mail.contains("patching") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(mail.contains("Subject: [Greenroom] Lock"), "{mail}");
    assert!(
        mail.contains("force-released by admin@example.com"),
        "{mail}"
    );
    assert!(
        mail.contains("To: ops@example.org, dba@example.org"),
        "{mail}"
    );
}
