//! Action templates: checking a template when it is saved, and rendering its
//! `command_template` with typed, validated parameters.
//!
//! A parameter value is never part of the command's text. Each `{name}` becomes a reference
//! to the environment variable `GREENROOM_PARAM_name`, written for where it stands (see
//! `shell`): `"${GREENROOM_PARAM_name}"` bare, `${GREENROOM_PARAM_name}` inside double
//! quotes, `'"${…}"'` inside single quotes. The shell expands a variable once and never
//! reads its value as code, so `$(…)`, backticks, quotes, `${IFS}` or newlines in a value
//! stay data in every context. Where that cannot hold — inside backticks, a quoted
//! here-document, or arithmetic for a value that is not an integer — the template is
//! refused when it is saved. Secret values travel only in the job's environment (not in
//! `ps` output) and are redacted wherever the execution is shown.

mod shell;

use crate::model::{ActionTemplate, ParamKind, ParameterSpec};
use serde_json::{Map, Value};
use shell::Context;
use std::collections::BTreeMap;

/// Shown instead of a secret parameter's value.
pub const REDACTED: &str = "***";

/// One piece of a parsed command template.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Param(&'a str),
}

/// Splits `a {x} b` into text and parameter pieces; `{{` and `}}` are literal braces.
fn parse(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut text_start = 0usize;
    let bytes = template.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                out.push(Piece::Text(&template[text_start..=i]));
                i += 2;
                text_start = i;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                out.push(Piece::Text(&template[text_start..=i]));
                i += 2;
                text_start = i;
            }
            b'{' => {
                let end = template[i..]
                    .find('}')
                    .ok_or_else(|| format!("unclosed '{{' at position {i}"))?
                    + i;
                out.push(Piece::Text(&template[text_start..i]));
                let name = &template[i + 1..end];
                if !valid_name(name) {
                    return Err(format!("invalid placeholder {{{name}}} at position {i}"));
                }
                out.push(Piece::Param(name));
                i = end + 1;
                text_start = i;
            }
            b'}' => {
                return Err(format!(
                    "unmatched '}}' at position {i} (write '}}}}' for a literal brace)"
                ));
            }
            _ => i += 1,
        }
    }
    out.push(Piece::Text(&template[text_start..]));
    out.retain(|p| *p != Piece::Text(""));
    Ok(out)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The environment variable that carries a parameter's value to the command.
pub fn env_name(param: &str) -> String {
    format!("{}{param}", greenroom_proto::PARAM_ENV_PREFIX)
}

/// A reference to parameter `name`'s variable, written for where it stands.
fn reference(name: &str, ctx: Context) -> String {
    let var = format!("${{{}}}", env_name(name));
    match ctx {
        Context::Bare | Context::Comment => format!("\"{var}\""),
        Context::Double | Context::Heredoc | Context::Arithmetic => var,
        Context::Single => format!("'\"{var}\"'"),
        Context::AnsiC => format!("'\"{var}\"$'"),
        // Refused when the template is checked; never rendered.
        Context::Backtick | Context::QuotedHeredoc => var,
    }
}

/// Where each placeholder stands (in order), or why the template cannot be rendered safely.
fn contexts(t: &ActionTemplate, pieces: &[Piece<'_>]) -> Result<Vec<Context>, Vec<String>> {
    let mut reader = shell::Reader::default();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Text(s) => reader.text(s),
            Piece::Param(name) => {
                let ctx = reader.context();
                let integer = t
                    .parameters
                    .get(*name)
                    .is_some_and(|p| p.kind == ParamKind::Integer);
                match ctx {
                    Context::Backtick => problems.push(format!(
                        "command_template: placeholder {{{name}}} is inside backticks, whose contents the shell reads twice; use $( ) instead"
                    )),
                    Context::QuotedHeredoc => problems.push(format!(
                        "command_template: placeholder {{{name}}} is inside a quoted here-document, where nothing expands; use an unquoted one (<<EOF)"
                    )),
                    Context::Arithmetic if !integer => problems.push(format!(
                        "command_template: placeholder {{{name}}} is inside $(( )), where the shell evaluates it; only integer parameters may go there"
                    )),
                    _ => {}
                }
                reader.placeholder();
                out.push(ctx);
            }
        }
    }
    if let Some(open) = reader.unclosed() {
        problems.push(format!("command_template: ends inside {open}"));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Checks a template before it is saved; every problem at once.
pub fn check_template(t: &ActionTemplate) -> Result<(), Vec<String>> {
    let mut p = Vec::new();
    if t.name.trim().is_empty() {
        p.push("name: must not be empty".to_string());
    }
    if t.command_template.trim().is_empty() {
        p.push("command_template: must not be empty".into());
    }
    for (name, spec) in &t.parameters {
        if !valid_name(name) {
            p.push(format!("parameters.{name}: invalid name (letters, digits and '_', not starting with a digit)"));
        }
        if let Some(re) = &spec.validation
            && let Err(e) = regex::Regex::new(re)
        {
            p.push(format!(
                "parameters.{name}.validation: not a valid regular expression: {e}"
            ));
        }
        if spec.kind == ParamKind::Enum && spec.values.is_empty() {
            p.push(format!(
                "parameters.{name}.values: an enum parameter needs its allowed values"
            ));
        }
        if let Some(d) = spec.default.as_ref().filter(|d| !d.is_null())
            && let Err(e) = coerce(name, spec, d)
        {
            p.push(format!("parameters.{name}.default: {e}"));
        }
    }
    match parse(&t.command_template) {
        Ok(pieces) => {
            for piece in &pieces {
                if let Piece::Param(name) = piece
                    && !t.parameters.contains_key(*name)
                {
                    p.push(format!(
                        "command_template: placeholder {{{name}}} is not a declared parameter"
                    ));
                }
            }
            if let Err(problems) = contexts(t, &pieces) {
                p.extend(problems);
            }
        }
        Err(e) => p.push(format!("command_template: {e}")),
    }
    if t.execution_config.timeout_seconds == 0
        || t.execution_config.timeout_seconds > greenroom_proto::action::MAX_TIMEOUT_SECS
    {
        p.push("execution_config.timeout_seconds: must be between 1 and 86400".into());
    }
    if p.is_empty() { Ok(()) } else { Err(p) }
}

/// A value checked against its parameter's type, as the text that goes into the command.
fn coerce(name: &str, spec: &ParameterSpec, v: &Value) -> Result<String, String> {
    let text = match (spec.kind, v) {
        (ParamKind::String | ParamKind::Secret | ParamKind::Enum, Value::String(s)) => s.clone(),
        (ParamKind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        (ParamKind::Integer, Value::String(s)) if s.parse::<i64>().is_ok() => s.clone(),
        (ParamKind::Boolean, Value::Bool(b)) => b.to_string(),
        (kind, other) => return Err(format!("expected {kind:?} value, got {other}").to_lowercase()),
    };
    if text.contains('\0') {
        return Err("must not contain NUL bytes".into());
    }
    if spec.kind == ParamKind::Integer {
        let n: i64 = text
            .parse()
            .map_err(|_| format!("{text:?} is not an integer"))?;
        if let Some(min) = spec.min
            && n < min
        {
            return Err(format!("{n} is less than the minimum {min}"));
        }
        if let Some(max) = spec.max
            && n > max
        {
            return Err(format!("{n} is more than the maximum {max}"));
        }
    }
    if spec.kind == ParamKind::Enum && !spec.values.contains(&text) {
        return Err(format!("{text:?} is not one of {:?}", spec.values));
    }
    if let Some(re) = &spec.validation {
        let re = regex::Regex::new(&format!("^(?:{re})$"))
            .map_err(|e| format!("{name}: bad validation pattern: {e}"))?;
        if !re.is_match(&text) {
            return Err(if spec.kind == ParamKind::Secret {
                "does not match its validation pattern".to_string()
            } else {
                format!(
                    "{text:?} does not match {:?}",
                    spec.validation.as_deref().unwrap_or("")
                )
            });
        }
    }
    Ok(text)
}

/// A template rendered for one execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The command to run: it refers to the values, it does not contain them.
    pub command: String,
    /// The values, as the environment of the command (`GREENROOM_PARAM_<name>`).
    pub environment: BTreeMap<String, String>,
    /// The environment with every secret value shown as `***`: what people may see.
    pub masked_environment: BTreeMap<String, String>,
    /// The parameters as given (with defaults applied), secrets replaced by `***`.
    pub redacted_parameters: Value,
    /// The secret values, so output that echoes one can be masked too.
    pub secrets: Vec<String>,
}

/// Replaces every occurrence of each secret value in `text` with `***`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), REDACTED))
}

/// Renders the template's command with `params`; every problem at once.
pub fn render(t: &ActionTemplate, params: &Value) -> Result<Rendered, Vec<String>> {
    let empty = Map::new();
    let given = match params {
        Value::Object(m) => m,
        Value::Null => &empty,
        _ => return Err(vec!["parameters: must be an object".into()]),
    };
    let mut p = Vec::new();
    for k in given.keys() {
        if !t.parameters.contains_key(k) {
            p.push(format!(
                "parameters.{k}: not a parameter of template {:?}",
                t.name
            ));
        }
    }
    let mut values: BTreeMap<&str, String> = BTreeMap::new();
    let mut redacted = Map::new();
    for (name, spec) in &t.parameters {
        let v = given
            .get(name)
            .filter(|v| !v.is_null())
            .or(spec.default.as_ref().filter(|d| !d.is_null()));
        match v {
            None if spec.required => p.push(format!("parameters.{name}: required")),
            None => {
                values.insert(name, String::new());
            }
            Some(v) => match coerce(name, spec, v) {
                Ok(text) => {
                    let shown = if spec.kind == ParamKind::Secret {
                        Value::from(REDACTED)
                    } else {
                        v.clone()
                    };
                    redacted.insert(name.clone(), shown);
                    values.insert(name, text);
                }
                Err(e) => p.push(format!("parameters.{name}: {e}")),
            },
        }
    }
    let pieces = parse(&t.command_template).map_err(|e| vec![format!("command_template: {e}")])?;
    let ctxs = contexts(t, &pieces)?;
    if !p.is_empty() {
        return Err(p);
    }
    let mut command = String::new();
    let mut ctxs = ctxs.into_iter();
    for piece in &pieces {
        match piece {
            Piece::Text(s) => command.push_str(s),
            Piece::Param(name) => {
                command.push_str(&reference(name, ctxs.next().unwrap_or(Context::Bare)))
            }
        }
    }
    let mut environment = BTreeMap::new();
    let mut masked_environment = BTreeMap::new();
    for (name, spec) in &t.parameters {
        let value = values.get(name.as_str()).cloned().unwrap_or_default();
        let shown = if spec.kind == ParamKind::Secret && !value.is_empty() {
            REDACTED.to_string()
        } else {
            value.clone()
        };
        environment.insert(env_name(name), value);
        masked_environment.insert(env_name(name), shown);
    }
    let secrets = t
        .parameters
        .iter()
        .filter(|(_, p)| p.kind == ParamKind::Secret)
        .filter_map(|(name, _)| values.get(name.as_str()).filter(|v| !v.is_empty()).cloned())
        .collect();
    Ok(Rendered {
        command,
        environment,
        masked_environment,
        redacted_parameters: Value::Object(redacted),
        secrets,
    })
}

#[cfg(test)]
mod tests {
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
            proptest::string::string_regex(
                "[a-z0-9 \t\n'\"\\\\$`(){}\\[\\]*?;&|<>#~!%=^,.:@+-]{0,24}"
            )
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
}
