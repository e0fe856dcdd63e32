//! What an execution runs, typed: the nine operations an agent performs as one GraphQL
//! type each, an `ActionInput` (`@oneOf`: exactly one operation) to start one, and the
//! `Action` union an execution shows (secrets masked). Template parameter values likewise:
//! `ParameterInput` with a `@oneOf` value in, `ParameterValue` out.
//!
//! The same struct is the input and the output of an operation (`input_name`), so the two
//! cannot drift; fields with a default on the agent are optional in both. The wire shape
//! (what REST takes and the agent receives) is `greenroom_proto::Action`'s serde form:
//! [`ActionInput::to_wire`] builds it and [`Action::from_wire`] reads it, and the agent's
//! own validation (`Action::validate`) stays the one judge of a well-formed action.

use super::int::Int;
use async_graphql::{InputObject, OneofObject, SimpleObject, Union};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A name and its value: an environment variable, an HTTP header.
#[derive(Debug, Clone, SimpleObject, InputObject)]
#[graphql(input_name = "NameValueInput")]
pub struct NameValue {
    /// The name (a variable or header name).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// Lists of [`NameValue`] on the wire as a JSON object (`{"NAME": "value"}`); optional
/// in both directions (an input may leave the list out).
mod name_values {
    use super::NameValue;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(v: &Option<Vec<NameValue>>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().flatten().map(|nv| (&nv.name, &nv.value)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<NameValue>>, D::Error> {
        Ok(Some(
            BTreeMap::<String, String>::deserialize(d)?
                .into_iter()
                .map(|(name, value)| NameValue { name, value })
                .collect(),
        ))
    }

    /// Nothing to send: no list, or an empty one.
    pub fn is_empty(v: &Option<Vec<NameValue>>) -> bool {
        v.as_ref().is_none_or(Vec::is_empty)
    }
}

/// Arbitrary JSON carried as its text (a value an answer must contain): parsed when the
/// action is built, so a malformed document is refused naming the field.
mod json_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(text) => {
                let parsed: serde_json::Value = serde_json::from_str(text)
                    .map_err(|e| serde::ser::Error::custom(format!("not a JSON document: {e}")))?;
                s.serialize_some(&parsed)
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<serde_json::Value>::deserialize(d)?.map(|v| v.to_string()))
    }
}

/// Run a command on the server: parsed into arguments (no shell) unless `shell` is true,
/// then run by `/bin/sh -c`.
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(name = "ShellCommandAction", input_name = "ShellCommandInput")]
pub struct ShellCommand {
    /// The command line.
    pub command: String,
    /// Seconds before it is stopped; the agent's default when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Int<u64>>,
    /// The directory it runs in; the agent's working directory when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<String>,
    /// Variables added to its environment.
    #[serde(
        default,
        with = "name_values",
        skip_serializing_if = "name_values::is_empty"
    )]
    pub environment_vars: Option<Vec<NameValue>>,
    /// Run through `/bin/sh -c` (true when not set) or as plain arguments (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<bool>,
}

/// Check a file: existence, permissions, owner, content (each check a line such as
/// `exists` or `mode 0644`; see docs/templates.md).
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(name = "FileValidationAction", input_name = "FileValidationInput")]
pub struct FileValidation {
    /// The file's path.
    pub path: String,
    /// The checks, each one line (at least one).
    pub checks: Vec<String>,
}

/// Check a service: its systemd unit is active and/or its HTTP health endpoint answers.
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(name = "ServiceHealthAction", input_name = "ServiceHealthInput")]
pub struct ServiceHealth {
    /// The systemd unit that must be active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// An http(s) URL that must answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_endpoint: Option<String>,
    /// A JSON document (as text) the endpoint's body must contain; objects match as a
    /// subset.
    #[serde(default, with = "json_text", skip_serializing_if = "Option::is_none")]
    pub expected_response: Option<String>,
    /// The HTTP status the endpoint must answer; any 2xx when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_status: Option<u16>,
    /// Seconds; the agent's default when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Int<u64>>,
}

/// Bounds a number must lie within (either may be left out).
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(input_name = "NumberRangeInput")]
pub struct NumberRange {
    /// The smallest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The largest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// Run one query against PostgreSQL, MySQL/MariaDB or SQLite; read-only unless
/// `allowWrites`.
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(name = "DatabaseQueryAction", input_name = "DatabaseQueryInput")]
pub struct DatabaseQuery {
    /// `postgres://…`, `mysql://…`, `sqlite:PATH`, or `env:VAR` (read from the agent's
    /// environment, so the secret stays on the server).
    pub connection_string: String,
    /// The statement.
    pub query: String,
    /// `scalar`, `row` or `rows`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_result_type: Option<String>,
    /// Bounds the (scalar) result must lie within.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_range: Option<NumberRange>,
    /// Seconds; the agent's default when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Int<u64>>,
    /// Allow statements that write (otherwise refused, and run in a read-only transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_writes: Option<bool>,
}

/// Request a URL and check the answer.
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(name = "HttpCheckAction", input_name = "HttpCheckInput")]
pub struct HttpCheck {
    /// An http(s) URL.
    pub url: String,
    /// `GET` when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The status it must answer; any 2xx when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_status: Option<u16>,
    /// Text the body must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// A JSON document (as text) the body must contain; objects match as a subset.
    #[serde(default, with = "json_text", skip_serializing_if = "Option::is_none")]
    pub json: Option<String>,
    /// Seconds; the agent's default when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Int<u64>>,
    /// Request headers.
    #[serde(
        default,
        with = "name_values",
        skip_serializing_if = "name_values::is_empty"
    )]
    pub headers: Option<Vec<NameValue>>,
}

/// Check that a TCP port accepts connections.
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(name = "TcpPortAction", input_name = "TcpPortInput")]
pub struct TcpPort {
    /// The host to connect to.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Seconds; the agent's default when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Int<u64>>,
}

/// Check that processes run: named `name` exactly, or with `pattern` in their command line.
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(name = "ProcessRunningAction", input_name = "ProcessRunningInput")]
pub struct ProcessRunning {
    /// The process name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Text in the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// At least this many (1 when not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<Int<u32>>,
}

/// Check free space on the filesystem holding `path`.
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(name = "DiskFreeAction", input_name = "DiskFreeInput")]
pub struct DiskFree {
    /// A path on the filesystem.
    pub path: String,
    /// At least this percentage free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_free_percent: Option<f64>,
    /// At least this many MiB free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_free_mb: Option<Int<u64>>,
}

/// Check the TLS certificate a server presents: days until it expires, and trust.
#[derive(Debug, Clone, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(
    name = "TlsCertificateExpiryAction",
    input_name = "TlsCertificateExpiryInput"
)]
pub struct TlsCertificateExpiry {
    /// The host to connect to.
    pub host: String,
    /// 443 when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The name sent (SNI) and checked for trust; `host` when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Days it must still be valid (14 when not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_days_remaining: Option<Int<u32>>,
    /// Seconds; the agent's default when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Int<u64>>,
}

/// What an execution runs on each server, as it was accepted (secrets masked `***`).
#[derive(Debug, Clone, Union, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    ShellCommand(ShellCommand),
    FileValidation(FileValidation),
    ServiceHealth(ServiceHealth),
    DatabaseQuery(DatabaseQuery),
    HttpCheck(HttpCheck),
    TcpPort(TcpPort),
    ProcessRunning(ProcessRunning),
    DiskFree(DiskFree),
    TlsCertificateExpiry(TlsCertificateExpiry),
}

/// One operation to run: exactly one field is set.
#[derive(Debug, Clone, OneofObject)]
pub enum ActionInput {
    /// Run a command.
    ShellCommand(ShellCommand),
    /// Check a file.
    FileValidation(FileValidation),
    /// Check a service's unit or health endpoint.
    ServiceHealth(ServiceHealth),
    /// Run a database query.
    DatabaseQuery(DatabaseQuery),
    /// Request a URL.
    HttpCheck(HttpCheck),
    /// Connect to a TCP port.
    TcpPort(TcpPort),
    /// Look for running processes.
    ProcessRunning(ProcessRunning),
    /// Check free disk space.
    DiskFree(DiskFree),
    /// Check a TLS certificate.
    TlsCertificateExpiry(TlsCertificateExpiry),
}

impl ActionInput {
    /// The action on the wire (`{"type": "shell_command", ...}`), as REST takes it.
    pub fn to_wire(&self) -> Result<Value, String> {
        let a = match self.clone() {
            ActionInput::ShellCommand(a) => Action::ShellCommand(a),
            ActionInput::FileValidation(a) => Action::FileValidation(a),
            ActionInput::ServiceHealth(a) => Action::ServiceHealth(a),
            ActionInput::DatabaseQuery(a) => Action::DatabaseQuery(a),
            ActionInput::HttpCheck(a) => Action::HttpCheck(a),
            ActionInput::TcpPort(a) => Action::TcpPort(a),
            ActionInput::ProcessRunning(a) => Action::ProcessRunning(a),
            ActionInput::DiskFree(a) => Action::DiskFree(a),
            ActionInput::TlsCertificateExpiry(a) => Action::TlsCertificateExpiry(a),
        };
        serde_json::to_value(a).map_err(|e| format!("action: {e}"))
    }
}

impl Action {
    /// Reads an action as stored; None for anything that is not one (e.g. no action).
    pub fn from_wire(v: &Value) -> Option<Self> {
        serde_json::from_value(v.clone()).ok()
    }
}

/// A template parameter's value: exactly one field is set.
#[derive(Debug, Clone, OneofObject)]
pub enum ParameterValueInput {
    /// For `STRING`, `ENUM` and `SECRET` parameters.
    String(String),
    /// For `INTEGER` parameters.
    Int(Int<i64>),
    /// For `BOOLEAN` parameters.
    Boolean(bool),
}

/// A value for one of the template's parameters.
#[derive(Debug, Clone, InputObject)]
pub struct ParameterInput {
    /// The parameter's name, as the template declares it.
    pub name: String,
    /// Its value.
    pub value: ParameterValueInput,
}

/// The parameters on the wire: `{"name": value}`; a name given twice is refused.
pub fn parameters_to_wire(params: &[ParameterInput]) -> Result<Value, String> {
    let mut map = serde_json::Map::new();
    for p in params {
        let v = match &p.value {
            ParameterValueInput::String(s) => Value::from(s.clone()),
            ParameterValueInput::Int(i) => Value::from(i.get()),
            ParameterValueInput::Boolean(b) => Value::from(*b),
        };
        if map.insert(p.name.clone(), v).is_some() {
            return Err(format!("parameters: {:?} is given twice", p.name));
        }
    }
    Ok(Value::Object(map))
}

/// A parameter value an execution ran with (a secret's shown as `***`).
#[derive(Debug, Clone, SimpleObject)]
pub struct ParameterValue {
    /// The parameter's name.
    pub name: String,
    /// The value as text (`true`/`false`, digits, or the string itself).
    pub value: String,
}

/// The parameters as stored (`{"name": value}`), in name order.
pub fn parameters_from_wire(v: &Value) -> Vec<ParameterValue> {
    let Some(map) = v.as_object() else {
        return vec![];
    };
    let sorted: BTreeMap<&String, &Value> = map.iter().collect();
    sorted
        .into_iter()
        .map(|(name, value)| ParameterValue {
            name: name.clone(),
            value: match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_the_agent_knows_round_trips_through_the_typed_action() {
        // The proto's own examples of each operation, as REST takes them.
        let wire = [
            serde_json::json!({"type": "shell_command", "command": "uptime", "timeout": 5,
                "environment_vars": {"A": "1"}, "shell": false}),
            serde_json::json!({"type": "file_validation", "path": "/etc/hosts", "checks": ["exists"]}),
            serde_json::json!({"type": "service_health", "health_endpoint": "http://x/h",
                "expected_response": {"ok": true}, "expected_status": 200}),
            serde_json::json!({"type": "database_query", "connection_string": "env:DB",
                "query": "select 1", "expected_range": {"min": 0.0, "max": 2.0}}),
            serde_json::json!({"type": "http_check", "url": "http://x", "headers": {"X-A": "b"},
                "json": [1, 2]}),
            serde_json::json!({"type": "tcp_port", "host": "db", "port": 5432}),
            serde_json::json!({"type": "process_running", "name": "sshd", "min_count": 1}),
            serde_json::json!({"type": "disk_free", "path": "/", "min_free_percent": 10.0}),
            serde_json::json!({"type": "tls_certificate_expiry", "host": "example.org", "port": 443}),
        ];
        for w in wire {
            let typed = Action::from_wire(&w).unwrap_or_else(|| panic!("not read: {w}"));
            let back = serde_json::to_value(&typed).unwrap();
            assert_eq!(back, w);
            // …and the agent's own type accepts what the typed action writes.
            let proto: greenroom_proto::action::Action = serde_json::from_value(back).unwrap();
            assert!(proto.validate().is_ok(), "{w}");
        }
    }

    #[test]
    fn a_json_field_that_is_not_json_is_refused_naming_the_field() {
        let a = ActionInput::HttpCheck(HttpCheck {
            url: "http://x".into(),
            method: None,
            expected_status: None,
            body_contains: None,
            json: Some("{not json".into()),
            timeout: None,
            headers: None,
        });
        let e = a.to_wire().unwrap_err();
        assert!(e.contains("not a JSON document"), "{e}");
    }

    #[test]
    fn parameters_become_one_object_and_a_name_twice_is_refused() {
        let p = |name: &str, value| ParameterInput {
            name: name.into(),
            value,
        };
        let ok = parameters_to_wire(&[
            p("n", ParameterValueInput::Int(Int(3))),
            p("s", ParameterValueInput::String("x".into())),
            p("b", ParameterValueInput::Boolean(true)),
        ])
        .unwrap();
        assert_eq!(ok, serde_json::json!({"n": 3, "s": "x", "b": true}));
        let back: Vec<_> = parameters_from_wire(&ok)
            .into_iter()
            .map(|v| (v.name, v.value))
            .collect();
        assert_eq!(
            back,
            [("b", "true"), ("n", "3"), ("s", "x")].map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let twice = parameters_to_wire(&[
            p("n", ParameterValueInput::Int(Int(3))),
            p("n", ParameterValueInput::Int(Int(4))),
        ]);
        assert!(twice.unwrap_err().contains("given twice"));
    }
}
