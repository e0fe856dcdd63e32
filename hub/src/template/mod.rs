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
mod tests;
