// Heuristic structured pruners of seed 003, section 5.4 (L1: Li et al. 2017; L2: Han et al. 2015;
// Taylor and ActMean: Molchanov et al. 2017). For a fully connected layer, Taylor's criterion
// |mean over positions of a * dC/da| has one position, so it is |a_i * dCE/da_i| per sample,
// averaged over the data; ActMean is the mean post-ReLU activation. Lowest scores are pruned.
#include "src/attack/pruners.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/util/errors.h"

namespace attack {

const char* to_string(PrunerKind kind) {
  switch (kind) {
    case PrunerKind::l1: return "l1";
    case PrunerKind::l2: return "l2";
    case PrunerKind::taylor: return "taylor";
    case PrunerKind::act_mean: return "actmean";
  }
  return "?";
}

PrunerKind parse_pruner(const std::string& name) {
  if (name == "l1") return PrunerKind::l1;
  if (name == "l2") return PrunerKind::l2;
  if (name == "taylor") return PrunerKind::taylor;
  if (name == "actmean" || name == "act-mean") return PrunerKind::act_mean;
  throw util::InputError("--pruner", "", "'" + name + "' is not l1, l2, taylor or actmean");
}

bool pruner_needs_data(PrunerKind kind) { return kind == PrunerKind::taylor || kind == PrunerKind::act_mean; }

namespace {

void check_data(const net::LayeredNetwork& net, PrunerKind kind, const Eigen::MatrixXd& data,
                const std::vector<int>& labels) {
  if (data.rows() == 0)
    throw util::InputError("--data", "", std::string("the ") + to_string(kind) + " pruner needs data");
  if (data.cols() != net.input_dim())
    throw util::InputError("--data", "", "samples have " + std::to_string(data.cols()) +
                                             " features, the network expects " + std::to_string(net.input_dim()));
  if (!labels.empty() && static_cast<Eigen::Index>(labels.size()) != data.rows())
    throw util::InputError("--data", "", std::to_string(labels.size()) + " labels for " +
                                             std::to_string(data.rows()) + " samples");
  for (int l : labels)
    if (l < 0 || l >= net.output_dim())
      throw util::InputError("--data", "", "label " + std::to_string(l) + " is out of range: the network has " +
                                               std::to_string(net.output_dim()) + " outputs");
}

// Mean over samples of |a * dCE/da| for every hidden neuron (softmax cross-entropy of the label).
std::vector<Eigen::VectorXd> taylor_scores(const net::LayeredNetwork& net, const Eigen::MatrixXd& data,
                                           const std::vector<int>& labels) {
  const int K = net.num_hidden();
  std::vector<Eigen::VectorXd> score(K);
  for (int k = 0; k < K; ++k) score[k] = Eigen::VectorXd::Zero(net.hidden_width(k));
  for (Eigen::Index n = 0; n < data.rows(); ++n) {
    const std::vector<Eigen::VectorXd> z = net.pre_activations(data.row(n).transpose());
    const Eigen::VectorXd& y = z.back();
    int label = 0;
    if (labels.empty()) y.maxCoeff(&label);
    else label = labels[n];
    Eigen::VectorXd p = (y.array() - y.maxCoeff()).exp();
    p /= p.sum();
    Eigen::VectorXd g = p;  // dCE/dy = softmax(y) - e_label
    g[label] -= 1.0;
    for (int k = K - 1; k >= 0; --k) {
      const Eigen::VectorXd ga = net.layers[k + 1].W.transpose() * g;  // dCE/da_k
      const Eigen::VectorXd a = z[k].cwiseMax(0.0);
      score[k] += a.cwiseProduct(ga).cwiseAbs();
      g = ga.cwiseProduct((z[k].array() > 0).cast<double>().matrix());
    }
  }
  for (auto& s : score) s /= static_cast<double>(data.rows());
  return score;
}

std::vector<Eigen::VectorXd> act_mean_scores(const net::LayeredNetwork& net, const Eigen::MatrixXd& data) {
  const int K = net.num_hidden();
  std::vector<Eigen::VectorXd> score(K);
  // Batched forward pass: columns are samples.
  Eigen::MatrixXd h = data.transpose();
  for (int k = 0; k < K; ++k) {
    h = ((net.layers[k].W * h).colwise() + net.layers[k].b).cwiseMax(0.0);
    score[k] = h.rowwise().mean();
  }
  return score;
}

}  // namespace

std::vector<Eigen::VectorXd> neuron_scores(const net::LayeredNetwork& net, PrunerKind kind,
                                           const Eigen::MatrixXd& data, const std::vector<int>& labels) {
  if (pruner_needs_data(kind)) check_data(net, kind, data, labels);
  std::vector<Eigen::VectorXd> score(net.num_hidden());
  switch (kind) {
    case PrunerKind::l1:
      for (int k = 0; k < net.num_hidden(); ++k) score[k] = net.layers[k].W.cwiseAbs().rowwise().sum();
      return score;
    case PrunerKind::l2:
      for (int k = 0; k < net.num_hidden(); ++k) score[k] = net.layers[k].W.rowwise().norm();
      return score;
    case PrunerKind::taylor: return taylor_scores(net, data, labels);
    case PrunerKind::act_mean: return act_mean_scores(net, data);
  }
  return score;
}

net::Mask pruner_mask(const net::LayeredNetwork& net, PrunerKind kind, const spec::PruningBudget& budget,
                      const Eigen::MatrixXd& data, const std::vector<int>& labels) {
  if (static_cast<int>(budget.s.size()) != net.num_hidden())
    throw util::InputError("--budget", "", "has " + std::to_string(budget.s.size()) + " entries, the network has " +
                                               std::to_string(net.num_hidden()) + " hidden layers");
  const std::vector<Eigen::VectorXd> score = neuron_scores(net, kind, data, labels);
  net::Mask mask = net.full_mask();
  for (int k = 0; k < net.num_hidden(); ++k) {
    std::vector<int> order(net.hidden_width(k));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[k][a] < score[k][b]; });
    const int s = std::clamp(budget.s[k], 0, net.hidden_width(k));
    for (int t = 0; t < s; ++t) mask[k][order[t]] = 0;
  }
  return mask;
}

double masked_accuracy(const net::LayeredNetwork& net, const net::Mask& mask_in, const Eigen::MatrixXd& data,
                       const std::vector<int>& labels) {
  if (data.rows() == 0) return 0.0;
  const net::Mask mask = mask_in.empty() ? net.full_mask() : mask_in;
  if (static_cast<int>(mask.size()) != net.num_hidden())
    throw util::InternalError("masked_accuracy: the mask does not fit the network");
  for (int k = 0; k < net.num_hidden(); ++k)
    if (static_cast<int>(mask[k].size()) != net.hidden_width(k))
      throw util::InternalError("masked_accuracy: the mask does not fit the network");
  if (static_cast<Eigen::Index>(labels.size()) != data.rows() || data.cols() != net.input_dim())
    throw util::InputError("--data", "", "data and labels do not fit the network");
  // Batched forward pass with the mask applied row-wise after every hidden ReLU.
  Eigen::MatrixXd h = data.transpose();
  for (int k = 0; k <= net.num_hidden(); ++k) {
    h = (net.layers[k].W * h).colwise() + net.layers[k].b;
    if (k < net.num_hidden()) {
      h = h.cwiseMax(0.0);
      for (int i = 0; i < h.rows(); ++i)
        if (!mask[k][i]) h.row(i).setZero();
    }
  }
  int64_t correct = 0;
  for (Eigen::Index n = 0; n < h.cols(); ++n) {
    Eigen::Index arg;
    h.col(n).maxCoeff(&arg);
    correct += arg == labels[n];
  }
  return static_cast<double>(correct) / static_cast<double>(data.rows());
}

}  // namespace attack
