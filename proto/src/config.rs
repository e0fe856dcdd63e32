//! Loading the YAML config files of the hub and the agent: `${VAR}` expansion and one clear
//! error naming the field that is wrong.
//!
//! `${VAR}` is replaced by the environment variable's value and is an error when it is unset;
//! `${VAR:-default}` falls back to `default`; `$$` is a literal `$`.

use serde::de::DeserializeOwned;

/// A config file that could not be used; `Display` is the one line shown to the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Expands `${VAR}` / `${VAR:-default}` using `lookup`.
pub fn expand_vars(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {:?}", truncate(&rest[pos..])))?;
            let expr = &body[..end];
            let (name, default) = match expr.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (expr, None),
            };
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!("invalid variable name {name:?} in ${{{expr}}}"));
            }
            match (lookup(name), default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(format!(
                        "environment variable {name} is not set (used as ${{{name}}})"
                    ));
                }
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn truncate(s: &str) -> &str {
    let end = s.char_indices().nth(40).map(|(i, _)| i).unwrap_or(s.len());
    &s[..end]
}

/// Parses YAML text (after `${VAR}` expansion from the process environment) into `T`;
/// `source` names the file in the error.
pub fn load_yaml<T: DeserializeOwned>(text: &str, source: &str) -> Result<T, ConfigError> {
    load_yaml_with(text, source, |k| std::env::var(k).ok())
}

/// As [`load_yaml`], with an explicit variable lookup (for tests).
pub fn load_yaml_with<T: DeserializeOwned>(
    text: &str,
    source: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<T, ConfigError> {
    // Every message may quote the text (a value, a key, a `${…}` expression): a password in
    // it is masked.
    let masked = |text: String| ConfigError(crate::secrets::mask_secrets_in_text(&text));
    let expanded = expand_vars(text, lookup).map_err(|e| masked(format!("{source}: {e}")))?;
    let de = serde_yaml::Deserializer::from_str(&expanded);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let text = if path == "." || path.is_empty() {
            format!("{source}: {inner}")
        } else {
            format!("{source}: field `{path}`: {inner}")
        };
        masked(text)
    })
}

/// Reads and parses a config file; errors name the file and the field.
pub fn load_yaml_file<T: DeserializeOwned>(path: &std::path::Path) -> Result<T, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("{name}: cannot read: {e}")))?;
    load_yaml(&text, &name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn env(k: &str) -> Option<String> {
        (k == "HOME_DIR").then(|| "/srv".to_string())
    }

    #[test]
    fn variables_expand_with_defaults_and_escapes() {
        assert_eq!(
            expand_vars("a ${HOME_DIR}/x $$5 ${NOPE:-d}", env).unwrap(),
            "a /srv/x $5 d"
        );
        assert!(
            expand_vars("${NOPE}", env)
                .unwrap_err()
                .contains("NOPE is not set")
        );
        assert!(expand_vars("${bad name}", env).is_err());
        assert!(expand_vars("${OPEN", env).unwrap_err().contains("unclosed"));
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[allow(dead_code)]
        inner: Inner,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        port: u16,
    }

    #[test]
    fn errors_never_repeat_a_connection_string_password() {
        // A value from the environment put where it does not belong: the parser's message
        // quotes it, with its password masked.
        let secret = |_: &str| Some("postgresql://app:pw-Fz9%20x@db/app".to_string());
        let err = load_yaml_with::<Outer>("inner:\n  port: \"${DB_URL}\"\n", "x.yaml", secret)
            .unwrap_err();
        assert!(err.0.starts_with("x.yaml: field `inner.port`"), "{err}");
        assert!(!err.0.contains("pw-Fz9"), "{err}");
        assert!(err.0.contains("postgresql://app:***@db/app"), "{err}");
        // As a key (an unknown field): the path quotes it.
        let err =
            load_yaml_with::<Outer>("inner:\n  ${DB_URL}: 1\n", "x.yaml", secret).unwrap_err();
        assert!(!err.0.contains("pw-Fz9"), "{err}");
        // Written in the file inside a broken `${…}`: the expansion error quotes it.
        let err = load_yaml_with::<Outer>(
            "inner: ${X \"postgresql://app:pw-Fz9@db/app\" y}\n",
            "x.yaml",
            secret,
        )
        .unwrap_err();
        assert!(err.0.contains("invalid variable name"), "{err}");
        assert!(!err.0.contains("pw-Fz9"), "{err}");
    }

    #[test]
    fn errors_name_the_field() {
        let err = load_yaml_with::<Outer>("inner:\n  port: banana\n", "x.yaml", env).unwrap_err();
        assert!(err.0.starts_with("x.yaml: field `inner.port`"), "{err}");
        let err = load_yaml_with::<Outer>("inner:\n  port: 1\n  colour: red\n", "x.yaml", env)
            .unwrap_err();
        assert!(err.0.contains("colour"), "{err}");
    }
}
