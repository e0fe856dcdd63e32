//! Action templates: typed parameters, execution config, the template document.

use super::{SuccessCriteria, Timestamp};
use serde::{Deserialize, Serialize};

/// A typed parameter of an action template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamKind {
    String,
    Integer,
    Boolean,
    Enum,
    Secret,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionConfig {
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    #[serde(default)]
    pub retry_count: u32,
    #[serde(default)]
    pub retry_delay_seconds: u64,
    #[serde(default)]
    pub requires_lock: bool,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateMetadata {
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    pub usage_count: u64,
}

/// The specification's `action_templates` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The names of its secret parameters.
    pub fn secret_parameters(&self) -> Vec<String> {
        self.parameters
            .iter()
            .filter(|(_, p)| p.kind == ParamKind::Secret)
            .map(|(n, _)| n.clone())
            .collect()
    }
}
