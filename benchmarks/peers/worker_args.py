"""The arguments `prunecert bench` hands a --worker: the subcommand (verify or prune-verify)
followed by prunecert's own options. Peers parse the ones they need and ignore the rest."""
import argparse


def parse(argv):
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("command")
    for flag in ("--net", "--spec", "--engine", "--data", "--split", "--budget", "--input", "--label",
                 "--encoding", "--encoding-bounds"):
        ap.add_argument(flag, default=None)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--eps", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    a, _ = ap.parse_known_args(argv)
    return a


def json_stdout():
    """Solvers print banners from C++ onto fd 1: point fd 1 at stderr and return a file on the
    original stdout, which then carries nothing but the worker's one JSON object."""
    import os, sys
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    return out
