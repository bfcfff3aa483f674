#!/bin/sh
# CBC's feasibility pump on single radii of mnist-net_256x2's d_bnd bisection: `--milp-cbc off`
# (no cuts, no primal heuristics) against `--milp-cbc pump` (the same plus the feasibility pump),
# each run twice, 60 s, no re-check. MNIST rows of fetch_mnist5k.sh's file, by their index as in
# bench_substitute's input names mnist5k_ROW. mnist5k_4338 (an "8") at radii 0.135-0.356, far
# above its boundary (~0.08), is where CBC without the pump found no point in 60 s.
# usage: benchmarks/substitute/cbc_pump.sh [MNIST.csv]   (from the repository root)
set -eu
csv=${1:-build/mnist_5k.csv}
net=../shared/benchmarks/vnncomp2021/mnistfc/mnist-net_256x2.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for q in "3957 0.0295" "3957 0.0302" "4886 0.0300" "4338 0.0704" "4338 0.075" "4338 0.135" "4338 0.209" "4338 0.356"; do
  set -- $q
  sed -n "$(($1 + 1))p" "$csv" | python3 -c "
import sys; v = sys.stdin.read().strip().split(',')
print(' '.join(str(int(a) / 255.0) for a in v[:784]))" > "$tmp/x.txt"
  for s in off pump off pump; do
    out=$(build/prunecert verify --net "$net" --input "$tmp/x.txt" --eps "$2" --clip 0,1 --engine milp --goal decide \
      --encoding-bounds lp --timeout 60 --milp-rechecks 0 --milp-cbc $s 2>/dev/null |
      grep -E "^(sat|unsat|timeout|unknown)$|^time" | tr -s ' \n' ' ')
    echo "mnist5k_$1 eps=$2 $s $out"
  done
done
