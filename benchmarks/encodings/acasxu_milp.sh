#!/usr/bin/env bash
# ACAS Xu properties 3 and 4 with `prunecert verify --engine milp` (big-M, CBC), verdicts compared
# with ../shared/benchmarks/vnncomp2021/acasxu/expected.csv by benchmarks/run_suite.py.
# usage: benchmarks/encodings/acasxu_milp.sh [PRUNECERT] [NETWORKS...] [-- extra verify options]
#   PRUNECERT defaults to build/prunecert; NETWORKS are "i_j" names (default: all 45);
#   extra options default to "--goal decide --encoding-bounds lp" (big-M constants from
#   LP-tightened bounds; with CROWN constants CBC times out on 1_1 prop 3).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$(dirname "$HERE")")"
SUITE="$ROOT/../shared/benchmarks/vnncomp2021/acasxu"
BIN="${1:-$ROOT/build/prunecert}"
shift || true
NETS=()
while [[ $# -gt 0 && "$1" != "--" ]]; do NETS+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
if [[ ${#NETS[@]} -eq 0 ]]; then
  for i in 1 2 3 4 5; do for j in 1 2 3 4 5 6 7 8 9; do NETS+=("${i}_${j}"); done; done
fi
EXTRA=("$@")
[[ ${#EXTRA[@]} -eq 0 ]] && EXTRA=(--goal decide --encoding-bounds lp)
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
  --expected "$SUITE/expected.csv" -o "$OUT" "${EXTRA[@]}" || status=$?
rm -rf "$TMP"
echo "results: $OUT"
exit "${status:-0}"
