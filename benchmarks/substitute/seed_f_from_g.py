#!/usr/bin/env python3
"""Tightens the upper end of f's d_bnd bracket in a bench_substitute eval CSV with PGD on f
started from the linear substitute g's boundary point.

usage: seed_f_from_g.py EVAL.csv --net NET.onnx [--mnist build/mnist_5k.csv] --layers N
                        [--inputs mnist5k_A,...] [--query-timeout 20] [--tol 0.02] [--engine milp]
                        [--work DIR] [--prunecert build/prunecert] > SEEDED.csv

For every row of EVAL.csv of the linear pruner with N layers whose bracket on f is open (or the
rows of --inputs), with `prunecert` (the same defaults as bench_substitute eval):
  1. `substitute --method linear --layers 2..N+1` rebuilds g from PGD's point x_adv on f, as the
     benchmark does (the same d_adv as the CSV's is checked: then it is the same x_adv and g);
  2. `distance --method bnd` on g gives g's boundary point x_g (the JSON's "witness"; its bracket
     is recorded beside the CSV's, which may differ: another run of the bisection);
  3. `distance --method adv --attack-start x_g` on f: PGD from x_g. Its answer is the distance of
     an adversarial point of f confirmed by evaluating f, so it is an upper end of f's d_bnd.
The row's d_bnd_upper becomes the smaller of the two upper ends, bnd_complete is recomputed with
the tolerance, and the lower end (certified by the complete engine) is kept. t_bnd_f is not
changed: the seeded PGD is a measurement aid, timed in the JSON files of --work
(step 3's time_s), not part of computing d_bnd on f alone.
"""
import argparse
import csv
import functools
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
from ibp_table import DATA, idx  # noqa: E402  (Debian's dataset-fashion-mnist, its IDX reader)


def load_row(mnist, n):
    with open(mnist) as f:
        for i, line in enumerate(f):
            if i == n:
                v = line.strip().split(",")
                assert len(v) == 785
                return [float(x) / 255.0 for x in v[:784]]
    sys.exit(f"{mnist}: no row {n}")


@functools.lru_cache(maxsize=None)
def read_point(path):
    """A point written by write_vector (an --input file), read once per process."""
    with open(path) as f:
        return tuple(float(v) for v in f.read().split())


def write_vector(path, values):
    """A point as prunecert reads it (--input, --attack-start): whitespace-separated numbers."""
    with open(path, "w") as f:
        f.write(" ".join(repr(v) for v in values) + "\n")


@functools.lru_cache(maxsize=None)
def fashion_test_images():
    """FashionMNIST's test images as idx() gives them, decompressed once per process."""
    return idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz"))


def fashion_row(n):
    """FashionMNIST test image n, pixels / 255 (bench_substitute's fmnist_n)."""
    (count, rows, cols), pixels = fashion_test_images()
    if not 0 <= n < count:
        sys.exit(f"FashionMNIST has no test image {n}")
    size = rows * cols
    return [v / 255.0 for v in pixels[n * size:(n + 1) * size]]


def write_input(path, mnist, name):
    """The input as a file for --input: mnist5k_N (row N of --mnist, pixels / 255) or fmnist_N
    (FashionMNIST test image N, pixels / 255)."""
    kind, n = name.rsplit("_", 1)
    if kind == "fmnist":
        write_vector(path, fashion_row(int(n)))
    elif mnist:
        write_vector(path, load_row(mnist, int(n)))
    else:
        sys.exit(f"{name}: an MNIST input needs --mnist")


def read_rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def write_rows(rows):
    """Eval rows as CSV on standard output."""
    out = csv.DictWriter(sys.stdout, fieldnames=list(rows[0].keys()), lineterminator="\n")
    out.writeheader()
    out.writerows(rows)


def mark_closed(r, tol):
    """bnd_complete of an eval row from its f bracket [d_bnd, d_bnd_upper] and the run's tolerance."""
    lo, hi = float(r["d_bnd"]), float(r["d_bnd_upper"])
    r["bnd_complete"] = "1" if hi - lo <= tol * hi else "0"


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out[out.index("{"):])


def apply(r, rec, tol):
    """f's upper end: the smaller of the row's and the seeded PGD's (both confirmed points)."""
    up = rec.get("f_adv_seeded")
    if up is not None and up < float(r["d_bnd_upper"]):
        r["d_bnd_upper"] = repr(up)
        mark_closed(r, tol)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("--net", required=True)
    ap.add_argument("--mnist", default="", help="build/mnist_5k.csv (for mnist5k_N inputs)")
    ap.add_argument("--layers", type=int, required=True, help="the linear pruner's amount (layers 2..N+1)")
    ap.add_argument("--inputs", default="", help="comma-separated inputs (default: those whose f bracket is open)")
    ap.add_argument("--query-timeout", default="20", help="per-radius limit of g's d_bnd (the run's query_timeout=)")
    ap.add_argument("--encoding-bounds", default="lp", help="the run's bounds=")
    ap.add_argument("--engine", default="milp", help="the run's bnd= (milp or bab)")
    ap.add_argument("--tol", type=float, default=0.02, help="the run's tol=")
    ap.add_argument("--work", default="seed_f_from_g.work")
    ap.add_argument("--prunecert", default="build/prunecert")
    ap.add_argument("--no-crown-start", action="store_true",
                    help="g and its d_bnd with d_adv as before 2026-12-05 (the CSV's run had crown_start=0 or "
                         "predates it): otherwise PGD's different point gives another g than the CSV's")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rows = read_rows(a.csv)
    wanted = set(a.inputs.split(",")) if a.inputs else None
    layers = ",".join(str(k) for k in range(2, a.layers + 2))
    common = ["--clip", "0,1", "--tol", repr(a.tol)]
    on_g = common + (["--no-crown-start"] if a.no_crown_start else [])  # building g and g's d_bnd
    for r in rows:
        if r["pruner"] != "linear" or float(r["amount"]) != a.layers:
            continue
        if (r["input"] not in wanted) if wanted is not None else r["bnd_complete"] == "1":
            continue
        name = r["input"]
        cached = os.path.join(a.work, name + ".json")
        if os.path.exists(cached):  # an earlier run's answer (delete the file to recompute)
            with open(cached) as f:
                rec = json.load(f)
            apply(r, rec, a.tol)
            continue
        x = os.path.join(a.work, name + ".txt")
        write_input(x, a.mnist, name)
        g = os.path.join(a.work, name + ".g.onnx")
        js = run_json([a.prunecert, "substitute", "--net", a.net, "--input", x, "--method", "linear", "--layers", layers,
                       "-o", g, "--json"] + on_g)
        jg = run_json([a.prunecert, "distance", "--net", g, "--input", x, "--method", "bnd", "--engine", a.engine,
                       "--encoding-bounds", a.encoding_bounds, "--query-timeout", a.query_timeout,
                       "--timeout", str(20 * float(a.query_timeout)), "--json"] + on_g)
        # The same x_adv (PGD's point at the same d_adv) gives the same g as the benchmark's.
        same = abs(js["d_adv"] - float(r["d_adv"])) <= 1e-6 * float(r["d_adv"])
        rec = {"input": name, "d_adv": js["d_adv"], "g_same_as_csv": same, "g_lower": jg["lower"],
               "g_upper": jg["upper"], "g_lower_csv": float(r["d_bnd_hat"]),
               "g_upper_csv": float(r["d_bnd_hat_upper"]), "f_upper_before": float(r["d_bnd_upper"])}
        if jg["witness"] is not None:
            xg = os.path.join(a.work, name + ".xg.txt")
            write_vector(xg, jg["witness"])
            jf = run_json([a.prunecert, "distance", "--net", a.net, "--input", x, "--method", "adv",
                           "--attack-start", xg, "--json"] + common)
            rec.update({"f_adv_seeded": jf["upper"], "f_adv_seeded_time_s": jf["time_s"]})
        apply(r, rec, a.tol)
        with open(cached, "w") as f:
            json.dump(rec, f, indent=1)
        print(json.dumps(rec), file=sys.stderr)
        if not same:
            print(f"{name}: d_adv {js['d_adv']} differs from the CSV's {r['d_adv']}: another g", file=sys.stderr)
    write_rows(rows)


if __name__ == "__main__":
    main()
