//! The fuzz properties in `make test`, without a sanitizer build: every target's property
//! (`greenroom_fuzz_checks::TARGETS`) is run over
//! - its seeds (`proto/fuzz/seeds/<target>`, in the repository),
//! - what `make fuzz` left on this machine: its grown corpus (`target/fuzz-corpus/<target>`)
//!   and any crash input (`proto/fuzz/artifacts/<target>`), which fails here until fixed,
//! - and mutations of the seeds (proptest: bytes flipped, dropped, doubled, and tokens that
//!   matter to these parsers inserted), shrunk to the smallest failing input on failure.
//!
//! libFuzzer's coverage guidance is `make fuzz`'s job; this keeps a change from breaking a
//! property the fuzzers established, on every CI run.

use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files of a directory, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<(PathBuf, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect();
    out.sort();
    out
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    files(&root().join("proto/fuzz/seeds").join(target))
        .into_iter()
        .map(|(_, b)| b)
        .collect()
}

#[test]
fn every_target_has_seeds_and_holds_on_them_and_on_what_fuzz_runs_found() {
    for (target, property) in greenroom_fuzz_checks::TARGETS {
        let seeds = seeds(target);
        assert!(!seeds.is_empty(), "proto/fuzz/seeds/{target} has no seed");
        for dir in [
            root().join("proto/fuzz/seeds").join(target),
            root().join("target/fuzz-corpus").join(target),
            root().join("proto/fuzz/artifacts").join(target),
        ] {
            for (path, bytes) in files(&dir) {
                let run = std::panic::catch_unwind(|| property(&bytes));
                assert!(
                    run.is_ok(),
                    "{target}: the property fails on {} (replay it with \
                     `cd proto && RUSTC_BOOTSTRAP=1 cargo fuzz run {target} {}`)",
                    path.display(),
                    path.display()
                );
            }
        }
    }
}

/// Tokens the targets' parsers give meaning to, inserted by the mutations.
const TOKENS: &[&str] = &[
    "${DB_URL}",
    "${",
    "}",
    "://",
    "@",
    ":",
    "/",
    "?",
    "&",
    "=",
    ";",
    "password=",
    "Password=",
    "'",
    "\"",
    "\\",
    "$",
    "`",
    "$(",
    "|",
    "&&",
    ">",
    "<",
    "#",
    "\n",
    "\t",
    " ",
    "\0",
    "- ",
    ": ",
    "{",
    "[",
    "]",
    ",",
    "null",
    "-1",
    "4294967296",
    "{{p}}",
    "{{ s }}",
    "{{n}}",
    "%40",
    "-----BEGIN CERTIFICATE REQUEST-----\n",
    "-----END CERTIFICATE-----\n",
    "\u{e9}",
    "\u{ff}",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, &'static str),
    Drop(usize, usize),
    Double(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), proptest::sample::select(TOKENS))
            .prop_map(|(i, t)| Mutation::Insert(i, t)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Drop(i, n)),
        (any::<usize>(), 1usize..32).prop_map(|(i, n)| Mutation::Double(i, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match *m {
            Mutation::Flip(i, b) if len > 0 => bytes[i % len] ^= b | 1,
            Mutation::Flip(..) => bytes.push(0),
            Mutation::Insert(i, t) => {
                let i = at(i);
                bytes.splice(i..i, t.bytes());
            }
            Mutation::Drop(i, n) => {
                let i = at(i);
                bytes.drain(i..(i + n).min(len));
            }
            Mutation::Double(i, n) => {
                let i = at(i);
                let part = bytes[i..(i + n).min(len)].to_vec();
                bytes.splice(i..i, part);
            }
        }
    }
    bytes
}

fn mutated(target: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds(target);
    (0..seeds.len(), proptest::collection::vec(mutation(), 1..8))
        .prop_map(move |(i, ms)| apply(seeds[i].clone(), &ms))
}

#[test]
fn every_target_holds_on_mutations_of_its_seeds() {
    use proptest::test_runner::{Config, TestRunner};
    for (target, property) in greenroom_fuzz_checks::TARGETS {
        let mut runner = TestRunner::new(Config::with_cases(400));
        let run = runner.run(&mutated(target), |input| {
            property(&input);
            Ok(())
        });
        if let Err(e) = run {
            panic!("{target}: {e}");
        }
    }
}
