//! The path globs of `security.allowed_commands` and `security.forbidden_paths`, compiled
//! once (when the policy is built from the config) with `globset`, which matches in time
//! linear in the path whatever the pattern (its globs become regular expressions).
//!
//! Syntax: `*` and `?` stay within one path component; `**` as a whole component
//! (`/opt/**`, `/opt/**/bin/*`) crosses `/`; `[abc]`, `[!a-z]` and `{a,b}` as in a shell;
//! `\` escapes the next character. A `**` inside a component (`/opt/x**`) is refused by
//! config validation: it would only mean `*`, not "and everything below".
//!
//! A rule ending in `/*` or `/**` also covers its directory itself ([`Rules::covering`]):
//! `/root/*` covers `/root`.

use globset::{GlobBuilder, GlobMatcher};

/// One compiled rule, as written in the config.
#[derive(Debug, Clone)]
struct Rule {
    text: String,
    glob: GlobMatcher,
    /// The rule without its trailing `/*` / `/**`: the directory it also covers.
    base: Option<GlobMatcher>,
    /// The base as text, matched by a shell glob a job passes as an argument.
    base_text: String,
}

/// The compiled rules of one config field, in their order.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// Compiles one glob with the agent's semantics (`*` and `?` do not cross `/`).
pub fn compile(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
}

/// What is wrong with one rule, or None: absolute, a valid glob, `**` only as a whole
/// component.
fn problem(pattern: &str) -> Option<String> {
    if !pattern.starts_with('/') {
        return Some("must be an absolute path pattern".into());
    }
    if let Err(e) = compile(pattern) {
        return Some(format!("is not a valid glob: {}", e.kind()));
    }
    if pattern
        .split('/')
        .any(|component| component.contains("**") && component != "**")
    {
        return Some(
            "uses `**` inside a path component, where it means only `*`: `**` crosses `/` only as a whole component (`/opt/**`, `/opt/**/bin`)".into(),
        );
    }
    None
}

impl Rules {
    /// Compiles `patterns`; every bad rule is one message naming `field[i]` and the rule.
    pub fn compile<S: AsRef<str>>(field: &str, patterns: &[S]) -> Result<Self, Vec<String>> {
        let mut rules = Vec::new();
        let mut problems = Vec::new();
        for (i, pattern) in patterns.iter().map(AsRef::as_ref).enumerate() {
            if let Some(p) = problem(pattern) {
                problems.push(format!("{field}[{i}]: {pattern:?} {p}"));
                continue;
            }
            let base_text = pattern.trim_end_matches("/**").trim_end_matches("/*");
            let base = (base_text != pattern && !base_text.is_empty())
                .then(|| compile(base_text).ok())
                .flatten();
            match compile(pattern) {
                Ok(glob) => rules.push(Rule {
                    text: pattern.to_string(),
                    glob,
                    base,
                    base_text: base_text.to_string(),
                }),
                Err(e) => problems.push(format!(
                    "{field}[{i}]: {pattern:?} is not a valid glob: {}",
                    e.kind()
                )),
            }
        }
        if problems.is_empty() {
            Ok(Self { rules })
        } else {
            Err(problems)
        }
    }

    /// Rules from a list known to be valid (tests, tools); a bad rule panics.
    #[cfg(test)]
    pub fn of(patterns: &[&str]) -> Self {
        Self::compile("rules", patterns).expect("valid test rules")
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules as written.
    pub fn texts(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.text.clone()).collect()
    }

    /// The first rule whose glob matches `path`.
    pub fn matching(&self, path: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.glob.is_match(path))
            .map(|r| r.text.as_str())
    }

    /// The first rule that covers `path`: it matches, or `path` is the directory of a rule
    /// ending in `/*` or `/**`.
    pub fn covering(&self, path: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.glob.is_match(path) || r.base.as_ref().is_some_and(|b| b.is_match(path)))
            .map(|r| r.text.as_str())
    }

    /// The first rule a shell glob (a job's argument such as `/etc/pass*`) can name: the
    /// glob matches the rule's directory, or the rule matches the glob's text. A glob that
    /// does not compile is the shell's literal text, and only the second test applies.
    pub fn reachable_by_glob(&self, shell_glob: &str) -> Option<&str> {
        let word = compile(shell_glob).ok();
        self.rules
            .iter()
            .find(|r| {
                word.as_ref().is_some_and(|w| w.is_match(&r.base_text))
                    || r.glob.is_match(shell_glob)
            })
            .map(|r| r.text.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_do_not_cross_slashes_unless_a_whole_component() {
        let r = |p: &str| Rules::of(&[p]);
        assert!(r("/usr/bin/*").matching("/usr/bin/env").is_some());
        assert!(r("/usr/bin/*").matching("/usr/bin/x/y").is_none());
        assert!(r("/opt/**").matching("/opt/a/b/c.sh").is_some());
        assert!(r("/opt/**/bin/*").matching("/opt/a/b/bin/x").is_some());
        assert!(
            r("/opt/scripts/?.sh")
                .matching("/opt/scripts/a.sh")
                .is_some()
        );
        assert!(
            r("/opt/scripts/?.sh")
                .matching("/opt/scripts/ab.sh")
                .is_none()
        );
        assert!(r("/opt/scripts/*").matching("/opt/other/a").is_none());
        assert!(r("/bin/sh").matching("/bin/sh").is_some());
        assert!(r("/bin/sh").matching("/bin/shx").is_none());
        assert!(r("/usr/bin/{ls,cat}").matching("/usr/bin/cat").is_some());
        assert!(r("/dev/sd[a-c]").matching("/dev/sdb").is_some());
        assert!(r("/dev/sd[a-c]").matching("/dev/sdd").is_none());
        // Hidden files are not special.
        assert!(r("/home/*/*").matching("/home/u/.ssh").is_some());
    }

    #[test]
    fn a_directory_rule_covers_the_directory_itself() {
        let rules = Rules::of(&["/root/*", "/srv/**", "/etc/passwd"]);
        assert_eq!(rules.covering("/root"), Some("/root/*"));
        assert_eq!(rules.covering("/root/.ssh"), Some("/root/*"));
        assert_eq!(rules.covering("/srv"), Some("/srv/**"));
        assert_eq!(rules.covering("/srv/a/b"), Some("/srv/**"));
        assert_eq!(rules.covering("/etc/passwd"), Some("/etc/passwd"));
        assert_eq!(rules.covering("/etc"), None);
        assert_eq!(rules.covering("/rooted"), None);
        assert_eq!(
            rules.matching("/root"),
            None,
            "only `covering` adds the base"
        );
    }

    #[test]
    fn shell_globs_that_can_name_a_rule_are_found() {
        let rules = Rules::of(&["/etc/passwd", "/root/*"]);
        assert_eq!(rules.reachable_by_glob("/etc/pass*"), Some("/etc/passwd"));
        assert_eq!(rules.reachable_by_glob("/etc/p?sswd"), Some("/etc/passwd"));
        assert_eq!(rules.reachable_by_glob("/ro*"), Some("/root/*"));
        assert_eq!(rules.reachable_by_glob("/root/*.key"), Some("/root/*"));
        assert_eq!(rules.reachable_by_glob("/tmp/*"), None);
        // Not a glob the shell can expand: its text is what the program gets.
        assert_eq!(rules.reachable_by_glob("/tmp/[x"), None);
    }

    #[test]
    fn bad_rules_are_named_with_their_field_and_index() {
        let err = Rules::compile(
            "security.forbidden_paths",
            &["/ok/*", "rel/*", "/x/[", "/opt/x**", "/a/{b"],
        )
        .expect_err("invalid");
        assert_eq!(err.len(), 4, "{err:?}");
        assert!(err[0].starts_with("security.forbidden_paths[1]: \"rel/*\" must be an absolute"));
        assert!(
            err[1].starts_with("security.forbidden_paths[2]: \"/x/[\" is not a valid glob"),
            "{err:?}"
        );
        assert!(err[2].contains("[3]: \"/opt/x**\" uses `**` inside a path component"));
        assert!(
            err[3].contains("[4]: \"/a/{b\" is not a valid glob"),
            "{err:?}"
        );
        assert!(err.iter().all(|e| !e.contains('\n')));
    }

    /// The old home-made matcher backtracked exponentially: this pattern against a long
    /// component took hours. The bound only guards against a hang; it is no timing assert.
    #[test]
    fn pathological_patterns_do_not_backtrack() {
        let pattern = format!("/{}b", "*a".repeat(12));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rules = Rules::of(&[pattern.as_str()]);
            let mut hits = 0;
            for len in [60, 200, 1000, 4000] {
                let long = format!("/{}", "a".repeat(len));
                hits += usize::from(rules.matching(&long).is_some());
                hits += usize::from(rules.covering(&format!("{long}/x")).is_some());
                hits += usize::from(rules.reachable_by_glob(&format!("{long}*")).is_some());
            }
            let _ = tx.send(hits);
        });
        let hits = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("matching a pathological glob must not hang");
        assert_eq!(hits, 0);
    }
}
