#!/usr/bin/env bash
# Pruning ablation on the FashionMNIST MLPs of fmnist_prune.csv: the same (network, sample, budget)
# instances through prunecert's engines `auto`, `bab`, `milp` (CBC), `smt` with both mask encodings
# (pb, sortnet), and HiGHS on the MPS that `prunecert encode` writes (peer, when installed); then
# the verified-accuracy-vs-budget plot and the table.
# usage: bash benchmarks/suites/pruning_ablation.sh     (env: TIMEOUT=10 PRUNECERT=build/prunecert OUT=benchmarks/results/pruning)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PRUNECERT=${PRUNECERT:-build/prunecert}
OUT=${OUT:-benchmarks/results/pruning}
TIMEOUT=${TIMEOUT:-10}
SUITE=benchmarks/suites/fmnist_prune.csv
mkdir -p "$OUT"
"$PRUNECERT" bench --suite "$SUITE" --engines auto,bab,milp,smt --mask-encodings pb,sortnet --timeout "$TIMEOUT" -o "$OUT/fmnist.csv"
if bash benchmarks/peers/setup_peers.sh 2>&1 | grep -q "peers: highs ok"; then
  "$PRUNECERT" bench --suite "$SUITE" --engines highs --worker benchmarks/peers/highs_worker.sh --timeout "$TIMEOUT" -o "$OUT/fmnist.csv"
else
  echo "pruning_ablation: highspy is not installed: HiGHS skipped" >&2
fi
python3 benchmarks/plots/plot_results.py accuracy benchmarks/plots/fmnist_pruning_accuracy.png \
  "FashionMNIST MLPs 784-32-16-10: verified accuracy vs budget (timeout ${TIMEOUT}s)" "$OUT/fmnist.csv"
python3 benchmarks/plots/plot_results.py table "$OUT/fmnist.csv"
