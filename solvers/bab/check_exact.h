// The exact re-proof of one certificate leaf (check_exact.cpp), internal to solvers/bab: the
// network's weights as rationals, and the leaf's box, phases and record. See certificate.h.
#pragma once
#include <gmpxx.h>

#include <string>
#include <vector>

#include "solvers/bab/bab.h"

namespace bab::exact {

// The layered network with every weight and bias converted exactly to mpq_class.
struct ExactNet {
  struct Layer {
    int rows = 0, cols = 0;
    std::vector<mpq_class> W;  // row-major rows x cols
    std::vector<mpq_class> b;
    std::vector<double> Wd;    // the same weights as doubles (row-major), for magnitudes
    // The weights and biases as integers times a common power of two (W = Wi * 2^We, b = bi * 2^be):
    // every double is a dyadic rational, so the matrix products of the check are exact integer
    // multiply-adds (mpz_addmul) without the gcd that every mpq operation pays.
    std::vector<mpz_class> Wi, bi;
    long We = 0, be = 0;
  };
  std::vector<Layer> layers;
  int input_dim = 0;
  int num_hidden() const { return static_cast<int>(layers.size()) - 1; }
};
ExactNet make_exact_net(const net::LayeredNetwork& net);

// What a leaf claims (the "leaf" object of a certificate node).
struct LeafClaim {
  LeafProof proof = LeafProof::bound;
  bool infeasible = false;
  std::vector<std::vector<double>> multipliers;
};

struct LeafOutcome {
  bool proven = false;
  bool infeasible = false;  // empty box or contradictory phases (proven)
  double margin_lower = 0;  // exact bound rounded down (feasible leaves)
  std::string reason;       // when not proven
};
// Re-proves the leaf given by `decisions` (applied to the problem's box) in exact arithmetic.
LeafOutcome prove_leaf(const ExactNet& net, const spec::Problem& problem, const std::vector<Decision>& decisions,
                       const LeafClaim& claim);

}  // namespace bab::exact
