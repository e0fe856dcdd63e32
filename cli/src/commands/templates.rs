//! `templates`: the action templates; finding one by name for `run --template`, and turning
//! `-p key=value` into typed parameter values by the template's declarations.

use crate::api::Client;
use crate::api::types::ActionTemplate;
use crate::error::{CliError, Exit, Result};
use crate::output::Ui;
use serde_json::{Map, Value};

/// The template named `name` (exact name, then id, then the name in any case).
pub fn find<'a>(templates: &'a [ActionTemplate], name: &str) -> Result<&'a ActionTemplate> {
    if let Some(t) = templates
        .iter()
        .find(|t| t.name == name)
        .or_else(|| templates.iter().find(|t| t.id == name))
        .or_else(|| templates.iter().find(|t| t.name.eq_ignore_ascii_case(name)))
    {
        return Ok(t);
    }
    let lower = name.to_lowercase();
    let close: Vec<&str> = templates
        .iter()
        .filter(|t| t.name.to_lowercase().contains(&lower))
        .map(|t| t.name.as_str())
        .take(5)
        .collect();
    let hint = if close.is_empty() {
        "see `greenroom templates`".to_string()
    } else {
        format!("did you mean {}?", quoted_list(&close))
    };
    Err(CliError::not_found(format!(
        "unknown template {name:?}: {hint}"
    )))
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The declared parameters of a template: name → declaration.
fn declared(t: &ActionTemplate) -> Map<String, Value> {
    t.parameters.as_object().cloned().unwrap_or_default()
}

/// `-p key=value` pairs as the template's typed values (integers and booleans as such).
pub fn parse_params(t: &ActionTemplate, pairs: &[String]) -> Result<Map<String, Value>> {
    let decl = declared(t);
    let mut out = Map::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(CliError::usage(format!(
                "bad parameter {pair:?}: expected KEY=VALUE"
            )));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(CliError::usage(format!(
                "bad parameter {pair:?}: the name before '=' is empty"
            )));
        }
        let Some(d) = decl.get(key) else {
            let names: Vec<&str> = decl.keys().map(String::as_str).collect();
            let known = if names.is_empty() {
                "it takes no parameters".to_string()
            } else {
                format!("its parameters: {}", names.join(", "))
            };
            return Err(CliError::usage(format!(
                "bad parameter {key:?}: template {:?} has no such parameter ({known})",
                t.name
            )));
        };
        let v = match d.get("type").and_then(Value::as_str).unwrap_or("string") {
            "integer" => value.trim().parse::<i64>().map(Value::from).map_err(|_| {
                CliError::usage(format!(
                    "bad parameter {key}: expected an integer, not {value:?}"
                ))
            })?,
            "boolean" => match value.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "on" => Value::Bool(true),
                "false" | "no" | "0" | "off" => Value::Bool(false),
                _ => {
                    return Err(CliError::usage(format!(
                        "bad parameter {key}: expected true or false, not {value:?}"
                    )));
                }
            },
            "enum" => {
                let allowed: Vec<&str> = d
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if !allowed.is_empty() && !allowed.contains(&value) {
                    return Err(CliError::usage(format!(
                        "bad parameter {key}: {value:?} is not one of {}",
                        allowed.join(", ")
                    )));
                }
                Value::String(value.to_string())
            }
            _ => Value::String(value.to_string()),
        };
        out.insert(key.to_string(), v);
    }
    Ok(out)
}

/// One line per parameter: `name` (type, required or default).
fn parameter_summary(t: &ActionTemplate) -> String {
    declared(t)
        .iter()
        .map(|(name, d)| {
            if d.get("required").and_then(Value::as_bool) == Some(true) {
                format!("{name}*")
            } else {
                name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn show(client: &Client, ui: &Ui, name: Option<&str>) -> Result<Exit> {
    let templates = client.templates().await?;
    match name {
        None => {
            if !ui.is_table() {
                ui.print_data(&templates)?;
                return Ok(Exit::Ok);
            }
            let mut table = ui.table(&["NAME", "CATEGORY", "PARAMETERS", "APPLIES TO", "VERSION"]);
            for t in &templates {
                table.add_row(vec![
                    t.name.clone(),
                    t.category.clone(),
                    parameter_summary(t),
                    t.applicable_server_tags.join(", "),
                    t.version.clone(),
                ]);
            }
            ui.print_table(&table);
            eprintln!(
                "{} templates (* required parameter); details: greenroom templates NAME",
                templates.len()
            );
        }
        Some(name) => {
            let t = find(&templates, name)?;
            if !ui.is_table() {
                ui.print_data(t)?;
                return Ok(Exit::Ok);
            }
            println!("{}  ({}, v{}, id {})", t.name, t.category, t.version, t.id);
            if !t.description.is_empty() {
                println!("{}", t.description);
            }
            println!("\ncommand: {}", t.command_template);
            if !t.applicable_server_tags.is_empty() {
                println!(
                    "applies to servers tagged: {}",
                    t.applicable_server_tags.join(", ")
                );
            }
            let decl = declared(t);
            if !decl.is_empty() {
                println!();
                let mut table =
                    ui.table(&["PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"]);
                for (pname, d) in &decl {
                    let s = |k: &str| match d.get(k) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                    };
                    table.add_row(vec![
                        pname.clone(),
                        s("type"),
                        if d.get("required").and_then(Value::as_bool) == Some(true) {
                            "yes".into()
                        } else {
                            String::new()
                        },
                        s("default"),
                        s("description"),
                    ]);
                }
                ui.print_table(&table);
            }
            println!(
                "\nrun it: greenroom run --template {:?} -e ENV{}",
                t.name,
                decl.keys()
                    .next()
                    .map(|k| format!(" -p {k}=…"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> ActionTemplate {
        let now = chrono::Utc::now();
        ActionTemplate {
            id: "tpl_1".into(),
            name: "Disk space".into(),
            description: String::new(),
            category: "validation".into(),
            action_type: "shell_command".into(),
            version: "1.0.0".into(),
            parameters: json!({"mount": {"type": "string"}, "max_percent": {"type": "integer"}, "verbose": {"type": "boolean"}}),
            command_template: "df {mount}".into(),
            execution_config: json!({}),
            success_criteria: json!({}),
            applicable_server_tags: vec![],
            metadata: crate::api::types::TemplateMetadata {
                created_at: now.into(),
                created_by: "x".into(),
                updated_at: now.into(),
                usage_count: 0,
            },
        }
    }

    #[test]
    fn parameters_take_their_declared_types() {
        let t = template();
        let p = parse_params(
            &t,
            &[
                "mount=/var".into(),
                "max_percent=80".into(),
                "verbose=yes".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            Value::Object(p),
            json!({"mount": "/var", "max_percent": 80, "verbose": true})
        );
    }

    #[test]
    fn bad_parameters_are_usage_errors() {
        let t = template();
        for bad in ["mount", "=x", "nope=1", "max_percent=lots", "verbose=maybe"] {
            let e = parse_params(&t, &[bad.to_string()]).unwrap_err();
            assert_eq!(e.exit(), Exit::Usage, "{bad}: {e}");
        }
    }

    #[test]
    fn templates_are_found_by_name_id_or_case() {
        let ts = vec![template()];
        assert_eq!(find(&ts, "Disk space").unwrap().id, "tpl_1");
        assert_eq!(find(&ts, "tpl_1").unwrap().id, "tpl_1");
        assert_eq!(find(&ts, "disk SPACE").unwrap().id, "tpl_1");
        let e = find(&ts, "disk").unwrap_err();
        assert_eq!(e.exit(), Exit::Refused);
        assert!(e.to_string().contains("Disk space"), "{e}");
    }
}
