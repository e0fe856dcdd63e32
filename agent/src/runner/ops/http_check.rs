//! `http_check`: request a URL and check the status, a text the body contains and a JSON
//! subset of the body. HTTPS is verified against the system's trust store (ring only).
//! Also used by `service_health` for its `health_endpoint`.

use super::{Executor, check, clip, json_contains};
use crate::runner::{Finished, JobControl, Policy};
use greenroom_proto::{CheckResult, HttpCheck};
use std::collections::BTreeMap;
use std::time::Duration;

/// Most bytes of a body read for checking.
const BODY_LIMIT: usize = 1 << 20;
/// Used when the action names no timeout (the job's timeout still applies).
pub const DEFAULT_TIMEOUT: u64 = 10;

/// What an HTTP exchange gave.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Sends one request; the error is a line for the result.
pub async fn fetch(
    url: &str,
    method: &str,
    headers: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<Answer, String> {
    let tls = greenroom_pki::roots::system_client_config().map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("greenroom-agent/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|e| format!("method: {e}"))?;
    let mut req = client.request(method, url);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let mut resp = req.send().await.map_err(|e| describe(&e))?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() >= BODY_LIMIT {
            body.truncate(BODY_LIMIT);
            break;
        }
    }
    Ok(Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

/// The status check: `expected` exactly, or any 2xx.
pub fn status_check(status: u16, expected: Option<u16>) -> CheckResult {
    match expected {
        Some(want) => check(
            "status",
            status == want,
            status.to_string(),
            want.to_string(),
        ),
        None => check(
            "status",
            (200..300).contains(&status),
            status.to_string(),
            "2xx",
        ),
    }
}

/// The JSON-subset check of a body.
pub fn json_check(body: &str, expected: &serde_json::Value) -> CheckResult {
    let want = expected.to_string();
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => check(
            "json",
            json_contains(&v, expected),
            clip(&v.to_string(), 300),
            format!("contains {want}"),
        ),
        Err(e) => check(
            "json",
            false,
            format!("not JSON ({e}): {}", clip(body, 100)),
            format!("contains {want}"),
        ),
    }
}

impl Executor for HttpCheck {
    async fn execute(&self, _policy: &Policy, _ctl: JobControl) -> Finished {
        let timeout = Duration::from_secs(self.timeout.unwrap_or(DEFAULT_TIMEOUT));
        let method = self.method.as_deref().unwrap_or("GET");
        let answer = match fetch(&self.url, method, &self.headers, timeout).await {
            Ok(a) => a,
            Err(e) => {
                return Finished::from_checks(
                    vec![check(
                        "request",
                        false,
                        e,
                        format!("an answer from {}", self.url),
                    )],
                    Vec::new(),
                );
            }
        };
        let mut checks = vec![status_check(answer.status, self.expected_status)];
        if let Some(text) = &self.body_contains {
            let found = answer.body.contains(text.as_str());
            checks.push(check(
                "body_contains",
                found,
                if found {
                    "found".into()
                } else {
                    format!("not found in {}", clip(&answer.body, 200))
                },
                text.clone(),
            ));
        }
        if let Some(expected) = &self.json {
            checks.push(json_check(&answer.body, expected));
        }
        Finished::from_checks(checks, Vec::new())
    }
}
