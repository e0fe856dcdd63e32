//! Action templates: typed parameters, execution config, the template document.

use super::{SuccessCriteria, Timestamp};
use serde::{Deserialize, Serialize};

/// A typed parameter of an action template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterSpec {
    #[serde(rename = "type")]
    pub kind: ParamKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    #[serde(default)]
    pub description: String,
    /// A regular expression a string value must match (whole value).
    #[serde(default)]
    pub validation: Option<String>,
    /// Bounds of an `integer` parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Allowed values of an `enum` parameter.
    #[serde(default, rename = "values", skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// A template parameter's type.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum, utoipa::ToSchema,
)]
#[graphql(name = "ParameterType")]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    /// Text.
    String,
    /// A whole number, within `min` and `max` when set.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// One of the parameter's `values`.
    Enum,
    /// Text that is never shown: masked `***` in answers, output and stored commands.
    Secret,
}

/// How a template's executions run.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, async_graphql::SimpleObject, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ExecutionConfig {
    /// Seconds before a job is stopped and recorded `TIMEOUT` (default 300).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Attempts after the first for a job that fails or times out (default 0).
    #[serde(default)]
    pub retry_count: u32,
    /// Seconds between attempts (default 0).
    #[serde(default)]
    pub retry_delay_seconds: u64,
    /// Whether each job takes an execution lock on its server while it runs (default false).
    #[serde(default)]
    pub requires_lock: bool,
    /// Whether targets run at once (default true); false runs one server at a time unless
    /// the execution sets `maxConcurrency`.
    #[serde(default = "yes")]
    pub parallel_execution: bool,
}

fn default_timeout() -> u64 {
    300
}
fn yes() -> bool {
    true
}

impl Default for ExecutionConfig {
    fn default() -> Self {
        Self {
            timeout_seconds: 300,
            retry_count: 0,
            retry_delay_seconds: 0,
            requires_lock: false,
            parallel_execution: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateMetadata {
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub usage_count: u64,
}

/// The specification's `action_templates` document.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionTemplate {
    #[serde(default, skip_serializing)]
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub action_type: String,
    pub version: String,
    pub parameters: std::collections::BTreeMap<String, ParameterSpec>,
    pub execution_config: ExecutionConfig,
    pub command_template: String,
    pub success_criteria: SuccessCriteria,
    pub applicable_server_tags: Vec<String>,
    pub metadata: TemplateMetadata,
}

impl ActionTemplate {
    /// The template as the API shows it: a secret parameter's default is write-only — its
    /// presence shown as `***`, never its value.
    pub fn for_display(mut self) -> Self {
        for p in self.parameters.values_mut() {
            if p.kind == ParamKind::Secret && p.default.as_ref().is_some_and(|d| !d.is_null()) {
                p.default = Some(crate::template::REDACTED.into());
            }
        }
        self
    }

    /// Secret defaults left as `***` (an edit that round-tripped what the API showed) keep
    /// their value from `previous`.
    pub fn keep_secret_defaults(&mut self, previous: &ActionTemplate) {
        for (name, p) in self.parameters.iter_mut() {
            let shown =
                p.default.as_ref().and_then(|d| d.as_str()) == Some(crate::template::REDACTED);
            if p.kind == ParamKind::Secret
                && shown
                && let Some(old) = previous.parameters.get(name)
            {
                p.default = old.default.clone();
            }
        }
    }

    /// The names of its secret parameters.
    pub fn secret_parameters(&self) -> Vec<String> {
        self.parameters
            .iter()
            .filter(|(_, p)| p.kind == ParamKind::Secret)
            .map(|(n, _)| n.clone())
            .collect()
    }
}
