//! Where each `{placeholder}` of a command template stands in the shell's grammar — bare,
//! inside double quotes, single quotes, `$'…'`, a command substitution, a parameter
//! expansion, arithmetic, backticks, a here-document or a comment — so rendering can refer
//! to the value's environment variable in the form that keeps it one piece of data there.
//!
//! A reader of `/bin/sh` quoting, not a parser of the whole language: it follows quotes,
//! escapes, `$(…)`, `$((…))`, `${…}`, backticks, here-documents and comments, which is
//! what decides how a parameter expansion is treated.

/// Where a placeholder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Outside quotes (also inside `$(…)` and `${…}`): needs double quotes around it.
    Bare,
    /// Inside `"…"`: expansions are not split or re-read; nothing to add.
    Double,
    /// Inside `'…'`: close the quote, expand, reopen.
    Single,
    /// Inside `$'…'`: close, expand, reopen with `$'`.
    AnsiC,
    /// Inside `$((…))`: the value is evaluated as arithmetic; only integers may go there.
    Arithmetic,
    /// Inside backticks: refused (their contents are read twice); use `$(…)`.
    Backtick,
    /// In a here-document that expands (`<<EOF`): expanded as in double quotes.
    Heredoc,
    /// In a quoted here-document (`<<'EOF'`): nothing expands there; refused.
    QuotedHeredoc,
    /// In a comment: never run.
    Comment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// The line, or the inside of `$(…)` (with its open parentheses).
    Code {
        parens: u32,
    },
    Double,
    Single,
    AnsiC,
    Backtick,
    Arithmetic {
        parens: u32,
    },
    Param,
    Comment,
    Heredoc {
        delimiter_index: usize,
    },
}

/// A here-document waiting for the end of its line.
#[derive(Debug, Clone)]
struct PendingHeredoc {
    delimiter: String,
    quoted: bool,
    strip_tabs: bool,
}

/// Follows a template's text piece by piece; asks where the reader is between pieces.
#[derive(Debug)]
pub struct Reader {
    stack: Vec<Frame>,
    pending: Vec<PendingHeredoc>,
    /// The here-documents being read (by index into `heredocs`).
    heredocs: Vec<PendingHeredoc>,
    /// The current line, while in a here-document (to find its delimiter).
    line: String,
    /// Whether the previous character ends a word (so `#` starts a comment).
    at_word_start: bool,
    /// Characters still to be consumed as part of a token already recognised.
    skip: usize,
    /// A backslash was the last character (escapes the next).
    escaped: bool,
}

impl Default for Reader {
    fn default() -> Self {
        Self {
            stack: vec![Frame::Code { parens: 0 }],
            pending: Vec::new(),
            heredocs: Vec::new(),
            line: String::new(),
            at_word_start: true,
            skip: 0,
            escaped: false,
        }
    }
}

impl Reader {
    fn top(&self) -> Frame {
        *self.stack.last().unwrap_or(&Frame::Code { parens: 0 })
    }

    fn set_top(&mut self, f: Frame) {
        if let Some(t) = self.stack.last_mut() {
            *t = f;
        }
    }

    /// Where a placeholder at this point stands.
    pub fn context(&self) -> Context {
        match self.top() {
            Frame::Code { .. } | Frame::Param => Context::Bare,
            Frame::Double => Context::Double,
            Frame::Single => Context::Single,
            Frame::AnsiC => Context::AnsiC,
            Frame::Backtick => Context::Backtick,
            Frame::Arithmetic { .. } => Context::Arithmetic,
            Frame::Comment => Context::Comment,
            Frame::Heredoc { delimiter_index } => {
                if self.heredocs[delimiter_index].quoted {
                    Context::QuotedHeredoc
                } else {
                    Context::Heredoc
                }
            }
        }
    }

    /// A placeholder stands here: it is part of a word.
    pub fn placeholder(&mut self) {
        self.at_word_start = false;
        if matches!(self.top(), Frame::Heredoc { .. }) {
            self.line.push('\u{1}');
        }
    }

    /// What is left open at the end of the template, if anything.
    pub fn unclosed(&self) -> Option<&'static str> {
        // A comment ends with the template, and so does a here-document whose last line
        // (without its newline) is its delimiter.
        let open: Vec<&Frame> = match self.stack.split_last() {
            Some((Frame::Comment, rest)) => rest.iter().collect(),
            Some((Frame::Heredoc { delimiter_index }, rest)) => {
                let doc = &self.heredocs[*delimiter_index];
                let line = if doc.strip_tabs {
                    self.line.trim_start_matches('\t')
                } else {
                    &self.line
                };
                if line == doc.delimiter {
                    rest.iter().collect()
                } else {
                    self.stack.iter().collect()
                }
            }
            _ => self.stack.iter().collect(),
        };
        if matches!(open.as_slice(), [Frame::Code { parens: 0 }]) {
            return None;
        }
        match open
            .last()
            .copied()
            .copied()
            .unwrap_or(Frame::Code { parens: 0 })
        {
            Frame::Heredoc { .. } => Some("a here-document without its closing line"),
            Frame::Double => Some("an unclosed double quote"),
            Frame::Single | Frame::AnsiC => Some("an unclosed single quote"),
            Frame::Backtick => Some("an unclosed backtick"),
            _ => Some("an unclosed $( ), $(( )) or ${ }"),
        }
    }

    /// Reads a piece of template text.
    pub fn text(&mut self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        for i in 0..chars.len() {
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            self.char(chars[i], &chars[i + 1..]);
        }
    }

    fn char(&mut self, c: char, rest: &[char]) {
        let next = rest.first().copied();
        if let Frame::Heredoc { delimiter_index } = self.top() {
            if c == '\n' {
                let doc = &self.heredocs[delimiter_index];
                let line = if doc.strip_tabs {
                    self.line.trim_start_matches('\t')
                } else {
                    &self.line
                };
                if line == doc.delimiter {
                    self.stack.pop();
                    self.start_heredocs();
                }
                self.line.clear();
            } else {
                self.line.push(c);
            }
            return;
        }
        if self.escaped {
            self.escaped = false;
            self.at_word_start = false;
            return;
        }
        match self.top() {
            Frame::Single => {
                if c == '\'' {
                    self.stack.pop();
                }
            }
            Frame::AnsiC => match c {
                '\\' => self.escaped = true,
                '\'' => {
                    self.stack.pop();
                }
                _ => {}
            },
            Frame::Backtick => match c {
                '\\' => self.escaped = true,
                '`' => {
                    self.stack.pop();
                }
                _ => {}
            },
            Frame::Comment => {
                if c == '\n' {
                    self.stack.pop();
                    self.newline();
                }
            }
            Frame::Double => match c {
                '\\' => self.escaped = true,
                '"' => {
                    self.stack.pop();
                }
                '$' => self.dollar(next, rest),
                '`' => self.stack.push(Frame::Backtick),
                _ => {}
            },
            Frame::Arithmetic { parens } => match c {
                '(' => self.set_top(Frame::Arithmetic { parens: parens + 1 }),
                ')' if parens == 0 && next == Some(')') => {
                    self.skip = 1;
                    self.stack.pop();
                }
                ')' => self.set_top(Frame::Arithmetic {
                    parens: parens.saturating_sub(1),
                }),
                '$' => self.dollar(next, rest),
                _ => {}
            },
            Frame::Param => match c {
                '}' => {
                    self.stack.pop();
                }
                '"' => self.stack.push(Frame::Double),
                '\'' => self.stack.push(Frame::Single),
                '\\' => self.escaped = true,
                '$' => self.dollar(next, rest),
                _ => {}
            },
            Frame::Code { parens } => {
                let word_start = self.at_word_start;
                self.at_word_start = c.is_whitespace() || ";&|()<>".contains(c);
                match c {
                    '\\' => self.escaped = true,
                    '\'' => self.stack.push(Frame::Single),
                    '"' => self.stack.push(Frame::Double),
                    '`' => self.stack.push(Frame::Backtick),
                    '$' => self.dollar(next, rest),
                    '#' if word_start => self.stack.push(Frame::Comment),
                    '(' => self.set_top(Frame::Code { parens: parens + 1 }),
                    ')' if parens == 0 && self.stack.len() > 1 => {
                        self.stack.pop();
                        self.at_word_start = false;
                    }
                    ')' => self.set_top(Frame::Code {
                        parens: parens.saturating_sub(1),
                    }),
                    '<' if next == Some('<') && rest.get(1) != Some(&'<') => {
                        self.heredoc_operator(&rest[1..]);
                    }
                    '\n' => self.newline(),
                    _ => {}
                }
            }
            Frame::Heredoc { .. } => {}
        }
    }

    /// `$` followed by `'`, `((`, `(` or `{` opens a frame.
    fn dollar(&mut self, next: Option<char>, rest: &[char]) {
        match next {
            Some('\'') if matches!(self.top(), Frame::Code { .. } | Frame::Param) => {
                self.skip = 1;
                self.stack.push(Frame::AnsiC);
            }
            Some('(') if rest.get(1) == Some(&'(') => {
                self.skip = 2;
                self.stack.push(Frame::Arithmetic { parens: 0 });
            }
            Some('(') => {
                self.skip = 1;
                self.stack.push(Frame::Code { parens: 0 });
                self.at_word_start = true;
            }
            Some('{') => {
                self.skip = 1;
                self.stack.push(Frame::Param);
            }
            _ => {}
        }
    }

    /// `<<` (or `<<-`) and its delimiter word; the body starts after this line.
    fn heredoc_operator(&mut self, rest: &[char]) {
        let mut i = 0;
        let strip_tabs = rest.first() == Some(&'-');
        if strip_tabs {
            i += 1;
        }
        while rest.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
            i += 1;
        }
        let mut delimiter = String::new();
        let mut quoted = false;
        while let Some(&c) = rest.get(i) {
            match c {
                '\'' | '"' => {
                    quoted = true;
                    let q = c;
                    i += 1;
                    while let Some(&d) = rest.get(i) {
                        i += 1;
                        if d == q {
                            break;
                        }
                        delimiter.push(d);
                    }
                    continue;
                }
                '\\' => {
                    quoted = true;
                }
                c if c.is_whitespace() || ";&|<>()".contains(c) => break,
                c => delimiter.push(c),
            }
            i += 1;
        }
        // `<<` plus what was read of the operator and delimiter.
        self.skip = 1 + i;
        if !delimiter.is_empty() {
            self.pending.push(PendingHeredoc {
                delimiter,
                quoted,
                strip_tabs,
            });
        }
    }

    fn newline(&mut self) {
        self.at_word_start = true;
        self.start_heredocs();
    }

    /// At the end of a line, here-documents announced on it begin (one after the other).
    fn start_heredocs(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let doc = self.pending.remove(0);
        self.heredocs.push(doc);
        self.stack.push(Frame::Heredoc {
            delimiter_index: self.heredocs.len() - 1,
        });
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context_after(text: &str) -> Context {
        let mut r = Reader::default();
        r.text(text);
        r.context()
    }

    #[test]
    fn contexts_follow_quotes_substitutions_and_heredocs() {
        assert_eq!(context_after("echo "), Context::Bare);
        assert_eq!(context_after("echo \"["), Context::Double);
        assert_eq!(context_after("echo '["), Context::Single);
        assert_eq!(context_after("echo $'["), Context::AnsiC);
        assert_eq!(context_after("echo \"$(df -P "), Context::Bare);
        assert_eq!(context_after("echo \"$(df -P \""), Context::Double);
        assert_eq!(context_after("x=$(("), Context::Arithmetic);
        assert_eq!(context_after("x=$(( (1 + "), Context::Arithmetic);
        assert_eq!(context_after("x=$((1)) && echo "), Context::Bare);
        assert_eq!(context_after("echo ${v:-"), Context::Bare);
        assert_eq!(context_after("echo `ls "), Context::Backtick);
        assert_eq!(context_after("echo hi # "), Context::Comment);
        assert_eq!(context_after("echo a#b "), Context::Bare);
        assert_eq!(context_after("echo \"it's \" '"), Context::Single);
        assert_eq!(context_after("echo \\' "), Context::Bare);
        assert_eq!(context_after("cat <<EOF\nline "), Context::Heredoc);
        assert_eq!(context_after("cat <<'EOF'\nline "), Context::QuotedHeredoc);
        assert_eq!(context_after("cat <<-EOF\nx\n\tEOF\necho "), Context::Bare);
        assert_eq!(context_after("cat <<< "), Context::Bare);
        assert_eq!(
            context_after("awk '{print $1}' | wc -l && echo "),
            Context::Bare
        );
    }

    #[test]
    fn what_is_left_open_is_named() {
        let mut r = Reader::default();
        r.text("echo \"x");
        assert_eq!(r.unclosed(), Some("an unclosed double quote"));
        let mut r = Reader::default();
        r.text("echo $(ls");
        assert!(r.unclosed().is_some());
        let mut r = Reader::default();
        r.text("echo 'a' \"b\" $(c) $((1)) ${d} # e");
        assert_eq!(r.unclosed(), None);
    }
}
