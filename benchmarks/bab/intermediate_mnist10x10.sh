#!/bin/sh
# bab with ReLU splitting on Marabou's mnist10x10 (10 hidden layers of 10) at radii proved unsat
# by CBC: for the first N inputs of the 100-input substitute evaluation whose d_bnd lower end is
# above 0 (benchmarks/substitute/results/eval_mnist10x10_cbc100.csv, a radius each CBC proved
# robust), `prunecert verify --engine bab` at that radius with each --intermediate mode, one after
# the other on the same input, T seconds each. Prints one CSV row per (input, mode). Modes:
# inherit, crown, alpha (--intermediate; ReLU splitting), first-layer (--branching first-layer)
# milp (CBC, --encoding-bounds lp, its default decision settings) and auto (verify's default
# engine: bounds, PGD, bab, then CBC and first-layer bab on shares of the time), root-milp (bab
# with --root-bounds milp: every subdomain starts from MILP-tightened intermediate bounds) and
# root-milp-restart (the same after a first search with LP root bounds on a fifth of the time,
# --root-milp-restart 0.2).
# With PRUNECERT_BASELINE=PATH (another prunecert binary, e.g. a build of an older commit) every
# mode also runs with that binary right after, as mode@base: A/B ratios from the same run.
# Modes relu-babsr and relu-layer: bab with that --branching (and the default intermediate bounds);
# root-lp and root-crown: bab with that --root-bounds (and the default branching).
# usage: benchmarks/bab/intermediate_mnist10x10.sh [BUILD] [N] [T] [MODES]
#   (default: build 10 30 "inherit crown alpha"; needs build/mnist_5k.csv, fetch_mnist5k.sh)
set -eu
build=${1:-build}
n=${2:-10}
t=${3:-30}
modes=${4:-inherit crown alpha}
net=${SHARED:-../shared}/benchmarks/marabou-resources/nnet/mnist/mnist10x10.nnet
csv=benchmarks/substitute/results/eval_mnist10x10_cbc100.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
baseline=${PRUNECERT_BASELINE:-}
echo "input,radius,mode,verdict,time_s,nodes,lp_calls"
python3 - "$csv" "$n" "$build/mnist_5k.csv" "$tmp" <<'PY' | while read -r name radius; do
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if float(r["d_bnd"]) > 0]
seen = {}
for r in rows:
    if len(seen) == int(sys.argv[2]):
        break
    seen.setdefault(r["input"], r["d_bnd"])
pixels = {int(s.split("_")[1]) for s in seen}
for i, line in enumerate(open(sys.argv[3])):  # row N of the file is mnist5k_N, pixels / 255
    if i in pixels:
        v = line.strip().split(",")[:784]
        open(f"{sys.argv[4]}/mnist5k_{i}.txt", "w").write(" ".join(repr(float(x) / 255.0) for x in v) + "\n")
for name, radius in seen.items():
    print(name, radius)
PY
  for m in $modes; do
    case $m in
      first-layer) how="--engine bab --branching first-layer" ;;
      milp) how="--engine milp --encoding-bounds lp --goal decide" ;;
      auto) how="--engine auto" ;;
      root-milp) how="--engine bab --root-bounds milp" ;;
      root-lp | root-crown) how="--engine bab --root-bounds ${m#root-}" ;;
      relu-babsr | relu-layer) how="--engine bab --branching $m" ;;
      root-milp-restart) how="--engine bab --root-bounds milp --root-milp-restart 0.2" ;;
      *) how="--engine bab --intermediate $m" ;;
    esac
    for bin in "$build/prunecert" ${baseline:+"$baseline"}; do
      label=$m
      [ "$bin" = "$build/prunecert" ] || label="$m@base"
      # shellcheck disable=SC2086
      "$bin" verify --net "$net" --input "$tmp/$name.txt" --eps "$radius" --clip 0,1 $how \
        --timeout "$t" --json > "$tmp/out.json" || true
      python3 - "$tmp/out.json" "$name" "$radius" "$label" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["stats"]
print(",".join([sys.argv[2], sys.argv[3], sys.argv[4], j["verdict"], "%.2f" % j["time_s"], str(s["nodes"]),
                str(s.get("lp_calls", ""))]))
PY
    done
  done
done
