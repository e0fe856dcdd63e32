//! How records become stored documents and back, for every store alike: the fields the API
//! hides (a record's tenant, a user's password hash) are kept, and secret values are sealed
//! ([`crate::seal`]) so the database never holds them in clear:
//! - a job's command and environment while it carries secrets (`sealed`: its action and
//!   secrets; `action`: the same with every secret shown as `***`);
//! - an action template's secret parameter defaults (`sealed_defaults`);
//! - a schedule's secret values (`sealed_secrets`);
//! - a notification rule's channel (`sealed_channel`; its type stays readable).
//!
//! The documents are plain JSON; both stores keep exactly these shapes, so a backup of one
//! restores into the other.

use super::{StoreError, StoreResult};
use crate::model::{
    ActionTemplate, AgentIdentity, Channel, Job, NotificationRule, ParamKind, Schedule, Server,
    ServerLock, Timestamp, User,
};
use crate::seal::Sealer;
use crate::template::REDACTED;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Document conversion with the hub's at-rest key.
#[derive(Clone, Debug)]
pub struct Codec {
    sealer: Arc<Sealer>,
}

fn to_object(v: &impl Serialize) -> StoreResult<Map<String, Value>> {
    match serde_json::to_value(v)? {
        Value::Object(m) => Ok(m),
        other => Err(StoreError::Corrupt(format!("not a document: {other}"))),
    }
}

fn from_object<T: DeserializeOwned>(what: &str, m: Map<String, Value>) -> StoreResult<T> {
    serde_json::from_value(Value::Object(m))
        .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn take_str(m: &mut Map<String, Value>, key: &str) -> Option<String> {
    match m.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

impl Codec {
    pub fn new(sealer: Arc<Sealer>) -> Self {
        Self { sealer }
    }

    pub fn for_tests() -> Self {
        Self::new(Arc::new(Sealer::for_tests()))
    }

    /// The CA's files, sealed (they hold its private keys).
    pub fn pki(&self, files: &std::collections::BTreeMap<String, Vec<u8>>) -> String {
        use base64::Engine as _;
        let map: serde_json::Map<String, Value> = files
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Value::String(base64::engine::general_purpose::STANDARD.encode(v)),
                )
            })
            .collect();
        self.sealer.seal_json(&Value::Object(map))
    }

    pub fn pki_from(
        &self,
        sealed: &str,
    ) -> StoreResult<std::collections::BTreeMap<String, Vec<u8>>> {
        use base64::Engine as _;
        let v = self.open("the CA's files", sealed)?;
        let Value::Object(map) = v else {
            return Err(StoreError::Corrupt("the CA's files: not a map".into()));
        };
        map.into_iter()
            .map(|(k, v)| {
                let bytes = v
                    .as_str()
                    .and_then(|t| base64::engine::general_purpose::STANDARD.decode(t).ok())
                    .ok_or_else(|| StoreError::Corrupt(format!("the CA's file {k}: not base64")))?;
                Ok((k, bytes))
            })
            .collect()
    }

    fn open(&self, what: &str, sealed: &str) -> StoreResult<Value> {
        self.sealer
            .open_json(sealed)
            .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
    }

    /// A record whose serde form is its whole document.
    pub fn plain<T: Serialize>(&self, v: &T) -> StoreResult<Value> {
        Ok(serde_json::to_value(v)?)
    }

    pub fn from_plain<T: DeserializeOwned>(&self, what: &str, v: Value) -> StoreResult<T> {
        serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
    }

    pub fn user(&self, u: &User) -> StoreResult<Value> {
        let mut m = to_object(u)?;
        m.insert("password_hash".into(), u.password_hash.clone().into());
        m.insert(
            "tokens_valid_after".into(),
            serde_json::to_value(u.tokens_valid_after)?,
        );
        Ok(Value::Object(m))
    }

    pub fn user_from(&self, v: Value) -> StoreResult<User> {
        self.from_plain("user", v)
    }

    /// Records whose `tenant_id` the API hides: servers, locks, templates, schedules.
    fn with_tenant(&self, v: &impl Serialize, tenant: &str) -> StoreResult<Map<String, Value>> {
        let mut m = to_object(v)?;
        m.insert("tenant_id".into(), tenant.into());
        Ok(m)
    }

    pub fn server(&self, s: &Server) -> StoreResult<Value> {
        Ok(Value::Object(self.with_tenant(s, &s.tenant_id)?))
    }

    pub fn server_from(&self, v: Value) -> StoreResult<Server> {
        tenanted("server", v)
    }

    /// [`Self::server_from`] for a document still in its stored text, parsed straight into
    /// the record (a server's hidden tenant is one of its fields when read): every agent
    /// request reads its server this way, and the detour through a JSON value allocated
    /// every key and value twice (`docs/performance.md`).
    pub fn server_from_text(&self, text: &str) -> StoreResult<Server> {
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("server: {e}")))
    }

    /// A server document's text written straight from the record, its hidden tenant last
    /// as [`Self::server`] puts it (the same text, without the JSON value between: a
    /// heartbeat writes one).
    pub fn server_text(&self, s: &Server) -> StoreResult<String> {
        #[derive(Serialize)]
        struct Stored<'a> {
            #[serde(flatten)]
            server: &'a Server,
            tenant_id: &'a str,
        }
        Ok(serde_json::to_string(&Stored {
            server: s,
            tenant_id: &s.tenant_id,
        })?)
    }

    /// The [`AgentIdentity`] in a server document's text: only its few fields are decoded,
    /// the rest is skipped over.
    pub fn agent_identity_from_text(&self, text: &str) -> StoreResult<AgentIdentity> {
        serde_json::from_str::<IdentityDoc>(text)
            .map(Into::into)
            .map_err(|e| StoreError::Corrupt(format!("server: {e}")))
    }

    /// [`Self::agent_identity_from_text`] for a document already parsed (MongoDB's, which
    /// reads only these fields).
    pub fn agent_identity_from(&self, v: Value) -> StoreResult<AgentIdentity> {
        serde_json::from_value::<IdentityDoc>(v)
            .map(Into::into)
            .map_err(|e| StoreError::Corrupt(format!("server: {e}")))
    }

    pub fn lock(&self, l: &ServerLock) -> StoreResult<Value> {
        Ok(Value::Object(self.with_tenant(l, &l.tenant_id)?))
    }

    pub fn lock_from(&self, v: Value) -> StoreResult<ServerLock> {
        tenanted("lock", v)
    }

    pub fn job(&self, j: &Job) -> StoreResult<Value> {
        let mut m = to_object(j)?;
        if !j.secrets.is_empty() {
            let sealed = self
                .sealer
                .seal_json(&json!({"action": j.action, "secrets": j.secrets}));
            let shown = crate::lifecycle::redact::masked_action(&j.action, &j.secrets);
            m.insert("action".into(), serde_json::to_value(&shown)?);
            m.remove("secrets");
            m.insert("sealed".into(), sealed.into());
        }
        Ok(Value::Object(m))
    }

    pub fn job_from(&self, v: Value) -> StoreResult<Job> {
        let Value::Object(mut m) = v else {
            return Err(StoreError::Corrupt("job: not a document".into()));
        };
        let sealed = take_str(&mut m, "sealed");
        let mut j: Job = from_object("job", m)?;
        if let Some(s) = sealed {
            let mut open = self.open(&format!("job {}", j.job_id), &s)?;
            j.action = serde_json::from_value(open["action"].take())?;
            j.secrets = serde_json::from_value(open["secrets"].take())?;
        }
        Ok(j)
    }

    pub fn template(&self, t: &ActionTemplate) -> StoreResult<Value> {
        let mut m = self.with_tenant(t, &t.tenant_id)?;
        let secrets: Map<String, Value> = t
            .parameters
            .iter()
            .filter(|(_, p)| p.kind == ParamKind::Secret)
            .filter_map(|(name, p)| {
                p.default
                    .clone()
                    .filter(|d| !d.is_null())
                    .map(|d| (name.clone(), d))
            })
            .collect();
        if !secrets.is_empty() {
            for name in secrets.keys() {
                m["parameters"][name]["default"] = REDACTED.into();
            }
            m.insert(
                "sealed_defaults".into(),
                self.sealer.seal_json(&Value::Object(secrets)).into(),
            );
        }
        Ok(Value::Object(m))
    }

    pub fn template_from(&self, v: Value) -> StoreResult<ActionTemplate> {
        let Value::Object(mut m) = v else {
            return Err(StoreError::Corrupt("template: not a document".into()));
        };
        let sealed = take_str(&mut m, "sealed_defaults");
        let tenant = take_str(&mut m, "tenant_id").unwrap_or_default();
        let mut t: ActionTemplate = from_object("template", m)?;
        t.tenant_id = tenant;
        if let Some(s) = sealed
            && let Value::Object(defaults) = self.open(&format!("template {}", t.id), &s)?
        {
            for (name, d) in defaults {
                if let Some(p) = t.parameters.get_mut(&name) {
                    p.default = Some(d);
                }
            }
        }
        Ok(t)
    }

    pub fn schedule(&self, s: &Schedule) -> StoreResult<Value> {
        let mut m = self.with_tenant(s, &s.tenant_id)?;
        m.remove("secrets");
        if !s.secrets.is_empty() {
            let secrets = serde_json::to_value(&s.secrets)?;
            m.insert(
                "sealed_secrets".into(),
                self.sealer.seal_json(&secrets).into(),
            );
        }
        Ok(Value::Object(m))
    }

    pub fn schedule_from(&self, v: Value) -> StoreResult<Schedule> {
        let Value::Object(mut m) = v else {
            return Err(StoreError::Corrupt("schedule: not a document".into()));
        };
        let sealed = take_str(&mut m, "sealed_secrets");
        let tenant = take_str(&mut m, "tenant_id").unwrap_or_default();
        let mut s: Schedule = from_object("schedule", m)?;
        s.tenant_id = tenant;
        if let Some(sealed) = sealed {
            s.secrets = serde_json::from_value(self.open(&format!("schedule {}", s.id), &sealed)?)?;
        }
        Ok(s)
    }

    pub fn rule(&self, r: &NotificationRule) -> StoreResult<Value> {
        let mut m = to_object(r)?;
        m.insert("channel".into(), json!({"type": r.channel.kind()}));
        m.insert(
            "sealed_channel".into(),
            self.sealer
                .seal_json(&serde_json::to_value(&r.channel)?)
                .into(),
        );
        Ok(Value::Object(m))
    }

    pub fn rule_from(&self, v: Value) -> StoreResult<NotificationRule> {
        let Value::Object(mut m) = v else {
            return Err(StoreError::Corrupt("rule: not a document".into()));
        };
        if let Some(sealed) = take_str(&mut m, "sealed_channel") {
            let id = m
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            let channel: Channel =
                serde_json::from_value(self.open(&format!("notification rule {id}"), &sealed)?)?;
            m.insert("channel".into(), serde_json::to_value(channel)?);
        }
        from_object("rule", m)
    }
}

/// A record whose `tenant_id` is hidden from serde (`skip_serializing`, default on read):
/// read it from the document and set it after.
/// The fields of a stored server that authenticate its agent (the rest is ignored when read).
#[derive(serde::Deserialize)]
struct IdentityDoc {
    tenant_id: String,
    server_id: String,
    #[serde(default)]
    credentials: IdentityCredentials,
    #[serde(default)]
    circuit: IdentityCircuit,
}

#[derive(serde::Deserialize, Default)]
struct IdentityCredentials {
    #[serde(default)]
    certificate_fingerprint: Option<String>,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    issuer_fingerprint: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct IdentityCircuit {
    #[serde(default)]
    open_until: Option<Timestamp>,
}

impl From<IdentityDoc> for AgentIdentity {
    fn from(d: IdentityDoc) -> Self {
        Self {
            tenant_id: d.tenant_id,
            server_id: d.server_id,
            certificate_fingerprint: d.credentials.certificate_fingerprint,
            revoked: d.credentials.revoked,
            issuer_fingerprint: d.credentials.issuer_fingerprint,
            circuit_open_until: d.circuit.open_until,
        }
    }
}

fn tenanted<T: DeserializeOwned + HasTenant>(what: &str, v: Value) -> StoreResult<T> {
    let Value::Object(mut m) = v else {
        return Err(StoreError::Corrupt(format!("{what}: not a document")));
    };
    let tenant = take_str(&mut m, "tenant_id").unwrap_or_default();
    let mut t: T = from_object(what, m)?;
    t.set_tenant(tenant);
    Ok(t)
}

/// Records that carry a hidden tenant.
pub trait HasTenant {
    fn set_tenant(&mut self, tenant: String);
}

impl HasTenant for Server {
    fn set_tenant(&mut self, tenant: String) {
        self.tenant_id = tenant;
    }
}

impl HasTenant for ServerLock {
    fn set_tenant(&mut self, tenant: String) {
        self.tenant_id = tenant;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JobState;

    #[test]
    fn a_server_is_written_as_its_value_would_be_and_read_back_whole_or_as_an_identity() {
        let c = Codec::for_tests();
        let mut s = crate::store::contract::server("t1", "web-01", "dev", &["nginx"]);
        s.credentials.certificate_fingerprint = Some("fp".into());
        s.credentials.revoked = true;
        s.circuit.open_until = Some(chrono::Utc::now());
        let text = c.server_text(&s).unwrap();
        assert_eq!(text, c.server(&s).unwrap().to_string());
        let back = c.server_from_text(&text).unwrap();
        assert_eq!(back.tenant_id, "t1");
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&s).unwrap()
        );
        let id = c.agent_identity_from_text(&text).unwrap();
        assert_eq!(
            (id.tenant_id.as_str(), id.server_id.as_str(), id.revoked),
            ("t1", "web-01", true)
        );
        assert_eq!(id.circuit_open_until, s.circuit.open_until);
        assert!(matches!(
            c.agent_identity_from_text(r#"{"server_id": 5}"#),
            Err(StoreError::Corrupt(m)) if m.starts_with("server: ")
        ));
    }

    #[test]
    fn a_jobs_secrets_are_sealed_and_come_back() {
        let c = Codec::for_tests();
        let (_, mut jobs) = crate::store::contract::execution("t", "e", &["s"]);
        let mut job = jobs.remove(0);
        job.action = serde_json::from_value(
            json!({"type": "shell_command", "command": "login --pw 'hunter2-secret'"}),
        )
        .unwrap();
        job.secrets = vec!["hunter2-secret".into()];
        let doc = c.job(&job).unwrap();
        assert!(!doc.to_string().contains("hunter2"), "{doc}");
        assert!(doc["action"]["command"].as_str().unwrap().contains("***"));
        let back = c.job_from(doc).unwrap();
        assert_eq!(back.secrets, job.secrets);
        assert_eq!(back.state, JobState::Pending);
        assert!(
            matches!(&back.action, greenroom_proto::Action::ShellCommand(s) if s.command.contains("hunter2-secret"))
        );
        // Another key cannot open it, and says so.
        let other = Codec::new(Arc::new(Sealer::new(b"x".repeat(32).as_slice())));
        let err = other.job_from(c.job(&job).unwrap()).unwrap_err();
        assert!(err.to_string().contains("another key"), "{err}");
    }

    #[test]
    fn a_server_read_from_its_text_is_the_server_read_from_its_value() {
        let c = Codec::for_tests();
        let mut s = crate::store::contract::server("tenant-7", "web-01", "dev", &["a", "b"]);
        s.credentials.certificate_fingerprint = Some("ab:cd".into());
        let text = c.server(&s).unwrap().to_string();
        let (direct, via_value) = (
            c.server_from_text(&text).unwrap(),
            c.server_from(serde_json::from_str(&text).unwrap()).unwrap(),
        );
        assert_eq!(direct.tenant_id, "tenant-7", "the hidden tenant comes back");
        assert_eq!(
            serde_json::to_value(&direct).unwrap(),
            serde_json::to_value(&via_value).unwrap()
        );
        assert_eq!(direct.tenant_id, via_value.tenant_id);
        let err = c.server_from_text("{\"server_id\": 3}").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    }
}
