//! Certificate renewal: once less than `agent.renew_before_expiry_percent` of the current
//! certificate's lifetime (`not_after` − `not_before`) is left, the agent makes a new key,
//! asks the hub for a certificate for it (`POST /agent/v1/renew`, authenticated by the
//! current one), saves the pair crash-safely ([`identity::install_renewed`]) and swaps the
//! shared [`HubClient`]'s TLS identity, so every later request uses the new certificate
//! without a restart.
//!
//! The decision is checked at start-up, then at the moment the threshold is reached, and at
//! least every [`CHECK_PERIOD`] (clock changes). A heartbeat answer with `renew_now` (the hub
//! activated a new CA and this certificate is from the old one) renews at once, unless a
//! renewal finished after that heartbeat was sent. A failed renewal is logged and retried with
//! backoff; it never stops the agent. Only a renewal the hub refuses as `certificate_revoked`
//! / `unknown_agent` (the current certificate itself is refused) ends it with status 3.

use crate::backoff::Backoff;
use crate::config::AgentConfig;
use crate::daemon::Shared;
use crate::identity;
use chrono::{DateTime, Utc};
use greenroom_proto::{PROTOCOL_VERSION, RenewRequest};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The longest time between two looks at the certificate.
pub const CHECK_PERIOD: Duration = Duration::from_secs(3600);
/// Retry schedule of a failed renewal.
const RETRY_MIN: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(900);

/// The validity period of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl Validity {
    /// Reads the validity of the first certificate in `pem`.
    pub fn of_pem(pem: &str) -> Result<Self, String> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| e.to_string())?;
        let (_, cert) = x509_parser::parse_x509_certificate(&der).map_err(|e| e.to_string())?;
        let v = cert.validity();
        let time = |t: x509_parser::time::ASN1Time| {
            DateTime::from_timestamp(t.timestamp(), 0).ok_or("validity out of range".to_string())
        };
        Ok(Self {
            not_before: time(v.not_before)?,
            not_after: time(v.not_after)?,
        })
    }

    /// The moment from which less than `percent` of the lifetime is left.
    pub fn renew_from(&self, percent: f64) -> DateTime<Utc> {
        let lifetime_ms = (self.not_after - self.not_before).num_milliseconds().max(0);
        let before_ms = (lifetime_ms as f64 * percent / 100.0) as i64;
        self.not_after - chrono::Duration::milliseconds(before_ms)
    }

    /// Whether less than `percent` of the lifetime is left at `now`.
    pub fn renewal_due(&self, now: DateTime<Utc>, percent: f64) -> bool {
        now > self.renew_from(percent)
    }
}

/// Why one renewal attempt failed.
#[derive(Debug)]
enum Failure {
    /// The hub refused the current certificate itself: stop the agent.
    Rejected(crate::client::HubError),
    /// Anything else: try again later.
    Retry(String),
}

/// Watches the certificate `cert_pem` and renews it when due, until `stop` turns true.
pub async fn renewal_loop(
    shared: Arc<Shared>,
    cfg: AgentConfig,
    mut cert_pem: String,
    mut stop: watch::Receiver<bool>,
) {
    let percent = cfg.agent.renew_before_expiry_percent;
    let mut backoff = Backoff::new(RETRY_MIN, RETRY_MAX);
    let mut requests = shared.renew_request.subscribe();
    let mut last_renewed: Option<Instant> = None;
    // The hub asked for a new certificate and none was made since.
    let mut asked = false;
    loop {
        let validity = Validity::of_pem(&cert_pem);
        let due = matches!(&validity, Ok(v) if v.renewal_due(Utc::now(), percent));
        let wait = if due || asked {
            match &validity {
                Ok(v) if due => {
                    tracing::info!(not_after = %v.not_after, renew_before_expiry_percent = percent, "renewing the agent certificate")
                }
                _ => tracing::info!(
                    "the hub asks for a certificate from its new CA; renewing the agent certificate"
                ),
            }
            match renew_once(&shared, &cfg).await {
                Ok(new_cert) => {
                    cert_pem = new_cert;
                    backoff.reset();
                    asked = false;
                    last_renewed = Some(Instant::now());
                    // Not at once even if the new certificate is due as well (a
                    // threshold near 100 %): no renewal loop.
                    CHECK_PERIOD
                }
                Err(Failure::Rejected(e)) => {
                    tracing::error!(error = %e, "the hub refused to renew the agent certificate");
                    shared.report_fatal(&e);
                    return;
                }
                Err(Failure::Retry(error)) => {
                    let delay = backoff.next_delay();
                    let not_after = validity.as_ref().ok().map(|v| v.not_after);
                    let expired = not_after.is_some_and(|t| t <= Utc::now());
                    tracing::warn!(error = %error, not_after = ?not_after, expired, retry_in_s = delay.as_secs(), "certificate renewal failed; retrying");
                    delay
                }
            }
        } else {
            match validity {
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the agent certificate's validity; renewal is not checked");
                    CHECK_PERIOD
                }
                Ok(v) => {
                    let until = (v.renew_from(percent) - Utc::now())
                        .to_std()
                        .unwrap_or_default();
                    until.clamp(Duration::from_secs(1), CHECK_PERIOD)
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            changed = requests.changed() => {
                let at = *requests.borrow_and_update();
                if changed.is_ok()
                    && let Some(at) = at
                    && last_renewed.is_none_or(|done| done < at)
                {
                    asked = true;
                }
            }
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// One renewal: new key and CSR, the hub's certificate, saved, and the client switched to
/// it. Returns the new certificate.
async fn renew_once(shared: &Shared, cfg: &AgentConfig) -> Result<String, Failure> {
    let client = &shared.client;
    let state_dir = &cfg.agent.state_dir;
    let (key_pem, csr_pem) = greenroom_pki::generate_agent_key_and_csr(&cfg.agent.server_id)
        .map_err(|e| Failure::Retry(format!("cannot make a new key: {e}")))?;
    // Until the client is switched, the hub may already refuse the old certificate: other
    // tasks' identity rejections meanwhile are retried, not fatal.
    let _renewing = client.begin_renewal();
    let req = RenewRequest {
        protocol_version: PROTOCOL_VERSION,
        csr_pem,
    };
    let resp = match client.renew(&req).await {
        Ok(r) => r,
        Err(e) if e.is_identity_rejected() => return Err(Failure::Rejected(e)),
        Err(e) => return Err(Failure::Retry(e.to_string())),
    };
    // From here on the hub accepts only the new certificate.
    match identity::key_matches_cert(&key_pem, &resp.certificate_pem) {
        Ok(true) => {}
        Ok(false) => {
            return Err(Failure::Retry(
                "the hub answered with a certificate for another key".into(),
            ));
        }
        Err(e) => return Err(Failure::Retry(format!("the hub's answer: {e}"))),
    }
    let bundle = identity::bundle_of(&resp);
    let new = identity::Identity {
        cert_pem: resp.certificate_pem.clone(),
        key_pem: key_pem.clone(),
    };
    let save = || {
        if let Err(e) =
            identity::install_renewed(state_dir, &key_pem, &resp.certificate_pem, &bundle)
        {
            // The new identity still works in memory; only a restart would lose it.
            tracing::error!(error = %e, "cannot save the renewed certificate; the agent uses it until it stops, but will not be accepted after a restart");
        }
        Ok(())
    };
    shared
        .tls
        .use_identity(client, cfg, new, save)
        .await
        .map_err(|e| Failure::Retry(format!("cannot use the renewed certificate: {e}")))?;
    let fingerprint = greenroom_pki::fingerprint_pem(&resp.certificate_pem).unwrap_or_default();
    tracing::info!(not_after = %resp.not_after, fingerprint = %fingerprint, "certificate renewed");
    Ok(resp.certificate_pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("timestamp")
    }

    /// A 100-day certificate.
    fn hundred_days() -> Validity {
        Validity {
            not_before: at("2026-01-01T00:00:00Z"),
            not_after: at("2026-04-11T00:00:00Z"),
        }
    }

    #[test]
    fn renewal_is_due_once_less_than_the_share_is_left() {
        let v = hundred_days();
        // 33 % of 100 days = 33 days before not_after.
        assert_eq!(v.renew_from(33.0), at("2026-03-09T00:00:00Z"));
        assert!(!v.renewal_due(at("2026-01-02T00:00:00Z"), 33.0), "fresh");
        assert!(
            !v.renewal_due(at("2026-03-08T23:59:59Z"), 33.0),
            "33 % + 1 s left"
        );
        assert!(
            !v.renewal_due(at("2026-03-09T00:00:00Z"), 33.0),
            "exactly 33 % left"
        );
        assert!(
            v.renewal_due(at("2026-03-09T00:00:01Z"), 33.0),
            "just under 33 % left"
        );
        assert!(v.renewal_due(at("2026-05-01T00:00:00Z"), 33.0), "expired");
        // The share is of the whole lifetime, whatever it is.
        assert!(
            v.renewal_due(at("2026-01-02T00:00:01Z"), 99.0),
            "1 day + 1 s of 100 gone"
        );
        assert!(!v.renewal_due(at("2026-01-01T23:59:59Z"), 99.0));
        assert!(!v.renewal_due(at("2026-04-09T23:59:59Z"), 1.0));
        assert!(v.renewal_due(at("2026-04-10T00:00:01Z"), 1.0));
    }

    #[test]
    fn a_fresh_hub_certificate_is_due_only_above_its_backdated_share() {
        // The hub back-dates not_before by 5 minutes: a fresh 90-day certificate has
        // 90 d / (90 d + 5 min) ≈ 99.996 % of its lifetime left.
        let now = at("2026-01-01T00:00:00Z");
        let v = Validity {
            not_before: now - chrono::Duration::minutes(5),
            not_after: now + chrono::Duration::days(90),
        };
        assert!(!v.renewal_due(now, 33.0));
        assert!(!v.renewal_due(now, 99.0));
        assert!(v.renewal_due(now, 99.999));
    }

    #[test]
    fn validity_is_read_from_a_certificate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = greenroom_pki::CertificateAuthority::load_or_create(dir.path()).expect("ca");
        let (_, csr) = greenroom_pki::generate_agent_key_and_csr("web-01").expect("csr");
        let signed = ca.sign_agent_csr(&csr, "web-01", 30).expect("signed");
        let v = Validity::of_pem(&signed.certificate_pem).expect("validity");
        assert_eq!(v.not_after, signed.not_after);
        let lifetime = v.not_after - v.not_before;
        assert!(
            lifetime > chrono::Duration::days(30) && lifetime < chrono::Duration::days(31),
            "{v:?}"
        );
        assert!(Validity::of_pem("not a certificate").is_err());
    }
}
