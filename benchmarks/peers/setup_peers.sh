#!/usr/bin/env bash
# Installs the peer verifiers into a Python venv (outside the repository):
#   Marabou through PyPI's maraboupy (+ onnx and onnxruntime, which its ONNX reader imports), HiGHS through highspy.
# Idempotent; prints which peers are usable. A peer that cannot be installed is reported and
# skipped by run_peers.sh -- the tests never need one.
# usage: bash benchmarks/peers/setup_peers.sh      (venv: $PRUNECERT_PEERS_VENV, default ~/.cache/prunecert-peers-venv)
set -u
VENV=${PRUNECERT_PEERS_VENV:-$HOME/.cache/prunecert-peers-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || { echo "peers: cannot create a venv at $VENV (python3-venv missing?): skipping all peers" >&2; exit 0; }
fi
for pkgs in "maraboupy onnx onnxruntime" "highspy numpy"; do
  "$VENV/bin/pip" install -q $pkgs >/dev/null 2>&1 || echo "peers: pip install $pkgs failed" >&2
done
"$VENV/bin/python" -c "import onnx, onnxruntime, maraboupy.Marabou" 2>/dev/null && echo "peers: marabou ok ($VENV)" || echo "peers: marabou NOT available (maraboupy did not install): skipped"
"$VENV/bin/python" -c "import highspy" 2>/dev/null && echo "peers: highs ok ($VENV)" || echo "peers: highs NOT available (highspy did not install): skipped"
