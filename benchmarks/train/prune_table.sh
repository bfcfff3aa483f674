#!/usr/bin/env bash
# Seed 003's claim on FashionMNIST: exact verified accuracy under neuron pruning of the standard
# and the pruning-robust example networks, for the budgets of the pruning issue.
#   bash benchmarks/train/prune_table.sh [BUILD_DIR] [FIRST] [BUDGET...]
# Runs `prunecert prune-verify --net N --data fashion-mnist --first FIRST --budget B --json`
# (engine auto) for both networks and every budget, keeps each JSON answer (per-sample verdicts
# included) in benchmarks/train/results/, and prints a markdown table.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
FIRST="${2:-1000}"
shift $(( $# > 2 ? 2 : $# )) || true
BUDGETS=("$@")
[ ${#BUDGETS[@]} -eq 0 ] && BUDGETS=("0,0,10%" "0,0,20%" "0,10%,0" "10%,0,0" "0,10%,10%" "5%,5%,10%")
RES="$ROOT/benchmarks/train/results"
mkdir -p "$RES"
echo "# $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), first $FIRST test images"
echo "| budget | standard clean | standard verified | prune-robust clean | prune-robust verified | gap (points) | unknown (std / pr) | time s (std / pr) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for b in "${BUDGETS[@]}"; do
  tag=$(echo "$b" | tr -d '%' | tr ',' '-')
  for m in ${ONLY:-standard prune-robust}; do
    out="$RES/prune_${m}_${tag}_first${FIRST}.json"
    # Answers already there are reused (delete them to re-run); REUSE=0 re-runs everything.
    [ "${REUSE:-1}" = 1 ] && [ -s "$out" ] && [ "$out" -nt "$ROOT/examples/fmnist-mlp-$m.onnx" ] && continue
    "$BUILD/prunecert" prune-verify --net "$ROOT/examples/fmnist-mlp-$m.onnx" --data fashion-mnist \
      --first "$FIRST" --budget "$b" --json > "$out.tmp" && mv "$out.tmp" "$out"
  done
  [ "${ONLY:-}" != "" ] && continue  # ONLY=MODEL: just compute that model's answers
  python3 - "$b" "$RES/prune_standard_${tag}_first${FIRST}.json" "$RES/prune_prune-robust_${tag}_first${FIRST}.json" <<'PY'
import json, sys
b, fs, fp = sys.argv[1:]
s, p = json.load(open(fs)), json.load(open(fp))
pc = lambda v: f"{100 * v:.1f}%"
print(f"| {b} | {pc(s['clean_accuracy'])} | {pc(s['verified_accuracy'])} | {pc(p['clean_accuracy'])} | "
      f"{pc(p['verified_accuracy'])} | {100 * (p['verified_accuracy'] - s['verified_accuracy']):+.1f} | "
      f"{s['unknown']} / {p['unknown']} | {s['time_s']:.0f} / {p['time_s']:.0f} |")
PY
done
