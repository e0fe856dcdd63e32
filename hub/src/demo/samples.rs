//! The shipped library of sample templates and loading templates into a tenant (the
//! demo seeds its hub with them; `greenroom-hub load-templates` too).

use super::*;

/// The shipped library of sample templates (`hub/templates/samples.json`).
pub const SAMPLES: &str = include_str!("../../templates/samples.json");

/// Loads templates (the sample library, or a JSON array of template documents) into a
/// tenant, skipping names that exist. Returns (added, skipped).
pub async fn load_templates(
    app: &crate::app::App,
    caller: &auth::Caller,
    json_text: &str,
) -> anyhow::Result<(usize, usize)> {
    let docs: Vec<serde_json::Value> = serde_json::from_str(json_text)
        .context("templates: expected a JSON array of template documents")?;
    let (mut added, mut skipped) = (0, 0);
    for (i, doc) in docs.into_iter().enumerate() {
        let t: NewTemplate =
            serde_json::from_value(doc).with_context(|| format!("template #{}", i + 1))?;
        let name = t.name.clone();
        match templates::create(app, caller, t, &crate::audit::NO_ORIGIN).await {
            Ok(_) => added += 1,
            Err(crate::error::Error::Conflict(_)) => skipped += 1,
            Err(e) => anyhow::bail!("template {name:?}: {e}"),
        }
    }
    Ok((added, skipped))
}

pub(super) async fn seed_templates(app: &crate::app::App) -> anyhow::Result<()> {
    let admin = auth::Caller::internal(ADMIN_EMAIL, crate::model::DEFAULT_TENANT, Role::Admin);
    load_templates(app, &admin, SAMPLES).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::templates::problems;

    #[test]
    fn the_sample_library_has_twenty_valid_templates() {
        let docs: Vec<serde_json::Value> = serde_json::from_str(SAMPLES).unwrap();
        assert!(docs.len() >= 20, "{} samples", docs.len());
        let mut names = std::collections::BTreeSet::new();
        for doc in docs {
            let t: NewTemplate = serde_json::from_value(doc).unwrap();
            assert!(names.insert(t.name.clone()), "duplicate {}", t.name);
            let now = chrono::Utc::now();
            let full = crate::model::ActionTemplate {
                tenant_id: "t".into(),
                id: "x".into(),
                name: t.name.clone(),
                description: t.description,
                category: t.category,
                action_type: t.action_type,
                version: t.version,
                parameters: t.parameters,
                execution_config: t.execution_config,
                command_template: t.command_template,
                success_criteria: t.success_criteria,
                applicable_server_tags: t.applicable_server_tags,
                metadata: crate::model::TemplateMetadata {
                    created_at: now,
                    created_by: "t".into(),
                    updated_at: now,
                    usage_count: 0,
                },
            };
            assert_eq!(problems(&full), Vec::<String>::new(), "{}", t.name);
        }
    }

    #[test]
    fn no_sample_parameter_accepts_a_path_that_climbs_out() {
        let docs: Vec<serde_json::Value> = serde_json::from_str(SAMPLES).unwrap();
        let climbing = [
            "/tmp/../etc",
            "/tmp/x/../../etc/shadow",
            "/var/log/../../root/.ssh/id_rsa",
            "/..",
            "/tmp/..",
            "../etc",
        ];
        let mut checked = 0;
        for doc in &docs {
            let Some(params) = doc["parameters"].as_object() else {
                continue;
            };
            for (name, p) in params {
                let Some(re) = p["validation"].as_str() else {
                    continue;
                };
                // As the hub applies it: the whole value must match.
                let re = regex::Regex::new(&format!("^(?:{re})$")).unwrap();
                for v in climbing {
                    assert!(!re.is_match(v), "{} accepts {name} = {v:?}", doc["name"]);
                }
                checked += 1;
            }
        }
        assert!(checked >= 5, "only {checked} validated parameters");
    }

    /// A sample template, ready to render.
    fn sample(name: &str) -> crate::model::ActionTemplate {
        let docs: Vec<serde_json::Value> = serde_json::from_str(SAMPLES).unwrap();
        let doc = docs.into_iter().find(|d| d["name"] == name).expect(name);
        let t: NewTemplate = serde_json::from_value(doc).unwrap();
        let now = chrono::Utc::now();
        crate::model::ActionTemplate {
            tenant_id: "t".into(),
            id: "x".into(),
            name: t.name,
            description: t.description,
            category: t.category,
            action_type: t.action_type,
            version: t.version,
            parameters: t.parameters,
            execution_config: t.execution_config,
            command_template: t.command_template,
            success_criteria: t.success_criteria,
            applicable_server_tags: t.applicable_server_tags,
            metadata: crate::model::TemplateMetadata {
                created_at: now,
                created_by: "t".into(),
                updated_at: now,
                usage_count: 0,
            },
        }
    }

    #[test]
    fn samples_refuse_path_traversal_and_option_injection() {
        let refused = |name: &str, param: &str, value: &str| {
            let t = sample(name);
            let mut params = json!({param: value});
            if t.parameters.get("port").is_some_and(|p| p.required) {
                params["port"] = 80.into();
            }
            crate::template::render(&t, &params).is_err()
        };
        let accepted = |name: &str, param: &str, value: &str| !refused(name, param, value);
        for bad in [
            "/tmp/../etc",
            "/tmp/..",
            "/var/tmp/x/../../etc",
            "/tmp",
            "/etc/passwd",
            "/tmp/ x",
        ] {
            assert!(refused("Clear a temp directory", "dir", bad), "{bad}");
        }
        assert!(accepted(
            "Clear a temp directory",
            "dir",
            "/tmp/build-cache"
        ));
        for bad in [
            "/etc/shadow",
            "/var/log/../../etc/shadow",
            "/var/log/..",
            "/var/logx",
        ] {
            assert!(refused("Recent errors in a log", "file", bad), "{bad}");
        }
        assert!(accepted(
            "Recent errors in a log",
            "file",
            "/var/log/nginx/error.log"
        ));
        assert!(refused("Disk space", "mount", "/../etc"));
        assert!(accepted("Disk space", "mount", "/var/lib"));
        for (name, param) in [
            ("Service is active", "service"),
            ("Restart a service", "service"),
            ("DNS resolves", "name"),
            ("Process running", "name"),
            ("TLS certificate expiry", "host"),
            ("TCP port open", "host"),
        ] {
            for bad in ["--help", "-H", "-s x"] {
                assert!(refused(name, param, bad), "{name}: {bad}");
            }
        }
    }

    #[test]
    fn no_sample_hands_a_value_to_a_second_interpreter_as_code() {
        // The TCP check runs `bash -c`: its host and port go in as positional arguments.
        let t = sample("TCP port open");
        let r = crate::template::render(&t, &json!({"host": "127.0.0.1", "port": 1})).unwrap();
        assert!(
            r.command.contains("\"/dev/tcp/$1/$2\"' port-check"),
            "{}",
            r.command
        );
    }
}
