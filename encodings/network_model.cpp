// The relational model of a verification problem, shared by every encoding: z = W h + b per
// layer, h = max(0, z) as a relation for unstable neurons only (stable ones are the identity or
// zero, as in seed 000 App. B after eq. 8), p = m * h for prunable neurons (seed 003 eq. 4) with
// "at least d_k - s_k kept", and the property as an OR of ANDs (decide) or its epigraph t
// (optimise: t >= c.y - d for every row of some disjunct; minimising t gives the worst margin).
#include <cmath>
#include <string>

#include "encodings/internal.h"
#include "src/util/errors.h"

namespace encodings {

namespace {

std::string idx(int k, int i) { return std::to_string(k) + "_" + std::to_string(i); }

// A value feeding the next layer: a variable, or the constant 0 (dead or pruned-away neuron).
constexpr int kZero = -1;

}  // namespace

Model build_network_model(const spec::Problem& problem, const std::vector<bounds::LayerBounds>* pre, Goal goal,
                          int disjunct, double unsafe_shift, bool decide_objective) {
  const net::LayeredNetwork& net = *problem.net;
  const int L = static_cast<int>(net.layers.size());
  if (pre && static_cast<int>(pre->size()) != L)
    throw util::InternalError("encode: bounds have " + std::to_string(pre->size()) + " layers, the network " +
                              std::to_string(L));
  if (problem.box.dim() != net.input_dim())
    throw util::InternalError("encode: box dimension does not match the network input");
  const auto& disjuncts = problem.property.disjuncts;
  if (disjuncts.empty()) throw util::InputError("property", "", "the unsafe region has no disjunct: nothing to encode");
  for (const auto& d : disjuncts)
    if (d.rows.empty()) throw util::InputError("property", "", "a disjunct of the unsafe region has no row");
  if (disjunct >= static_cast<int>(disjuncts.size()))
    throw util::InternalError("encode: disjunct index out of range");

  Model m;
  m.name = problem.name.empty() ? "prunecert" : problem.name;
  m.disjunct = disjunct;
  m.mask_vars.resize(net.num_hidden());
  for (int k = 0; k < net.num_hidden(); ++k) m.mask_vars[k].assign(net.hidden_width(k), -1);

  std::vector<int> prev;  // values feeding the current layer
  for (int j = 0; j < net.input_dim(); ++j) {
    int v = m.add_var("x_" + std::to_string(j), VarKind::real, problem.box.lo[j], problem.box.hi[j]);
    m.input_vars.push_back(v);
    prev.push_back(v);
  }

  for (int k = 0; k < L; ++k) {
    const auto& layer = net.layers[k];
    const bool output = k == L - 1;
    const int width = static_cast<int>(layer.W.rows());
    const bool prunable = !output && problem.budget && problem.budget->s[k] > 0;
    std::vector<int> next(width, kZero);
    std::vector<Literal> keep_bits;
    for (int i = 0; i < width; ++i) {
      const double lo = pre ? (*pre)[k].lo[i] : -kInf, hi = pre ? (*pre)[k].hi[i] : kInf;
      // NaN would read as stably active (neither hi <= 0 nor lo < 0) and cut real points.
      if (!(lo <= hi))
        throw util::InternalError("encoding bounds of " + std::string(output ? "output " : "neuron ") + idx(k, i) +
                                  " are empty or NaN: [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      if (!output && hi <= 0.0) continue;  // dead on the whole box: h = 0, nothing to encode
      const int z = m.add_var((output ? "y_" + std::to_string(i) : "z_" + idx(k, i)), VarKind::real, lo, hi);
      LinearConstraint def;
      def.name = output ? "out_" + std::to_string(i) : "aff_" + idx(k, i);
      def.terms.push_back({z, 1.0});
      for (int j = 0; j < static_cast<int>(prev.size()); ++j)
        if (prev[j] != kZero && layer.W(i, j) != 0.0) def.terms.push_back({prev[j], -layer.W(i, j)});
      def.sense = Sense::eq;
      def.rhs = layer.b[i];
      const int def_row = static_cast<int>(m.rows.size());
      m.rows.push_back(std::move(def));
      if (output) {
        m.output_vars.push_back(z);
        continue;
      }
      int h = z;  // stably active: h = z
      if (lo < 0.0) {
        h = m.add_var("h_" + idx(k, i), VarKind::real, 0.0, std::max(0.0, hi));
        m.relus.push_back({h, z, def_row});
      }
      if (prunable) {
        const int bit = m.add_var("m_" + idx(k, i), VarKind::boolean, 0.0, 1.0);
        const Variable& hv = m.vars[h];
        const int p = m.add_var("p_" + idx(k, i), VarKind::real, std::min(0.0, hv.lo), std::max(0.0, hv.hi));
        m.masks.push_back({p, bit, h});
        m.mask_vars[k][i] = bit;
        keep_bits.push_back({bit, false});
        h = p;
      }
      next[i] = h;
    }
    if (prunable) {
      // Pruning a dead neuron changes nothing, so only live ones carry a keep bit: "at most s_k
      // pruned" over all d_k neurons is equivalent to "at least |live| - s_k live ones kept".
      const int need = static_cast<int>(keep_bits.size()) - problem.budget->s[k];
      if (need > 0) m.cardinalities.push_back({keep_bits, need, "budget_" + std::to_string(k)});
    }
    prev = std::move(next);
  }

  // The property over y = prev (every output has a variable).
  std::vector<int> which;
  if (disjunct >= 0) which.push_back(disjunct);
  else
    for (int d = 0; d < static_cast<int>(disjuncts.size()); ++d) which.push_back(d);

  auto row_terms = [&](const spec::Row& r, double scale) {
    std::vector<Term> t;
    for (int i = 0; i < static_cast<int>(r.c.size()); ++i)
      if (r.c[i] != 0.0) t.push_back({m.output_vars[i], scale * r.c[i]});
    return t;
  };

  std::vector<std::vector<LinearConstraint>> cases;
  if (goal == Goal::optimize || decide_objective) {
    // Bounds of t: min over disjuncts of max over rows of the interval of c.y - d.
    double t_lo = kInf, t_hi = kInf;
    for (int d : which) {
      double dlo = -kInf, dhi = -kInf;
      for (const auto& r : disjuncts[d].rows) {
        Interval g = interval_of(m, row_terms(r, 1.0), -r.d);
        dlo = std::max(dlo, g.lo);
        dhi = std::max(dhi, g.hi);
      }
      t_lo = std::min(t_lo, dlo);
      t_hi = std::min(t_hi, dhi);
    }
    // A guided decision model: the same rows, and t <= -shift says "margin <= 0" (the unsafe
    // rows c.y <= d - shift of the plain decision model, through t >= c.y - d). When t_lo is
    // already above that the model is infeasible, as it should be.
    if (goal == Goal::decide) {
      t_hi = std::min(t_hi, -unsafe_shift);
      m.any_solution = true;
    }
    const int t = m.add_var("t", VarKind::real, t_lo, t_hi);
    m.margin_var = t;
    for (int d : which) {
      std::vector<LinearConstraint> rows;
      int r_index = 0;
      for (const auto& r : disjuncts[d].rows) {
        LinearConstraint c;  // t - c.y >= -d
        c.terms = row_terms(r, -1.0);
        c.terms.insert(c.terms.begin(), Term{t, 1.0});
        c.sense = Sense::ge;
        c.rhs = -r.d;
        c.name = "margin_" + std::to_string(d) + "_" + std::to_string(r_index++);
        rows.push_back(std::move(c));
      }
      cases.push_back(std::move(rows));
    }
    m.objective = Objective{{{t, 1.0}}, 0.0};
  } else {
    for (int d : which) {
      std::vector<LinearConstraint> rows;
      int r_index = 0;
      for (const auto& r : disjuncts[d].rows) {
        LinearConstraint c;  // c.y <= d
        c.terms = row_terms(r, 1.0);
        c.sense = Sense::le;
        c.rhs = r.d - unsafe_shift;
        c.name = "unsafe_" + std::to_string(d) + "_" + std::to_string(r_index++);
        rows.push_back(std::move(c));
      }
      cases.push_back(std::move(rows));
    }
  }
  if (cases.size() == 1) {
    for (auto& c : cases[0]) m.rows.push_back(std::move(c));
  } else {
    m.disjunctions.push_back({std::move(cases), "property"});
  }
  return m;
}

}  // namespace encodings
