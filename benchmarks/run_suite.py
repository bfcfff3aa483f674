#!/usr/bin/env python3
"""Runs `prunecert verify` on every instance of a VNN-COMP suite (instances CSV: onnx, vnnlib,
timeout; paths relative to the CSV's folder), one process per instance with a hard time limit,
and compares the verdicts with an expected.csv (onnx, vnnlib, expected). Prints one line per
instance and a summary (decided, contradictions, total time); writes a results CSV.

usage: run_suite.py SUITE.csv --engine bounds [--timeout S] [--expected E.csv] [-o out.csv] [prunecert verify options]
"""
import argparse, csv, json, os, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("suite")
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--timeout", type=float, default=None, help="override the suite's per-instance timeout")
    ap.add_argument("--expected", default=None, help="expected.csv (default: beside the suite)")
    ap.add_argument("--prunecert", default=os.path.join(ROOT, "build", "prunecert"))
    ap.add_argument("-o", "--output", default=None)
    ap.add_argument("--limit", type=int, default=0, help="only the first N instances")
    a, extra = ap.parse_known_args()  # anything else is passed on to prunecert verify
    folder = os.path.dirname(os.path.abspath(a.suite))
    expected = {}
    exp_path = a.expected or os.path.join(folder, "expected.csv")
    if os.path.exists(exp_path):
        with open(exp_path) as f:
            for row in csv.DictReader(f):
                e = row["expected"].strip()
                e = {"violated": "sat", "holds": "unsat"}.get(e, e)
                if e not in ("sat", "unsat", "unknown", ""):
                    sys.exit(f"{exp_path}: expected '{e}' (sat, unsat, violated, holds or unknown)")
                expected[(row["onnx"], row["vnnlib"])] = e
    rows = []
    with open(a.suite) as f:
        for r in csv.reader(f):
            if len(r) >= 3 and not r[0].startswith("#"):
                rows.append((r[0].strip(), r[1].strip(), float(r[2])))
    if a.limit:
        rows = rows[: a.limit]
    results, contradictions, decided, total = [], 0, 0, 0.0
    for i, (onnx, vnnlib, tmo) in enumerate(rows):
        tmo = a.timeout if a.timeout is not None else tmo
        cmd = [a.prunecert, "verify", "--net", os.path.join(folder, onnx), "--spec", os.path.join(folder, vnnlib),
               "--engine", a.engine, "--timeout", str(tmo), "--json"] + extra
        t0 = time.time()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=tmo + 30)
            wall = time.time() - t0
            if p.returncode == 0:
                verdict = json.loads(p.stdout)["verdict"]
            else:
                verdict = "error"
                sys.stderr.write(p.stderr)
        except subprocess.TimeoutExpired:
            wall, verdict = time.time() - t0, "timeout"
        exp = expected.get((onnx, vnnlib), "?")
        bad = verdict in ("sat", "unsat") and exp in ("sat", "unsat") and verdict != exp
        contradictions += bad
        decided += verdict in ("sat", "unsat") and not bad  # a wrong answer is not decided
        total += wall
        results.append(dict(onnx=onnx, vnnlib=vnnlib, engine=a.engine, verdict=verdict, expected=exp,
                            time=f"{wall:.3f}"))
        print(f"[{i + 1}/{len(rows)}] {onnx} {vnnlib}: {verdict} (expected {exp}) {wall:.2f}s"
              + ("  CONTRADICTION" if bad else ""), flush=True)
    print(f"summary: engine {a.engine}: {decided}/{len(rows)} decided "
          f"({sum(r['verdict'] == 'unsat' for r in results)} unsat, {sum(r['verdict'] == 'sat' for r in results)} sat), "
          f"{contradictions} contradictions, total {total:.1f}s")
    if a.output:
        with open(a.output, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(results[0].keys()))
            w.writeheader()
            w.writerows(results)
    return 1 if contradictions else 0


if __name__ == "__main__":
    sys.exit(main())
