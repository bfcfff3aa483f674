#!/bin/sh
# A/B of --milp-ideal-cuts (Anderson et al.'s ideal-formulation cuts in CBC's tree) on six radii of
# Marabou's mnist10x20 that CBC proved in 43-123 s when they were asked in the substitute
# evaluation (benchmarks/substitute/README.md, "Questions on f"): the milp engine deciding, with
# MILP-tightened big-M constants, with and without the cuts, both variants of a radius side by
# side on the two cores.
# usage (repository root, after scripts/setup.sh): sh benchmarks/encodings/ideal_cuts_mnist10x20.sh [TIMEOUT] > OUT.csv
T=${1:-150}
N=../shared/benchmarks/marabou-resources/nnet/mnist/mnist10x20.nnet
R=benchmarks/substitute/results
W=$(mktemp -d)
echo "input,eps,config,verdict,time_s"
for q in target_f_mnist10x20_mid/mnist5k_3892:0.00913 target_f_mnist10x20_mid/mnist5k_3957:0.01436 \
         target_f_mnist10x20_mid/mnist5k_4338:0.00668 target_f_mnist10x20/mnist5k_4934:0.00866 \
         target_f_mnist10x20_new/mnist5k_4803:0.0117 target_f_mnist10x20_mid/mnist5k_193:0.01576; do
  x=${q%%:*}; e=${q##*:}; n=$(basename $x)
  for v in plain ideal; do
    f=""; [ $v = ideal ] && f="--milp-ideal-cuts"
    build/prunecert verify --net $N --input $R/$x.txt --eps $e --clip 0,1 --engine milp --goal decide \
      --encoding-bounds milp --timeout $T $f --json > $W/${n}_$v.json 2> $W/${n}_$v.err &
  done
  wait
  for v in plain ideal; do
    python3 -c "import json; j = json.load(open('$W/${n}_$v.json')); print('$n,$e,$v,' + j['verdict'] + ',' + str(round(j['time_s'], 1)))"
  done
done
rm -rf $W
