#!/usr/bin/env python3
"""Prints the per-folder TCK table of a run_tck.py JSON report as Markdown (for the README).

Usage: python3 scripts/tck_table.py [out/tck.json]
"""
import json
import sys

report = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "out/tck.json"))
rows = ["| folder | scenarios | passed | pass % |", "|---|---:|---:|---:|"]
for folder, s in sorted(report["summary"]["by_folder"].items()):
    rows.append(f"| {folder} | {s['total']} | {s['passed']} | {100 * s['passed'] / s['total']:.1f} |")
t = report["summary"]["total"]
rows.append(f"| **total** | **{t['total']}** | **{t['passed']}** | **{100 * t['passed'] / t['total']:.1f}** |")
print("\n".join(rows))
