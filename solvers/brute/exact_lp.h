// Internal to solvers/brute: small LPs over a box with exact (GMP rational) data and certified
// answers. Clp solves in doubles; its duals give an exact Lagrangian lower bound and its Farkas
// ray an exact infeasibility proof; when a certificate is too weak, Z3 solves the LP exactly.
#pragma once
#include <gmpxx.h>

#include <vector>

namespace solvers::brute {

// a . v + c, one entry of a per variable.
struct Affine {
  std::vector<mpq_class> a;
  mpq_class c;
};

// minimise objective(v) subject to row(v) <= 0 for every row and lo <= v <= hi (finite bounds).
struct ExactLp {
  std::vector<mpq_class> lo, hi;
  std::vector<Affine> rows;
  Affine objective;
};

struct LpAnswer {
  bool infeasible = false;    // certified: no point satisfies the rows in the box
  mpq_class lower;            // certified lower bound of the minimum (the minimum when exact)
  std::vector<double> point;  // a point of the box near the optimum (for upper bounds)
  bool exact = false;         // lower is the exact minimum (Z3 or a fixed box)
};

struct LpCounters {
  long long lp_calls = 0;       // LPs solved by Clp
  long long exact_calls = 0;    // LPs re-solved by Z3 because a certificate failed
};

// Min and max of an affine form over the box, exactly.
mpq_class min_over_box(const Affine& f, const std::vector<mpq_class>& lo, const std::vector<mpq_class>& hi);
mpq_class max_over_box(const Affine& f, const std::vector<mpq_class>& lo, const std::vector<mpq_class>& hi);

// The minimum of the LP, certified (see LpAnswer). `gap` is the largest accepted difference
// between the Lagrangian bound and the objective at Clp's point before Z3 is asked.
LpAnswer solve_lp(const ExactLp& lp, LpCounters& counters, double gap = 1e-9);

// False only when the rows are certified infeasible in the box (phase-1 LP with an exact dual
// bound, Z3 when that bound is inconclusive but positive-looking).
bool maybe_feasible(const std::vector<Affine>& rows, const std::vector<mpq_class>& lo, const std::vector<mpq_class>& hi,
                    LpCounters& counters);

}  // namespace solvers::brute
