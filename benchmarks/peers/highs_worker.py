"""`prunecert bench --worker benchmarks/peers/highs_worker.sh --engines highs`: solves an instance
with HiGHS (PyPI highspy) on exactly the MILP that `prunecert encode` writes as MPS (big-M, the
margin t minimised; one file per input case). VNN-COMP instances (verify --net --spec) and
pruning instances (prune-verify --net --data --start I --budget B) are both handled; for the
latter the sample is read from the IDX files like prunecert does (pixels / 255) and encoded with
--input/--label/--budget. Prints the JSON of `prunecert verify --json` or `prune-verify --json`.
Verdicts from HiGHS are floating-point answers (as prunecert's CBC back end says of its own)."""
import gzip, json, os, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import worker_args

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def prunecert():
    return os.environ.get("PRUNECERT") or os.path.join(ROOT, "build", "prunecert")


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def sample(data, split, index):
    if "," in data:
        images, labels = data.split(",", 1)
    else:
        prefix = "train" if split == "train" else "t10k"
        d = "/usr/share/datasets/fashion-mnist/"
        images, labels = d + prefix + "-images-idx3-ubyte.gz", d + prefix + "-labels-idx1-ubyte.gz"
    dims, pix = read_idx(images)
    n = 1
    for k in dims[1:]:
        n *= k
    x = [b / 255.0 for b in pix[index * n:(index + 1) * n]]
    _, lab = read_idx(labels)
    return x, lab[index]


def solve_files(files, deadline):
    """Minimum over the models of HiGHS's (dual bound, primal objective); None when not reached."""
    import highspy
    lower, upper, nodes, timed_out = float("inf"), float("inf"), 0, False
    for path in files:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("time_limit", max(0.1, deadline - time.time()))
        h.readModel(path)
        h.run()
        info = h.getInfo()
        status = h.modelStatusToString(h.getModelStatus())
        nodes += int(info.mip_node_count)
        if status == "Optimal":
            lower = min(lower, info.mip_dual_bound if info.mip_dual_bound == info.mip_dual_bound else info.objective_function_value)
            upper = min(upper, info.objective_function_value)
        elif status == "Infeasible":  # an empty input case: nothing to violate there
            continue
        else:
            timed_out = True
            lower = min(lower, info.mip_dual_bound)
            if info.primal_solution_status == 2:
                upper = min(upper, info.objective_function_value)
        if upper <= 0:
            break  # a violating point: no need to solve the other cases
    return lower, upper, nodes, timed_out


def main():
    a = worker_args.parse(sys.argv[1:])
    json_out = worker_args.json_stdout()
    t0 = time.time()
    deadline = t0 + a.timeout
    tmp = tempfile.mkdtemp(prefix="prunecert_highs_")
    enc = [prunecert(), "encode", "--net", a.net, "--format", "mps", "-o", os.path.join(tmp, "model.mps"), "--json"]
    if a.encoding_bounds:
        enc += ["--encoding-bounds", a.encoding_bounds]
    pruning = a.command == "prune-verify"
    if pruning:
        x, label = sample(a.data, a.split, a.start)
        point = os.path.join(tmp, "x.txt")
        with open(point, "w") as f:
            f.write(" ".join(repr(v) for v in x))
        enc += ["--input", point, "--label", str(label), "--eps", repr(a.eps), "--budget", a.budget]
    else:
        enc += ["--spec", a.spec]
    p = subprocess.run(enc, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        return p.returncode
    files = json.loads(p.stdout)["files"]
    lower, upper, nodes, timed_out = solve_files(files, deadline)
    if upper <= 0:
        verdict = "not-robust" if pruning else "sat"
    elif lower > 0:  # HiGHS's dual bound proves the margin positive, finished or not
        verdict = "robust" if pruning else "unsat"
    else:
        verdict = "unknown" if pruning else "timeout"
    for f in files:
        os.remove(f)
    if pruning:
        os.remove(point)
    os.rmdir(tmp)
    num = lambda v: v if abs(v) != float("inf") else None
    if pruning:
        out = {"engine": "highs", "samples": [{"verdict": verdict, "worst_margin_lower": num(lower),
                                               "worst_margin_upper": num(upper), "index": a.start}]}
    else:
        out = {"verdict": verdict, "engine": "highs", "margin_lower": num(lower), "margin_upper": num(upper),
               "note": "floating-point MILP answer (HiGHS)", "stats": {"nodes": nodes}, "time_s": time.time() - t0}
    sys.stdout.flush()
    json_out.write(json.dumps(out) + "\n")
    json_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
