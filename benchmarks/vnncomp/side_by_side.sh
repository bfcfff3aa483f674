#!/usr/bin/env bash
# One command for the VNN-COMP 2021 comparison: ACAS Xu (186 instances) and mnistfc 256x2 (30) with
# prunecert's `bab` and `milp` (CBC) engines and the peers Marabou (maraboupy) and, when
# PEERS includes it, HiGHS on prunecert's MPS -- every job through `prunecert bench` (one process
# per job, hard limits, resumable CSV) -- then the cactus plots and the solved/time table.
#
# usage: bash benchmarks/vnncomp/side_by_side.sh          (env: SUITES="mnistfc acasxu" ACAS_TIMEOUT=2 MNIST_TIMEOUT=5
#        PRUNECERT=build/prunecert ENGINES=bab,milp PEERS="marabou" OUT=benchmarks/results/vnncomp2021 NP=1)
# The defaults are short timeouts, chosen for a 2-core machine shared with other builds; VNN-COMP's own
# limits (116 s, 120 s) apply when ACAS_TIMEOUT/MNIST_TIMEOUT are raised above them. Rerunning resumes.
# NP>1 runs each sweep under `mpirun -np NP` (a build with MPI).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PRUNECERT=${PRUNECERT:-build/prunecert}
ENGINES=${ENGINES:-bab,milp}
PEERS=${PEERS:-marabou}
OUT=${OUT:-benchmarks/results/vnncomp2021}
NP=${NP:-1}
SHARED=${SHARED:-$ROOT/../shared/benchmarks/vnncomp2021}
mkdir -p "$OUT"
bash benchmarks/peers/setup_peers.sh > "$OUT/peers.txt" 2>&1 || true
cat "$OUT/peers.txt" >&2

launch() {
  if [ "$NP" -gt 1 ]; then
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_warn_on_fork=0 \
      mpirun --oversubscribe -np "$NP" "$PRUNECERT" "$@"
  else
    "$PRUNECERT" "$@"
  fi
}

for spec in "mnistfc mnistfc_instances.csv ${MNIST_TIMEOUT:-5}" "acasxu acasxu_instances.csv ${ACAS_TIMEOUT:-2}"; do
  case " ${SUITES:-mnistfc acasxu} " in *" ${spec%% *} "*) ;; *) continue ;; esac
  set -- $spec
  name=$1; suite=$SHARED/$1/$2; t=$3
  echo "== $name: engines $ENGINES, peers $PEERS, timeout $t s" >&2
  launch bench --suite "$suite" --engines "$ENGINES" --timeout "$t" -o "$OUT/$name.csv"
  for peer in $PEERS; do
    if grep -q "peers: $peer ok" "$OUT/peers.txt"; then
      launch bench --suite "$suite" --engines "$peer" --worker "benchmarks/peers/${peer}_worker.sh" --timeout "$t" -o "$OUT/$name.csv"
    else
      echo "== $name: peer $peer is not installed: skipped" >&2
    fi
  done
  python3 benchmarks/plots/plot_results.py cactus "benchmarks/plots/${name}_cactus.png" \
    "VNN-COMP 2021 $name, timeout ${t}s per instance" "$OUT/$name.csv"
  echo "### $name (timeout $t s)"
  python3 benchmarks/plots/plot_results.py table "$OUT/$name.csv"
done
