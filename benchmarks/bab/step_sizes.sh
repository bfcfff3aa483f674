#!/bin/sh
# bab's step sizes of alpha-CROWN's slopes and beta-CROWN's split multipliers (--alpha-lr,
# --beta-lr) side by side: `prunecert verify --engine bab` on each query of hard_queries.txt with every pair,
# one after the other, T seconds each. Queries are radii inside or near the d_bnd brackets of the
# substitute evaluation (benchmarks/substitute/results/relu_layer/) on Marabou's deep MNIST nets
# and the FashionMNIST MLPs of examples/. Prints one CSV row per (query, pair).
# usage: benchmarks/bab/step_sizes.sh [BUILD] [T] ["ALPHA_LR,BETA_LR ..."] [PART/PARTS]
#   (default: build 60 "0.1,0.05 0.25,0.5 0.1,0.5 0.25,0.05" 0/1; needs build/mnist_5k.csv,
#   benchmarks/substitute/fetch_mnist5k.sh, and FashionMNIST for the fmnist_N inputs)
# results/step_sizes_34.csv: two parts side by side (0/2 and 1/2), then the 6 hardest queries
# again with "0.1,0.5 0.1,1 0.1,2" (before the bound_time_s column).
set -eu
build=${1:-build}
t=${2:-60}
pairs=${3:-0.1,0.05 0.25,0.5 0.1,0.5 0.25,0.05}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/hard_queries.sh"
run_query() {
  for pair in $pairs; do
    "$build/prunecert" verify --net "$1" --input "$tmp/x.txt" --clip 0,1 --eps "$4" --engine bab \
      --alpha-lr "${pair%,*}" --beta-lr "${pair#*,}" --timeout "$t" --json --stats > "$tmp/out.json" || true
    print_verify_row "$tmp/out.json" "$2,$3,$4,${pair%,*},${pair#*,}"
  done
}
echo "net,input,eps,alpha_lr,beta_lr,verdict,time_s,nodes,bound_time_s,margin_lower"
for_each_hard_query "${4:-0/1}" run_query
