#!/bin/sh
# Runs marabou_worker.py in the peers' venv (setup_peers.sh).
VENV=${PRUNECERT_PEERS_VENV:-$HOME/.cache/prunecert-peers-venv}
exec "$VENV/bin/python" "$(dirname "$0")/marabou_worker.py" "$@"
