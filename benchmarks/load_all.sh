#!/usr/bin/env bash
# Runs `prunecert info` on every .onnx and .nnet file under ../shared/benchmarks and prints, per
# file, "ok" or "refused" with prunecert's one-line message, then the counts. Exits 1 when any file
# gives something other than exit code 0 (loaded) or 2 (refused as bad input): a crash or an
# internal error. Usage: benchmarks/load_all.sh [path/to/prunecert] [benchmarks dir]
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/build/prunecert}"
dir="${2:-$root/../shared/benchmarks}"
[ -x "$bin" ] || { echo "load_all.sh: no prunecert binary at $bin (build first, or pass its path)" >&2; exit 2; }
[ -d "$dir" ] || { echo "load_all.sh: no benchmarks at $dir" >&2; exit 2; }

ok=0 refused=0 broken=0
while IFS= read -r -d '' f; do
  rel="${f#"$dir"/}"
  msg="$("$bin" info --net "$f" 2>&1 >/dev/null)"
  rc=$?
  case $rc in
    0) ok=$((ok + 1)); printf 'ok       %s\n' "$rel" ;;
    2) refused=$((refused + 1)); printf 'refused  %s: %s\n' "$rel" "${msg#prunecert: error: "$f": }" ;;
    *) broken=$((broken + 1)); printf 'BROKEN   %s (exit %d): %s\n' "$rel" "$rc" "$msg" ;;
  esac
done < <(find "$dir" -type f \( -name '*.onnx' -o -name '*.nnet' \) -print0 | sort -z)

printf '\n%d loaded, %d refused, %d broken\n' "$ok" "$refused" "$broken"
[ "$broken" -eq 0 ]
