#!/bin/sh
# bab's step sizes of alpha-CROWN's slopes and beta-CROWN's split multipliers (--alpha-lr,
# --beta-lr) side by side: `prunecert verify --engine bab` on each query below with every pair,
# one after the other, T seconds each. Queries are radii inside or near the d_bnd brackets of the
# substitute evaluation (benchmarks/substitute/results/relu_layer/) on Marabou's deep MNIST nets
# and the FashionMNIST MLPs of examples/ (hard_queries.txt). Prints one CSV row per (query, pair).
# usage: benchmarks/bab/step_sizes.sh [BUILD] [T] ["ALPHA_LR,BETA_LR ..."] [PART/PARTS]
#   (default: build 60 "0.1,0.05 0.25,0.5 0.1,0.5 0.25,0.05" 0/1; needs build/mnist_5k.csv,
#   benchmarks/substitute/fetch_mnist5k.sh, and FashionMNIST for the fmnist_N inputs)
# results/step_sizes_34.csv: two parts side by side (0/2 and 1/2), then the 6 hardest queries
# again with "0.1,0.5 0.1,1 0.1,2".
set -eu
build=${1:-build}
t=${2:-60}
pairs=${3:-0.1,0.05 0.25,0.5 0.1,0.5 0.25,0.05}
part=${4:-0/1}
k=${part%/*}
parts=${part#*/}
M=${SHARED:-../shared}/benchmarks/marabou-resources/nnet/mnist
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "net,input,eps,alpha_lr,beta_lr,verdict,time_s,nodes,margin_lower"
i=0
while read -r net name eps; do
  i=$((i + 1))
  [ $(((i - 1) % parts)) -eq "$k" ] || continue
  case $net in
    mnist*) path=$M/$net ;;
    *) path=examples/$net ;;
  esac
  python3 -c "import sys; sys.path.insert(0, 'benchmarks/substitute'); from seed_f_from_g import write_input; write_input('$tmp/x.txt', '$build/mnist_5k.csv', '$name')"
  for pair in $pairs; do
    a=${pair%,*}
    b=${pair#*,}
    "$build/prunecert" verify --net "$path" --input "$tmp/x.txt" --clip 0,1 --eps "$eps" --engine bab \
      --alpha-lr "$a" --beta-lr "$b" --timeout "$t" --json > "$tmp/out.json" || true
    python3 - "$tmp/out.json" "$net,$name,$eps,$a,$b" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]},{j['verdict']},{j['stats']['time_s']:.2f},{j['stats']['nodes']},{j.get('margin_lower')}")
PY
  done
done <<QUERIES
$(grep -v '^#' "$(dirname "$0")/hard_queries.txt")
QUERIES
