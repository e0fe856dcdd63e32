#!/usr/bin/env bash
# The Rust suites, as `make test` runs them: the whole workspace once (the store contract
# suite runs there on SQLite and on MongoDB), then the hub's integration suites again with
# every hub on MongoDB (GREENROOM_TEST_STORE=mongodb). MongoDB is MONGODB_URL when it is set,
# otherwise a SecantusDB server started here for the run and stopped after it.
#
# Both passes run under cargo-llvm-cov (the hub and agent binaries the suites start are
# instrumented too), and the lines covered per crate are held to scripts/coverage-floor.json:
# CI fails when coverage falls. RUST_COVERAGE=0 runs them plainly (a quicker local run);
# RUST_COVERAGE_FLOORS=0 measures without judging (make coverage judges after adding the
# web's figure). Needs LLVM's tools of the compiler's own LLVM version and cargo-llvm-cov,
# which scripts/test-deps.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${MONGODB_URL:-}" ]; then
    dir=target/secantus/run
    bash scripts/secantus.sh stop "$dir"
    rm -rf "$dir"
    MONGODB_URL="$(bash scripts/secantus.sh start "$dir")"
    trap 'bash scripts/secantus.sh stop "$dir"' EXIT
    echo "MongoDB for the tests: SecantusDB at $MONGODB_URL"
fi
export MONGODB_URL
coverage="${RUST_COVERAGE:-1}"
if [ "$coverage" = 1 ]; then
    llvm=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
    export LLVM_COV=/usr/bin/llvm-cov-$llvm LLVM_PROFDATA=/usr/bin/llvm-profdata-$llvm
    if [ ! -x "$LLVM_PROFDATA" ] || ! command -v cargo-llvm-cov >/dev/null; then
        echo "coverage needs LLVM $llvm's tools and cargo-llvm-cov: run scripts/test-deps.sh (or RUST_COVERAGE=0)" >&2
        exit 1
    fi
    # Profiles of earlier runs would count: start from none (built code is kept).
    cargo llvm-cov clean --workspace
fi
run() {
    if [ "$coverage" = 1 ]; then
        cargo llvm-cov nextest --no-report "$@"
    elif command -v cargo-nextest >/dev/null; then
        cargo nextest run "$@"
    else
        echo "cargo-nextest is missing: cargo install cargo-nextest --locked" >&2
        exit 1
    fi
}
# Both passes run whatever the first gives, and coverage is reported either way.
status=0
run --no-fail-fast --workspace || status=$?
echo "the hub's integration suites again, on MongoDB"
# (the suites that always run on MongoDB ran already). Selected by filter over the workspace,
# not with `-p greenroom-hub`: a narrower package set unifies features differently and
# rebuilds part of the dependency tree (2.5 minutes).
GREENROOM_TEST_STORE=mongodb run --no-fail-fast --workspace \
    -E 'package(greenroom-hub) & kind(test) & not (binary(mongodb) | binary(replicas))' || status=$?
if [ "$coverage" = 1 ]; then
    mkdir -p target/coverage
    # Test code, the fuzz properties, the benchmark harness and the test kit are not what is
    # measured.
    cargo llvm-cov report --json --summary-only --output-path target/coverage/rust.json \
        --ignore-filename-regex '(/tests/|/bench/|/fuzz-checks/|/testkit\.rs|/\.cargo/|/rustc/)'
    if [ "${RUST_COVERAGE_FLOORS:-1}" = 1 ]; then
        python3 scripts/coverage-floors.py target/coverage || status=$?
    fi
fi
exit $status
