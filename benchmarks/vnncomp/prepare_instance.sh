#!/usr/bin/env bash
# VNN-COMP tool interface: prepare_instance.sh v1 CATEGORY ONNX VNNLIB
# Checks that prunecert is built and that it can read the network and the property (exit 1
# otherwise, so the harness records an error instead of a wrong answer), and stops any prunecert
# left running from a previous instance.
set -u
[ "$1" = "v1" ] || { echo "expected version string v1, got $1" >&2; exit 1; }
CATEGORY=$2; ONNX=$3; VNNLIB=$4
HERE=$(cd "$(dirname "$0")" && pwd)
PRUNECERT=${PRUNECERT:-$HERE/../../build/prunecert}
[ -x "$PRUNECERT" ] || { echo "prunecert not built at $PRUNECERT (run install_tool.sh v1)" >&2; exit 1; }
for pid in $(pgrep -x prunecert 2>/dev/null); do
  [ "$(stat -c %u /proc/$pid 2>/dev/null)" = "$(id -u)" ] && kill -9 "$pid" 2>/dev/null
done
echo "prepare $CATEGORY: $(basename "$ONNX") $(basename "$VNNLIB")" >&2
"$PRUNECERT" info --net "$ONNX" >/dev/null || exit 1
"$PRUNECERT" spec --spec "$VNNLIB" >/dev/null || exit 1
exit 0
