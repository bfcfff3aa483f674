#!/usr/bin/env bash
# Trains the three example networks of examples/ (784-128-64-32-10, no biases, FashionMNIST)
# and records wall time, test accuracy and the machine's load average for each.
#   bash benchmarks/train/train_examples.sh [BUILD_DIR] [OUT_DIR] [WHICH...]
# BUILD_DIR defaults to build/, OUT_DIR to examples/; WHICH is any of standard prune-robust ibp
# (default: all three). One JSON line per network is appended to benchmarks/train/results/train_log.jsonl and a
# summary line printed. The commands are the ones examples/README.md lists.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
OUT="${2:-$ROOT/examples}"
shift $(( $# > 2 ? 2 : $# )) || true
WHICH=("$@")
[ ${#WHICH[@]} -eq 0 ] && WHICH=(standard prune-robust ibp)
PC="$BUILD/prunecert"
COMMON=(--data fashion-mnist --widths 128,64,32 --no-bias --seed 1)

args_for() {
  case "$1" in
    standard) echo "--loss ce --epochs 10" ;;
    prune-robust) echo "--loss prune-robust --budget 0,0,10% --epochs 20 --timeout 0" ;;
    ibp) echo "--loss ibp --eps 0.1 --epochs 12 --eps-start 1 --eps-length 6 --timeout 0" ;;
    *) echo "unknown network '$1' (standard, prune-robust, ibp)" >&2; exit 2 ;;
  esac
}

for name in "${WHICH[@]}"; do
  out="$OUT/fmnist-mlp-$name.onnx"
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date +%s.%N)
  json=$("$PC" train "${COMMON[@]}" $(args_for "$name") -o "$out" --json)
  end=$(date +%s.%N)
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  wall=$(echo "$end - $start" | bc)
  line=$(python3 - "$name" "$wall" "$load_before" "$load_after" "$(nproc)" <<PY
import json, sys
j = json.loads('''$json''')
name, wall, lb, la, cores = sys.argv[1:]
rec = {"network": name, "wall_s": round(float(wall), 1), "test_accuracy": j["test_accuracy"],
       "train_accuracy": j["train_accuracy"], "epochs": len(j["epochs"]), "command": j["command"],
       "load_before": lb, "load_after": la, "cores": int(cores)}
for k in ("ibp_verified", "bound_robust"):
    if k in j: rec[k] = j[k]
print(json.dumps(rec))
PY
)
  mkdir -p "$ROOT/benchmarks/train/results"
  echo "$line" >> "$ROOT/benchmarks/train/results/train_log.jsonl"
  echo "$line"
done
