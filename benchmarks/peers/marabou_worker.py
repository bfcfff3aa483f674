"""`prunecert bench --worker benchmarks/peers/marabou_worker.sh --engines marabou`: solves a
VNN-COMP instance (verify --net N.onnx --spec S.vnnlib) with Marabou (PyPI maraboupy, DeepPoly
tightening, one worker) and prints the JSON that `prunecert verify --json` prints, so the rows land
in the same CSV columns. Marabou has no pruning masks: prune-verify instances exit 3 (an error row)."""
import json, math, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import worker_args


def main():
    a = worker_args.parse(sys.argv[1:])
    if a.command != "verify" or not a.spec:
        print("marabou_worker: only `verify --net N --spec S` instances (no pruning masks in Marabou)", file=sys.stderr)
        return 3
    json_out = worker_args.json_stdout()
    import warnings
    warnings.filterwarnings("ignore")
    from maraboupy import Marabou, MarabouCore
    t0 = time.time()
    net = Marabou.read_onnx(a.net)
    ipq = net.getInputQuery()
    MarabouCore.loadProperty(ipq, a.spec)
    opts = Marabou.createOptions(timeoutInSeconds=max(1, int(math.ceil(a.timeout))), verbosity=0)
    exit_code, vals, stats = MarabouCore.solve(ipq, opts, "")
    verdict = {"sat": "sat", "unsat": "unsat", "TIMEOUT": "timeout"}.get(exit_code, "unknown")
    out = {"verdict": verdict, "engine": "marabou", "time_s": time.time() - t0, "note": "Marabou " + exit_code,
           "stats": {"nodes": int(stats.getUnsignedAttribute(MarabouCore.StatisticsUnsignedAttribute.NUM_VISITED_TREE_STATES))}}
    if verdict == "sat":
        out["witness"] = {"x": [vals[ipq.inputVariableByIndex(i)] for i in range(ipq.getNumInputVariables())]}
    sys.stdout.flush()
    json_out.write(json.dumps(out) + "\n")
    json_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
