#!/usr/bin/env python3
"""Narrows f's open d_bnd brackets in a bench_substitute eval CSV where they matter for the
error of the substitute's d_bnd: with queries on f at the radius that would settle the error.

usage: target_f_bracket.py EVAL.csv --net NET [--mnist build/mnist_5k.csv] --amount N
                           [--pruner linear] [--target 0.1] [--rounds 3] [--bab-timeout 15]
                           [--milp-timeout 20] [--first-layer-timeout 20]
                           [--order bab,milp,first-layer] [--milp-bounds lp]
                           [--inputs A,B] [--work DIR] [--hard-from DIR,DIR] [--apply-all] > NARROWED.csv

summarize.py bounds the relative error |d_g - d_f| / d_f of an input whose bracket on g closed,
[lo_g, hi_g], while f's stays open, [lo_f, hi_f], by max((hi_g - lo_f) / lo_f, (hi_f - lo_g) / hi_f)
(bracket_error.py; before 2026-12-07 the second term was divided by lo_f). It is below --target
once lo_f >= hi_g / (1 + target) and hi_f <= lo_g / (1 - target). So for
every such row whose bound is above --target, this asks f one question, "is f robust on the
ball of radius r?", at r = hi_g / (1 + target) (or, where that is outside (lo_f, hi_f), at the
geometric middle of the bracket), up to --rounds times:
  1. `verify --engine bab` (ReLU splitting; its root PGD, stronger than d_adv's, finds most
     counterexamples) for --bab-timeout seconds (a counterexample is then the start of
     `distance --method adv --attack-start`, PGD on f with the distance bisected: a nearer point),
  2. if undecided, `verify --engine milp --goal decide --encoding-bounds lp` (CBC),
  3. if still undecided, `verify --engine bab --branching first-layer`.
(--order changes the order, e.g. first-layer,milp; bab-milp is bab with --root-bounds milp, its
subdomains starting from MILP-tightened bounds, for --bab-timeout; --milp-bounds milp gives CBC
big-M constants tightened by a MILP per unstable neuron.)
Robust (unsat): lo_f = r. A counterexample (sat): hi_f = its L-inf distance from the input
(checked here to be at most r, in [0, 1]^784, and reported with f's margin there by the engine).
Undecided: the input's rounds stop. --hard-from reads the work directories of earlier runs: a
radius every engine left undecided there is "hard", and where the radius above is at or beyond
the smallest hard one above lo_f, the question moves to the geometric middle of [lo_f, hard]
(easier than the boundary, still raising lo_f: what `distance` does after an undecided query).
--aim larger asks, where the upper end's term (hi_f - lo_g) / hi_f is the larger one, at
r = lo_g / (1 - target) instead: a counterexample there brings that term to the target, a proof
shows g off by about that much. --prefer-last asks first the engine that gave the input's latest proof (first-layer bab
proves some inputs' radii in seconds where CBC times out, and the reverse).
--narrow W asks the closed brackets too (closed: within the run's --tol), until hi_f - lo_f <= W *
hi_f: the bound of a closed input still holds the bracket's width.
--attack-restarts N (0: off) first runs a stronger PGD on f (`distance --method adv` with N restarts
and --attack-steps steps, the distance bisected) on every asked row whose upper end keeps its bound
above --target (hi_f > lo_g / (1 - target)): a confirmed point nearer than hi_f lowers it, as a
counterexample does. Both ends stay ends of f's d_bnd, so the bound stays rigorous; the answers show
where g is off as well as where it is not. t_bnd_f is not changed: these queries are a measurement
of the error, not part of computing d_bnd on f (which would have to close the bracket, at least as
much work). One JSON per input in --work holds every query with its time; an existing file is
re-applied instead of recomputed.
"""
import argparse
import json
import math
import os
import sys

from bracket_error import worst_error
from seed_f_from_g import mark_closed, read_point, read_rows, run_json, write_input, write_rows, write_vector


def bound(lo, hi, lo_g, hi_g):
    return worst_error(lo, hi, lo_g, hi_g)


def earlier_queries(dirs, name):
    """The query lists of input name in the work directories dirs of earlier runs, in order."""
    runs = []
    for d in dirs:
        path = os.path.join(d, name + ".json")
        if os.path.exists(path):
            with open(path) as f:
                runs.append(json.load(f)["queries"])
    return runs


def preferred(a, earlier, rec):
    """--prefer-last: the engine of the input's latest proof (this run's queries, else the last
    of the earlier runs that has one) is asked first; None otherwise."""
    if not a.prefer_last:
        return None
    for queries in reversed(earlier + [rec["queries"]]):
        proofs = [q["engine"] for q in queries if q["verdict"] == "unsat"]
        if proofs:
            return proofs[-1]
    return None


def ask(a, x, eps, first=None):
    """f robust on B_eps(x) intersected with [0, 1]^n? Returns (verdict, distance or None, queries).
    first: an engine of --order asked before the others."""
    base = [a.prunecert, "verify", "--net", a.net, "--input", x, "--eps", repr(eps), "--clip", "0,1", "--json"]
    engines = {"bab": (["--engine", "bab"], a.bab_timeout),
               "bab-milp": (["--engine", "bab", "--root-bounds", "milp"], a.bab_timeout),
               "milp": (["--engine", "milp", "--goal", "decide", "--encoding-bounds", a.milp_bounds], a.milp_timeout),
               "first-layer": (["--engine", "bab", "--branching", "first-layer"], a.first_layer_timeout)}
    order = a.order.split(",")
    if first in order:
        order = [first] + [e for e in order if e != first]
    tries = [(name,) + engines[name] for name in order]
    queries = []
    x0 = read_point(x)
    for name, flags, limit in tries:
        if limit <= 0:
            continue
        j = run_json(base + flags + ["--timeout", str(limit)])
        q = {"engine": name, "eps": eps, "verdict": j["verdict"], "time_s": j["time_s"]}
        queries.append(q)
        if j["verdict"] == "unsat":
            return "unsat", None, queries
        if j["verdict"] == "sat":
            w = j["witness"]["x"]
            assert len(w) == len(x0) and all(-1e-12 <= v <= 1 + 1e-12 for v in w), "witness outside [0, 1]^n"
            dist = max(abs(u - v) for u, v in zip(w, x0))
            assert dist <= eps * (1 + 1e-9), f"witness at {dist} outside the ball of radius {eps}"
            q.update({"distance": dist, "margin": j["margin_upper"]})
            # A point with a negative margin at the ball's corner: PGD on f started from it, with
            # the distance bisected, finds confirmed points nearer to x.
            wf = x + ".witness.txt"
            write_vector(wf, w)
            jp = run_json([a.prunecert, "distance", "--net", a.net, "--input", x, "--method", "adv", "--clip", "0,1",
                           "--tol", "0.002", "--attack-start", wf, "--json"])
            queries.append({"engine": "pgd-from-witness", "eps": eps, "verdict": "sat" if jp["upper"] is not None else "unknown",
                            "time_s": jp["time_s"], "distance": jp["upper"] if jp["upper"] is not None else dist})
            return "sat", min(dist, queries[-1]["distance"]), queries
    return "timeout", None, queries


def strong_attack(a, x, hi):
    """PGD on f with a.attack_restarts restarts, the distance bisected: the query (sat with the
    witness's distance, or unknown when PGD found no point)."""
    j = run_json([a.prunecert, "distance", "--net", a.net, "--input", x, "--method", "adv", "--clip", "0,1",
                  "--tol", "0.0005", "--attack-restarts", str(a.attack_restarts), "--attack-steps", str(a.attack_steps),
                  "--json"])
    if j["upper"] is None or not j["witness"]:
        return {"engine": "pgd-strong", "eps": hi, "verdict": "unknown", "time_s": j["time_s"]}
    x0 = read_point(x)
    w = j["witness"]
    assert len(w) == len(x0) and all(-1e-12 <= v <= 1 + 1e-12 for v in w), "witness outside [0, 1]^n"
    dist = max(abs(u - v) for u, v in zip(w, x0))
    assert dist <= j["upper"] * (1 + 1e-9), f"witness at {dist}, reported {j['upper']}"
    return {"engine": "pgd-strong", "eps": hi, "verdict": "sat", "time_s": j["time_s"], "distance": dist}


def hard_radii(earlier):
    """Radii where every engine asked in an earlier run timed out (earlier: its query lists)."""
    out = []
    for queries in earlier:
        by_eps = {}
        for q in queries:
            by_eps.setdefault(q["eps"], []).append(q["verdict"])
        out += [eps for eps, verdicts in by_eps.items() if all(v == "timeout" for v in verdicts)]
    return out


def apply(r, rec, tol):
    lo, hi = float(r["d_bnd"]), float(r["d_bnd_upper"])
    for q in rec["queries"]:
        if q["verdict"] == "unsat":
            lo = max(lo, q["eps"])
        elif q["verdict"] == "sat":
            hi = min(hi, q["distance"])
    assert lo <= hi * (1 + 1e-9), f"{r['input']}: lower end {lo} above upper end {hi}"
    r["d_bnd"], r["d_bnd_upper"] = repr(lo), repr(hi)
    mark_closed(r, tol)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("--net", required=True)
    ap.add_argument("--mnist", default="", help="build/mnist_5k.csv (for mnist5k_N inputs; fmnist_N: FashionMNIST)")
    ap.add_argument("--pruner", default="linear")
    ap.add_argument("--amount", type=float, required=True)
    ap.add_argument("--target", type=float, default=0.1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bab-timeout", type=float, default=15)
    ap.add_argument("--milp-timeout", type=float, default=20)
    ap.add_argument("--first-layer-timeout", type=float, default=20)
    ap.add_argument("--order", default="bab,milp,first-layer", help="the engines asked, in this order")
    ap.add_argument("--milp-bounds", default="lp", help="CBC's --encoding-bounds (lp or milp)")
    ap.add_argument("--tol", type=float, default=0.02, help="the run's tol= (when a bracket counts as closed)")
    ap.add_argument("--inputs", default="")
    ap.add_argument("--work", default="target_f_bracket.work")
    ap.add_argument("--hard-from", default="", help="','-separated work directories of earlier runs")
    ap.add_argument("--attack-restarts", type=int, default=0, help="a stronger PGD on f first (0: off)")
    ap.add_argument("--attack-steps", type=int, default=200)
    ap.add_argument("--aim", default="lower", choices=["lower", "larger"],
                    help="lower: always ask at hi_g / (1 + target); larger: where hi_f - lo_g is the larger "
                         "term of the bound, at lo_g / (1 - target) instead")
    ap.add_argument("--narrow", type=float, default=0,
                    help="ask closed brackets too, until they are this narrow relative (0: only open ones)")
    ap.add_argument("--prefer-last", action="store_true",
                    help="ask first the engine that gave the input's latest proof (this run or --hard-from)")
    ap.add_argument("--apply-all", action="store_true",
                    help="apply the answers in --work to every row of their input (every pruner and amount, "
                         "g's bracket closed or not); questions are still asked on the --pruner --amount rows only")
    ap.add_argument("--prunecert", default="build/prunecert")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rows = read_rows(a.csv)
    wanted = set(a.inputs.split(",")) if a.inputs else None
    for r in rows:
        name = r["input"]
        cached = os.path.join(a.work, name + ".json")
        selected = (r["pruner"] == a.pruner and float(r["amount"]) == a.amount and r["bnd_hat_complete"] == "1"
                    and (wanted is None or name in wanted))
        if os.path.exists(cached) and (selected or a.apply_all):  # f's answers hold for every row of the input
            with open(cached) as f:
                apply(r, json.load(f), a.tol)
            continue
        if not selected:
            continue
        if r["bnd_complete"] == "1" and a.narrow <= 0:
            continue
        lo_g, hi_g = float(r["d_bnd_hat"]), float(r["d_bnd_hat_upper"])
        x = os.path.join(a.work, name + ".txt")
        write_input(x, a.mnist, name)
        rec = {"input": name, "lower_before": float(r["d_bnd"]), "upper_before": float(r["d_bnd_upper"]),
               "g": [lo_g, hi_g], "queries": []}
        earlier = earlier_queries([d for d in a.hard_from.split(",") if d], name)
        hard = hard_radii(earlier)
        lo, hi = float(r["d_bnd"]), float(r["d_bnd_upper"])
        if a.attack_restarts > 0 and hi > lo_g / (1 - a.target):
            q = strong_attack(a, x, hi)
            rec["queries"].append(q)
            apply(r, {"queries": [q]}, a.tol)
        for _ in range(a.rounds):
            lo, hi = float(r["d_bnd"]), float(r["d_bnd_upper"])
            if bound(lo, hi, lo_g, hi_g) <= a.target or hi - lo <= (a.narrow if a.narrow > 0 else a.tol) * hi:
                break
            eps = hi_g / (1 + a.target)
            if a.aim == "larger" and (hi - lo_g) / hi > (hi_g - lo) / lo:  # the upper end keeps the bound up
                eps = lo_g / (1 - a.target)
            if not lo * (1 + 1e-3) < eps < hi * (1 - 1e-3):
                eps = math.sqrt(lo * hi)
            top = min([h for h in hard if h > lo * (1 + 1e-3)], default=math.inf)
            if eps >= top:
                eps = math.sqrt(lo * top)
            verdict, _, queries = ask(a, x, eps, preferred(a, earlier, rec))
            rec["queries"] += queries
            apply(r, {"queries": queries}, a.tol)
            if verdict == "timeout":
                break
        rec.update({"lower": float(r["d_bnd"]), "upper": float(r["d_bnd_upper"]),
                    "bound_before": bound(rec["lower_before"], rec["upper_before"], lo_g, hi_g),
                    "bound": bound(float(r["d_bnd"]), float(r["d_bnd_upper"]), lo_g, hi_g)})
        with open(cached, "w") as f:
            json.dump(rec, f, indent=1)
        print(json.dumps(rec), file=sys.stderr)
    write_rows(rows)


if __name__ == "__main__":
    main()
