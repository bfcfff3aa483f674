"""First-layer bab, two builds side by side, on the radii of mnist10x10 that the nineteenth
session's longer questions (benchmarks/substitute/results/target_f_mnist10x10_long) proved
robust: those first-layer bab proved, and those it left open in 60 s where CBC proved them.

usage (from the repository root, after fetch_mnist5k.sh wrote build/mnist_5k.csv):
  python3 benchmarks/bab/first_layer_ab.py OLD_PRUNECERT NEW_PRUNECERT TIMEOUT WORKDIR > OUT.csv
"""
import glob, json, os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'substitute'))
from seed_f_from_g import run_json, write_input
NET = os.path.join(HERE, '..', '..', '..', 'shared', 'benchmarks', 'marabou-resources', 'nnet', 'mnist', 'mnist10x10.nnet')
OLD, NEW, TIMEOUT, WORK = sys.argv[1:5]
os.makedirs(WORK, exist_ok=True)
cases = []
for f in sorted(glob.glob(os.path.join(HERE, '..', 'substitute', 'results', 'target_f_mnist10x10_long', '*.json'))):
    d = json.load(open(f))
    for q in d['queries']:
        if q['engine'] == 'first-layer' and q['verdict'] == 'unsat':
            cases.append((d['input'], q['eps']))
    # radii first-layer left open within 60 s but CBC proved robust
    fl = {q['eps'] for q in d['queries'] if q['engine'] == 'first-layer' and q['verdict'] == 'timeout'}
    for q in d['queries']:
        if q['engine'] == 'milp' and q['verdict'] == 'unsat' and q['eps'] in fl:
            cases.append((d['input'], q['eps']))
print('input,eps,binary,verdict,time_s,nodes,lp_calls', flush=True)
for name, eps in cases:
    x = os.path.join(WORK, name + '.txt')
    if not os.path.exists(x):
        write_input(x, os.path.join(HERE, '..', '..', 'build', 'mnist_5k.csv'), name)
    for label, b in (('old', OLD), ('new', NEW)):
        j = run_json([b, 'verify', '--net', NET, '--input', x, '--eps', repr(eps), '--clip', '0,1', '--engine', 'bab',
                      '--branching', 'first-layer', '--timeout', TIMEOUT, '--json', '--stats'])
        print('%s,%r,%s,%s,%.2f,%d,%d' % (name, eps, label, j['verdict'], j['time_s'], j['stats']['nodes'], j['stats']['lp_calls']), flush=True)
