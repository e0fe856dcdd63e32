//! The agent's reader of `/bin/sh` command lines (what `allowed_commands` and
//! `forbidden_paths` judge) takes any text without panicking, and a line it calls safe
//! reads the same again once its words are re-quoted one by one: nothing it saw as one word
//! is split or joined by quoting. (Its agreement with a real `/bin/sh` is a proptest in the
//! agent's suite, which runs in `make test`.)
#![no_main]

use greenroom_agent::runner::shellwords::parse;
use libfuzzer_sys::fuzz_target;

fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse(line);
    if parsed.unsafe_reason.is_some() {
        return;
    }
    for seg in &parsed.segments {
        if seg.words.is_empty() || !seg.redirect_targets.is_empty() {
            continue;
        }
        // Words beginning NAME= are assignments only unquoted; quoting keeps them words.
        let requoted: Vec<String> = seg.words.iter().map(|w| quote(w)).collect();
        let again = parse(&requoted.join(" "));
        assert!(
            again.unsafe_reason.is_none(),
            "{line:?} -> {requoted:?}: {again:?}"
        );
        let words: Vec<&String> = again.segments.iter().flat_map(|s| &s.words).collect();
        assert_eq!(
            words.len(),
            seg.words.len(),
            "{line:?} -> {requoted:?}: {again:?}"
        );
        for (a, b) in words.iter().zip(&seg.words) {
            assert_eq!(*a, b, "{line:?}");
        }
    }
});
