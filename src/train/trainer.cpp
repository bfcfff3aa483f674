// The training loop: shuffled mini-batches, Adam, the loss schedules, and seed 004
// Algorithm 1's deactivation every T-exp epochs (not after the last epoch, so the saved network
// is the one trained last). Each batch is cut into fixed chunks of kChunk samples that threads
// share; chunk sums are added in chunk order, so results depend on the seed only, not on the
// thread count or timing.
#include <chrono>
#include <exception>
#include <limits>
#include <numeric>
#include <random>
#include <thread>

#include "src/train/internal.h"
#include "src/util/errors.h"

namespace train {

namespace detail {

void parallel_chunks(int n, int threads, const std::function<void(int, int, int)>& fn) {
  const int chunks = (n + kChunk - 1) / kChunk;
  const int T = std::max(1, std::min(threads, chunks));
  std::vector<std::exception_ptr> errors(T);
  auto work = [&](int t) {
    try {
      for (int c = t; c < chunks; c += T) fn(c, c * kChunk, std::min(n, (c + 1) * kChunk));
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < T; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_set(const data::Dataset& set, const std::string& what, int num_classes) {
  const std::string name = set.name.empty() ? what : set.name;
  if (set.x.rows() == 0) throw util::InputError(name, "", "the " + what + " set is empty");
  if (static_cast<size_t>(set.x.rows()) != set.y.size())
    throw util::InputError(name, "", std::to_string(set.x.rows()) + " samples but " + std::to_string(set.y.size()) +
                                         " labels");
  for (size_t i = 0; i < set.y.size(); ++i)
    if (set.y[i] < 0 || set.y[i] >= num_classes)
      throw util::InputError(name, "sample " + std::to_string(i), "label " + std::to_string(set.y[i]) +
                                                                      " is outside [0, " + std::to_string(num_classes) + ")");
}

// Gathers the columns `index[begin..end)` of `X` (samples as columns).
Matrix gather(const Matrix& X, const std::vector<int>& index, int begin, int end) {
  Matrix out(X.rows(), end - begin);
  for (int c = begin; c < end; ++c) out.col(c - begin) = X.col(index[c]);
  return out;
}

int correct_predictions(const Mlp& mlp, const Matrix& X, const std::vector<int>& y, int threads) {
  const int n = static_cast<int>(X.cols());
  std::vector<int> correct((n + detail::kChunk - 1) / detail::kChunk, 0);
  detail::parallel_chunks(n, threads, [&](int c, int lo, int hi) {
    const Matrix f = mlp.logits(X.middleCols(lo, hi - lo));
    for (int j = 0; j < hi - lo; ++j) {
      Eigen::Index arg = 0;
      f.col(j).maxCoeff(&arg);
      correct[c] += arg == y[lo + j];
    }
  });
  return std::accumulate(correct.begin(), correct.end(), 0);
}

// Samples whose IBP margin lower bounds at eps are all positive.
int ibp_verified(const Mlp& mlp, const LossConfig& loss, const Matrix& X, const std::vector<int>& y, int threads) {
  const int n = static_cast<int>(X.cols());
  LossConfig config = loss;
  config.rs_weight = 0;
  std::vector<detail::ChunkSums> parts((n + detail::kChunk - 1) / detail::kChunk);
  const std::vector<detail::SpectralNorm> none;
  detail::parallel_chunks(n, threads, [&](int c, int lo, int hi) {
    const Matrix Xc = X.middleCols(lo, hi - lo);
    detail::ibp_terms(mlp, config, Xc, y.data() + lo, false, parts[c].grad, parts[c].sums);
  });
  int verified = 0;
  for (const auto& p : parts) verified += p.sums.verified;
  return verified;
}

// Samples whose nominal margin exceeds the margin-deviation bound (seed 003 section 4.3:
// delta < gamma, so no admissible pruning changes the correct prediction). The spectral norms
// come from power iteration run to convergence.
int bound_robust(const Mlp& mlp, const std::vector<int>& budget, const Matrix& X, const std::vector<int>& y,
                 int threads) {
  const int n = static_cast<int>(X.cols());
  std::vector<detail::SpectralNorm> norms(mlp.num_hidden() + 1);
  for (int k : detail::layers_needing_norms(mlp, budget))
    norms[k] = detail::spectral_norm(detail::effective_weight(mlp, k), Vector(), 1000, 1e-12);
  LossConfig config;
  config.kind = LossKind::prune_robust;
  config.budget = budget;
  std::vector<int> robust((n + detail::kChunk - 1) / detail::kChunk, 0);
  detail::parallel_chunks(n, threads, [&](int c, int lo, int hi) {
    const Matrix Xc = X.middleCols(lo, hi - lo);
    detail::PointPass pass;
    detail::forward_points(mlp, Xc, pass);
    Matrix g_logits;
    std::vector<Matrix> g_x;
    Weights grad;
    Vector dsigma, delta;
    LossValue sums;
    detail::prune_robust_terms(mlp, config, norms, pass, y.data() + lo, false, g_logits, g_x, grad, dsigma, sums, &delta);
    const Matrix& f = pass.z.back();
    for (int j = 0; j < hi - lo; ++j) {
      const int t = y[lo + j];
      double rival = -std::numeric_limits<double>::infinity();
      for (Eigen::Index i = 0; i < f.rows(); ++i)
        if (i != t) rival = std::max(rival, f(i, j));
      robust[c] += f(t, j) - rival > delta[j];
    }
  });
  return std::accumulate(robust.begin(), robust.end(), 0);
}

void add_sums(LossValue& into, const LossValue& s) {
  into.total += s.total;
  into.ce += s.ce;
  into.hinge += s.hinge;
  into.ratio += s.ratio;
  into.delta += s.delta;
  into.robust_ce += s.robust_ce;
  into.rs += s.rs;
  into.correct += s.correct;
  into.verified += s.verified;
}

int active_neurons(const Mlp& mlp) {
  int n = 0;
  for (int k = 0; k < mlp.num_hidden(); ++k)
    for (Eigen::Index i = 0; i < mlp.w.W[k].rows(); ++i) n += mlp.active.empty() || mlp.active[k][i];
  return n;
}

}  // namespace

double accuracy(const Mlp& mlp, const data::Dataset& set, int threads) {
  if (set.x.rows() == 0) return 0;
  const Matrix X = set.x.transpose();
  return static_cast<double>(correct_predictions(mlp, X, set.y, threads)) / static_cast<double>(X.cols());
}

TrainResult train(const data::Dataset& train_set, const data::Dataset& test_set, const TrainConfig& config,
                  const std::function<void(const EpochReport&)>& progress) {
  const Clock::time_point start = Clock::now();
  const int num_classes = std::max(train_set.num_classes, 2);
  check_set(train_set, "training", num_classes);
  check_set(test_set, "test", num_classes);
  if (test_set.x.cols() != train_set.x.cols())
    throw util::InputError(test_set.name, "", "has " + std::to_string(test_set.x.cols()) + " features, the training set " +
                                                   std::to_string(train_set.x.cols()));
  if (config.loss.kind == LossKind::prune_robust && config.loss.budget.size() != config.widths.size())
    throw util::InputError("--budget", "", "has " + std::to_string(config.loss.budget.size()) +
                                               " entries for " + std::to_string(config.widths.size()) + " hidden layers");
  if (config.epochs < 1 || config.batch_size < 1) throw util::InternalError("train: epochs and batch size must be positive");

  // Samples as columns, so that a batch is a gather of contiguous columns.
  const Matrix X = train_set.x.transpose();
  const Matrix X_test = test_set.x.transpose();
  const int n = static_cast<int>(X.cols());
  const int d0 = static_cast<int>(X.rows());

  TrainResult result;
  Mlp& mlp = result.mlp;
  mlp = Mlp::random(d0, config.widths, num_classes, config.bias, config.seed);
  std::vector<int> keep;
  if (config.param_budget > 0) {  // Algorithm 1, lines 1-2
    keep = widths_for_budget(d0, config.widths, num_classes, config.bias, config.param_budget);
    deactivate(mlp, keep);
  }
  detail::Adam adam(mlp.w, config.lr, config.weight_decay, config.bias);
  std::mt19937_64 rng(config.seed ^ 0x9e3779b97f4a7c15ull);
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  const int batches = (n + config.batch_size - 1) / config.batch_size;
  std::vector<Vector> warm(mlp.num_hidden() + 1);  // power-iteration start vectors, kept between steps
  std::vector<detail::SpectralNorm> norms(mlp.num_hidden() + 1);
  const std::vector<int> norm_layers = config.loss.kind == LossKind::prune_robust
                                           ? detail::layers_needing_norms(mlp, config.loss.budget)
                                           : std::vector<int>{};

  for (int epoch = 0; epoch < config.epochs && !result.timed_out; ++epoch) {
    const Clock::time_point epoch_start = Clock::now();
    for (int i = n - 1; i > 0; --i) std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
    LossValue epoch_sums;
    int seen = 0;
    LossConfig loss = config.loss;
    double scale = 0;
    std::vector<int> labels;
    for (int b = 0; b < batches; ++b) {
      const int lo = b * config.batch_size, hi = std::min(n, lo + config.batch_size), m = hi - lo;
      const double at = batch_progress(epoch, b, batches);
      loss = config.loss;
      scale = lambda_scale(at, config.warmup_epochs, config.ramp_epochs);
      loss.lambda1 *= scale;
      loss.lambda2 *= scale;
      loss.eps = scheduled_eps(config.loss.eps, at, config.eps_start, config.eps_length);
      for (int k : norm_layers) {
        norms[k] = detail::spectral_norm(detail::effective_weight(mlp, k), warm[k], 10, 1e-7);
        warm[k] = norms[k].v;
      }
      labels.resize(m);
      for (int c = 0; c < m; ++c) labels[c] = train_set.y[order[lo + c]];
      std::vector<detail::ChunkSums> parts((m + detail::kChunk - 1) / detail::kChunk);
      detail::parallel_chunks(m, config.threads, [&](int c, int clo, int chi) {
        const Matrix Xc = gather(X, order, lo + clo, lo + chi);
        detail::accumulate_chunk(mlp, loss, norms, Xc, labels.data() + clo, true, parts[c]);
      });
      Weights grad = std::move(parts[0].grad);
      Vector dsigma = parts[0].dsigma;
      add_sums(epoch_sums, parts[0].sums);
      for (size_t c = 1; c < parts.size(); ++c) {
        grad.add(parts[c].grad);
        dsigma += parts[c].dsigma;
        add_sums(epoch_sums, parts[c].sums);
      }
      detail::add_spectral_gradients(norms, dsigma, grad);
      grad.scale(1.0 / m);
      adam.step(mlp.w, grad);
      seen += m;
      if (config.timeout_s > 0 && seconds_since(start) > config.timeout_s) {
        result.timed_out = true;
        break;
      }
    }
    if (!keep.empty() && (epoch + 1) % std::max(1, config.deactivate_every) == 0 && epoch + 1 < config.epochs &&
        !result.timed_out)
      deactivate(mlp, keep);  // Algorithm 1, lines 8-10
    adam.lr *= config.lr_decay;

    EpochReport report;
    report.epoch = epoch + 1;
    report.parts = detail::mean_of(epoch_sums, seen);
    report.loss = report.parts.total;
    report.train_accuracy = seen ? static_cast<double>(epoch_sums.correct) / seen : 0;
    report.test_accuracy = static_cast<double>(correct_predictions(mlp, X_test, test_set.y, config.threads)) /
                           static_cast<double>(X_test.cols());
    const double n_test = static_cast<double>(X_test.cols());
    if (config.loss.kind == LossKind::ibp)
      report.ibp_verified = ibp_verified(mlp, config.loss, X_test, test_set.y, config.threads) / n_test;
    if (config.loss.kind == LossKind::prune_robust)
      report.bound_robust = bound_robust(mlp, config.loss.budget, X_test, test_set.y, config.threads) / n_test;
    report.eps = loss.eps;
    report.lambda_scale = scale;
    report.active_neurons = active_neurons(mlp);
    report.seconds = seconds_since(epoch_start);
    result.epochs.push_back(report);
    if (progress) progress(report);
  }
  result.test_accuracy = result.epochs.empty() ? 0 : result.epochs.back().test_accuracy;
  result.train_accuracy = static_cast<double>(correct_predictions(mlp, X, train_set.y, config.threads)) / n;
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace train
