#!/usr/bin/env python3
"""Replaces d_bnd of f in a bench_substitute eval CSV by the results of re-running it.

usage: merge_f_rerun.py EVAL.csv [RERUN.json | RERUN.csv]... > MERGED.csv

Each RERUN.json is the output of
  prunecert distance --method bnd --json --net NET --input mnist5k_ROW.txt ... > mnist5k_ROW.json
(the file's name gives the input). For every row of EVAL.csv with that input, the columns of f's
d_bnd (d_bnd, d_bnd_upper, bnd_complete, t_bnd_f) take the re-run's lower end, upper end,
completeness and time (which, like t_bnd_f, includes d_rob and d_adv); g's columns are kept.
A RERUN.csv is a bench_substitute eval CSV of a re-run whole (`names=`): its rows replace the
rows of EVAL.csv with the same network, input, pruner and amount, f's and g's columns alike.
"""
import csv
import json
import os
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rerun = {}
    whole = {}  # (input, pruner, amount) -> a re-run row
    for path in sys.argv[2:]:
        if path.endswith(".csv"):
            with open(path) as f:
                for r in csv.DictReader(f):
                    whole[(r["network"], r["input"], r["pruner"], r["amount"])] = r
            continue
        with open(path) as f:
            text = f.read()
        j = json.loads(text[text.index("{"):])
        rerun[os.path.splitext(os.path.basename(path))[0]] = j
    with open(sys.argv[1]) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("empty CSV")
    # A RERUN.json names only its input, and MNIST inputs share names across networks.
    if rerun and len({r["network"] for r in rows}) > 1:
        sys.exit("RERUN.json files need an EVAL.csv of one network (they do not name theirs)")
    out = csv.DictWriter(sys.stdout, fieldnames=list(rows[0].keys()), lineterminator="\n")
    out.writeheader()
    seen = set()
    for r in rows:
        key = (r["network"], r["input"], r["pruner"], r["amount"])
        if key in whole:
            if r["input"] in rerun:
                sys.exit(r["input"] + ": both a re-run row and a re-run of f")
            seen.add(key)
            r = whole[key]
        j = rerun.get(r["input"])
        if j is not None:
            seen.add(r["input"])
            # distance --json writes null for an end it has not got (no adversarial point: no
            # upper end); the CSV's readers expect numbers.
            r["d_bnd"] = repr(j["lower"]) if j["lower"] is not None else "0"
            r["d_bnd_upper"] = repr(j["upper"]) if j["upper"] is not None else "inf"
            r["bnd_complete"] = "1" if j["complete"] else "0"
            r["t_bnd_f"] = "%.4f" % j["time_s"]
        out.writerow(r)
    missing = (set(rerun) | set(whole)) - seen
    if missing:
        sys.exit("inputs not in the CSV: " + ", ".join(sorted(str(m) for m in missing)))


if __name__ == "__main__":
    main()
