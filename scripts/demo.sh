#!/usr/bin/env bash
# Quick start 1: install, build, and run prunecert's main job (verify) on the example in examples/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec "${PRUNECERT_BUILD:-build}/prunecert" verify "$@"
