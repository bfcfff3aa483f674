#!/usr/bin/env python3
"""Pruning-robustness verification on FashionMNIST, the budgets of seed 003 Table 3.

Runs `prunecert prune-verify --data fashion-mnist` for every budget and engine on the same
samples, keeps each run's JSON (per-sample verdicts and times) under --out, and prints one table:
verified accuracy, robust / not-robust / unknown counts and seconds per sample per engine, the
median per-sample time ratio of every engine against `auto` (on the samples both ran), and
whether the verdicts are identical.

An engine name may carry a goal: `milp+decide` runs `--engine milp --goal decide` (the verdict
only; CBC stops at the first counterexample) and is labelled so in the table and file names.

  python3 benchmarks/prune/table3.py --net /tmp/prune_mlp.onnx --first 1000 \
      --engines auto,bab,milp --first-for milp=100 --out benchmarks/prune/results
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

BUDGETS = ["0,0,10%", "0,0,20%", "0,10%,0", "10%,0,0", "0,10%,10%", "5%,5%,10%"]


def run(binary, net, budget, engine, first, timeout, out_path, extra):
    if os.path.exists(out_path):
        with open(out_path) as f:
            return json.load(f)
    cmd = [binary, "prune-verify", "--net", net, "--data", "fashion-mnist", "--first", str(first),
           "--budget", budget, "--engine", engine, "--timeout", str(timeout), "--json"] + extra
    t0 = time.time()
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{res.stdout}\n{res.stderr}")
    j = json.loads(res.stdout)
    j["wall_s"] = time.time() - t0
    j["command"] = " ".join(cmd)
    with open(out_path, "w") as f:
        json.dump(j, f)
    return j


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/prunecert")
    ap.add_argument("--net", required=True)
    ap.add_argument("--first", type=int, default=1000)
    ap.add_argument("--engines", default="auto,bab,milp")
    ap.add_argument("--first-for", action="append", default=[], help="ENGINE=N: fewer samples for a slow engine")
    ap.add_argument("--budgets", default=";".join(BUDGETS))
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--out", default="benchmarks/prune/results")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    first_for = dict(s.split("=") for s in args.first_for)
    engines = args.engines.split(",")
    print(f"| budget | engine | samples | clean acc | verified acc | robust / not / unknown | s per sample | median time ratio vs auto | verdicts = auto |")
    print("|---|---|---|---|---|---|---|---|---|")
    sys.stdout.flush()
    for budget in args.budgets.split(";"):
        runs = {}
        for e in engines:
            n = int(first_for.get(e, args.first))
            tag = budget.replace("%", "pc").replace(",", "_")
            name, _, goal = e.partition("+")
            runs[e] = run(args.binary, args.net, budget, name, n, args.timeout,
                          os.path.join(args.out, f"{tag}_{e.replace('+', '_')}_{n}.json"),
                          ["--goal", goal] if goal else [])
        base = {s["index"]: s for s in runs[engines[0]]["samples"]}
        for e in engines:
            j = runs[e]
            ratios, same, both, conflicts = [], 0, 0, 0
            for s in j["samples"]:
                b = base.get(s["index"])
                if b is None:
                    continue
                both += 1
                same += s["verdict"] == b["verdict"]
                conflicts += {s["verdict"], b["verdict"]} == {"robust", "not-robust"}
                if s["engine"] != "nominal" and b["time_s"] > 0:
                    ratios.append(s["time_s"] / b["time_s"])
            ratio = f"{statistics.median(ratios):.1f}x" if ratios and e != engines[0] else "-"
            print(f"| {budget} | {e} | {j['samples_used']} | {j['clean_accuracy']:.3f} | {j['verified_accuracy']:.3f} | "
                  f"{j['robust']} / {j['not_robust']} / {j['unknown']} | {j['seconds_per_sample']:.4f} | {ratio} | "
                  f"{same}/{both} ({conflicts} opposite) |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
