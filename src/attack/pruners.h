// Heuristic structured pruners (seed 003, section 5.4): each scores the neurons of every hidden
// layer and prunes the s_k lowest-scored, so a user can test a concrete pruning method against
// the worst case over all masks. L1 (Li et al. 2017) and L2 (Han et al. 2015) norms of a neuron's
// incoming weights, Taylor |activation * dCE/dactivation| and ActMean (mean activation; Molchanov
// et al. 2017), the last two averaged over data.
#pragma once
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "src/net/network.h"
#include "src/spec/problem.h"

namespace attack {

enum class PrunerKind { l1, l2, taylor, act_mean };
const char* to_string(PrunerKind kind);
// "l1", "l2", "taylor", "actmean" (or "act-mean"); throws util::InputError("--pruner", ...).
PrunerKind parse_pruner(const std::string& name);
// Whether the pruner needs data (Taylor, ActMean).
bool pruner_needs_data(PrunerKind kind);

// Importance of every hidden neuron (higher = more important), per hidden layer. data: one
// sample per row (n x input_dim); labels: one per row, or empty to use the network's prediction
// (Taylor only). Throws util::InputError("--data", ...) when a data-driven pruner has no data or
// the data do not fit the network.
std::vector<Eigen::VectorXd> neuron_scores(const net::LayeredNetwork& net, PrunerKind kind,
                                           const Eigen::MatrixXd& data = {}, const std::vector<int>& labels = {});

// The mask the pruner would apply: exactly min(s_k, width) neurons of hidden layer k pruned,
// the lowest-scored (ties: the lower index is pruned first).
net::Mask pruner_mask(const net::LayeredNetwork& net, PrunerKind kind, const spec::PruningBudget& budget,
                      const Eigen::MatrixXd& data = {}, const std::vector<int>& labels = {});

// Share of rows of data whose arg-max under mask (empty: nothing pruned) equals the label.
double masked_accuracy(const net::LayeredNetwork& net, const net::Mask& mask, const Eigen::MatrixXd& data,
                       const std::vector<int>& labels);

}  // namespace attack
