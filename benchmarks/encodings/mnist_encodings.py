#!/usr/bin/env python3
"""Encoding ablation on Marabou's MNIST NNet nets: the same robustness queries solved by
`prunecert verify --engine smt` (native SMT encoding, Z3) and `--engine milp` (big-M, CBC) with
big-M constants from IBP, from CROWN, from LP-tightened CROWN bounds and from MILP-tightened ones. One process per (net, image, eps, configuration) with a
hard time limit; prints a markdown table (median and total time, verdict counts per configuration)
and writes every run to a CSV.

Images: the 15 MNIST test images of VNN-COMP 2021 mnistfc (prop_<i>_0.03.vnnlib), recovered from
the clipped input boxes (lo = max(0, x - eps), hi = min(1, x + eps)); labels from the file header.

usage: mnist_encodings.py [--prunecert build/prunecert] [--nets mnist10x10,mnist10x20,PATH.onnx]
                          [--eps 0.005,0.01,0.02] [--images 5] [--timeout 60] [-o results.csv]
                          [--configs smt,milp-ibp,milp-crown,milp-lp,milp-milp (default),milp-lp-ideal,milp-milp-ideal]
"""
import argparse, csv, json, os, re, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(ROOT, "..", "shared", "benchmarks")

CONFIGS = [
    ("smt", ["--engine", "smt"]),
    ("milp-ibp", ["--engine", "milp", "--encoding-bounds", "ibp"]),
    ("milp-crown", ["--engine", "milp", "--encoding-bounds", "crown"]),
    ("milp-lp", ["--engine", "milp", "--encoding-bounds", "lp"]),
    ("milp-milp", ["--engine", "milp", "--encoding-bounds", "milp"]),
    # Anderson et al.'s ideal-formulation cuts in CBC's tree (--milp-ideal-cuts), not in the default run
    ("milp-lp-ideal", ["--engine", "milp", "--encoding-bounds", "lp", "--milp-ideal-cuts"]),
    ("milp-milp-ideal", ["--engine", "milp", "--encoding-bounds", "milp", "--milp-ideal-cuts"]),
]
DEFAULT_CONFIGS = "smt,milp-ibp,milp-crown,milp-lp,milp-milp"


def image_from_vnnlib(path, eps=0.03):
    lo, hi, label = {}, {}, None
    with open(path) as f:
        for line in f:
            m = re.match(r"; Mnist property with label: (\d+)", line)
            if m:
                label = int(m.group(1))
            m = re.match(r"\(assert \((<=|>=) X_(\d+) ([-0-9.e]+)\)\)", line.strip())
            if m:
                (hi if m.group(1) == "<=" else lo)[int(m.group(2))] = float(m.group(3))
    x = []
    for i in range(len(lo)):
        l, h = lo[i], hi[i]
        if l <= 0.0 and h < 1.0:
            x.append(max(0.0, h - eps))
        elif h >= 1.0 and l > 0.0:
            x.append(min(1.0, l + eps))
        else:
            x.append((l + h) / 2)
    return x, label


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prunecert", default=os.path.join(ROOT, "build", "prunecert"))
    ap.add_argument("--nets", default="mnist10x10,mnist10x20")
    ap.add_argument("--eps", default="0.005,0.01,0.02")
    ap.add_argument("--images", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--configs", default=DEFAULT_CONFIGS)
    ap.add_argument("-o", "--output", default=os.path.join(HERE, "results_mnist_encodings.csv"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    images = []
    for i in range(a.images):
        x, label = image_from_vnnlib(os.path.join(SHARED, "vnncomp2021", "mnistfc", f"prop_{i}_0.03.vnnlib"))
        p = os.path.join(tmp, f"image_{i}.txt")
        with open(p, "w") as f:
            f.write("\n".join(repr(v) for v in x) + "\n")
        images.append((i, p, label))
    rows = []
    for net in a.nets.split(","):
        # a Marabou MNIST net by name, or any network file by path (e.g. mnistfc's mnist-net_256x2.onnx)
        net_path = net if os.sep in net else os.path.join(SHARED, "marabou-resources", "nnet", "mnist", net + ".nnet")
        for eps in a.eps.split(","):
            for i, img, label in images:
                for name, opts in [c for c in CONFIGS if c[0] in a.configs.split(",")]:
                    cmd = [a.prunecert, "verify", "--net", net_path, "--input", img, "--label", str(label),
                           "--eps", eps, "--clip", "0,1", "--timeout", str(a.timeout), "--json"] + opts
                    t0 = time.time()
                    try:
                        p = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout + 30)
                        wall = time.time() - t0
                        verdict = json.loads(p.stdout)["verdict"] if p.returncode == 0 else "error"
                        if p.returncode != 0:
                            sys.stderr.write(p.stderr)
                    except subprocess.TimeoutExpired:
                        wall, verdict = time.time() - t0, "timeout"
                    rows.append(dict(net=net, eps=eps, image=i, label=label, config=name, verdict=verdict,
                                     time=f"{wall:.3f}"))
                    print(f"{net} eps {eps} image {i}: {name} {verdict} {wall:.2f}s", flush=True)
    with open(a.output, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    # Verdicts must agree wherever two configurations both decided.
    disagreements = 0
    keys = {(r["net"], r["eps"], r["image"]) for r in rows}
    for k in keys:
        v = {r["verdict"] for r in rows if (r["net"], r["eps"], r["image"]) == k and r["verdict"] in ("sat", "unsat")}
        disagreements += len(v) > 1
    print()
    configs = [c for c in CONFIGS if c[0] in a.configs.split(",")]
    print("| net | eps | queries | " + " | ".join(f"{n}: median s (total s), sat/unsat/other" for n, _ in configs) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in configs) + " |")
    for net in a.nets.split(","):
        for eps in a.eps.split(","):
            cells = []
            n = 0
            for name, _ in configs:
                sel = [r for r in rows if r["net"] == net and r["eps"] == eps and r["config"] == name]
                n = len(sel)
                t = [float(r["time"]) for r in sel]
                sat = sum(r["verdict"] == "sat" for r in sel)
                unsat = sum(r["verdict"] == "unsat" for r in sel)
                cells.append(f"{statistics.median(t):.2f} ({sum(t):.1f}), {sat}/{unsat}/{n - sat - unsat}")
            print(f"| {net} | {eps} | {n} | " + " | ".join(cells) + " |")
    print(f"\nverdict disagreements between configurations: {disagreements}; results: {a.output}")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
