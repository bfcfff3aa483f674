# Seed 001 Figure 3 from bench_substitute's eval summary: per network, the mean relative error of
# d_bnd (and d_rob) on the substitute against the mean time including pruning, as a fraction of
# the time on f; the dashed line is the d_adv baseline. Usage:
#   gnuplot -e "summary='eval.summary.csv'; out='figure3.png'" plot_figure3.gp
if (!exists("summary")) summary = 'eval.summary.csv'
if (!exists("out")) out = 'figure3.png'
set datafile separator ','
set terminal pngcairo size 1500,900 font ',10' noenhanced
set output out
set key top right
set logscale x
set logscale y
set grid
stats summary skip 1 using 0 nooutput
nets = system("tail -n +2 ".summary." | cut -d, -f1 | sort -u | tr '\\n' ' '")
n = words(nets)
set multiplot layout 2, n title "seed 001 Figure 3 (prunecert): relative error vs time with pruning / time on f"
do for [metric in "bnd rob"] {
  do for [i=1:n] {
    net = word(nets, i)
    ecol = (metric eq "bnd") ? 9 : 7
    bcol = (metric eq "bnd") ? 10 : 8
    tf = (metric eq "bnd") ? 13 : 11
    tg = (metric eq "bnd") ? 14 : 12
    set title sprintf("%s: d_%s", net, metric)
    set xlabel "time with pruning / time on f"
    set ylabel sprintf("mean |d_%s(g) - d_%s(f)| / d_%s(f)", metric, metric, metric)
    set arrow 1 from 0.5, graph 0 to 0.5, graph 1 nohead dt 3
    plot summary skip 1 using (strcol(1) eq net && strcol(2) eq "constant" ? column(tg)/column(tf) : 1/0):(column(ecol)):(sprintf("%g", column(3))) with labels point pt 7 offset 1,0.5 title "constant (gamma)", \
         summary skip 1 using (strcol(1) eq net && strcol(2) eq "linear" ? column(tg)/column(tf) : 1/0):(column(ecol)):(sprintf("%g", column(3))) with labels point pt 5 offset 1,0.5 title "linear (layers)", \
         summary skip 1 using (strcol(1) eq net && strcol(2) eq "activation" ? column(tg)/column(tf) : 1/0):(column(ecol)):(sprintf("%g", column(3))) with labels point pt 9 offset 1,0.5 title "activation (gamma)", \
         summary skip 1 using (strcol(1) eq net ? column(tg)/column(tf) : 1/0):(column(bcol)) with lines dt 2 lc rgb "gray" title "d_adv baseline"
  }
}
unset multiplot
