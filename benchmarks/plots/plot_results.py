#!/usr/bin/env python3
"""Plots and tables from `prunecert bench` results CSVs (gnuplot from Debian, PNG output).

  plot_results.py cactus   OUT.png TITLE RESULTS.csv...   instances solved vs time, one line per engine+options
  plot_results.py accuracy OUT.png TITLE RESULTS.csv...   pruning suites: verified accuracy vs budget per engine+options
  plot_results.py table    RESULTS.csv...                 markdown table: solved (sat/unsat), contradictions, failures, times

Series are (engine, options) over all given files. 'Solved' means a decided verdict (sat, unsat,
robust, not-robust); a verdict contradicting the suite's expected one is counted separately and
never as solved."""
import collections, csv, os, subprocess, sys, tempfile

SOLVED = {"sat", "unsat", "robust", "not-robust"}
SAT = {"sat", "not-robust"}


def rows(paths):
    for p in paths:
        with open(p, newline="") as f:
            yield from csv.DictReader(f)


def series_name(r):
    return r["engine"] + (" " + r["options"] if r["options"] else "")


def contradicts(r):
    e = r["expected"]
    return r["verdict"] in SOLVED and e in ("sat", "unsat") and (r["verdict"] in SAT) != (e == "sat")


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def cactus(out, title, paths):
    times = collections.defaultdict(list)
    total = collections.Counter()
    for r in rows(paths):
        name = series_name(r)
        total[name] += 1
        if r["verdict"] in SOLVED and not contradicts(r):
            times[name].append(float(r["time_s"]))
    tmp = tempfile.mkdtemp(prefix="prunecert_plot_")
    plots = []
    for i, name in enumerate(sorted(total)):
        path = os.path.join(tmp, f"s{i}.dat")
        with open(path, "w") as f:
            for k, t in enumerate(sorted(times[name]), 1):
                f.write(f"{k} {t}\n")
        plots.append(f"'{path}' using 1:2 with linespoints lw 2 pt 7 ps 0.5 title '{name} ({len(times[name])}/{total[name]})'")
    gnuplot(f"""set terminal pngcairo size 900,600 noenhanced
set output '{out}'
set title '{title}'
set xlabel 'instances solved'
set ylabel 'time per instance (s), sorted'
set logscale y
set yrange [0.05:*]
set key left top
set grid
plot {', '.join(plots)}
""")


def accuracy(out, title, paths):
    # instance names of pruning suites: "NET sample I budget B eps E"
    robust = collections.defaultdict(collections.Counter)
    count = collections.defaultdict(collections.Counter)
    for r in rows(paths):
        parts = r["instance"].split(" ")
        budget = parts[parts.index("budget") + 1]
        net = os.path.basename(parts[0]).replace(".onnx", "")
        name = net + " " + series_name(r)
        count[name][budget] += 1
        robust[name][budget] += r["verdict"] == "robust"
    budgets = sorted({b for c in count.values() for b in c}, key=budget_key)
    tmp = tempfile.mkdtemp(prefix="prunecert_plot_")
    plots = []
    for i, name in enumerate(sorted(count)):
        path = os.path.join(tmp, f"a{i}.dat")
        with open(path, "w") as f:
            for j, b in enumerate(budgets):
                if count[name][b]:
                    f.write(f"{j} {robust[name][b] / count[name][b]}\n")
        plots.append(f"'{path}' using 1:2 with linespoints lw 2 title '{name}'")
    xt = ", ".join(f"'{b}' {j}" for j, b in enumerate(budgets))
    gnuplot(f"""set terminal pngcairo size 1000,750 noenhanced
set output '{out}'
set title '{title}'
set xlabel 'pruning budget s_k per hidden layer'
set ylabel 'verified accuracy'
set xtics ({xt})
set xrange [-0.3:{len(budgets) - 0.7}]
set yrange [0:1]
set key below maxrows 6
set grid
plot {', '.join(plots)}
""")


def budget_key(b):
    try:
        return sum(float(x.rstrip("%")) for x in b.split(","))
    except ValueError:
        return 0


def table(paths):
    agg = collections.OrderedDict()
    for r in rows(paths):
        name = series_name(r)
        a = agg.setdefault(name, collections.Counter())
        a["jobs"] += 1
        a["time"] += float(r["time_s"])
        if contradicts(r):
            a["contra"] += 1
        elif r["verdict"] in SOLVED:
            a["solved"] += 1
            a["sat" if r["verdict"] in SAT else "unsat"] += 1
            a["solved_time"] += float(r["time_s"])
        elif r["verdict"] in ("crash", "memout", "error"):
            a["failed"] += 1
        else:
            a["undecided"] += 1
    print("| engine (options) | instances | solved | sat / unsat | timeout/unknown | failed | contradicting expected | total time (s) | time on solved (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, a in agg.items():
        print(f"| `{name}` | {a['jobs']} | {a['solved']} | {a['sat']} / {a['unsat']} | {a['undecided']} | {a['failed']} | "
              f"{a['contra']} | {a['time']:.0f} | {a['solved_time']:.0f} |")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    kind = sys.argv[1]
    if kind == "table":
        table(sys.argv[2:])
    elif kind in ("cactus", "accuracy") and len(sys.argv) >= 5:
        (cactus if kind == "cactus" else accuracy)(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
