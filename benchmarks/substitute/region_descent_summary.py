#!/usr/bin/env python3
"""Per network: d_adv after the linear-region descent against PGD's d_adv alone, from
`bench_substitute eval OUT.csv adv_only=1 ...` (columns d_adv and d_adv_descent of the same run).

usage: region_descent_summary.py ADV.csv... (a Markdown table)"""
import csv
import sys
from collections import defaultdict

rows = defaultdict(list)
for path in sys.argv[1:]:
    with open(path) as f:
        for r in csv.DictReader(f):
            rows[r["network"]].append(r)
print("| network | inputs | d_adv with / without descent, mean (min) | lower by > 1% | PGD s / input | descent s / input | regions, mean (max) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for net, rs in rows.items():
    ratio = [float(r["d_adv_descent"]) / float(r["d_adv"]) for r in rs]
    regions = [int(r["descent_regions"]) for r in rs]
    n = len(rs)
    print(f"| {net} | {n} | {sum(ratio) / n:.4f} ({min(ratio):.3f}) | {sum(x < 0.99 for x in ratio)} | "
          f"{sum(float(r['time_s']) for r in rs) / n:.3f} | {sum(float(r['descent_time_s']) for r in rs) / n:.3f} | "
          f"{sum(regions) / n:.1f} ({max(regions)}) |")
