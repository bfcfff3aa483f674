#!/usr/bin/env bash
# ACAS Xu properties 3 and 4 with `prunecert verify --engine milp` (big-M, CBC), verdicts compared
# with ../shared/benchmarks/vnncomp2021/acasxu/expected.csv by benchmarks/run_suite.py.
# usage: benchmarks/encodings/acasxu_milp.sh [PRUNECERT] [NETWORKS...] [-- extra verify options]
#   PRUNECERT defaults to build/prunecert; NETWORKS are "i_j" names (default: 1_1 1_7 1_8 1_9 2_1 3_3 4_5 5_9).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$(dirname "$HERE")")"
SUITE="$ROOT/../shared/benchmarks/vnncomp2021/acasxu"
BIN="${1:-$ROOT/build/prunecert}"
shift || true
NETS=()
while [[ $# -gt 0 && "$1" != "--" ]]; do NETS+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
[[ ${#NETS[@]} -eq 0 ]] && NETS=(1_1 1_7 1_8 1_9 2_1 3_3 4_5 5_9)
# run_suite.py reads files relative to the CSV's folder and keys expected.csv by those names:
# a temporary folder of links to the suite holds the subset CSV.
TMP="$(mktemp -d)"
CSV="$TMP/instances.csv"
ln -s "$SUITE"/*.onnx "$SUITE"/prop_3.vnnlib "$SUITE"/prop_4.vnnlib "$TMP"/
for n in "${NETS[@]}"; do
  grep -E "^ACASXU_run2a_${n}_batch_2000.onnx,prop_[34].vnnlib," "$SUITE/acasxu_instances.csv" >> "$CSV"
done
OUT="$HERE/results_acasxu_milp.csv"
python3 "$ROOT/benchmarks/run_suite.py" "$CSV" --engine milp --prunecert "$BIN" \
  --expected "$SUITE/expected.csv" -o "$OUT" "$@" || status=$?
rm -rf "$TMP"
echo "results: $OUT"
exit "${status:-0}"
