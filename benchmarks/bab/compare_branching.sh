#!/usr/bin/env bash
# Branching rules and batch sizes of `bab` on the same instances (nodes and time), issue 5.
# usage: benchmarks/bab/compare_branching.sh BUILD_DIR [TIMEOUT_S] [OUT_DIR] [ACAS_LIMIT] [MNIST_LIMIT]
# Runs bab_run_suite once per configuration on a fixed subset of ACAS Xu (input splitting's home
# ground: 5 inputs) and of mnistfc 256x2 (ReLU splitting's), writing one CSV per configuration
# and a summary table (solved, total time, total nodes) to OUT_DIR/summary.txt.
set -euo pipefail
build=${1:?usage: compare_branching.sh BUILD_DIR [TIMEOUT_S] [OUT_DIR]}
timeout=${2:-30}
out=${3:-benchmarks/results/bab_branching}
acas_limit=${4:-12}    # the first N instances of acasxu_instances.csv (prop_1 on 1_1, 1_2, ...)
mnist_limit=${5:-10}   # 0: skip mnistfc
mkdir -p "$out"
runner="$build/benchmarks/bab_run_suite"
[ -x "$runner" ] || { echo "build it first: make -C $build bab_run_suite" >&2; exit 2; }
summary="$out/summary.txt"
printf "%-8s %-12s %-6s %7s %8s %10s %12s\n" suite branching batch solved timeout time_s nodes > "$summary"
run() {  # suite branching batch limit
  local suite=$1 br=$2 batch=$3 limit=$4
  local csv="$out/${suite}_${br}_b${batch}.csv"
  "$runner" --suite "$suite" --branching "$br" --batch "$batch" --timeout "$timeout" --limit "$limit" \
    --csv "$csv" > "$out/${suite}_${br}_b${batch}.log" || true
  awk -F, -v s="$suite" -v b="$br" -v n="$batch" 'NR>1 { t+=$7; nodes+=$9; if ($4=="sat"||$4=="unsat") ok++; else to++ }
    END { printf "%-8s %-12s %-6s %7d %8d %10.1f %12d\n", s, b, n, ok, to, t, nodes }' "$csv" >> "$summary"
}
for br in input relu-babsr relu-widest; do run acasxu "$br" 64 "$acas_limit"; done
for batch in 1 16 256; do run acasxu input "$batch" "$acas_limit"; done
if [ "$mnist_limit" -gt 0 ]; then
  for br in relu-babsr relu-widest input; do run mnistfc "$br" 64 "$mnist_limit"; done
  for batch in 8 256; do run mnistfc relu-babsr "$batch" "$mnist_limit"; done
fi
cat "$summary"
