"""Two prunecert builds side by side on a VNN-COMP 2021 suite: `verify --engine bab` on every
instance, the baseline right after the candidate, so ratios come from the same run.

usage (from the repository root):
  python3 benchmarks/bab/suite_ab.py BASE_PRUNECERT NEW_PRUNECERT acasxu|mnistfc TIMEOUT [LIMIT] > OUT.csv
TIMEOUT: seconds per query, or 'suite' for the suite's own timeouts. LIMIT: the first N instances.
Prints one CSV row per (instance, binary) and, on stderr, the solved counts and the total time of
the instances both builds decide.
"""
import csv, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get('SHARED', os.path.join(HERE, '..', '..', '..', 'shared'))
base, new, suite, timeout = sys.argv[1:5]
limit = int(sys.argv[5]) if len(sys.argv) > 5 else None
root = os.path.join(SHARED, 'benchmarks', 'vnncomp2021', suite)
rows = list(csv.reader(open(os.path.join(root, f'{suite}_instances.csv'))))[:limit]
print('net,spec,binary,verdict,time_s,nodes,lp_calls', flush=True)
solved = {'new': 0, 'base': 0}
both = {'new': 0.0, 'base': 0.0}
for net, spec, suite_timeout in rows:
    t = suite_timeout if timeout == 'suite' else timeout
    out = {}
    for label, binary in (('new', new), ('base', base)):
        p = subprocess.run([binary, 'verify', '--net', os.path.join(root, net), '--spec', os.path.join(root, spec),
                            '--engine', 'bab', '--timeout', str(t), '--json'], capture_output=True, text=True)
        try:
            j = json.loads(p.stdout)
            out[label] = (j['verdict'], j['time_s'], j['stats'].get('nodes', ''), j['stats'].get('lp_calls', ''))
        except (ValueError, KeyError):
            out[label] = ('error', 0.0, '', '')
        v, s, nodes, lps = out[label]
        print(f'{net},{spec},{label},{v},{s:.3f},{nodes},{lps}', flush=True)
        solved[label] += v in ('sat', 'unsat')
    if all(out[k][0] in ('sat', 'unsat') for k in out):
        for k in out:
            both[k] += out[k][1]
print(f"solved: new {solved['new']}, base {solved['base']} of {len(rows)}; on those both decide: "
      f"new {both['new']:.1f} s, base {both['base']:.1f} s", file=sys.stderr)
