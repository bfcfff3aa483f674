// prunecert train: trains a fully connected ReLU classifier (train/: cross-entropy, the
// pruning-robust loss of seed 003 eq. 11, IBP certified training of seed 004, structured
// deactivation to a parameter budget) and writes it as ONNX or NNet with its training
// metadata (data, loss, seed, accuracy, the command that reproduces it).
#include <charconv>
#include <cstdio>
#include <sstream>

#include "src/cli/cli.h"
#include "src/data/idx.h"
#include "src/net/io.h"
#include "src/spec/problem.h"
#include "src/train/train.h"
#include "src/util/errors.h"
#include "src/util/log.h"

namespace cli {

namespace {

std::string number(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::vector<int> parse_widths(const std::string& text) {
  std::vector<int> widths;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const std::string where = "entry " + std::to_string(widths.size() + 1);
    size_t used = 0;
    long v = 0;
    try {
      v = std::stol(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used == 0 || used != item.size()) throw util::InputError("--widths", where, "'" + item + "' is not an integer");
    if (v < 1 || v > 1000000) throw util::InputError("--widths", where, "a width must be in [1, 1000000]");
    widths.push_back(static_cast<int>(v));
  }
  if (widths.empty()) throw util::InputError("--widths", "", "give at least one hidden layer width");
  return widths;
}

bool has_extension(const std::string& path, const std::string& ext) {
  return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

// The options given to this run, as a command line that reproduces it (defaults left out;
// output-only options too). Generated from the options table like the parser.
std::string command_line(const util::Options& o) {
  std::string cmd = "prunecert train";
  const auto& table = util::option_table();
  size_t row = 0;
  auto flag = [](const util::OptionInfo& info) {
    std::string name = info.cli_name;
    return " --" + name.substr(0, name.find(','));
  };
  // Always written, so that the record does not depend on today's defaults.
  auto always = [](const util::OptionInfo& info) {
    const std::string name = info.cli_name;
    return name == "widths" || name == "loss" || name == "epochs" || name == "seed";
  };
  auto skip = [](const util::OptionInfo& info) {
    const std::string name = info.cli_name;
    return name == "json" || name == "verbosity" || name == "threads";
  };
  auto quoted = [](const std::string& s) {
    return s.find_first_of(" \t'\"") == std::string::npos ? s : "'" + s + "'";
  };
#define OPT_Double(field, def) if (o.field != static_cast<double>(def) || always(info)) cmd += flag(info) + " " + number(o.field);
#define OPT_Int(field, def) if (o.field != static_cast<long long>(def) || always(info)) cmd += flag(info) + " " + std::to_string(o.field);
#define OPT_String(field, def) if (o.field != std::string(def) || always(info)) cmd += flag(info) + " " + quoted(o.field);
#define OPT_Flag(field, def) if (o.field) cmd += flag(info);
#define OPT(kind, field, cli, def, lo, hi, cmds, hlp)                            \
  {                                                                              \
    const auto& info = table[row++];                                             \
    if (util::option_applies(info, "train") && !skip(info)) { OPT_##kind(field, def) } \
  }
#include "src/util/options.def"
#undef OPT
#undef OPT_Double
#undef OPT_Int
#undef OPT_String
#undef OPT_Flag
  return cmd;
}

void keep_first(data::Dataset& set, long long limit) {
  if (limit <= 0 || limit >= set.x.rows()) return;
  set.x.conservativeResize(limit, Eigen::NoChange);
  set.y.resize(static_cast<size_t>(limit));
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * fraction);
  return buf;
}

}  // namespace

int run_train(const util::Options& o) {
  if (o.output.empty()) throw util::InputError("--output", "", "an output file (.onnx or .nnet) is required");
  if (!has_extension(o.output, ".onnx") && !has_extension(o.output, ".nnet"))
    throw util::InputError(o.output, "", "unknown network format: the name must end in .onnx or .nnet");

  train::TrainConfig config;
  config.widths = parse_widths(o.widths);
  config.bias = !o.no_bias;
  config.loss.kind = train::parse_loss(o.loss);
  config.epochs = static_cast<int>(o.epochs);
  config.batch_size = static_cast<int>(o.batch_size);
  config.lr = o.lr;
  config.lr_decay = o.lr_decay;
  config.weight_decay = o.weight_decay;
  config.seed = static_cast<uint64_t>(o.seed);
  config.threads = static_cast<int>(o.train_threads);
  config.timeout_s = o.timeout;
  config.param_budget = o.param_budget;
  config.deactivate_every = static_cast<int>(o.deactivate_every);
  config.warmup_epochs = o.warmup_epochs;
  config.ramp_epochs = o.ramp_epochs;
  config.eps_start = o.eps_start;
  config.eps_length = o.eps_length;
  train::LossConfig& loss = config.loss;
  loss.lambda1 = o.lambda1;
  loss.lambda2 = o.lambda2;
  loss.margin_floor = o.margin_floor;
  loss.eps = o.eps;
  loss.kappa = o.ibp_kappa;
  loss.rs_weight = o.rs_weight;

  const bool prune_robust = loss.kind == train::LossKind::prune_robust, ibp = loss.kind == train::LossKind::ibp;
  if (!o.budget.empty() && !prune_robust) throw util::InputError("--budget", "", "applies to --loss prune-robust only");
  if (prune_robust) {
    if (o.budget.empty())
      throw util::InputError("--budget", "", "--loss prune-robust needs a pruning budget s1,...,sK (counts or N%)");
    net::LayeredNetwork shape;  // the budget is checked against the hidden widths only
    int prev = 1;
    for (int w : config.widths) {
      shape.layers.push_back({Eigen::MatrixXd::Zero(w, prev), Eigen::VectorXd::Zero(w)});
      prev = w;
    }
    shape.layers.push_back({Eigen::MatrixXd::Zero(1, prev), Eigen::VectorXd::Zero(1)});
    loss.budget = spec::parse_budget(o.budget, shape).s;
    for (size_t k = 0; k < loss.budget.size(); ++k)
      if (loss.budget[k] >= config.widths[k])
        throw util::InputError("--budget", "entry " + std::to_string(k + 1),
                               "must leave at least one neuron of the layer's " + std::to_string(config.widths[k]));
    if (config.warmup_epochs + config.ramp_epochs > config.epochs)
      util::log(util::LogLevel::normal, "train: warning: lambda1, lambda2 reach only %.0f%% of their targets in %d epochs\n",
                100 * train::lambda_scale(config.epochs, config.warmup_epochs, config.ramp_epochs), config.epochs);
  }
  if (o.eps > 0 && !ibp) throw util::InputError("--eps", "", "applies to --loss ibp only");
  if ((o.rs_weight > 0 || o.ibp_kappa > 0) && !ibp)
    throw util::InputError(o.rs_weight > 0 ? "--rs-weight" : "--ibp-kappa", "", "applies to --loss ibp only");
  if (ibp) {
    if (!(o.eps > 0)) throw util::InputError("--eps", "", "--loss ibp needs the radius --eps > 0");
    if (config.eps_start + config.eps_length > config.epochs)
      util::log(util::LogLevel::normal, "train: warning: eps reaches only %g of %g in %d epochs\n",
                train::scheduled_eps(o.eps, config.epochs, config.eps_start, config.eps_length), o.eps, config.epochs);
  }

  if (o.train_test_data.empty() && o.train_data != "fashion-mnist")
    throw util::InputError("--test-data", "", "give the test set IMAGES,LABELS when --data is not fashion-mnist");
  data::Dataset train_set = data::load_dataset(o.train_data, "train");
  data::Dataset test_set = data::load_dataset(o.train_test_data.empty() ? o.train_data : o.train_test_data, "test");
  keep_first(train_set, o.train_limit);
  keep_first(test_set, o.test_limit);
  train_set.num_classes = test_set.num_classes = std::max(train_set.num_classes, test_set.num_classes);
  if (std::vector<int> absent = data::absent_labels(train_set); !absent.empty()) {
    const size_t count = absent.size();
    absent.resize(std::min<size_t>(count, 10));
    util::log(util::LogLevel::normal,
              "train: warning: no training sample has label %s%s; the output layer has %d classes (0 to the "
              "largest label)\n",
              join(absent, ", ").c_str(), count > 10 ? (", ... (" + std::to_string(count) + " labels)").c_str() : "",
              train_set.num_classes);
  }
  if (config.param_budget > 0) {  // fail before training when even one neuron per layer does not fit
    const std::vector<int> keep = train::widths_for_budget(static_cast<int>(train_set.x.cols()), config.widths,
                                                           train_set.num_classes, config.bias, config.param_budget);
    // The saved network has keep[k] neurons in layer k: a pruning budget must leave one of them
    // (and fit its width, or the budget in its metadata is refused when read back).
    for (size_t k = 0; k < loss.budget.size() && k < keep.size(); ++k)
      if (loss.budget[k] >= keep[k])
        throw util::InputError("--budget", "entry " + std::to_string(k + 1),
                               std::to_string(loss.budget[k]) + " must leave at least one of the " +
                                   std::to_string(keep[k]) + " neurons --param-budget keeps in the layer");
  }

  util::log(util::LogLevel::normal, "train: %s, %lld training and %lld test samples, %d-%s-%d, loss %s, %d epochs\n",
            train_set.name.c_str(), static_cast<long long>(train_set.x.rows()), static_cast<long long>(test_set.x.rows()),
            static_cast<int>(train_set.x.cols()), join(config.widths, "-").c_str(), train_set.num_classes,
            train::to_string(loss.kind), config.epochs);
  auto progress = [&](const train::EpochReport& r) {
    std::string extra;
    if (prune_robust) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "  delta %.3f  hinge %.3f  lambda x%.2f  bound-robust %s", r.parts.delta, r.parts.hinge,
                    r.lambda_scale, percent(r.bound_robust).c_str());
      extra = buf;
    }
    if (ibp) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "  eps %.4f  ibp-verified(%g) %s", r.eps, o.eps, percent(r.ibp_verified).c_str());
      extra = buf;
    }
    if (config.param_budget > 0) extra += "  active " + std::to_string(r.active_neurons);
    util::log(util::LogLevel::normal, "epoch %3d/%d  loss %.4f  train %s  test %s%s  %.1f s\n", r.epoch, config.epochs,
              r.loss, percent(r.train_accuracy).c_str(), percent(r.test_accuracy).c_str(), extra.c_str(), r.seconds);
  };
  const train::TrainResult result = train::train(train_set, test_set, config, progress);
  if (result.timed_out)
    util::log(util::LogLevel::normal, "train: warning: stopped by --timeout %g s after %zu epoch(s); saving that network\n",
              o.timeout, result.epochs.size());

  const net::LayeredNetwork layered = result.mlp.to_layered();
  net::Network network = net::Network::from_layered(layered);
  std::vector<int> final_widths;
  for (int k = 0; k < layered.num_hidden(); ++k) final_widths.push_back(layered.hidden_width(k));
  auto& meta = network.metadata;
  meta["producer"] = "prunecert train";
  meta["data"] = train_set.name + " (" + std::to_string(train_set.x.rows()) + " samples)";
  meta["test_data"] = test_set.name + " (" + std::to_string(test_set.x.rows()) + " samples)";
  meta["loss"] = train::to_string(loss.kind);
  meta["seed"] = std::to_string(o.seed);
  meta["accuracy"] = number(result.test_accuracy);
  meta["train_accuracy"] = number(result.train_accuracy);
  meta["epochs"] = std::to_string(result.epochs.size());
  meta["hidden_widths"] = join(final_widths, ",");
  meta["bias"] = config.bias ? "yes" : "no";
  meta["parameters"] = std::to_string(result.mlp.num_parameters());
  meta["command"] = command_line(o);
  if (prune_robust) {
    meta["budget"] = join(loss.budget, ",");
    meta["bound_robust_accuracy"] = number(result.epochs.empty() ? 0 : result.epochs.back().bound_robust);
  }
  if (ibp) {
    meta["eps"] = number(o.eps);
    meta["ibp_verified_accuracy"] = number(result.epochs.empty() ? 0 : result.epochs.back().ibp_verified);
  }
  if (result.timed_out) meta["stopped"] = "timeout";
  net::write_network(network, o.output);

  if (o.json) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& r : result.epochs) {
      nlohmann::json e = {{"epoch", r.epoch},           {"loss", r.loss},
                          {"train_accuracy", r.train_accuracy}, {"test_accuracy", r.test_accuracy},
                          {"seconds", r.seconds},       {"active_neurons", r.active_neurons}};
      if (prune_robust)
        e.update({{"delta", r.parts.delta}, {"hinge", r.parts.hinge}, {"lambda_scale", r.lambda_scale},
                  {"bound_robust", r.bound_robust}});
      if (ibp) e.update({{"eps", r.eps}, {"ibp_verified", r.ibp_verified}, {"robust_ce", r.parts.robust_ce}});
      epochs.push_back(e);
    }
    nlohmann::json j = {{"output", o.output},
                        {"loss", train::to_string(loss.kind)},
                        {"hidden_widths", final_widths},
                        {"parameters", result.mlp.num_parameters()},
                        {"train_accuracy", result.train_accuracy},
                        {"test_accuracy", result.test_accuracy},
                        {"seconds", result.seconds},
                        {"timed_out", result.timed_out},
                        {"command", meta["command"]},
                        {"epochs", epochs}};
    if (ibp) j["ibp_verified"] = result.epochs.empty() ? 0.0 : result.epochs.back().ibp_verified;
    if (prune_robust) j["bound_robust"] = result.epochs.empty() ? 0.0 : result.epochs.back().bound_robust;
    print_json(j);
    return 0;
  }
  std::printf("network     %d-%s-%d%s, %lld parameters\n", static_cast<int>(train_set.x.cols()),
              join(final_widths, "-").c_str(), train_set.num_classes, config.bias ? "" : " (no biases)",
              static_cast<long long>(result.mlp.num_parameters()));
  std::printf("loss        %s, %zu epochs, %.1f s%s\n", train::to_string(loss.kind), result.epochs.size(), result.seconds,
              result.timed_out ? " (stopped by --timeout)" : "");
  std::printf("train acc   %s\n", percent(result.train_accuracy).c_str());
  std::printf("test acc    %s\n", percent(result.test_accuracy).c_str());
  if (ibp && !result.epochs.empty())
    std::printf("ibp-verified %s of the test set at eps %g\n", percent(result.epochs.back().ibp_verified).c_str(), o.eps);
  if (prune_robust && !result.epochs.empty())
    std::printf("bound-robust %s of the test set: delta(S,x,t) < gamma(x,t) for budget %s (spectral norms by power "
                "iteration, from below: an estimate; `prune-verify --engine bound` certifies)\n",
                percent(result.epochs.back().bound_robust).c_str(), join(loss.budget, ",").c_str());
  std::printf("wrote       %s\n", o.output.c_str());
  return 0;
}

}  // namespace cli
