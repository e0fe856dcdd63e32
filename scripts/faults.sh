#!/usr/bin/env bash
# The fault suite (`make test-faults`; `make test` runs it too): every case of
# hub/tests/faults.rs — real hub and agents, agents on hosts of their own (network
# namespaces), faults injected mid-execution — then the verdict table of docs/reliability.md
# from the verdict lines the cases wrote. Root only (namespaces, nftables, tmpfs mounts).
# FAULT_FANOUT sets the agents of the fan-out cases (default 100).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "the fault suite makes network namespaces and mounts: run it as root" >&2
    exit 1
fi
need=()
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v faketime >/dev/null || need+=(faketime)
if ((${#need[@]})); then
    echo "installing ${need[*]} (apt-get)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
verdicts=target/tmp/faults/verdicts.jsonl
rm -f "$verdicts"
status=0
if command -v cargo-nextest >/dev/null; then
    cargo nextest run --no-fail-fast -p greenroom-hub --test faults --run-ignored only || status=$?
else
    cargo test --no-fail-fast -p greenroom-hub --test faults -- --ignored || status=$?
fi
python3 scripts/faults-report.py "$verdicts" docs/reliability.md
exit $status
