//! Creating and listing action templates.

use crate::app::App;
use crate::audit::{self, Actor, Resource};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::model::{
    ActionTemplate, ExecutionConfig, ParameterSpec, Role, SuccessCriteria, TemplateMetadata,
};
use crate::template;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// `POST /api/v1/actions`: the specification's `action_templates` document without its metadata.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_category")]
    pub category: String,
    #[serde(default = "default_action_type")]
    pub action_type: String,
    #[serde(default = "default_version")]
    pub version: String,
    #[serde(default)]
    pub parameters: BTreeMap<String, ParameterSpec>,
    #[serde(default)]
    pub execution_config: ExecutionConfig,
    pub command_template: String,
    #[serde(default)]
    pub success_criteria: SuccessCriteria,
    #[serde(default)]
    pub applicable_server_tags: Vec<String>,
}

fn default_category() -> String {
    "system".into()
}
fn default_action_type() -> String {
    "execution".into()
}
fn default_version() -> String {
    "1.0.0".into()
}

pub const CATEGORIES: [&str; 5] = ["system", "database", "application", "network", "security"];
pub const ACTION_TYPES: [&str; 3] = ["validation", "execution", "maintenance"];

pub async fn create(
    app: &App,
    caller: &Caller,
    new: NewTemplate,
    ip: Option<&str>,
) -> Result<ActionTemplate> {
    caller.require(Role::Operator)?;
    let now = chrono::Utc::now();
    let t = ActionTemplate {
        tenant_id: caller.tenant_id.clone(),
        id: format!("tpl_{}", uuid::Uuid::new_v4().simple()),
        name: new.name,
        description: new.description,
        category: new.category,
        action_type: new.action_type,
        version: new.version,
        parameters: new.parameters,
        execution_config: new.execution_config,
        command_template: new.command_template,
        success_criteria: new.success_criteria,
        applicable_server_tags: new.applicable_server_tags,
        metadata: TemplateMetadata {
            created_at: now,
            created_by: caller.email.clone(),
            updated_at: now,
            usage_count: 0,
        },
    };
    let mut problems = template::check_template(&t).err().unwrap_or_default();
    if !CATEGORIES.contains(&t.category.as_str()) {
        problems.push(format!(
            "category: {:?} is not one of {}",
            t.category,
            CATEGORIES.join(", ")
        ));
    }
    if !ACTION_TYPES.contains(&t.action_type.as_str()) {
        problems.push(format!(
            "action_type: {:?} is not one of {}",
            t.action_type,
            ACTION_TYPES.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    app.store.insert_template(&t).await?;
    let r = Resource {
        kind: "action_template",
        id: &t.id,
        name: Some(&t.name),
    };
    audit::record(
        app,
        &caller.tenant_id,
        Actor::User {
            email: &caller.email,
            ip,
        },
        "action_created",
        r,
        json!({}),
        None,
    )
    .await;
    Ok(t)
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<ActionTemplate> {
    app.store
        .get_template(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("action template {id} not found")))
}
