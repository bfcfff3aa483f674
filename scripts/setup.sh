#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages) and builds prunecert into build/.
# Used by both Quick start commands; safe to run again (it only installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(cmake g++ make pkg-config libeigen3-dev libboost-graph-dev libboost-program-options-dev
      libgtest-dev libprotobuf-dev protobuf-compiler libonnx-dev nlohmann-json3-dev libgmp-dev
      libz3-dev z3 zlib1g-dev coinor-libcbc-dev coinor-cbc dataset-fashion-mnist gnuplot-nox
      libopenmpi-dev openmpi-bin)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
BUILD=${PRUNECERT_BUILD:-build}
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$BUILD" -j"$(nproc)" >&2
