#!/usr/bin/env python3
"""Solves MPS files written by `prunecert encode` (or PRUNECERT_CBC_DUMP) with HiGHS, an MILP solver
independent of CBC, and prints the status, optimum and dual bound of each: the reference used to
confirm or refute CBC's minima (benchmarks/encodings/README.md). Optional peer script:
`pip install highspy` (HiGHS is not packaged in Debian 12).

usage: highs_check.py FILE.mps [FILE.mps ...] [--time-limit 120]
"""
import argparse

import highspy


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--time-limit", type=float, default=120.0)
    a = ap.parse_args()
    for path in a.files:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", a.time_limit)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 1e-9)
        h.readModel(path)
        h.run()
        info = h.getInfo()
        print(f"{path}: {h.modelStatusToString(h.getModelStatus())}, objective {info.objective_function_value!r}, "
              f"bound {info.mip_dual_bound!r}")


if __name__ == "__main__":
    main()
