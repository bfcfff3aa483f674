#!/usr/bin/env bash
# Packs what benchmarks/cuda/device_check.sh needs on a GPU machine that has the CUDA 13 runtime
# and cuBLAS but none of prunecert's Debian libraries (the workplace's lent GPU machine, which
# reaches no package registry): the shared libraries of the built binaries (xz-compressed) and
# the benchmark networks read from ../shared and the FashionMNIST test set. Run here after building with CUDA:
#   make -C build -j2 prunecert prunecert_tests bench_cuda && bash benchmarks/cuda/device_pack.sh
# Output: .devpack/ (ignored by git; carry it, with build/prunecert, build/tests/prunecert_tests
# and build/benchmarks/bench_cuda).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${PRUNECERT_BUILD:-build}
SHARED=${PRUNECERT_SHARED:-../shared}
grep -qx '/.devpack/' .git/info/exclude 2>/dev/null || echo '/.devpack/' >> .git/info/exclude
rm -rf .devpack /tmp/devpack_libs
mkdir -p .devpack/data /tmp/devpack_libs/sys
bins="$BUILD/prunecert $BUILD/tests/prunecert_tests $BUILD/benchmarks/bench_cuda"
for b in $bins; do test -x "$b" || { echo "missing $b: build it first" >&2; exit 1; }; done
# Libraries: everything but the CUDA ones (the GPU machine's own cuBLAS, matched to its driver).
# The C/C++ runtime goes to sys/, used only when the machine's glibc is older than this one's.
for lib in $(ldd $bins | awk '/=>/ {print $3}' | sort -u); do
  case "$(basename "$lib")" in
    libcublas*|libcuda.so*) ;;
    libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|libstdc++.so*|libgcc_s.so*) cp -L "$lib" /tmp/devpack_libs/sys/ ;;
    *) cp -L "$lib" /tmp/devpack_libs/ ;;
  esac
done
cp -L /lib64/ld-linux-x86-64.so.2 /tmp/devpack_libs/sys/
tar -C /tmp/devpack_libs -cJf .devpack/libs.tar.xz .
# Networks and properties of the benchmark (and BaB runs) from ../shared.
V=$SHARED/benchmarks/vnncomp2021
cp "$V/mnistfc/mnist-net_256x2.onnx" "$V/mnistfc/prop_0_0.03.vnnlib" "$V/mnistfc/prop_1_0.05.vnnlib" \
   "$V/mnistfc/prop_4_0.03.vnnlib" "$V/mnistfc/prop_1_0.03.vnnlib" .devpack/data/
cp "$V/acasxu/ACASXU_run2a_1_1_batch_2000.onnx" "$V/acasxu/prop_2.vnnlib" "$V/acasxu/prop_3.vnnlib" .devpack/data/ 2>/dev/null || true
# FashionMNIST test set (Debian package dataset-fashion-mnist) for the pruning runs.
cp /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz .devpack/data/
du -sh .devpack .devpack/*
