#!/bin/sh
# d_bnd by bisection (`prunecert distance --method bnd`) on Marabou's mnist10x10, with bab from
# this build, bab from a baseline build (e.g. an older commit), and CBC (`--engine milp`) from this
# build, one after the other on the same input. Prints one CSV row per (input, engine, binary):
# the certified lower end `distance`, the upper end, whether the bracket closed within --tol, time.
# usage (from the repository root; needs build/mnist_5k.csv, benchmarks/substitute/fetch_mnist5k.sh):
#   sh benchmarks/bab/distance_ab_mnist10x10.sh BASELINE_PRUNECERT [QUERY_TIMEOUT] [INPUTS]
#   (default: 10 s per query; mnist5k_4338 mnist5k_2985 mnist5k_936 mnist5k_4925)
set -eu
base=${1:?usage: distance_ab_mnist10x10.sh BASELINE_PRUNECERT [QUERY_TIMEOUT] [INPUTS]}
qt=${2:-10}
inputs=${3:-mnist5k_4338 mnist5k_2985 mnist5k_936 mnist5k_4925}
net=${SHARED:-../shared}/benchmarks/marabou-resources/nnet/mnist/mnist10x10.nnet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "input,engine,binary,distance,upper,complete,time_s"
for n in $inputs; do
  python3 -c "
import sys; sys.path.insert(0, 'benchmarks/substitute')
from seed_f_from_g import write_input
write_input('$tmp/$n.txt', 'build/mnist_5k.csv', '$n')"
  for run in "bab build/prunecert" "bab $base" "milp build/prunecert"; do
    set -- $run
    "$2" distance --net "$net" --input "$tmp/$n.txt" --clip 0,1 --method bnd --engine "$1" \
      --query-timeout "$qt" --tol 0.02 --json > "$tmp/o.json" 2>/dev/null || true
    python3 - "$tmp/o.json" "$n" "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
b = j.get("bnd", j)
print(",".join([sys.argv[2], sys.argv[3], sys.argv[4]] + [str(b.get(k, "")) for k in ("distance", "upper", "complete", "time_s")]))
PY
  done
done
