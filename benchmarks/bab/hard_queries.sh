# Sourced by step_sizes.sh and builds_ab.sh (POSIX sh): the query loop over hard_queries.txt.
# Needs $tmp (a scratch folder) and build/mnist_5k.csv (benchmarks/substitute/fetch_mnist5k.sh).
#   for_each_hard_query PART CALLBACK: for each query of hard_queries.txt in PART (K/N: every N-th
#     from the K-th), writes its input point to $tmp/x.txt and runs CALLBACK PATH NET NAME EPS.
#   print_verify_row JSON PREFIX: one CSV row PREFIX,verdict,time_s,nodes,bound_time_s,margin_lower
#     from `prunecert verify --json --stats` output.
hard_queries_dir=$(dirname "$0")

for_each_hard_query() {
  _k=${1%/*}
  _parts=${1#*/}
  _i=0
  _marabou=${SHARED:-../shared}/benchmarks/marabou-resources/nnet/mnist
  grep -v '^#' "$hard_queries_dir/hard_queries.txt" > "$tmp/queries"
  while read -r _net _name _eps; do
    _i=$((_i + 1))
    [ $(((_i - 1) % _parts)) -eq "$_k" ] || continue
    case $_net in
      mnist*) _path=$_marabou/$_net ;;
      *) _path=examples/$_net ;;
    esac
    python3 -c "import sys; sys.path.insert(0, 'benchmarks/substitute'); from seed_f_from_g import write_input; write_input('$tmp/x.txt', 'build/mnist_5k.csv', '$_name')"
    "$2" "$_path" "$_net" "$_name" "$_eps"
  done < "$tmp/queries"
}

print_verify_row() {
  python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j['stats']
print(f"{sys.argv[2]},{j['verdict']},{s['time_s']:.2f},{s['nodes']},{s['bound_time_s']:.2f},{j.get('margin_lower')}")
PY
}
