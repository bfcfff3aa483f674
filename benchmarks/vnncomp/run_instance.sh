#!/usr/bin/env bash
# VNN-COMP tool interface: run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS_FILE TIMEOUT
# Runs `prunecert verify` (engine from $PRUNECERT_ENGINE, default auto) and leaves the result file
# VNN-COMP reads: "sat" followed by the counterexample ((X_i v) and (Y_j v) lines, re-evaluated
# exactly by prunecert), "unsat", "timeout", "unknown" or "error".
set -u
[ "$1" = "v1" ] || { echo "expected version string v1, got $1" >&2; exit 1; }
CATEGORY=$2; ONNX=$3; VNNLIB=$4; RESULTS=$5; TIMEOUT=$6
HERE=$(cd "$(dirname "$0")" && pwd)
PRUNECERT=${PRUNECERT:-$HERE/../../build/prunecert}
ENGINE=${PRUNECERT_ENGINE:-auto}
rm -f "$RESULTS"
# prunecert stops itself at TIMEOUT; `timeout` is the hard stop should it not.
timeout -k 5 "$(awk "BEGIN{print $TIMEOUT + 10}")" "$PRUNECERT" verify --net "$ONNX" --spec "$VNNLIB" \
  --engine "$ENGINE" --timeout "$TIMEOUT" --cex "$RESULTS" >&2
rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then echo timeout > "$RESULTS"
elif [ $rc -ne 0 ] || [ ! -s "$RESULTS" ]; then echo error > "$RESULTS"
fi
echo "$CATEGORY $(basename "$ONNX") $(basename "$VNNLIB"): $(head -1 "$RESULTS")" >&2
exit 0
