#!/usr/bin/env python3
"""Cross-checks per-sample worst-margin bounds of several prune-verify --json runs on the same samples.

Every run's worst_margin_upper is the margin of a mask that prunecert evaluated exactly, so it is
an achieved value; any run's worst_margin_lower above the smallest upper of all runs (plus --tol)
is a wrong lower bound. Also reports opposite verdicts (robust vs not-robust).

usage: check_bounds.py RUN.json RUN.json [...] [--tol 1e-6]
"""
import argparse
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--tol", type=float, default=1e-6)
    a = ap.parse_args()
    runs = []
    for path in a.runs:
        runs.append((path, {s["index"]: s for s in json.load(open(path))["samples"]}))
    common = set.intersection(*(set(r) for _, r in runs))
    wrong, opposite = [], []
    for i in sorted(common):
        uppers = [r[i]["worst_margin_upper"] for _, r in runs if r[i]["worst_margin_upper"] is not None]
        best = min(uppers) if uppers else None
        verdicts = {r[i]["verdict"] for _, r in runs} - {"unknown", "timeout"}
        if len(verdicts) > 1:
            opposite.append(i)
        for path, r in runs:
            lo = r[i]["worst_margin_lower"]
            if best is not None and lo is not None and lo > best + a.tol:
                wrong.append((i, path, lo, best))
    print(f"{len(common)} common samples, {len(opposite)} with opposite verdicts, {len(wrong)} lower bounds above an achieved margin")
    for i, path, lo, best in wrong:
        print(f"  sample {i}: {path} lower {lo:.6f} > achieved {best:.6f}")
    for i in opposite:
        print(f"  sample {i}: opposite verdicts " + ", ".join(f"{p}={r[i]['verdict']}" for p, r in runs))


if __name__ == "__main__":
    main()
