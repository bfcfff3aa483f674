#!/usr/bin/env python3
"""Aggregates bench_substitute's eval rows (one per network, input, pruner, amount) into the
seed-001 Figure 3 summary: mean relative errors of d_rob and d_bnd on g against f, the d_adv
baseline, mean times and speed-ups. Works on a partial CSV (a run stopped early).

Where d_bnd of f stays an open bracket [lo_f, hi_f] (bab did not decide near the boundary in
time) no relative error can be computed, but it can be bounded: for an input whose bracket on
g is closed, [lo_g, hi_g], the error |d_g - d_f| / d_f is at most
max((hi_g - lo_f) / lo_f, (hi_f - lo_g) / hi_f), the worst case over both brackets (before
2026-12-07 the second term was divided by lo_f, a looser bound). The columns `inputs_g_closed`, `rel_err_bnd_bound` (mean of
that bound over those inputs) and `speedup_bnd_lower` (time spent on f over time on g, same
inputs; a lower bound of the speed-up when f's bracket did not close) report it.
`speedup_bnd_both_closed` is the speed-up over the inputs of `rel_err_bnd` (both brackets closed),
so that error and speed-up describe the same inputs. hi_g is the
CSV's d_bnd_hat_upper, or lo_g / (1 - tol) for CSVs without that column (bisection tolerance).

--groups prints instead, per (network, pruner, amount), the rows of the README tables: the inputs
where both brackets closed, where g's closed, where g's stayed open, and all, each with its count,
mean error (both closed; its max), mean bound, mean t_bnd_f and t_bnd_g, their ratio, and the
median d_adv. "all" bounds an open g bracket by the same formula with hi_g its upper end.

Usage: python3 summarize.py results/eval.csv [--tol 0.01] [--groups] > results/eval.summary.csv"""
import argparse
import csv
from collections import defaultdict

from bracket_error import worst_error

ap = argparse.ArgumentParser()
ap.add_argument("csv")
ap.add_argument("--tol", type=float, default=1e-2, help="relative bisection tolerance of the run (tol=)")
ap.add_argument("--groups", action="store_true", help="the rows of the README tables (both closed, g closed, g open, all)")
args = ap.parse_args()

rows = list(csv.DictReader(open(args.csv)))
groups = defaultdict(list)
for r in rows:
    groups[(r["network"], r["pruner"], float(r["amount"]))].append(r)
if args.groups:
    print("network,pruner,amount,rows,inputs,mean_err,max_err,mean_bound,t_bnd_f,t_bnd_g,speedup,median_d_adv")
else:
    print("network,pruner,amount,inputs,inputs_bnd,mean_neurons_g,rel_err_rob,baseline_rob,rel_err_bnd,baseline_bnd,"
          "t_rob_f,t_rob_g,t_bnd_f,t_bnd_g,speedup_bnd,speedup_rob,inputs_g_closed,rel_err_bnd_bound,speedup_bnd_lower,"
          "speedup_bnd_both_closed")


def f(r, k):
    return float(r[k])


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def hi_g(r):
    if r.get("d_bnd_hat_upper"):
        return f(r, "d_bnd_hat_upper")
    # Older CSVs without the column: a closed bracket ends within tol of its lower end; an open
    # one's upper end is unknown.
    return f(r, "d_bnd_hat") / (1 - args.tol) if r["bnd_hat_complete"] == "1" else float("inf")


def both_closed(rs):
    """The rows whose brackets closed on f and on g (their relative error is known)."""
    return [r for r in rs if r["bnd_complete"] == "1" and r["bnd_hat_complete"] == "1" and f(r, "d_bnd") > 0]


def g_closed(rs):
    """The rows whose bracket closed on g (their relative error is bounded by bound_of)."""
    return [r for r in rs if r["bnd_hat_complete"] == "1"]


def rel_err_bnd(r):
    return abs(f(r, "d_bnd_hat") - f(r, "d_bnd")) / f(r, "d_bnd")


def bound_of(r):
    return worst_error(f(r, "d_bnd"), f(r, "d_bnd_upper"), f(r, "d_bnd_hat"), hi_g(r))


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return float("nan") if n == 0 else xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def print_groups(net, pruner, amount, rs):
    both, closed = both_closed(rs), g_closed(rs)
    # Rows whose f lower end is 0 stay in: their bound is inf, not left out.
    open_g = [r for r in rs if r["bnd_hat_complete"] != "1"]
    every = list(rs)
    for name, g in (("both_closed", both), ("g_closed", closed), ("g_open", open_g), ("all", every)):
        errs = [rel_err_bnd(r) for r in g] if name == "both_closed" else []
        tf, tg = mean([f(r, "t_bnd_f") for r in g]), mean([f(r, "t_bnd_g") for r in g])
        print(f"{net},{pruner},{amount:g},{name},{len(g)},{mean(errs):.4f},{max(errs, default=float('nan')):.4f},"
              f"{mean([bound_of(r) for r in g]):.4f},{tf:.1f},{tg:.1f},{tf / tg if g else float('nan'):.3f},"
              f"{median([f(r, 'd_adv') for r in g]):.4f}")


for (net, pruner, amount), rs in sorted(groups.items()):
    if args.groups:
        print_groups(net, pruner, amount, rs)
        continue
    rob = [r for r in rs if f(r, "d_rob") > 0]
    bnd = both_closed(rs)
    err_rob = mean([abs(f(r, "d_rob_hat") - f(r, "d_rob")) / f(r, "d_rob") for r in rob])
    base_rob = mean([abs(f(r, "d_adv") - f(r, "d_rob")) / f(r, "d_rob") for r in rob])
    err_bnd = mean([rel_err_bnd(r) for r in bnd])
    base_bnd = mean([abs(f(r, "d_adv") - f(r, "d_bnd")) / f(r, "d_bnd") for r in bnd])
    t = {k: mean([f(r, k) for r in rs]) for k in ("t_rob_f", "t_rob_g", "t_bnd_f", "t_bnd_g")}
    closed = g_closed(rs)
    bound = mean([bound_of(r) for r in closed])
    sp_lower = mean([f(r, "t_bnd_f") for r in closed]) / mean([f(r, "t_bnd_g") for r in closed]) if closed else float("nan")
    sp_both = mean([f(r, "t_bnd_f") for r in bnd]) / mean([f(r, "t_bnd_g") for r in bnd]) if bnd else float("nan")
    print(f"{net},{pruner},{amount:g},{len(rs)},{len(bnd)},{mean([f(r, 'neurons_g') for r in rs]):.1f},"
          f"{err_rob:.4f},{base_rob:.4f},{err_bnd:.4f},{base_bnd:.4f},{t['t_rob_f']:.4f},{t['t_rob_g']:.4f},"
          f"{t['t_bnd_f']:.4f},{t['t_bnd_g']:.4f},{t['t_bnd_f'] / t['t_bnd_g']:.3f},{t['t_rob_f'] / t['t_rob_g']:.3f},"
          f"{len(closed)},{bound:.4f},{sp_lower:.3f},{sp_both:.3f}")
