#!/bin/sh
# d_bnd by bisection (`prunecert distance --method bnd --engine bab`) on Marabou's deep MNIST nets,
# with --branching relu-babsr and relu-layer one after the other on the same input (intermediate
# bounds: the default, alpha-CROWN with beta on these nets). One CSV row per (network, input,
# rule): the certified lower end `distance`, the upper end, whether the bracket closed within
# --tol 0.02, the time.
# usage (from the repository root; needs build/mnist_5k.csv, benchmarks/substitute/fetch_mnist5k.sh):
#   sh benchmarks/bab/relu_layer_ab.sh [QUERY_TIMEOUT] [NETS] [INPUTS]
#   (default: 10 s per query; mnist10x10 mnist10x20; mnist5k_3957 mnist5k_3892 mnist5k_3717)
#   NETS: Marabou names or paths (examples/fmnist-mlp-standard.onnx, with INPUTS fmnist_0 ...)
set -eu
qt=${1:-10}
nets=${2:-mnist10x10 mnist10x20}
inputs=${3:-mnist5k_3957 mnist5k_3892 mnist5k_3717}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "network,input,branching,distance,upper,complete,time_s"
for net in $nets; do
  case $net in
    */*) file=$net ;;  # a path, e.g. examples/fmnist-mlp-standard.onnx with INPUTS fmnist_N
    *) file=${SHARED:-../shared}/benchmarks/marabou-resources/nnet/mnist/$net.nnet ;;
  esac
  for n in $inputs; do
    python3 -c "
import sys; sys.path.insert(0, 'benchmarks/substitute')
from seed_f_from_g import write_input
write_input('$tmp/$n.txt', 'build/mnist_5k.csv', '$n')"
    for rule in relu-babsr relu-layer; do
      build/prunecert distance --net "$file" --input "$tmp/$n.txt" --clip 0,1 --method bnd --engine bab \
        --branching "$rule" --query-timeout "$qt" --tol 0.02 --json > "$tmp/o.json" 2>/dev/null || true
      python3 - "$tmp/o.json" "$net" "$n" "$rule" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(",".join(sys.argv[2:5] + [str(j.get(k, "")) for k in ("distance", "upper", "complete", "time_s")]))
PY
    done
  done
done
