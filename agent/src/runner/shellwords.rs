//! A conservative reader of `/bin/sh` command lines, for the policy: it finds the command
//! word of every simple command (`;`, `&&`, `||`, `|`, `&` and newlines separate them) and
//! every other word (arguments, redirection targets) so that `allowed_commands` and
//! `forbidden_paths` can look at all of them.
//!
//! It does not try to understand the whole shell language. Anything that could run a command
//! it cannot see — command substitution (`$(…)`, backticks), process substitution,
//! subshells and groups, control keywords, a command word that is computed (`$X`, globs) —
//! makes the line [`Parsed::unsafe_reason`] say why; the policy then refuses the line when
//! an allowlist is set.

/// A simple command: its words, quotes removed, in order; redirection targets separately.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segment {
    /// `VAR=value` prefixes are dropped; the first word is the command word.
    pub words: Vec<String>,
    /// Files named after `<`, `>`, `>>` and friends.
    pub redirect_targets: Vec<String>,
}

/// What [`parse`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub segments: Vec<Segment>,
    /// Set when the line uses a construct this reader does not follow.
    pub unsafe_reason: Option<String>,
}

impl Parsed {
    /// Every word and redirection target of the line.
    pub fn all_words(&self) -> impl Iterator<Item = &str> {
        self.segments
            .iter()
            .flat_map(|s| s.words.iter().chain(s.redirect_targets.iter()))
            .map(String::as_str)
    }
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "function", "select", "!", "{", "}", "[[", "]]",
];

#[derive(Default)]
struct Builder {
    parsed: Parsed,
    current: Segment,
    word: String,
    /// Whether `word` has started (an empty quoted string is a word).
    in_word: bool,
    /// Whether `word` has an unquoted `$`, `*`, `?` or `[` (its value is computed).
    computed: bool,
    redirect_next: bool,
}

impl Builder {
    fn flag(&mut self, reason: impl Into<String>) {
        if self.parsed.unsafe_reason.is_none() {
            self.parsed.unsafe_reason = Some(reason.into());
        }
    }

    fn end_word(&mut self) {
        if !self.in_word {
            return;
        }
        let word = std::mem::take(&mut self.word);
        let computed = std::mem::take(&mut self.computed);
        self.in_word = false;
        if self.redirect_next {
            self.redirect_next = false;
            self.current.redirect_targets.push(word);
            return;
        }
        let is_command_word = self.current.words.is_empty();
        if is_command_word {
            if is_assignment(&word) {
                return;
            }
            if KEYWORDS.contains(&word.as_str()) {
                self.flag(format!("the shell keyword {word:?}"));
            } else if computed {
                self.flag(format!("a command word computed at run time ({word:?})"));
            }
        }
        self.current.words.push(word);
    }

    fn end_segment(&mut self) {
        self.end_word();
        if self.redirect_next {
            self.flag("a redirection without a target");
            self.redirect_next = false;
        }
        let seg = std::mem::take(&mut self.current);
        if !seg.words.is_empty() || !seg.redirect_targets.is_empty() {
            self.parsed.segments.push(seg);
        }
    }
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// Reads a shell command line; never fails (problems go to `unsafe_reason`).
pub fn parse(line: &str) -> Parsed {
    let mut b = Builder::default();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\\' => {
                match next {
                    Some('\n') => {}
                    Some(n) => {
                        b.word.push(n);
                        b.in_word = true;
                    }
                    None => b.flag("a trailing backslash"),
                }
                i += 2;
                continue;
            }
            '\'' => match chars[i + 1..].iter().position(|&x| x == '\'') {
                Some(len) => {
                    b.word.extend(&chars[i + 1..i + 1 + len]);
                    b.in_word = true;
                    i += len + 2;
                    continue;
                }
                None => {
                    b.flag("an unbalanced single quote");
                    break;
                }
            },
            '"' => {
                let mut j = i + 1;
                let mut closed = false;
                while j < chars.len() {
                    match chars[j] {
                        '"' => {
                            closed = true;
                            break;
                        }
                        // Inside double quotes a backslash escapes only `$`, `` ` ``, `"`,
                        // `\` and a newline (which it removes); before anything else it stays.
                        '\\' if j + 1 < chars.len() => {
                            match chars[j + 1] {
                                '\n' => {}
                                c @ ('$' | '`' | '"' | '\\') => b.word.push(c),
                                c => {
                                    b.word.push('\\');
                                    b.word.push(c);
                                }
                            }
                            j += 2;
                            continue;
                        }
                        '`' => b.flag("command substitution (`…`)"),
                        '$' if chars.get(j + 1) == Some(&'(') => {
                            b.flag("command substitution ($(…))")
                        }
                        '$' => b.computed = true,
                        _ => {}
                    }
                    b.word.push(chars[j]);
                    j += 1;
                }
                if !closed {
                    b.flag("an unbalanced double quote");
                    break;
                }
                b.in_word = true;
                i = j + 1;
                continue;
            }
            '`' => b.flag("command substitution (`…`)"),
            '$' if next == Some('(') => b.flag("command substitution ($(…))"),
            '<' | '>' if next == Some('(') => b.flag("process substitution"),
            '(' | ')' => b.flag("a subshell or function definition"),
            '#' if !b.in_word => {
                // A comment runs to the end of the line.
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ' ' | '\t' => b.end_word(),
            '\n' | ';' => b.end_segment(),
            '&' | '|' => {
                b.end_segment();
                if next == Some(c) {
                    i += 1;
                }
            }
            '<' | '>' => {
                // An fd number right before the operator belongs to it (`2>`).
                if b.in_word && !b.word.is_empty() && b.word.chars().all(|d| d.is_ascii_digit()) {
                    b.word.clear();
                    b.in_word = false;
                } else {
                    b.end_word();
                }
                let mut j = i + 1;
                while matches!(chars.get(j), Some('>' | '<' | '|')) {
                    j += 1;
                }
                if chars.get(j) == Some(&'&') {
                    // `>&2`, `2>&1`: a descriptor, not a file.
                    j += 1;
                    while chars
                        .get(j)
                        .is_some_and(|d| d.is_ascii_digit() || *d == '-')
                    {
                        j += 1;
                    }
                } else {
                    b.redirect_next = true;
                }
                i = j;
                continue;
            }
            '*' | '?' | '[' | '$' | '~' => {
                b.computed = true;
                b.word.push(c);
                b.in_word = true;
            }
            _ => {
                b.word.push(c);
                b.in_word = true;
            }
        }
        i += 1;
    }
    b.end_segment();
    b.parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(line: &str) -> Vec<String> {
        let p = parse(line);
        assert_eq!(p.unsafe_reason, None, "{line}");
        p.segments.iter().map(|s| s.words[0].clone()).collect()
    }

    #[test]
    fn every_command_word_is_found() {
        assert_eq!(
            commands("echo a; ls -l | grep x && true || rm -rf /tmp/y & sleep 1\nid"),
            vec!["echo", "ls", "grep", "true", "rm", "sleep", "id"]
        );
        assert_eq!(commands("FOO=1 BAR=2 env"), vec!["env"]);
        assert_eq!(
            commands("'/opt/my tool' --x # rm -rf /"),
            vec!["/opt/my tool"]
        );
        assert_eq!(commands("echo \"a;b|c\" 'd&&e'"), vec!["echo"]);
    }

    #[test]
    fn redirection_targets_are_words_too() {
        let p = parse("cat</etc/passwd 2>&1 >> /tmp/out; echo x 2>/dev/null");
        assert_eq!(p.unsafe_reason, None);
        assert_eq!(p.segments[0].words, vec!["cat"]);
        assert_eq!(
            p.segments[0].redirect_targets,
            vec!["/etc/passwd", "/tmp/out"]
        );
        assert_eq!(p.segments[1].redirect_targets, vec!["/dev/null"]);
        assert!(p.all_words().any(|w| w == "/etc/passwd"));
    }

    #[test]
    fn constructs_that_hide_commands_are_flagged() {
        for line in [
            "echo $(rm -rf /)",
            "echo `id`",
            "echo \"$(id)\"",
            "(rm x)",
            "if true; then rm x; fi",
            "$CMD arg",
            "/usr/bin/r* x",
            "echo 'unbalanced",
            "diff <(ls a) <(ls b)",
            "{ rm x; }",
        ] {
            assert!(parse(line).unsafe_reason.is_some(), "{line}");
        }
        // Variables in arguments are fine: they cannot start another program.
        assert_eq!(commands("echo $HOME \"$USER\""), vec!["echo"]);
    }

    /// The words `sh` itself makes of `echo <rest>`: runs it with `printf '%s\0'` in place of
    /// `echo`. `None` when `sh` refuses the line (a syntax error).
    fn shell_words(rest: &str) -> Option<Vec<String>> {
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("printf '%s\\0' echo {rest}")])
            .output()
            .unwrap();
        out.status.success().then(|| {
            String::from_utf8_lossy(&out.stdout)
                .split_terminator('\0')
                .map(str::to_string)
                .collect()
        })
    }

    /// Words of quotes, escapes and blanks, without what expands (`$`, backticks, globs,
    /// `~`, braces), separates commands, redirects or comments: there the reader's words and
    /// the shell's must be the same.
    fn words_line() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::string::string_regex("[a-z0-9 \t'\"\\\\/._=:@%+,é€-]{0,30}").unwrap()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// The policy reader against `/bin/sh` itself: a line it reads without a warning has
        /// exactly the shell's words, and a line the shell refuses is never read silently.
        #[test]
        fn the_reader_splits_words_as_the_shell_does(rest in words_line()) {
            let line = format!("echo {rest}");
            let parsed = parse(&line);
            match shell_words(&rest) {
                Some(words) if parsed.unsafe_reason.is_none() => {
                    proptest::prop_assert_eq!(parsed.segments.len(), 1, "{}", line);
                    proptest::prop_assert_eq!(&parsed.segments[0].words, &words, "{}", line);
                }
                Some(_) => {}
                None => proptest::prop_assert!(
                    parsed.unsafe_reason.is_some(),
                    "sh refuses {:?} but the reader took it as {:?}",
                    line,
                    parsed.segments
                ),
            }
        }
    }
}
