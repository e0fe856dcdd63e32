//! The template checks and rendering, run in real shells: every quoting context, hostile
//! and generated values.

use super::*;
use crate::model::{ExecutionConfig, SuccessCriteria, TemplateMetadata};
use serde_json::json;

fn template(cmd: &str, params: Value) -> ActionTemplate {
    let now = chrono::Utc::now();
    ActionTemplate {
        tenant_id: "t".into(),
        id: "x".into(),
        name: "DB".into(),
        description: String::new(),
        category: "database".into(),
        action_type: "validation".into(),
        version: "1.0.0".into(),
        parameters: serde_json::from_value(params).unwrap(),
        execution_config: ExecutionConfig::default(),
        command_template: cmd.into(),
        success_criteria: SuccessCriteria::default(),
        applicable_server_tags: vec![],
        metadata: TemplateMetadata {
            created_at: now,
            created_by: "a".into(),
            updated_at: now,
            usage_count: 0,
        },
    }
}

fn spec_params() -> Value {
    json!({
        "database_name": {"type": "string", "required": true, "description": "db", "validation": "^[a-zA-Z][a-zA-Z0-9_]*$"},
        "expected_table_count": {"type": "integer", "required": false, "default": null, "description": "n"}
    })
}

/// Runs a rendered command with its environment in `sh`, returning its stdout.
fn run(r: &Rendered) -> String {
    run_in("sh", r)
}

fn run_in(shell: &str, r: &Rendered) -> String {
    let out = std::process::Command::new(shell)
        .args(["-c", &r.command])
        .envs(&r.environment)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_specifications_template_renders_references_to_its_values() {
    let t = template(
        "python3 /opt/scripts/db_validate.py --db={database_name} --tables={expected_table_count}",
        spec_params(),
    );
    check_template(&t).unwrap();
    let r = render(
        &t,
        &json!({"database_name": "staging_db", "expected_table_count": 50}),
    )
    .unwrap();
    assert_eq!(
        r.command,
        "python3 /opt/scripts/db_validate.py --db=\"${GREENROOM_PARAM_database_name}\" --tables=\"${GREENROOM_PARAM_expected_table_count}\""
    );
    assert_eq!(r.environment["GREENROOM_PARAM_database_name"], "staging_db");
    assert_eq!(r.environment["GREENROOM_PARAM_expected_table_count"], "50");
}

/// Values that would be code somewhere, if any value ever were.
const HOSTILE: &[&str] = &[
    "$(id -un)",
    "`id -un`",
    "${IFS}x${IFS}",
    "a\nb\nc",
    "'",
    "\"",
    "\\",
    "x'; echo pwned #",
    "\"; echo pwned; \"",
    "'\"$(echo pwned)\"'",
    "$HOME",
    "*",
    "-n",
    "--help",
    " spaced  out ",
    "é☃ 漢字",
    "$((1+1))",
    "}{",
    "EOF",
];

/// Templates that print the value between markers, one per place a placeholder can
/// stand: `(what, template, before, after)`.
const CONTEXTS: &[(&str, &str, &str, &str)] = &[
    ("bare", "printf '%s' [{v}]", "[", "]"),
    ("double quotes", "printf '%s' \"[{v}]\"", "[", "]"),
    ("single quotes", "printf '%s' '[{v}]'", "[", "]"),
    ("ansi-c quotes", "printf '%s' $'[{v}]'", "[", "]"),
    (
        "command substitution",
        "x=$(printf '%s' {v}); printf '%s' \"[$x]\"",
        "[",
        "]",
    ),
    (
        "quoted command substitution",
        "printf '%s' \"[$(printf '%s' \"{v}\")]\"",
        "[",
        "]",
    ),
    (
        "parameter default",
        "printf '%s' \"[${{unset_var:-{v}}}]\"",
        "[",
        "]",
    ),
    ("here-document", "cat <<EOF\n[{v}]\nEOF", "[", "]\n"),
    ("after a comment line", "# {v}\nprintf '%s' [{v}]", "[", "]"),
];

/// Renders context `c` with `value`, runs it in a real shell and checks the command did
/// not change and printed exactly the value.
fn prints_exactly(c: &(&str, &str, &str, &str), value: &str) -> Result<(), String> {
    let (what, cmd, open, close) = *c;
    let t = template(cmd, json!({"v": {"type": "string", "required": true}}));
    check_template(&t).map_err(|e| format!("{what}: {e:?}"))?;
    let base = render(&t, &json!({"v": "x"})).unwrap().command;
    let r = render(&t, &json!({"v": value})).map_err(|e| format!("{what}: {e:?}"))?;
    if r.command != base {
        return Err(format!(
            "{what}: the value changed the command: {}",
            r.command
        ));
    }
    // A value's trailing newlines are kept by printf; `$(…)` drops them.
    let expected = if what.contains("command substitution") {
        value.trim_end_matches('\n')
    } else {
        value
    };
    // `$'…'` is bash's (the agent's /bin/sh may be dash, where the value is still data,
    // printed between `$[` and `$]`).
    let shell = if what == "ansi-c quotes" {
        "bash"
    } else {
        "sh"
    };
    let got = run_in(shell, &r);
    if got != format!("{open}{expected}{close}") {
        return Err(format!(
            "{what} with {value:?}: printed {got:?} ({})",
            r.command
        ));
    }
    Ok(())
}

#[test]
fn a_value_is_data_in_every_quoting_context() {
    for c in CONTEXTS {
        for v in HOSTILE {
            prints_exactly(c, v).unwrap();
        }
    }
}

/// Values made of what shells treat specially, and any text at all (an environment
/// variable cannot hold NUL).
fn value() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        proptest::string::string_regex("[a-z0-9 \t\n'\"\\\\$`(){}\\[\\]*?;&|<>#~!%=^,.:@+-]{0,24}")
            .unwrap(),
        any::<String>().prop_map(|s| s.replace('\0', "")),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    #[test]
    fn no_generated_value_escapes_its_quoting(v in value(), at in 0..CONTEXTS.len()) {
        if let Err(e) = prints_exactly(&CONTEXTS[at], &v) {
            proptest::prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn the_sample_disk_space_template_is_safe_with_a_hostile_mount() {
    // The pattern the first release's "Disk space" sample used: a placeholder inside
    // double quotes, which ran `$(id -un)` when values were spliced in.
    let t = template(
        "echo \"[{v}]\"",
        json!({"v": {"type": "string", "required": true}}),
    );
    let r = render(&t, &json!({"v": "$(id -un)"})).unwrap();
    assert_eq!(run(&r), "[$(id -un)]\n");
}

#[test]
fn placeholders_where_no_reference_is_safe_are_refused_at_save() {
    let string = json!({"v": {"type": "string"}});
    let integer = json!({"v": {"type": "integer"}});
    let problems = |cmd: &str, params: &Value| {
        check_template(&template(cmd, params.clone()))
            .unwrap_err()
            .join("; ")
    };
    assert!(problems("echo `ls {v}`", &string).contains("backticks"));
    assert!(problems("cat <<'EOF'\n{v}\nEOF", &string).contains("quoted here-document"));
    assert!(problems("echo $(( {v} + 1 ))", &string).contains("integer"));
    assert!(problems("echo \"{v}", &string).contains("unclosed double quote"));
    // An integer may be computed with.
    let t = template("echo $(( {v} * 60 ))", integer.clone());
    check_template(&t).unwrap();
    assert_eq!(run(&render(&t, &json!({"v": 2})).unwrap()), "120\n");
}

#[test]
fn bad_parameters_are_all_reported() {
    let t = template("v {database_name} {expected_table_count}", spec_params());
    let errs = render(
        &t,
        &json!({"database_name": "1bad;", "expected_table_count": "many", "extra": 1}),
    )
    .unwrap_err();
    assert_eq!(errs.len(), 3, "{errs:?}");
    let errs = render(&t, &json!({})).unwrap_err();
    assert_eq!(errs, vec!["parameters.database_name: required"]);
}

#[test]
fn secrets_are_redacted_and_enums_checked() {
    let t = template(
        "login {pw} {mode}",
        json!({"pw": {"type": "secret", "required": true}, "mode": {"type": "enum", "values": ["a", "b"], "default": "a"}}),
    );
    let r = render(&t, &json!({"pw": "hunter2"})).unwrap();
    assert!(
        !r.command.contains("hunter2"),
        "a secret in the command line"
    );
    assert_eq!(r.environment["GREENROOM_PARAM_pw"], "hunter2");
    assert_eq!(r.masked_environment["GREENROOM_PARAM_pw"], "***");
    assert_eq!(r.masked_environment["GREENROOM_PARAM_mode"], "a");
    assert_eq!(r.redacted_parameters, json!({"pw": "***", "mode": "a"}));
    assert_eq!(r.secrets, ["hunter2"]);
    assert_eq!(redact("token=hunter2 ok", &r.secrets), "token=*** ok");
    assert!(render(&t, &json!({"pw": "x", "mode": "c"})).is_err());
}

#[test]
fn integers_respect_their_bounds() {
    let t = template(
        "n {n}",
        json!({"n": {"type": "integer", "required": true, "min": 1, "max": 10}}),
    );
    assert_eq!(
        render(&t, &json!({"n": 5})).unwrap().environment["GREENROOM_PARAM_n"],
        "5"
    );
    let err = render(&t, &json!({"n": 11})).unwrap_err();
    assert!(
        err[0].contains("parameters.n") && err[0].contains("maximum 10"),
        "{err:?}"
    );
    assert!(render(&t, &json!({"n": 0})).unwrap_err()[0].contains("minimum 1"));
}

#[test]
fn templates_with_unknown_placeholders_or_bad_braces_are_refused() {
    let errs = check_template(&template("echo {nope}", json!({}))).unwrap_err();
    assert!(errs[0].contains("{nope}"), "{errs:?}");
    assert!(check_template(&template("echo {", json!({}))).is_err());
    assert!(check_template(&template("awk '{{print $1}}'", json!({}))).is_ok());
    let r = render(&template("awk '{{print $1}}'", json!({})), &Value::Null).unwrap();
    assert_eq!(r.command, "awk '{print $1}'");
}
