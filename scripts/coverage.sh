#!/usr/bin/env bash
# Line coverage (`make coverage`): the Rust suites as `make test` runs them, under
# cargo-llvm-cov (scripts/rust-test.sh; the real hub and agent binaries the integration suites
# start are instrumented too, so what they run counts), and the dashboard's unit tests under
# vitest's V8 coverage. Prints lines covered per crate (hub, agent, pki, proto, cli) and for
# web/src, writes target/coverage/summary.json and fails when a figure is under its floor in
# scripts/coverage-floor.json (raise the floors as coverage grows; the issue's bar is 80).
# `make test` holds the same floors: the Rust ones in rust-test.sh, the web one as vitest's
# threshold (web/vite.config.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
RUST_COVERAGE=1 RUST_COVERAGE_FLOORS=0 bash scripts/rust-test.sh ||
    { status=$?; echo "some Rust tests failed; coverage is of the run as it went" >&2; }
(cd web && npx vitest run --coverage >/dev/null) || status=$?
python3 scripts/coverage-floors.py target/coverage || status=$?
exit $status
