#!/usr/bin/env python3
"""Pruning proofs with certificates: for FashionMNIST test images and pruning budgets, runs
`prunecert verify --engine bab --budget B [--eps E --clip 0,1] --certificate FILE` and, for every
unsat answer, `prunecert check` with the same options, which re-proves each leaf of the tree
(mask decisions among its splits) in exact rational arithmetic. Writes one CSV row per query.

usage: certificates.py --net NET [--net NET ...] --samples 0-19 --budgets "1,1;3,2" --eps 0,0.002
                       [--timeout 60] [--prunecert build/prunecert] [--work DIR] > results.csv
"""
import argparse
import csv
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "substitute"))
sys.path.insert(0, os.path.join(HERE, "..", "train"))
from ibp_table import idx  # noqa: E402
from seed_f_from_g import run_json  # noqa: E402

IMAGES = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def samples(text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--net", action="append", required=True)
    ap.add_argument("--samples", default="0-19")
    ap.add_argument("--budgets", default="1,1;3,2", help="';'-separated --budget values")
    ap.add_argument("--eps", default="0", help="','-separated radii (0: pruning at the point)")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--prunecert", default="build/prunecert")
    ap.add_argument("--work", default="/tmp/prune_certificates")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    (_, rows, cols), pixels = idx(IMAGES)
    size = rows * cols
    out = csv.writer(sys.stdout)
    out.writerow(["network", "sample", "budget", "eps", "verdict", "verify_s", "leaves", "mask_splits", "check",
                  "check_s", "min_leaf_margin"])
    for net in a.net:
        for s in samples(a.samples):
            x = os.path.join(a.work, f"fmnist_test_{s}.txt")
            with open(x, "w") as f:
                f.write("\n".join(repr(b / 255.0) for b in pixels[s * size:(s + 1) * size]) + "\n")
            for budget in a.budgets.split(";"):
                for eps in a.eps.split(","):
                    cert = os.path.join(a.work, "certificate.json")
                    if os.path.exists(cert):
                        os.remove(cert)
                    args = ["--net", net, "--input", x, "--budget", budget, "--eps", eps, "--clip", "0,1"]
                    v = run_json([a.prunecert, "verify", "--engine", "bab", "--timeout", str(a.timeout), "--json",
                                  "--certificate", cert] + args)
                    row = [os.path.basename(net), s, budget, eps, v["verdict"], round(v["time_s"], 3)]
                    if v["verdict"] == "unsat":
                        with open(cert) as f:
                            splits = json.dumps(json.load(f)).count('"mask"')
                        c = run_json([a.prunecert, "check", "--json", "--certificate", cert] + args)
                        row += [c["leaves"], splits, c["verdict"], round(c["time_s"], 3), c.get("min_leaf_margin", "")]
                    else:
                        row += ["", "", "", "", ""]
                    out.writerow(row)
                    sys.stdout.flush()


if __name__ == "__main__":
    main()
