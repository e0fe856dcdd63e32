//! Tests of error classification, lease answers and URLs.

use super::*;
use error::describe_transport;

#[test]
fn transport_errors_are_named_for_the_operator() {
    let closed = describe_transport(
        "error sending request: connection closed via error",
        false,
        true,
    );
    assert!(
        closed.starts_with("hub refused the TLS connection (is the certificate valid?)"),
        "{closed}"
    );
    let refused = describe_transport(
        "tcp connect error: Connection refused (os error 111)",
        false,
        true,
    );
    assert!(
        refused.starts_with("cannot connect to the hub"),
        "{refused}"
    );
    let untrusted = describe_transport("invalid peer certificate: UnknownIssuer", false, true);
    assert!(untrusted.contains("check agent.ca_cert"), "{untrusted}");
}

#[test]
fn errors_are_classified() {
    let revoked = HubError::Status {
        status: 401,
        code: "certificate_revoked".into(),
        message: "m".into(),
    };
    assert!(revoked.is_identity_rejected());
    let other = HubError::Status {
        status: 401,
        code: "unauthenticated".into(),
        message: "m".into(),
    };
    assert!(!other.is_identity_rejected());
    let gone = HubError::Status {
        status: 409,
        code: "conflict".into(),
        message: "m".into(),
    };
    assert!(gone.is_permanent_rejection() && gone.is_client_error());
    assert!(!HubError::Network("x".into()).is_permanent_rejection());
    let busy = HubError::Status {
        status: 429,
        code: "rate_limited".into(),
        message: "m".into(),
    };
    assert!(!busy.is_client_error());
}

#[test]
fn a_rejection_during_or_across_a_renewal_is_superseded() {
    assert!(!superseded(false, false, 3, 3), "steady state: believe it");
    assert!(superseded(true, false, 3, 4), "sent during a renewal");
    assert!(superseded(false, true, 3, 3), "answered during a renewal");
    assert!(superseded(false, false, 3, 4), "client replaced meanwhile");
    let e = HubError::Superseded("x".into());
    assert!(!e.is_identity_rejected() && !e.is_client_error() && !e.is_permanent_rejection());
}

#[test]
fn a_job_this_version_cannot_read_is_still_identified() {
    let none = LeaseAnswer::from_answer(serde_json::json!({"job": null})).expect("ok");
    assert!(matches!(none.lease, Lease::Nothing) && none.cancel_jobs.is_empty());
    let cancel =
        LeaseAnswer::from_answer(serde_json::json!({"job": null, "cancel_jobs": ["j1", "j2"]}))
            .expect("ok");
    assert_eq!(cancel.cancel_jobs, vec!["j1", "j2"]);
    assert!(
        cancel.heartbeat.is_none(),
        "no heartbeat answer: not recorded"
    );
    let beat = LeaseAnswer::from_answer(serde_json::json!({"job": null, "heartbeat":
        {"server_time": "2026-01-01T00:00:00Z", "heartbeat_interval": 15, "cancel_jobs": ["j3"]}}))
    .expect("ok");
    let hb = beat.heartbeat.expect("the heartbeat's answer");
    assert_eq!(
        (hb.heartbeat_interval, hb.cancel_jobs),
        (15, vec!["j3".to_string()])
    );
    let unreadable =
        LeaseAnswer::from_answer(serde_json::json!({"job": null, "heartbeat": {"x": 1}}))
            .expect("the lease still reads");
    assert!(
        unreadable.heartbeat.is_none(),
        "sent again, not taken as answered"
    );
    let odd = serde_json::json!({"job": {"job_id": "j9", "execution_id": "e", "lease_seconds": 5,
        "lease_expires_at": "2026-01-01T00:00:00Z", "action": {"type": "reboot_the_world"}}});
    match Lease::from_answer(odd).expect("ok") {
        Lease::Unreadable { job_id, error } => {
            assert_eq!(job_id, "j9");
            assert!(error.contains("reboot_the_world"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert!(Lease::from_answer(serde_json::json!({"job": {"x": 1}})).is_err());
}

#[test]
fn urls_keep_a_base_path_and_escape_job_ids() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let c = HubClient::new(&["https://hub.example:8443/base/"], tls).expect("client");
    assert_eq!(
        c.url(&["agent", "v1", "jobs", "a/b c", "result"])
            .url
            .as_str(),
        "https://hub.example:8443/base/agent/v1/jobs/a%2Fb%20c/result"
    );
}

#[test]
fn transport_failures_and_gateway_errors_move_to_the_next_address_once() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let c = HubClient::new(&["https://hub-a:8443", "https://hub-b:8443/"], tls).expect("client");
    assert_eq!(c.current_address(), "https://hub-a:8443");
    let refused = HubError::Network("cannot connect to the hub".into());
    let gateway = HubError::Status {
        status: 503,
        code: "http_503".into(),
        message: String::new(),
    };
    let conflict = HubError::Status {
        status: 409,
        code: "conflict".into(),
        message: String::new(),
    };
    assert!(refused.is_failover() && gateway.is_failover() && !conflict.is_failover());
    // Two requests to hub-a fail together: one switch, not two.
    let first = c.url(&["x"]);
    let second = c.url(&["y"]);
    c.after_failure(first.base, &refused);
    c.after_failure(second.base, &refused);
    assert_eq!(c.current_address(), "https://hub-b:8443");
    assert!(
        c.url(&["agent"])
            .url
            .as_str()
            .starts_with("https://hub-b:8443/agent")
    );
    // A refusal by the hub is an answer: no switch.
    c.after_failure(1, &conflict);
    assert_eq!(c.current_address(), "https://hub-b:8443");
    // A 503 from hub-b wraps around to hub-a.
    c.after_failure(1, &gateway);
    assert_eq!(c.current_address(), "https://hub-a:8443");
}
