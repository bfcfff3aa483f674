#!/usr/bin/env python3
"""Keeps f's d_bnd brackets of a bench_substitute eval CSV and takes g's from a re-run.

usage: merge_g_rerun.py EVAL.csv RERUN.csv [--tol T] > MERGED.csv

f's bracket [d_bnd, d_bnd_upper] depends on f alone, so a later run that changes only how the
substitutes are built (e.g. a new x_adv for the linear pruner) need not repeat f's long queries.
For every row of EVAL.csv whose (network, input, pruner, amount) RERUN.csv has:
- g's columns (neurons_g, d_rob_hat, d_bnd_hat, d_bnd_hat_upper, bnd_hat_complete, t_prune,
  t_rob_g, t_bnd_g) and d_adv come from the re-run;
- f's lower end, d_rob and times come from EVAL.csv;
- f's upper end is the smaller of the two runs' upper ends and d_adv's of the re-run (each the
  distance of a confirmed adversarial point of f), and bnd_complete is 1 where the bracket is then
  within the relative tolerance T (default 0.02, the runs' tol).
Rows the re-run lacks are left out (a warning names them), so that the merged CSV holds only
inputs whose g came from the re-run.
"""
import argparse
import csv
import sys

G_COLUMNS = ["neurons_g", "d_rob_hat", "d_bnd_hat", "d_bnd_hat_upper", "bnd_hat_complete", "t_prune", "t_rob_g",
             "t_bnd_g", "d_adv"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("eval_csv")
    ap.add_argument("rerun_csv")
    ap.add_argument("--tol", type=float, default=0.02)
    args = ap.parse_args()
    with open(args.rerun_csv) as f:
        rerun = {(r["network"], r["input"], r["pruner"], r["amount"]): r for r in csv.DictReader(f)}
    with open(args.eval_csv) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("empty CSV")
    out = csv.DictWriter(sys.stdout, fieldnames=list(rows[0].keys()), lineterminator="\n")
    out.writeheader()
    missing = []
    for r in rows:
        new = rerun.get((r["network"], r["input"], r["pruner"], r["amount"]))
        if new is None:
            missing.append(f"{r['network']}:{r['input']}")
            continue
        m = dict(r)
        for k in G_COLUMNS:
            m[k] = new[k]
        lo = float(r["d_bnd"])
        hi = min(float(r["d_bnd_upper"]), float(new["d_bnd_upper"]), float(new["d_adv"]))
        if hi < lo * (1 - 1e-9):
            sys.exit(f"{r['input']}: an adversarial point of f at {hi} lies inside the ball of radius {lo} proven robust")
        m["d_bnd_upper"] = repr(hi)
        m["bnd_complete"] = "1" if r["bnd_complete"] == "1" or hi - lo <= args.tol * hi else "0"
        out.writerow(m)
    if missing:
        print(f"merge_g_rerun: {len(missing)} rows without a re-run left out: {' '.join(sorted(set(missing)))}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
