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
part=${4:-0/1}
k=${part%/*}
parts=${part#*/}
M=${SHARED:-../shared}/benchmarks/marabou-resources/nnet/mnist
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "net,input,eps,build,verdict,time_s,nodes,bound_time_s,margin_lower"
i=0
grep -v '^#' "$(dirname "$0")/hard_queries.txt" > "$tmp/queries"
while read -r net name eps; do
  i=$((i + 1))
  [ $(((i - 1) % parts)) -eq "$k" ] || continue
  case $net in
    mnist*) path=$M/$net ;;
    *) path=examples/$net ;;
  esac
  python3 -c "import sys; sys.path.insert(0, 'benchmarks/substitute'); from seed_f_from_g import write_input; write_input('$tmp/x.txt', 'build/mnist_5k.csv', '$name')"
  for b in "$old" "$new"; do
    "$b/prunecert" verify --net "$path" --input "$tmp/x.txt" --clip 0,1 --eps "$eps" --engine bab \
      --timeout "$t" --json --stats > "$tmp/out.json" || true
    python3 - "$tmp/out.json" "$net,$name,$eps,$b" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j['stats']
print(f"{sys.argv[2]},{j['verdict']},{s['time_s']:.2f},{s['nodes']},{s['bound_time_s']:.2f},{j.get('margin_lower')}")
PY
  done
done < "$tmp/queries"
