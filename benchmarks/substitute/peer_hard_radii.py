#!/usr/bin/env python3
"""Are the radii prunecert's engines leave undecided hard for other solvers too? Runs Marabou
(PyPI maraboupy: DeepPoly, one worker) and HiGHS (PyPI highspy, one thread, on the MILP that
`prunecert encode --encoding-bounds lp` writes) on robustness queries "does the label stay the
arg-max on B_eps(x) intersected with [0, 1]^784?" of an NNet network.

usage (peers' venv from benchmarks/peers/setup_peers.sh):
  ~/.cache/prunecert-peers-venv/bin/python benchmarks/substitute/peer_hard_radii.py \
      --net mnist10x10.nnet --mnist build/mnist_5k.csv --timeout 60 mnist5k_2914:0.02128 ... > OUT.csv

Prints one CSV row per query and solver: input, eps, solver, verdict (sat/unsat/timeout), time_s.
A Marabou counterexample is re-evaluated with `prunecert eval` (its margin printed in `note`).
Answers of both are floating-point answers."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed_f_from_g import load_row, write_vector  # noqa: E402


def label_of(prunecert, net, xfile):
    out = subprocess.run([prunecert, "eval", "--net", net, "--input", xfile, "--json"], check=True,
                         capture_output=True, text=True).stdout
    import json
    j = json.loads(out[out.index("{"):])
    y = j["outputs"]
    return max(range(len(y)), key=lambda i: y[i]), y


def marabou(net_path, x, eps, label, timeout):
    import warnings
    warnings.filterwarnings("ignore")
    from maraboupy import Marabou, MarabouCore, MarabouUtils
    net = Marabou.read_nnet(net_path)
    xin, yout = net.inputVars[0].flatten(), net.outputVars[0].flatten()
    for i, v in enumerate(xin):
        net.setLowerBound(v, max(0.0, x[i] - eps))
        net.setUpperBound(v, min(1.0, x[i] + eps))
    disjuncts = []
    for j in range(len(yout)):
        if j == label:
            continue
        e = MarabouUtils.Equation(MarabouCore.Equation.GE)  # y_j - y_label >= 0
        e.addAddend(1.0, yout[j])
        e.addAddend(-1.0, yout[label])
        e.setScalar(0.0)
        disjuncts.append([e])
    net.addDisjunctionConstraint(disjuncts)
    opts = Marabou.createOptions(timeoutInSeconds=int(timeout), verbosity=0)
    t0 = time.time()
    code, vals, _ = net.solve(options=opts, verbose=False)
    verdict = {"sat": "sat", "unsat": "unsat", "TIMEOUT": "timeout"}.get(code, "unknown:" + code)
    w = [vals[v] for v in xin] if verdict == "sat" else None
    return verdict, time.time() - t0, w


def highs(prunecert, net_path, xfile, eps, label, timeout):
    import highspy
    with tempfile.TemporaryDirectory() as d:
        mps = os.path.join(d, "q.mps")
        subprocess.run([prunecert, "encode", "--net", net_path, "--input", xfile, "--eps", repr(eps), "--clip", "0,1",
                        "--label", str(label), "--encoding-bounds", "lp", "--goal", "decide", "-o", mps],
                       check=True, capture_output=True)
        files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".mps"))
        t0 = time.time()
        verdict = "unsat"
        for f in files:  # one model per competing class, or one model
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("threads", 1)
            h.setOptionValue("time_limit", max(0.1, timeout - (time.time() - t0)))
            h.readModel(f)
            h.run()
            s = h.modelStatusToString(h.getModelStatus())
            if s == "Optimal":
                verdict = "sat"
                break
            if s != "Infeasible":
                verdict = "timeout"
                break
        return verdict, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("queries", nargs="+", help="INPUT:EPS, e.g. mnist5k_2914:0.02128")
    ap.add_argument("--net", required=True)
    ap.add_argument("--mnist", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--solvers", default="marabou,highs")
    ap.add_argument("--prunecert", default="build/prunecert")
    a = ap.parse_args()
    print("input,eps,solver,verdict,time_s,note", flush=True)
    with tempfile.TemporaryDirectory() as d:
        for q in a.queries:
            name, eps = q.split(":")
            eps = float(eps)
            x = load_row(a.mnist, int(name.split("_")[1]))
            xfile = os.path.join(d, name + ".txt")
            write_vector(xfile, x)
            label, _ = label_of(a.prunecert, a.net, xfile)
            for s in a.solvers.split(","):
                note = ""
                if s == "marabou":
                    verdict, t, w = marabou(a.net, x, eps, label, a.timeout)
                    if w is not None:
                        wf = os.path.join(d, "w.txt")
                        write_vector(wf, w)
                        top, y = label_of(a.prunecert, a.net, wf)
                        note = f"prunecert eval: arg-max {top}, margin {y[label] - max(v for i, v in enumerate(y) if i != label):.3g}"
                else:
                    verdict, t = highs(a.prunecert, a.net, xfile, eps, label, a.timeout)
                print(f"{name},{eps},{s},{verdict},{t:.1f},{note}", flush=True)


if __name__ == "__main__":
    main()
