//! `templates`: the action templates; finding one by name for `run --template`, and turning
//! `-p key=value` into typed parameter values by the template's declarations.

use crate::api::Client;
use crate::api::types::{
    ActionTemplate, ParameterDefinition, ParameterInput, ParameterType, ParameterValueInput,
};
use crate::error::{CliError, Exit, Result};
use crate::output::Ui;

/// The template named `name` (exact name, then its id or global id, then the name in any
/// case).
pub fn find<'a>(templates: &'a [ActionTemplate], name: &str) -> Result<&'a ActionTemplate> {
    if let Some(t) = templates
        .iter()
        .find(|t| t.name == name)
        .or_else(|| {
            templates
                .iter()
                .find(|t| t.template_id == name || t.id.inner() == name)
        })
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

/// `-p key=value` pairs as typed values, by the types the template declares (`INTEGER` →
/// `int`, `BOOLEAN` → `boolean`, anything else → `string`), in the order given.
pub fn parse_params(t: &ActionTemplate, pairs: &[String]) -> Result<Vec<ParameterInput>> {
    let mut out: Vec<ParameterInput> = Vec::new();
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
        let Some(d) = t.parameter_definitions.iter().find(|d| d.name == key) else {
            let names: Vec<&str> = t
                .parameter_definitions
                .iter()
                .map(|d| d.name.as_str())
                .collect();
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
        let v = typed_value(d, value)?;
        // A parameter given twice: the last one counts (as it did in a JSON object).
        out.retain(|p| p.name != key);
        out.push(ParameterInput {
            name: key.to_string(),
            value: v,
        });
    }
    Ok(out)
}

fn typed_value(d: &ParameterDefinition, value: &str) -> Result<ParameterValueInput> {
    let key = &d.name;
    Ok(match d.kind {
        ParameterType::Integer => {
            let n = value.trim().parse::<i64>().map_err(|_| {
                CliError::usage(format!(
                    "bad parameter {key}: expected an integer, not {value:?}"
                ))
            })?;
            ParameterValueInput::Int(i32::try_from(n).map_err(|_| {
                CliError::usage(format!(
                    "bad parameter {key}: {n} is out of range (at most {})",
                    i32::MAX
                ))
            })?)
        }
        ParameterType::Boolean => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => ParameterValueInput::Boolean(true),
            "false" | "no" | "0" | "off" => ParameterValueInput::Boolean(false),
            _ => {
                return Err(CliError::usage(format!(
                    "bad parameter {key}: expected true or false, not {value:?}"
                )));
            }
        },
        ParameterType::Enum => {
            if !d.values.is_empty() && !d.values.iter().any(|v| v == value) {
                return Err(CliError::usage(format!(
                    "bad parameter {key}: {value:?} is not one of {}",
                    d.values.join(", ")
                )));
            }
            ParameterValueInput::String(value.to_string())
        }
        ParameterType::String | ParameterType::Secret => {
            ParameterValueInput::String(value.to_string())
        }
    })
}

/// The parameters on one line: `name` (`name*` when required).
fn parameter_summary(t: &ActionTemplate) -> String {
    t.parameter_definitions
        .iter()
        .map(|d| {
            if d.required {
                format!("{}*", d.name)
            } else {
                d.name.clone()
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
            println!(
                "{}  ({}, v{}, id {})",
                t.name, t.category, t.version, t.template_id
            );
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
            let decl = &t.parameter_definitions;
            if !decl.is_empty() {
                println!();
                let mut table =
                    ui.table(&["PARAMETER", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"]);
                for d in decl {
                    table.add_row(vec![
                        d.name.clone(),
                        d.kind.as_str().to_string(),
                        if d.required {
                            "yes".into()
                        } else {
                            String::new()
                        },
                        d.default.clone().unwrap_or_default(),
                        d.description.clone(),
                    ]);
                }
                ui.print_table(&table);
            }
            println!(
                "\nrun it: greenroom run --template {:?} -e ENV{}",
                t.name,
                decl.first()
                    .map(|d| format!(" -p {}=…", d.name))
                    .unwrap_or_default()
            );
        }
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::{ExecutionConfig, SuccessCriteria, TemplateMetadata};

    fn definition(name: &str, kind: ParameterType, values: &[&str]) -> ParameterDefinition {
        ParameterDefinition {
            name: name.into(),
            kind,
            required: false,
            default: None,
            description: String::new(),
            validation: None,
            min: None,
            max: None,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn template() -> ActionTemplate {
        let now = chrono::Utc::now();
        ActionTemplate {
            id: cynic::Id::new("QWN0aW9uVGVtcGxhdGU6dHBsXzE="),
            template_id: "tpl_1".into(),
            name: "Disk space".into(),
            description: String::new(),
            category: "validation".into(),
            action_type: "shell_command".into(),
            version: "1.0.0".into(),
            parameter_definitions: vec![
                definition("level", ParameterType::Enum, &["low", "high"]),
                definition("max_percent", ParameterType::Integer, &[]),
                definition("mount", ParameterType::String, &[]),
                definition("token", ParameterType::Secret, &[]),
                definition("verbose", ParameterType::Boolean, &[]),
            ],
            command_template: "df {mount}".into(),
            execution_settings: ExecutionConfig {
                timeout_seconds: 300,
                retry_count: 0,
                retry_delay_seconds: 0,
                requires_lock: false,
                parallel_execution: true,
            },
            success_conditions: SuccessCriteria {
                exit_code: None,
                output_contains: vec![],
                output_not_contains: vec![],
                execution_time_max: None,
            },
            applicable_server_tags: vec![],
            metadata: TemplateMetadata {
                created_at: now.into(),
                created_by: "x".into(),
                updated_at: now.into(),
                usage_count: 0,
            },
        }
    }

    fn param(name: &str, value: ParameterValueInput) -> ParameterInput {
        ParameterInput {
            name: name.into(),
            value,
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
                "level=high".into(),
                "token=123".into(),
                "mount=/srv".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            p,
            vec![
                param("max_percent", ParameterValueInput::Int(80)),
                param("verbose", ParameterValueInput::Boolean(true)),
                param("level", ParameterValueInput::String("high".into())),
                // A secret of digits stays text: the type comes from the template.
                param("token", ParameterValueInput::String("123".into())),
                // Given twice: the last one counts.
                param("mount", ParameterValueInput::String("/srv".into())),
            ]
        );
    }

    #[test]
    fn typed_parameters_serialise_as_the_one_of_input() {
        let p = parse_params(&template(), &["max_percent=80".into()]).unwrap();
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!([{"name": "max_percent", "value": {"int": 80}}])
        );
    }

    #[test]
    fn bad_parameters_are_usage_errors() {
        let t = template();
        for bad in [
            "mount",
            "=x",
            "nope=1",
            "max_percent=lots",
            "max_percent=99999999999",
            "verbose=maybe",
            "level=medium",
        ] {
            let e = parse_params(&t, &[bad.to_string()]).unwrap_err();
            assert_eq!(e.exit(), Exit::Usage, "{bad}: {e}");
        }
    }

    #[test]
    fn templates_are_found_by_name_id_or_case() {
        let ts = vec![template()];
        assert_eq!(find(&ts, "Disk space").unwrap().template_id, "tpl_1");
        assert_eq!(find(&ts, "tpl_1").unwrap().template_id, "tpl_1");
        assert_eq!(
            find(&ts, "QWN0aW9uVGVtcGxhdGU6dHBsXzE=")
                .unwrap()
                .template_id,
            "tpl_1"
        );
        assert_eq!(find(&ts, "disk SPACE").unwrap().template_id, "tpl_1");
        let e = find(&ts, "disk").unwrap_err();
        assert_eq!(e.exit(), Exit::Refused);
        assert!(e.to_string().contains("Disk space"), "{e}");
    }
}
