#!/usr/bin/env python3
"""Lines covered per crate (hub, agent, pki, proto, cli, from cargo-llvm-cov's
`rust.json`) and for web/src (vitest's `web/coverage-summary.json`, when that run was made),
printed against scripts/coverage-floor.json; exits 1 when a figure is under its floor.
Writes summary.json beside the inputs. Usage: coverage-floors.py DIR"""
import json
import os
import sys

out = sys.argv[1]
root = os.getcwd()
per = {}
for f in json.load(open(f"{out}/rust.json"))["data"][0]["files"]:
    crate = os.path.relpath(f["filename"], root).split(os.sep)[0]
    covered, total = per.get(crate, (0, 0))
    lines = f["summary"]["lines"]
    per[crate] = (covered + lines["covered"], total + lines["count"])
web_file = f"{out}/web/coverage-summary.json"
if os.path.exists(web_file):
    web = json.load(open(web_file))["total"]["lines"]
    per["web/src"] = (web["covered"], web["total"])
summary = {k: round(100 * c / t, 1) for k, (c, t) in sorted(per.items()) if t}
floors = json.load(open(os.path.join(os.path.dirname(__file__), "coverage-floor.json")))
failed = []
for k, pct in summary.items():
    floor = floors.get(k)
    if floor is None:
        mark = ""
    elif pct >= floor:
        mark = f"  (floor {floor})"
    else:
        mark = f"  UNDER the floor {floor}"
        failed.append(k)
    print(f"{k:10} {pct:5.1f} % of {per[k][1]} lines{mark}")
json.dump({"lines_percent": summary}, open(f"{out}/summary.json", "w"), indent=1)
if failed:
    print(f"coverage fell under its floor: {', '.join(failed)} (scripts/coverage-floor.json)", file=sys.stderr)
sys.exit(1 if failed else 0)
