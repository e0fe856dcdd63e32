#!/usr/bin/env bash
# The Rust suites, as `make test` runs them: the whole workspace once (the store contract
# suite runs there on SQLite and on MongoDB), then the hub's integration suites again with
# every hub on MongoDB (GREENROOM_TEST_STORE=mongodb). MongoDB is MONGODB_URL when it is set,
# otherwise a SecantusDB server started here for the run and stopped after it.
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
if command -v cargo-nextest >/dev/null; then
    cargo nextest run --no-fail-fast --workspace
    echo "the hub's integration suites again, on MongoDB"
    # (the suites that always run on MongoDB ran already)
    GREENROOM_TEST_STORE=mongodb cargo nextest run --no-fail-fast -p greenroom-hub --test '*' \
        -E 'not (binary(mongodb) | binary(replicas))'
else
    cargo test --no-fail-fast --workspace
    echo "the hub's integration suites again, on MongoDB"
    GREENROOM_TEST_STORE=mongodb cargo test --no-fail-fast -p greenroom-hub --test '*'
fi
