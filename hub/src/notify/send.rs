//! Sending one delivery over its rule's channel. The error is one line for the history (an
//! HTTP status, a refused connection, an SMTP reply) and never contains the target's secret
//! parts.

use super::smtp;
use crate::app::App;
use crate::model::{Channel, Delivery};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

pub async fn send(app: &App, channel: &Channel, d: &Delivery) -> Result<(), String> {
    let timeout = Duration::from_secs(app.config.notifications.timeout_seconds);
    match channel {
        Channel::Webhook { url, secret } => {
            let body = d.payload.to_string();
            let mut headers = vec![
                ("x-greenroom-event", d.event.as_str().to_string()),
                ("x-greenroom-delivery", d.id.clone()),
            ];
            if let Some(secret) = secret {
                let ts = chrono::Utc::now().timestamp().to_string();
                headers.push(("x-greenroom-timestamp", ts.clone()));
                headers.push(("x-greenroom-signature", sign(secret, &ts, &body)));
            }
            post(url, body, &headers, timeout).await
        }
        Channel::Slack { url } => {
            let text = format!(
                ":rotating_light: {}",
                d.payload["summary"].as_str().unwrap_or("Greenroom event")
            );
            let body = serde_json::json!({ "text": text }).to_string();
            post(url, body, &[], timeout).await
        }
        Channel::Email { to } => {
            let Some(relay) = &app.config.notifications.smtp else {
                return Err("no mail relay: set notifications.smtp in the hub's config".into());
            };
            let subject = format!(
                "[Greenroom] {}",
                d.payload["summary"].as_str().unwrap_or("event")
            );
            let text = format!(
                "{}\n\n{}\n",
                d.payload["summary"].as_str().unwrap_or(""),
                serde_json::to_string_pretty(&d.payload).unwrap_or_default()
            );
            smtp::send(relay, to, &subject, &text, timeout).await
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: the receiver recomputes it with the
/// shared secret and refuses old timestamps (replays).
pub fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Link-local and unspecified addresses are never a notification target: 169.254.169.254 is
/// the cloud metadata service (credentials), so a rule must not be able to reach it.
pub fn forbidden_target(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4.is_link_local() || v4.is_unspecified(),
        std::net::IpAddr::V6(v6) => {
            v6.is_unspecified()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}

/// Resolves the URL's host once, refuses forbidden addresses, and pins the connection to
/// what was checked (no second lookup can point it elsewhere).
async fn checked_address(
    url: &reqwest::Url,
) -> Result<Option<(String, std::net::SocketAddr)>, String> {
    let Some(host) = url.host_str() else {
        return Err("the URL has no host".into());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|_| format!("cannot resolve {host}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("cannot resolve {host}"));
    }
    if addrs.iter().any(|a| forbidden_target(a.ip())) {
        return Err(format!(
            "{host} is a link-local address (like the cloud metadata service); refused"
        ));
    }
    Ok(bare
        .parse::<std::net::IpAddr>()
        .is_err()
        .then(|| (bare.to_string(), addrs[0])))
}

async fn post(
    url: &str,
    body: String,
    headers: &[(&str, String)],
    timeout: Duration,
) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "an invalid URL".to_string())?;
    let pinned = checked_address(&parsed).await?;
    let tls = greenroom_pki::roots::system_client_config().map_err(|e| e.to_string())?;
    let mut client = reqwest::Client::builder();
    if let Some((host, addr)) = pinned {
        client = client.resolve(&host, addr);
    }
    let client = client
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("greenroom-hub/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let target = describe_target(url);
    match req.send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("{target} answered HTTP {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err(format!("{target} did not answer in time")),
        Err(e) if e.is_connect() => Err(format!("cannot connect to {target}")),
        Err(_) => Err(format!("the request to {target} failed")),
    }
}

/// A URL without the parts that may be credentials (user info, path, query): what logs,
/// history and API answers show.
pub fn describe_target(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("?");
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let hidden = if u.path().len() > 1 || u.query().is_some() {
                "/***"
            } else {
                ""
            };
            format!("{}://{host}{port}{hidden}", u.scheme())
        }
        Err(_) => "an invalid URL".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_hide_paths_queries_and_user_info() {
        assert_eq!(
            describe_target("https://hooks.slack.com/services/T0/B0/secret"),
            "https://hooks.slack.com/***"
        );
        assert_eq!(
            describe_target("http://user:pw@127.0.0.1:8080/hook?token=x"),
            "http://127.0.0.1:8080/***"
        );
        assert_eq!(
            describe_target("https://example.org"),
            "https://example.org"
        );
        assert_eq!(describe_target("not a url"), "an invalid URL");
    }

    #[test]
    fn link_local_targets_are_forbidden_and_ordinary_ones_allowed() {
        for bad in [
            "169.254.169.254",
            "0.0.0.0",
            "fe80::1",
            "::",
            "::ffff:169.254.169.254",
        ] {
            assert!(forbidden_target(bad.parse().unwrap()), "{bad}");
        }
        for ok in ["127.0.0.1", "10.0.0.5", "203.0.113.7", "::1", "2001:db8::1"] {
            assert!(!forbidden_target(ok.parse().unwrap()), "{ok}");
        }
    }

    #[tokio::test]
    async fn a_host_is_resolved_once_and_checked() {
        let meta = reqwest::Url::parse("http://169.254.169.254/latest/meta-data").unwrap();
        assert!(
            checked_address(&meta)
                .await
                .unwrap_err()
                .contains("link-local")
        );
        let named = reqwest::Url::parse("http://localhost:9/hook").unwrap();
        let (host, addr) = checked_address(&named)
            .await
            .unwrap()
            .expect("a name is pinned");
        assert_eq!((host.as_str(), addr.port()), ("localhost", 9));
        assert!(addr.ip().is_loopback());
        let literal = reqwest::Url::parse("http://127.0.0.1:9/hook").unwrap();
        assert_eq!(
            checked_address(&literal).await.unwrap(),
            None,
            "an IP needs no pin"
        );
    }

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        // Expected value from Python's hmac module, an independent implementation.
        let sig = sign("Jefe", "1700000000", r#"{"event":"test"}"#);
        assert_eq!(
            sig,
            "sha256=3ab59f5da3cb69cfbc00193ac2a5189183beab4972986c715de47044ebfe6e9c"
        );
        assert_ne!(sig, sign("Jefe", "1700000001", r#"{"event":"test"}"#));
    }
}
