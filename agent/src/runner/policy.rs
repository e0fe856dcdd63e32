//! The policy every job runs under (`execution:` and `security:` of the config), and the
//! checks made before anything runs: `allowed_commands` over every command word of a line,
//! `forbidden_paths` over every word, working directory, checked path and template parameter
//! value.
//!
//! `forbidden_paths` is a guard rail, not a sandbox: it sees the words of a command line
//! (relative ones resolved against the working directory, symlinks resolved), not what a
//! program later opens, and it does not follow `cd` or `$VAR` expansions.

use super::allow::{self, Refusal};
use super::globs::Rules;
use super::shellwords;
use crate::config::AgentConfig;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Shell builtins that start no program, allowed whatever `allowed_commands` says.
const HARMLESS_BUILTINS: &[&str] = &[
    "cd", ":", "true", "false", "exit", "export", "unset", "set", "test", "[", "echo", "printf",
    "shift", "wait", "umask", "read",
];

/// The policy a job runs under.
#[derive(Debug, Clone)]
pub struct Policy {
    pub default_timeout: u64,
    /// `security.resource_limits.execution_time`: caps every timeout.
    pub max_execution_time: Option<u64>,
    /// Memory of the job's process group, MiB (`RLIMIT_AS` per process plus a watchdog on
    /// the group's resident memory).
    pub memory_mb: Option<u64>,
    /// Share of one core over the job's wall timeout (`RLIMIT_CPU`).
    pub cpu_percent: Option<f64>,
    /// `security.allowed_commands`, compiled.
    pub allowed_commands: Rules,
    /// `security.forbidden_paths`, compiled.
    pub forbidden_paths: Rules,
    /// Working directory of jobs that name none (`execution.temp_directory`).
    pub default_working_dir: PathBuf,
    /// Bytes kept of each output stream (head and tail).
    pub output_cap: usize,
    pub kill_grace: Duration,
    /// Variables of the agent's environment that jobs must not inherit (those holding the
    /// enrollment token).
    pub env_remove: Vec<String>,
}

impl Policy {
    /// The policy of a config file; its globs are compiled here, once. A config that passed
    /// validation always gives one; otherwise the error names every bad rule.
    pub fn from_config(cfg: &AgentConfig) -> Result<Self, String> {
        let limits = &cfg.security.resource_limits;
        let allowed = Rules::compile("security.allowed_commands", &cfg.security.allowed_commands);
        let forbidden = Rules::compile("security.forbidden_paths", &cfg.security.forbidden_paths);
        let (allowed_commands, forbidden_paths) = match (allowed, forbidden) {
            (Ok(a), Ok(f)) => (a, f),
            (a, f) => {
                let problems: Vec<String> =
                    [a.err(), f.err()].into_iter().flatten().flatten().collect();
                return Err(problems.join("; "));
            }
        };
        Ok(Self {
            default_timeout: cfg.execution.default_timeout,
            max_execution_time: limits.execution_time,
            memory_mb: limits.memory_mb,
            cpu_percent: limits.cpu_percent,
            allowed_commands,
            forbidden_paths,
            default_working_dir: cfg.execution.temp_directory.clone(),
            output_cap: (cfg.execution.max_output_kb as usize).saturating_mul(1024),
            kill_grace: super::KILL_GRACE,
            env_remove: super::secret_env_names(cfg.auth_token()),
        })
    }

    /// A permissive policy for tests and tools: no limits, no rules.
    pub fn unrestricted() -> Self {
        Self {
            default_timeout: 300,
            max_execution_time: None,
            memory_mb: None,
            cpu_percent: None,
            allowed_commands: Rules::default(),
            forbidden_paths: Rules::default(),
            default_working_dir: PathBuf::from("/"),
            output_cap: super::OUTPUT_CAP,
            kill_grace: super::KILL_GRACE,
            env_remove: Vec::new(),
        }
    }

    /// Seconds a job may run: what it asks for (or the default), capped by the policy.
    pub fn timeout_for(&self, asked: Option<u64>) -> u64 {
        let t = asked.unwrap_or(self.default_timeout).max(1);
        self.max_execution_time.map_or(t, |cap| t.min(cap.max(1)))
    }

    /// `RLIMIT_CPU` seconds for a job with this wall timeout, when `cpu_percent` is set.
    pub fn cpu_seconds_for(&self, timeout: u64) -> Option<u64> {
        self.cpu_percent
            .map(|p| ((timeout as f64) * p / 100.0).ceil().max(1.0) as u64)
    }

    /// Refuses `path` (a file a check reads, or a working directory) when a
    /// `forbidden_paths` rule covers it.
    pub fn check_path(&self, path: &Path, what: &str) -> Result<(), Refusal> {
        match self.forbidden_rule(path) {
            Some(rule) => Err(Refusal::Forbidden {
                what: what.to_string(),
                path: path.display().to_string(),
                rule,
            }),
            None => Ok(()),
        }
    }

    /// Checks a command before it runs: every command word against `allowed_commands`, every
    /// word against `forbidden_paths`. `words` is argv when `shell` is false.
    pub fn check_command(
        &self,
        line: &str,
        argv: Option<&[String]>,
        cwd: &Path,
        path_var: Option<&str>,
    ) -> Result<(), Refusal> {
        self.check_path(cwd, "working directory")?;
        let (commands, words): (Vec<String>, Vec<String>) = match argv {
            Some(argv) => (argv.first().cloned().into_iter().collect(), argv.to_vec()),
            None => {
                let parsed = shellwords::parse(line);
                if let Some(reason) = &parsed.unsafe_reason
                    && !self.allowed_commands.is_empty()
                {
                    return Err(Refusal::Unparseable {
                        reason: reason.clone(),
                    });
                }
                let words: Vec<String> = if parsed.unsafe_reason.is_some() {
                    // Still look at every whitespace-separated piece for forbidden paths.
                    line.split(|c: char| c.is_whitespace() || "'\"`;|&()<>".contains(c))
                        .filter(|w| !w.is_empty())
                        .map(str::to_string)
                        .collect()
                } else {
                    parsed.all_words().map(str::to_string).collect()
                };
                let commands = parsed
                    .segments
                    .iter()
                    .filter_map(|s| s.words.first().cloned())
                    .collect();
                (commands, words)
            }
        };
        for word in &words {
            for candidate in path_candidates(word) {
                if let Some(rule) = self.forbidden_word(&candidate, cwd) {
                    return Err(Refusal::Forbidden {
                        what: "argument".to_string(),
                        path: candidate,
                        rule,
                    });
                }
            }
        }
        for program in &commands {
            if argv.is_none() && HARMLESS_BUILTINS.contains(&program.as_str()) {
                continue;
            }
            if let Some(resolved) = allow::resolve(program, cwd, path_var) {
                self.check_path(&resolved, "program")?;
            }
            allow::check(program, &self.allowed_commands, cwd, path_var)?;
        }
        Ok(())
    }

    /// Checks the values of template parameters (`GREENROOM_PARAM_<name>` in the job's
    /// environment: the hub hands values to commands only that way) against
    /// `forbidden_paths`, each whitespace-separated piece as a command word would be.
    pub fn check_parameters<'a>(
        &self,
        env: impl IntoIterator<Item = (&'a String, &'a String)>,
        cwd: &Path,
    ) -> Result<(), Refusal> {
        for (name, value) in env {
            let Some(param) = name.strip_prefix(greenroom_proto::PARAM_ENV_PREFIX) else {
                continue;
            };
            for word in value.split_whitespace() {
                for candidate in path_candidates(word) {
                    if let Some(rule) = self.forbidden_word(&candidate, cwd) {
                        return Err(Refusal::Forbidden {
                            what: format!("value of parameter {param}"),
                            path: candidate,
                            rule,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn forbidden_word(&self, word: &str, cwd: &Path) -> Option<String> {
        if self.forbidden_paths.is_empty() {
            return None;
        }
        let abs = if word.starts_with('/') {
            PathBuf::from(word)
        } else {
            cwd.join(word)
        };
        if word.contains(['*', '?', '[', '{']) {
            // A glob the shell may expand: refused if it can name a forbidden path.
            let pattern = normalize(&abs).display().to_string();
            if let Some(rule) = self.forbidden_paths.reachable_by_glob(&pattern) {
                return Some(rule.to_string());
            }
        }
        self.forbidden_rule(&abs)
    }

    /// The rule that covers `path` (or one of its parents), lexically or once symlinks are
    /// resolved.
    fn forbidden_rule(&self, path: &Path) -> Option<String> {
        if self.forbidden_paths.is_empty() {
            return None;
        }
        let lexical = normalize(path);
        let resolved = canonical_lenient(&lexical);
        for candidate in [&lexical, &resolved] {
            for ancestor in candidate.ancestors() {
                let Some(text) = ancestor.to_str() else {
                    continue;
                };
                if let Some(rule) = self.forbidden_paths.covering(text) {
                    return Some(rule.to_string());
                }
            }
        }
        None
    }
}

/// The pieces of a word that may name a path: the word, and what follows `=` or `:` in it
/// (`--file=/etc/passwd`, `a:/etc/passwd`). Options (`-x`) name none.
fn path_candidates(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    if !word.starts_with('-') && !word.is_empty() {
        out.push(word.to_string());
    }
    for piece in word.split(['=', ':', ',']).skip(1) {
        if piece.contains('/') {
            out.push(piece.to_string());
        }
    }
    out
}

/// Removes `.` and `..` lexically.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `canonicalize` of the longest existing prefix, with the rest appended: symlinks are
/// resolved even for a file that does not exist yet.
fn canonical_lenient(p: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut cur = p.to_path_buf();
    loop {
        if let Ok(c) = std::fs::canonicalize(&cur) {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (cur.file_name().map(|n| n.to_os_string()), cur.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                cur = parent.to_path_buf();
            }
            _ => return p.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allowed: &[&str], forbidden: &[&str]) -> Policy {
        Policy {
            allowed_commands: Rules::of(allowed),
            forbidden_paths: Rules::of(forbidden),
            ..Policy::unrestricted()
        }
    }

    fn shell_check(p: &Policy, line: &str) -> Result<(), String> {
        p.check_command(line, None, Path::new("/tmp"), None)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn forbidden_paths_catch_arguments_redirections_and_tricks() {
        let p = policy(&[], &["/etc/passwd", "/root/*"]);
        for line in [
            "cat /etc/passwd",
            "cat < /etc/passwd",
            "cat /etc/../etc/./passwd",
            "grep x --file=/etc/passwd",
            "ls /root",
            "cat /root/.ssh/id_rsa",
            "cat /etc/pass*",
            "cat ../etc/passwd",
        ] {
            let err = shell_check(&p, line).expect_err(line);
            assert!(err.contains("security.forbidden_paths"), "{line}: {err}");
        }
        assert!(shell_check(&p, "cat /etc/hostname; ls /tmp").is_ok());
        let err = p
            .check_command("ls", None, Path::new("/root"), None)
            .expect_err("cwd");
        assert!(err.to_string().contains("working directory"), "{err}");
    }

    #[test]
    fn parameter_values_are_checked_like_command_words() {
        let p = policy(&[], &["/etc/passwd", "/root/*"]);
        let env =
            |k: &str, v: &str| std::collections::BTreeMap::from([(k.to_string(), v.to_string())]);
        for (name, value) in [
            ("GREENROOM_PARAM_file", "/etc/passwd"),
            ("GREENROOM_PARAM_file", "../etc/passwd"),
            ("GREENROOM_PARAM_args", "-n 5 --from=/root/.ssh/id_rsa"),
            ("GREENROOM_PARAM_glob", "/etc/pass*"),
        ] {
            let err = p
                .check_parameters(&env(name, value), Path::new("/tmp"))
                .expect_err(value)
                .to_string();
            assert!(
                err.contains("security.forbidden_paths") && err.contains("value of parameter"),
                "{value}: {err}"
            );
        }
        // Other variables and harmless values pass.
        assert!(
            p.check_parameters(
                &env("GREENROOM_PARAM_file", "/etc/hostname"),
                Path::new("/tmp")
            )
            .is_ok()
        );
        assert!(
            p.check_parameters(&env("CONFIG", "/etc/passwd"), Path::new("/tmp"))
                .is_ok()
        );
    }

    #[test]
    fn symlinks_to_forbidden_paths_are_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("secret");
        std::fs::create_dir(&secret).expect("mkdir");
        let link = dir.path().join("innocent");
        std::os::unix::fs::symlink(&secret, &link).expect("symlink");
        let rule = format!("{}/**", secret.display());
        let p = policy(&[], &[rule.as_str()]);
        let line = format!("cat {}/new-file", link.display());
        assert!(shell_check(&p, &line).is_err(), "{line}");
    }

    #[test]
    fn the_allowlist_applies_to_every_command_of_a_line() {
        let p = policy(&["/usr/bin/*", "/bin/*"], &[]);
        assert!(shell_check(&p, "echo hi; ls /tmp | grep x && true").is_ok());
        let p = policy(&["/usr/bin/ls", "/bin/ls"], &[]);
        let err = shell_check(&p, "ls /tmp; cat /etc/hostname").expect_err("cat");
        assert!(
            err.contains("allowed_commands") && err.contains("cat"),
            "{err}"
        );
        let err = shell_check(&p, "ls $(whoami)").expect_err("substitution");
        assert!(err.contains("cannot be checked"), "{err}");
        // Without an allowlist an unusual line is the shell's business.
        assert!(shell_check(&policy(&[], &[]), "ls $(whoami)").is_ok());
    }

    /// A pathological rule against long arguments: the old matcher backtracked
    /// exponentially here (hours). The bound guards against a hang, it is no timing assert.
    #[test]
    fn pathological_rules_against_long_paths_do_not_hang() {
        let rule = format!("/{}b", "*a".repeat(12));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let p = policy(&[rule.as_str()], &[rule.as_str()]);
            let long = format!("/{}", "a".repeat(2000));
            let line = format!("cat {long} {long}/x {long}* --file={long}");
            let _ = tx.send((
                shell_check(&p, &line),
                p.check_path(Path::new(&long), "path"),
            ));
        });
        let (line, path) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("checking a pathological rule must not hang");
        assert!(path.is_ok(), "{path:?}");
        let err = line.expect_err("cat is not allowed by the rule");
        assert!(err.contains("security.allowed_commands"), "{err}");
    }

    #[test]
    fn cpu_seconds_follow_the_wall_timeout() {
        let mut p = Policy::unrestricted();
        assert_eq!(p.cpu_seconds_for(60), None);
        p.cpu_percent = Some(50.0);
        assert_eq!(p.cpu_seconds_for(60), Some(30));
        assert_eq!(p.cpu_seconds_for(1), Some(1));
    }
}
