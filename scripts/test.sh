#!/usr/bin/env bash
# Quick start 2: install, build, and run the whole test suite (ctest label "quick").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cd "${PRUNECERT_BUILD:-build}"
ctest -L quick --output-on-failure -j"$(nproc)" --timeout 600
