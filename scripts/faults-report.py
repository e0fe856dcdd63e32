"""Writes the fault suite's verdict table into docs/reliability.md (between its markers),
from the verdict lines the cases of hub/tests/faults.rs wrote (one JSON object per case)."""

import datetime
import json
import pathlib
import platform
import sys

BEGIN, END = "<!-- faults:begin -->", "<!-- faults:end -->"


def table(verdicts: list[dict]) -> str:
    rows = [
        "| case | fault | faults injected | jobs | recorded | succeeded | unreachable | ran twice | stored twice | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for v in sorted(verdicts, key=lambda v: v["case"]):
        verdict = "held" if v["held"] else "FAILED: " + "; ".join(v["problems"])[:300]
        rows.append(
            f"| {v['case']} | {v['fault']} | {v['injected']} | {v['expected']} | {v['recorded']} "
            f"| {v['succeeded']} | {v['unreachable']} | {v['ran_twice']} | {v['stored_twice']} | {verdict} |"
        )
    held = sum(v["held"] for v in verdicts)
    jobs = sum(v["expected"] for v in verdicts)
    recorded = sum(v["recorded"] for v in verdicts)
    dup = sum(v["ran_twice"] + v["stored_twice"] for v in verdicts)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = (
        f"Last run {when} on {platform.node() or 'this machine'} ({platform.machine()}, "
        f"{len(verdicts)} cases): {held} held; {jobs} jobs expected, {recorded} recorded, "
        f"{dup} run or stored twice."
    )
    return "\n".join([head, "", *rows])


def main() -> int:
    src, doc = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    if not src.exists():
        print(f"{src}: no verdicts (did the fault suite run?)", file=sys.stderr)
        return 1
    verdicts = [json.loads(line) for line in src.read_text().splitlines() if line.strip()]
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        print(f"{doc}: the markers {BEGIN} / {END} are missing", file=sys.stderr)
        return 1
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    doc.write_text(f"{before}{BEGIN}\n{table(verdicts)}\n{END}{after}")
    print(f"{doc}: {len(verdicts)} verdicts written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
