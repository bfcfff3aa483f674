#!/usr/bin/env bash
# The GPU checks of issue 9, as one script for a lent GPU machine (CUDA 13 runtime and cuBLAS
# there, no prunecert dependencies): the CUDA equivalence tests, subdomains/s against batch size
# for mnist-net_256x2 and ACAS Xu (bench_cuda), BaB verdicts with --device cpu and cuda, then,
# while time is left, compute-sanitizer on one equivalence test and the whole test suite with a
# GPU present. Every step's log goes to $OUT (default /tmp/gpu_out).
# Prepare here with benchmarks/cuda/device_pack.sh; run there from the repository root:
#   bash benchmarks/cuda/device_check.sh [seconds, default 300] [steps, default all]
# steps: comma list of tests,bench,bab,hard,prune,sanitizer,suite.
set -u
BUDGET=${1:-300}
STEPS=${2:-tests,bench,bab,hard,sanitizer}
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT"
T0=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }
want() { [[ ",$STEPS," == *",$1,"* ]]; }
# step NAME MAX-SECONDS MIN-SECONDS command...: runs with the smaller of MAX and the time left,
# skipped when less than MIN is left; output to $OUT/NAME.log and (its tail) to stdout.
step() {
  local name=$1 max=$2 min=$3; shift 3
  local l; l=$(left)
  if (( l < min )); then echo "== $name: skipped ($l s left)"; return; fi
  local t=$(( max < l - 5 ? max : l - 5 ))
  echo "== $name (limit $t s): $*"
  local s; s=$(date +%s)
  timeout -k 5 "$t" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "== $name: rc $rc, $(( $(date +%s) - s )) s"
}

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tail -n +1
grep PRETTY /etc/os-release; ldd --version | head -1; nproc
rm -rf /tmp/devlib && mkdir -p /tmp/devlib && tar -xJf .devpack/libs.tar.xz -C /tmp/devlib
CUBLAS=$(ldconfig -p | awk '/libcublas.so.13/ {print $NF; exit}')
[ -n "$CUBLAS" ] || CUBLAS=$(find /usr/local /opt /usr/lib -name 'libcublas.so.13*' 2>/dev/null | head -1)
echo "cublas: $CUBLAS"
export LD_LIBRARY_PATH=/tmp/devlib:$(dirname "${CUBLAS:-/nonexistent/x}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# The binaries carry the build machine's source path (fixtures, the CLI for CLI tests).
SRC=$(strings build/tests/prunecert_tests | grep -m1 -E '^/[^ ]*/build/prunecert$' | sed 's#/build/prunecert$##')
[ -n "$SRC" ] || SRC=/work/main
[ ! -e "$SRC" ] && mkdir -p "$(dirname "$SRC")" && ln -s "$PWD" "$SRC" && echo "linked $SRC -> $PWD"
if ! build/prunecert --help > /dev/null 2>&1; then
  echo "binaries do not start with this machine's libc; using the packed one"
  build/prunecert --help 2>&1 | head -3
  LIBCUDA=$(ldconfig -p | awk '/libcuda.so.1/ {print $NF; exit}')
  LD="/tmp/devlib/sys/ld-linux-x86-64.so.2 --library-path /tmp/devlib/sys:$LD_LIBRARY_PATH:$(dirname "${LIBCUDA:-/x/x}")"
else
  LD=""
fi
export OMP_NUM_THREADS=2 PATH=$PATH:/usr/local/cuda/bin
D=.devpack/data
TESTS="$LD build/tests/prunecert_tests"
BENCH="$LD build/benchmarks/bench_cuda"
CLI="$LD build/prunecert"

want tests && step cuda_tests 240 30 $TESTS --gtest_filter='CudaEngine.*:DeviceSelection.*' && tail -25 "$OUT/cuda_tests.log"
if want bench; then
  step bench_mnist_crown_reuse 60 20 $BENCH $D/mnist-net_256x2.onnx $D/prop_0_0.03.vnnlib crown reuse 16384 4096 2 1.0
  cat "$OUT/bench_mnist_crown_reuse.log"
  step bench_acas_crown_reuse 50 20 $BENCH $D/ACASXU_run2a_1_1_batch_2000.onnx $D/prop_2.vnnlib crown reuse 16384 4096 2 0.5
  cat "$OUT/bench_acas_crown_reuse.log"
  step bench_mnist_crown_full 60 20 $BENCH $D/mnist-net_256x2.onnx $D/prop_0_0.03.vnnlib crown full 16384 1024 2 0.5
  cat "$OUT/bench_mnist_crown_full.log"
  step bench_mnist_ibp_reuse 40 20 $BENCH $D/mnist-net_256x2.onnx $D/prop_0_0.03.vnnlib ibp reuse 16384 4096 2 0.5
  tail -9 "$OUT/bench_mnist_ibp_reuse.log"
fi
if want bab; then
  for inst in "mnist-net_256x2.onnx prop_0_0.03.vnnlib" "mnist-net_256x2.onnx prop_1_0.05.vnnlib" \
              "mnist-net_256x2.onnx prop_4_0.03.vnnlib" "ACASXU_run2a_1_1_batch_2000.onnx prop_3.vnnlib" \
              "ACASXU_run2a_1_1_batch_2000.onnx prop_2.vnnlib"; do
    set -- $inst
    for dev in cpu cuda; do
      name=bab_${2%.vnnlib}_${1:0:5}_$dev
      step "$name" 40 10 $CLI verify --net $D/$1 --spec $D/$2 --engine bab --device $dev --timeout 30 --stats
      echo "   $(head -1 "$OUT/$name.log") $(grep -E '^(time|c nodes|c bound_time_s)' "$OUT/$name.log" | tr '\n' ' ')"
    done
  done
fi
if want hard; then
  # ReLU-splitting BaB bounds with alpha-CROWN (on the CPU) unless --no-relu-alpha: CROWN on the GPU.
  step bab_hard_prop_1_0.03_cuda 70 30 $CLI verify --net $D/mnist-net_256x2.onnx --spec $D/prop_1_0.03.vnnlib --engine bab --device cuda --no-relu-alpha --batch 4096 --timeout 60 --stats
  head -4 "$OUT/bab_hard_prop_1_0.03_cuda.log"; grep -E '^c (nodes|bound_time_s|bound_calls)' "$OUT/bab_hard_prop_1_0.03_cuda.log"
fi
if want prune; then
  # Pruning-robustness BaB (mask-aware bounds: the top-s kernels) with either device, per-sample
  # verdicts compared by benchmarks/cuda/compare_prune.py.
  NET=tests/fixtures/fmnist/prune_mlp_784_128_64_32.onnx
  DATA=$D/t10k-images-idx3-ubyte.gz,$D/t10k-labels-idx1-ubyte.gz
  for run in "0,10%,10% 0 300" "5%,5%,10% 0 300" "0,0,20% 0 300" "0,10%,10% 0.002 100"; do
    set -- $run
    for dev in cpu cuda; do
      name=prune_${1//[%,]/_}_eps$2_$dev
      step "$name" 60 15 $CLI prune-verify --net $NET --data $DATA --first $3 --budget $1 --eps $2 --engine bab --device $dev --timeout 20 --json
      python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print('  ', sys.argv[1].split('/')[-1], 'robust', j['robust'], 'not', j['not_robust'], 'unknown', j['unknown'], 's/sample %.4f' % j['seconds_per_sample'])" "$OUT/$name.log" 2>/dev/null
    done
  done
fi
if want sanitizer && command -v compute-sanitizer > /dev/null; then
  step sanitizer 90 40 compute-sanitizer --tool memcheck --print-limit 20 $TESTS --gtest_filter='CudaEngine.MatchesTheCpuEngineWithPruningMasks'
  tail -8 "$OUT/sanitizer.log"
fi
if want suite; then
  step all_tests 300 60 $TESTS --gtest_brief=1
  tail -30 "$OUT/all_tests.log"
fi
echo "== done in $(( $(date +%s) - T0 )) s"
# At most 8 files come back from the lent machine: one archive of all logs.
(cd "$OUT" && tar -czf logs.tar.gz *.log && rm -f *.log)
