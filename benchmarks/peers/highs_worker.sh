#!/bin/sh
# Runs highs_worker.py in the peers' venv (setup_peers.sh).
VENV=${PRUNECERT_PEERS_VENV:-$HOME/.cache/prunecert-peers-venv}
exec "$VENV/bin/python" "$(dirname "$0")/highs_worker.py" "$@"
