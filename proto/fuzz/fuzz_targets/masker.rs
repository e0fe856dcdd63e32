//! cargo-fuzz target `masker`: libFuzzer's inputs to `greenroom_fuzz_checks::masker`, where the
//! property is written (and replayed by `make test`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| greenroom_fuzz_checks::masker(data));
