#!/usr/bin/env bash
# Line coverage (`make coverage`): the Rust workspace's tests under cargo-llvm-cov (the real
# hub and agent binaries the integration suites start are instrumented too, so what they run
# counts), and the dashboard's unit tests under vitest's V8 coverage. Prints lines covered per
# crate (hub, agent, pki, proto, cli) and for web/src, writes target/coverage/summary.json and
# fails when a figure is under its floor in scripts/coverage-floor.json (raise the floors as
# coverage grows; the issue's bar is 80). The web floor is also vitest's threshold
# (web/vite.config.ts), which make test enforces on every run.
#
# Needs LLVM's tools of the compiler's own LLVM version (rustc 1.95: LLVM 22; Debian's
# llvm-22, installed here when root) and cargo-llvm-cov (installed with cargo when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
llvm=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
if [ ! -x "/usr/bin/llvm-profdata-$llvm" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "llvm-$llvm" >/dev/null
    else
        echo "coverage needs LLVM $llvm's tools: apt-get install -y llvm-$llvm" >&2
        exit 1
    fi
fi
export LLVM_COV=/usr/bin/llvm-cov-$llvm LLVM_PROFDATA=/usr/bin/llvm-profdata-$llvm
command -v cargo-llvm-cov >/dev/null || cargo install --locked cargo-llvm-cov@0.9.1
if [ -z "${MONGODB_URL:-}" ]; then
    dir=target/secantus/coverage
    bash scripts/secantus.sh stop "$dir"
    rm -rf "$dir"
    MONGODB_URL="$(bash scripts/secantus.sh start "$dir")"
    trap 'bash scripts/secantus.sh stop "$dir"' EXIT
fi
export MONGODB_URL
out=target/coverage
mkdir -p "$out"
# Test code, the benchmark harness and the test kit are not what is measured.
ignore='(/tests/|/bench/|/testkit\.rs|/\.cargo/|/rustc/)'
cargo llvm-cov nextest --workspace --no-fail-fast --ignore-filename-regex "$ignore" \
    --json --summary-only --output-path "$out/rust.json" || echo "some tests failed; coverage is of the run as it went"
(cd web && npx vitest run --coverage >/dev/null)
python3 - "$out" scripts/coverage-floor.json <<'PY'
import json, os, sys
out, floor_file = sys.argv[1], sys.argv[2]
root = os.getcwd()
per = {}
for f in json.load(open(f"{out}/rust.json"))["data"][0]["files"]:
    rel = os.path.relpath(f["filename"], root)
    crate = rel.split(os.sep)[0]
    c, t = per.get(crate, (0, 0))
    lines = f["summary"]["lines"]
    per[crate] = (c + lines["covered"], t + lines["count"])
web = json.load(open(f"{out}/web/coverage-summary.json"))["total"]["lines"]
per["web/src"] = (web["covered"], web["total"])
summary = {k: round(100 * c / t, 1) for k, (c, t) in sorted(per.items()) if t}
floors = json.load(open(floor_file))
failed = []
for k, pct in summary.items():
    floor = floors.get(k)
    mark = "" if floor is None else (f"  (floor {floor})" if pct >= floor else f"  UNDER the floor {floor}")
    print(f"{k:10} {pct:5.1f} % of {per[k][1]} lines{mark}")
    if floor is not None and pct < floor:
        failed.append(k)
json.dump({"lines_percent": summary}, open(f"{out}/summary.json", "w"), indent=1)
sys.exit(1 if failed else 0)
PY
