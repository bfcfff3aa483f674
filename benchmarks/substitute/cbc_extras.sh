#!/bin/sh
# CBC with and without its cut generators and primal heuristics (--milp-cbc on / off) on single
# robustness radii of the d_bnd bisection (MNIST rows of fetch_mnist5k.sh's file, by their index
# as in bench_substitute's input names mnist5k_ROW) and on ACAS Xu VNN-COMP 2021 properties.
# Prints verdict and time per query and setting. `--milp-cbc auto` is `off` for these queries.
# usage: benchmarks/substitute/cbc_extras.sh [MNIST.csv] [RECHECKS]   (from the repository root)
set -eu
csv=${1:-build/mnist_5k.csv}
rechecks=${2:-0}
shared=../shared/benchmarks
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
row() {  # row INDEX -> $tmp/xINDEX.txt, pixels scaled to [0, 1]
  sed -n "$(($1 + 1))p" "$csv" | python3 -c "
import sys; v = sys.stdin.read().strip().split(',')
print(' '.join(str(int(a) / 255.0) for a in v[:784]))" > "$tmp/x$1.txt"
}
run() {  # run LABEL ARGS...: both settings
  label=$1
  shift
  for s in on off; do
    out=$(build/prunecert verify "$@" --engine milp --goal decide --encoding-bounds lp --timeout 60 \
      --milp-rechecks "$rechecks" --milp-cbc $s --json)
    echo "$out" | python3 -c "import json, sys; j = json.load(sys.stdin); print('$label', '$s', j['verdict'], round(j['time_s'], 2))"
  done
}
m256=$shared/vnncomp2021/mnistfc/mnist-net_256x2.onnx
m10=$shared/marabou-resources/nnet/mnist/mnist10x10.nnet
for q in "$m256 3957 0.0295" "$m256 3957 0.0309" "$m256 3957 0.0302" "$m256 4886 0.0300" "$m256 2985 0.0545" \
         "$m10 602 0.0090"; do
  set -- $q
  row "$2"
  run "$(basename "$1") mnist5k_$2 eps=$3" --net "$1" --input "$tmp/x$2.txt" --eps "$3" --clip 0,1
done
acas=$shared/vnncomp2021/acasxu
for q in "2_1 prop_2" "1_1 prop_3" "3_3 prop_4" "1_9 prop_7"; do
  set -- $q
  run "acasxu $1 $2" --net "$acas/ACASXU_run2a_$1_batch_2000.onnx" --spec "$acas/$2.vnnlib"
done
