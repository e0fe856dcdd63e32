//! `security.allowed_commands`: which programs a job may start.
//!
//! The program is the first word of the command, resolved through `PATH` (the job's own
//! `PATH` when it sets one) to an absolute path, and matched against each glob: `*` and `?`
//! do not cross `/`, `**` does. A symlinked program is allowed when either its path or its
//! target matches. For `shell: true` lines the policy calls this for every command word
//! (see `policy` and `shellwords`).

use super::globs::Rules;
use std::path::{Path, PathBuf};

/// Why a program was refused; `Display` is the line put in the failed result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound {
        program: String,
    },
    NoRuleMatches {
        program: PathBuf,
        rules: Vec<String>,
    },
    /// A shell line whose commands cannot all be seen, while an allowlist is set.
    Unparseable {
        reason: String,
    },
    /// A `forbidden_paths` rule covers a path the job names.
    Forbidden {
        what: String,
        path: String,
        rule: String,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotFound { program } => write!(
                f,
                "refused by security.allowed_commands: program {program:?} was not found in PATH, so no rule can allow it"
            ),
            Refusal::NoRuleMatches { program, rules } => write!(
                f,
                "refused by security.allowed_commands: program {} matches none of the rules {rules:?}",
                program.display()
            ),
            Refusal::Unparseable { reason } => write!(
                f,
                "refused by security.allowed_commands: the shell line uses {reason}, so its commands cannot be checked"
            ),
            Refusal::Forbidden { what, path, rule } => write!(
                f,
                "refused by security.forbidden_paths rule {rule:?}: the {what} {path:?} is covered by it"
            ),
        }
    }
}

/// Checks `program` (as written in the command) against `rules`; an empty list allows all.
pub fn check(
    program: &str,
    rules: &Rules,
    cwd: &Path,
    path_var: Option<&str>,
) -> Result<(), Refusal> {
    if rules.is_empty() {
        return Ok(());
    }
    let Some(resolved) = resolve(program, cwd, path_var) else {
        return Err(Refusal::NotFound {
            program: program.to_string(),
        });
    };
    let canonical = std::fs::canonicalize(&resolved).ok();
    let matches = |p: &Path| p.to_str().is_some_and(|s| rules.matching(s).is_some());
    if matches(&resolved) || canonical.as_deref().is_some_and(matches) {
        Ok(())
    } else {
        Err(Refusal::NoRuleMatches {
            program: resolved,
            rules: rules.texts(),
        })
    }
}

/// The first word of a shell command line (quotes honoured where they parse).
pub fn first_word(command: &str) -> Option<String> {
    match shlex::split(command) {
        Some(words) => words.into_iter().next(),
        None => command.split_whitespace().next().map(str::to_string),
    }
}

/// Resolves a program name as `execvp` would: a name with a `/` is a path (relative to
/// `cwd`), anything else is looked up in `PATH`.
pub fn resolve(program: &str, cwd: &Path, path_var: Option<&str>) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    if program.contains('/') {
        let p = Path::new(program);
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            cwd.join(p)
        };
        return Some(super::policy::normalize(&p));
    }
    let default_path;
    let path_var = match path_var {
        Some(p) => p,
        None => {
            default_path = std::env::var("PATH")
                .unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_string());
            &default_path
        }
    };
    path_var
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| {
            let d = Path::new(d);
            if d.is_absolute() {
                d.join(program)
            } else {
                cwd.join(d).join(program)
            }
        })
        .find(|candidate| is_executable(candidate))
        .map(|p| super::policy::normalize(&p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_resolve_through_path_and_dotdot_is_normalised() {
        let cwd = Path::new("/");
        let sh = resolve("sh", cwd, Some("/nonexistent:/bin:/usr/bin")).expect("sh is somewhere");
        assert!(sh.ends_with("sh"));
        assert_eq!(resolve("no-such-program-xyz", cwd, Some("/bin")), None);
        assert_eq!(
            resolve("/usr/bin/../../tmp/x", cwd, None),
            Some(PathBuf::from("/tmp/x"))
        );
        assert_eq!(
            resolve("./run.sh", Path::new("/opt/app"), None),
            Some(PathBuf::from("/opt/app/run.sh"))
        );
    }

    #[test]
    fn check_names_the_rules_when_refusing() {
        let rules = Rules::of(&["/opt/scripts/*"]);
        let err = check("sh", &rules, Path::new("/"), None).expect_err("refused");
        let msg = err.to_string();
        assert!(
            msg.contains("security.allowed_commands") && msg.contains("/opt/scripts/*"),
            "{msg}"
        );
        assert!(check("sh", &Rules::default(), Path::new("/"), None).is_ok());
        assert!(
            check(
                "/bin/sh",
                &Rules::of(&["/bin/*", "/usr/bin/*"]),
                Path::new("/"),
                None
            )
            .is_ok()
        );
        assert_eq!(
            first_word("'/opt/my script' --x"),
            Some("/opt/my script".to_string())
        );
    }
}
