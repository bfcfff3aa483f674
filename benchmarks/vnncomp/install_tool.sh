#!/usr/bin/env bash
# VNN-COMP tool interface: install_tool.sh v1  -- installs the Debian packages and builds prunecert.
set -euo pipefail
[ "${1:-v1}" = "v1" ] || { echo "expected version string v1, got $1" >&2; exit 1; }
cd "$(dirname "$0")/../.."
bash scripts/setup.sh
