#!/usr/bin/env python3
"""Aggregates bench_substitute's eval rows (one per network, input, pruner, amount) into the
seed-001 Figure 3 summary: mean relative errors of d_rob and d_bnd on g against f, the d_adv
baseline, mean times and speed-ups. Works on a partial CSV (a run stopped early).
Usage: python3 summarize.py results/eval.csv > results/eval.summary.csv"""
import csv
import sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1])))
groups = defaultdict(list)
for r in rows:
    groups[(r["network"], r["pruner"], float(r["amount"]))].append(r)
print("network,pruner,amount,inputs,inputs_bnd,mean_neurons_g,rel_err_rob,baseline_rob,rel_err_bnd,baseline_bnd,"
      "t_rob_f,t_rob_g,t_bnd_f,t_bnd_g,speedup_bnd,speedup_rob")
for (net, pruner, amount), rs in sorted(groups.items()):
    f = lambda r, k: float(r[k])
    rob = [r for r in rs if f(r, "d_rob") > 0]
    bnd = [r for r in rs if r["bnd_complete"] == "1" and r["bnd_hat_complete"] == "1" and f(r, "d_bnd") > 0]
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
    err_rob = mean([abs(f(r, "d_rob_hat") - f(r, "d_rob")) / f(r, "d_rob") for r in rob])
    base_rob = mean([abs(f(r, "d_adv") - f(r, "d_rob")) / f(r, "d_rob") for r in rob])
    err_bnd = mean([abs(f(r, "d_bnd_hat") - f(r, "d_bnd")) / f(r, "d_bnd") for r in bnd])
    base_bnd = mean([abs(f(r, "d_adv") - f(r, "d_bnd")) / f(r, "d_bnd") for r in bnd])
    t = {k: mean([f(r, k) for r in rs]) for k in ("t_rob_f", "t_rob_g", "t_bnd_f", "t_bnd_g")}
    print(f"{net},{pruner},{amount:g},{len(rs)},{len(bnd)},{mean([f(r, 'neurons_g') for r in rs]):.1f},"
          f"{err_rob:.4f},{base_rob:.4f},{err_bnd:.4f},{base_bnd:.4f},{t['t_rob_f']:.4f},{t['t_rob_g']:.4f},"
          f"{t['t_bnd_f']:.4f},{t['t_bnd_g']:.4f},{t['t_bnd_f'] / t['t_bnd_g']:.3f},{t['t_rob_f'] / t['t_rob_g']:.3f}")
