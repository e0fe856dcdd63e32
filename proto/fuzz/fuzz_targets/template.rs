//! The template renderer: any command template is accepted or refused when saved, and a
//! template that is accepted renders the same command text whatever the parameter's value
//! (the value travels in the environment), in whatever quoting context the placeholders
//! stand. Input: the template text, a 0 byte, the value.
#![no_main]

use greenroom_hub::model::{ActionTemplate, ExecutionConfig, SuccessCriteria, TemplateMetadata};
use greenroom_hub::template::{check_template, render};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fn template(cmd: &str) -> ActionTemplate {
    ActionTemplate {
        tenant_id: "t".into(),
        id: "x".into(),
        name: "fuzz".into(),
        description: String::new(),
        category: "fuzz".into(),
        action_type: "validation".into(),
        version: "1.0.0".into(),
        parameters: serde_json::from_value(json!({
            "p": {"type": "string"},
            "n": {"type": "integer"},
            "s": {"type": "secret"}
        }))
        .expect("parameter specs"),
        execution_config: ExecutionConfig::default(),
        command_template: cmd.into(),
        success_criteria: SuccessCriteria::default(),
        applicable_server_tags: vec![],
        metadata: TemplateMetadata {
            created_at: chrono::DateTime::UNIX_EPOCH,
            created_by: "fuzz".into(),
            updated_at: chrono::DateTime::UNIX_EPOCH,
            usage_count: 0,
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (cmd, value) = text.split_once('\0').unwrap_or((text, "x"));
    let t = template(cmd);
    if check_template(&t).is_err() {
        return;
    }
    let params = json!({"p": value, "n": 7, "s": value});
    // The command is the same whatever the value: the value travels in the environment.
    let neutral = render(&t, &json!({"p": "v", "n": 7, "s": "v"}));
    if let Ok(r) = render(&t, &params) {
        let neutral = neutral.expect("the same template renders with a plain value");
        assert_eq!(r.command, neutral.command, "{cmd:?} with {value:?}");
        assert_eq!(
            r.environment.get("GREENROOM_PARAM_p").map(String::as_str),
            Some(value)
        );
        if !value.is_empty() && value != "***" {
            let shown = r.masked_environment.get("GREENROOM_PARAM_s");
            assert_ne!(shown.map(String::as_str), Some(value), "the secret shows");
        }
    }
});
