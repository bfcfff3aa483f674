#!/bin/sh
# Sets of `prunecert verify` options side by side on bab's hard queries (hard_queries.txt): each
# query with every set, one after the other, T seconds each, so that all see the same machine
# load. Sets are separated by ';' (an empty set: the defaults). Prints one CSV row per (query, set).
# usage (from the repository root): sh benchmarks/bab/option_sets.sh BUILD T "SET;SET;..." [PART/PARTS]
#   e.g. sh benchmarks/bab/option_sets.sh build 30 "--no-warm-start;--warm-iters 5"
#   (needs build/mnist_5k.csv, benchmarks/substitute/fetch_mnist5k.sh, and FashionMNIST for the
#   fmnist_N inputs)
set -eu
build=$1
t=$2
sets=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/hard_queries.sh"
run_query() {
  echo "$sets" | tr ';' '\n' > "$tmp/sets"
  while IFS= read -r set; do
    # shellcheck disable=SC2086  # a set is a list of options
    "$build/prunecert" verify --net "$1" --input "$tmp/x.txt" --clip 0,1 --eps "$4" --engine bab \
      --timeout "$t" $set --json --stats > "$tmp/out.json" < /dev/null || true
    print_verify_row "$tmp/out.json" "$2,$3,$4,\"$set\""
  done < "$tmp/sets"
}
echo "net,input,eps,options,verdict,time_s,nodes,bound_time_s,margin_lower"
for_each_hard_query "${4:-0/1}" run_query
