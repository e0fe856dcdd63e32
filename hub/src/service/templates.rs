//! Creating and listing action templates.

use crate::app::App;
use crate::audit::{self, Origin, Resource};
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
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
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

pub(crate) fn default_category() -> String {
    "system".into()
}
pub(crate) fn default_action_type() -> String {
    "execution".into()
}
pub(crate) fn default_version() -> String {
    "1.0.0".into()
}

pub const CATEGORIES: [&str; 5] = ["system", "database", "application", "network", "security"];
pub const ACTION_TYPES: [&str; 3] = ["validation", "execution", "maintenance"];

/// Every problem of a template at once (the `validate` endpoint and every save).
pub fn problems(t: &ActionTemplate) -> Vec<String> {
    let mut problems = template::check_template(t).err().unwrap_or_default();
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
    if t.success_criteria
        .execution_time_max
        .is_some_and(|m| m <= 0.0)
    {
        problems.push("success_criteria.execution_time_max: must be more than 0".into());
    }
    if t.success_criteria
        .output_contains
        .iter()
        .chain(&t.success_criteria.output_not_contains)
        .any(|s| s.is_empty())
    {
        problems.push(
            "success_criteria: output_contains / output_not_contains entries must not be empty"
                .into(),
        );
    }
    if t.execution_config.retry_count > 10 {
        problems.push("execution_config.retry_count: at most 10".into());
    }
    problems
}

fn from_new(
    caller: &Caller,
    id: String,
    new: NewTemplate,
    metadata: TemplateMetadata,
) -> ActionTemplate {
    ActionTemplate {
        tenant_id: caller.tenant_id.clone(),
        id,
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
        metadata,
    }
}

/// The next patch version: `1.2.3` → `1.2.4`; anything else gets `.1` appended.
fn bump(version: &str) -> String {
    let mut parts: Vec<&str> = version.split('.').collect();
    match parts.last().and_then(|p| p.parse::<u64>().ok()) {
        Some(n) => {
            let next = (n + 1).to_string();
            parts.pop();
            parts.push(&next);
            parts.join(".")
        }
        None => format!("{version}.1"),
    }
}

pub async fn create(
    app: &App,
    caller: &Caller,
    new: NewTemplate,
    origin: &Origin,
) -> Result<ActionTemplate> {
    caller.require(Role::Admin)?;
    let now = chrono::Utc::now();
    let meta = TemplateMetadata {
        created_at: now,
        created_by: caller.email.clone(),
        updated_at: now,
        usage_count: 0,
    };
    let t = from_new(
        caller,
        format!("tpl_{}", uuid::Uuid::new_v4().simple()),
        new,
        meta,
    );
    let p = problems(&t);
    if !p.is_empty() {
        return Err(Error::Invalid(p));
    }
    app.store.insert_template(&t).await?;
    let r = Resource {
        kind: "action_template",
        id: &t.id,
        name: Some(&t.name),
    };
    audit::by_caller(
        app,
        caller,
        origin,
        "action_created",
        r,
        json!({"version": t.version}),
    )
    .await;
    Ok(t.for_display())
}

/// Replaces a template. Executions already started keep what they ran; an unchanged
/// version number is bumped so every edit is a new version.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: &str,
    new: NewTemplate,
    origin: &Origin,
) -> Result<ActionTemplate> {
    caller.require(Role::Admin)?;
    let old = app
        .store
        .get_template(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("action template {id} not found")))?;
    let mut meta = old.metadata.clone();
    meta.updated_at = chrono::Utc::now();
    let mut t = from_new(caller, old.id.clone(), new, meta);
    t.keep_secret_defaults(&old);
    if t.version == old.version {
        t.version = bump(&old.version);
    }
    let p = problems(&t);
    if !p.is_empty() {
        return Err(Error::Invalid(p));
    }
    app.store.put_template(&t).await?;
    let r = Resource {
        kind: "action_template",
        id: &t.id,
        name: Some(&t.name),
    };
    let details = json!({"previous_version": old.version, "version": t.version, "command_template_changed": old.command_template != t.command_template});
    audit::by_caller(app, caller, origin, "action_updated", r, details).await;
    Ok(t.for_display())
}

pub async fn delete(app: &App, caller: &Caller, id: &str, origin: &Origin) -> Result<()> {
    caller.require(Role::Admin)?;
    if !app.store.delete_template(&caller.tenant_id, id).await? {
        return Err(Error::NotFound(format!("action template {id} not found")));
    }
    let r = Resource {
        kind: "action_template",
        id,
        name: None,
    };
    audit::by_caller(app, caller, origin, "action_deleted", r, json!({})).await;
    Ok(())
}

/// A template as the caller may see it (secret defaults write-only).
pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<ActionTemplate> {
    app.store
        .get_template(&caller.tenant_id, id)
        .await?
        .map(ActionTemplate::for_display)
        .ok_or_else(|| Error::NotFound(format!("action template {id} not found")))
}

/// A page of the tenant's templates, as the caller may see them.
pub async fn list(
    app: &App,
    caller: &Caller,
    q: Option<&str>,
    page: crate::model::PageRequest,
) -> Result<crate::model::Page<ActionTemplate>> {
    let mut p = app.store.list_templates(&caller.tenant_id, q, page).await?;
    p.items = p
        .items
        .into_iter()
        .map(ActionTemplate::for_display)
        .collect();
    Ok(p)
}
