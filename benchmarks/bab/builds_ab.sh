#!/bin/sh
# Two builds of prunecert side by side on bab's hard queries (hard_queries.txt): `prunecert verify
# --engine bab` with default options, the old build then the new one on each query, T seconds
# each, so that both see the same machine load. For changes that should leave the search alone and
# only move its speed (the same nodes and margin bounds where both decide), or to measure what a
# change of defaults does. Prints one CSV row per (query, build).
# usage (from the repository root): sh benchmarks/bab/builds_ab.sh OLD_BUILD NEW_BUILD [T] [PART/PARTS]
#   (default: 60 s, 0/1; needs build/mnist_5k.csv, benchmarks/substitute/fetch_mnist5k.sh, and
#   FashionMNIST for the fmnist_N inputs). OLD_BUILD e.g. from `git worktree add /tmp/old REV`
#   and `cmake -S /tmp/old -B /tmp/oldb -DCMAKE_BUILD_TYPE=Release && make -C /tmp/oldb prunecert`.
set -eu
old=$1
new=$2
t=${3:-60}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/hard_queries.sh"
run_query() {
  for b in "$old" "$new"; do
    "$b/prunecert" verify --net "$1" --input "$tmp/x.txt" --clip 0,1 --eps "$4" --engine bab \
      --timeout "$t" --json --stats > "$tmp/out.json" || true
    print_verify_row "$tmp/out.json" "$2,$3,$4,$b"
  done
}
echo "net,input,eps,build,verdict,time_s,nodes,bound_time_s,margin_lower"
for_each_hard_query "${4:-0/1}" run_query
