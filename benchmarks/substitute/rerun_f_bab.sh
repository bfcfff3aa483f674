#!/bin/sh
# d_bnd of f afresh, by bisection with bab (`prunecert distance --method bnd --engine bab`), for
# some inputs of an eval CSV: one JSON per input, for merge_f_rerun.py (which takes f's bracket,
# completeness and time from it, and keeps g's columns).
# usage (from the repository root; needs build/mnist_5k.csv, fetch_mnist5k.sh):
#   sh benchmarks/substitute/rerun_f_bab.sh NET.nnet QUERY_TIMEOUT OUT_DIR BRANCHING INPUT...
# e.g. sh benchmarks/substitute/rerun_f_bab.sh ../shared/benchmarks/marabou-resources/nnet/mnist/mnist10x20.nnet \
#        20 benchmarks/substitute/results/relu_layer/f_mnist10x20 relu-layer mnist5k_4338 mnist5k_4934
set -eu
net=${1:?usage: rerun_f_bab.sh NET QUERY_TIMEOUT OUT_DIR BRANCHING INPUT...}
qt=$2
out=$3
rule=$4
shift 4
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in "$@"; do
  python3 -c "
import sys; sys.path.insert(0, 'benchmarks/substitute')
from seed_f_from_g import write_input
write_input('$tmp/$n.txt', 'build/mnist_5k.csv', '$n')"
  build/prunecert distance --net "$net" --input "$tmp/$n.txt" --clip 0,1 --method bnd --engine bab \
    --branching "$rule" --query-timeout "$qt" --tol 0.02 --json > "$out/$n.json" 2>/dev/null || true
done
