#!/usr/bin/env bash
# `make fuzz`: every cargo-fuzz target in proto/fuzz for FUZZ_SECONDS each (default 60),
# starting from the seeds in proto/fuzz/seeds/<target> (the corpus it grows is kept in
# target/fuzz-corpus/<target>). cargo-fuzz builds with the sanitizer, which needs nightly
# flags: RUSTC_BOOTSTRAP=1 lets this stable toolchain take them. A crash leaves its input in
# proto/fuzz/artifacts/<target>/ and fails the run (and `make test` here, which replays
# artifacts, until it is fixed); once fixed, copy the input into proto/fuzz/seeds/<target>/
# so every CI run checks it (proto/fuzz-checks/tests/replay.rs).
set -euo pipefail
cd "$(dirname "$0")/../proto"
seconds="${FUZZ_SECONDS:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1
targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
cargo fuzz build
status=0
summary=../target/fuzz-summary.tsv
: > "$summary"
for t in $targets; do
    corpus="../target/fuzz-corpus/$t"
    mkdir -p "$corpus"
    seeds=()
    [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
    echo "fuzz: $t for ${seconds} s"
    log="../target/fuzz-$t.log"
    if ! cargo fuzz run "$t" "$corpus" "${seeds[@]}" -- -max_total_time="$seconds" -max_len=8192 \
        -print_final_stats=1 2> "$log"; then
        grep -m1 -A3 "panicked at\|ERROR: AddressSanitizer\|ERROR: libFuzzer" "$log" >&2 || tail -40 "$log" >&2
        echo "fuzz: $t found a crash (input in proto/fuzz/artifacts/$t/)" >&2
        verdict=crash
        status=1
    else
        verdict=held
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz: $t: ${runs:-0} inputs, $verdict"
    printf '%s\t%s\t%s\t%s\n' "$t" "${runs:-0}" "$seconds" "$verdict" >> "$summary"
done
# The table in docs/reliability.md, between its fuzz markers.
python3 - "$summary" ../docs/reliability.md <<'PY'
import sys, time
doc = open(sys.argv[2]).read()
begin, end = "<!-- fuzz:begin -->", "<!-- fuzz:end -->"
head, rest = doc.split(begin, 1)
# Targets not run this time (FUZZ_TARGETS) keep their row.
rows = {}
for line in rest.split(end, 1)[0].splitlines():
    cells = [c.strip() for c in line.strip("|").split("|")]
    if len(cells) == 4 and cells[0].startswith("`"):
        rows[cells[0].strip("`")] = cells[1:]
for line in open(sys.argv[1]):
    if line.strip():
        t, n, secs, v = line.rstrip("\n").split("\t")
        rows[t] = [f"{int(n):,}", f"{secs} s", v]
table = [f"Last run {time.strftime('%Y-%m-%d')} (`make fuzz`):", "",
         "| target | inputs run | for | verdict |", "|---|---:|---:|---|"]
table += [f"| `{t}` | {' | '.join(cells)} |" for t, cells in sorted(rows.items())]
open(sys.argv[2], "w").write(head + begin + "\n" + "\n".join(table) + "\n" + end + rest.split(end, 1)[1])
PY
exit $status
